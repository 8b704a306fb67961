//! How values reach the columns every backend stores: the bounds a key, value or event must
//! keep before it reaches SQL, and times as integer milliseconds (an expiry rounded up, "now"
//! rounded down, so a record never counts as expired before its real expiry).

use chrono::{DateTime, TimeDelta, Utc};

use super::error::StoreError;
use super::records::{
    AuditRecord, MAX_AUDIT_EVENT_BYTES, MAX_ID_BYTES, MAX_NAMESPACE_BYTES, MAX_STATE_BYTES,
    MfaLockPolicy,
};

/// Bounds an audit event (its JSON, subject and principal) before it reaches SQL.
pub(super) fn check_audit(r: &AuditRecord) -> Result<(), StoreError> {
    let long = |s: &Option<String>| s.as_ref().is_some_and(|s| s.len() > MAX_ID_BYTES);
    if r.event.len() > MAX_AUDIT_EVENT_BYTES
        || long(&r.subject)
        || long(&r.principal)
        || r.event.contains('\0')
        || r.subject.as_deref().is_some_and(|s| s.contains('\0'))
        || r.principal.as_deref().is_some_and(|s| s.contains('\0'))
    {
        return Err(StoreError::InvalidKey(
            "audit event must be at most 16 KiB (subject, principal 1 KiB) without NUL",
        ));
    }
    Ok(())
}

/// Bounds a one-time key before it reaches SQL. NUL is refused because PostgreSQL `TEXT`
/// cannot hold it; refusing it everywhere keeps the backends interchangeable.
pub(super) fn check_key(namespace: &str, id: &str) -> Result<(), StoreError> {
    if namespace.is_empty() || namespace.len() > MAX_NAMESPACE_BYTES {
        return Err(StoreError::InvalidKey("namespace must be 1 to 256 bytes"));
    }
    if id.is_empty() || id.len() > MAX_ID_BYTES {
        return Err(StoreError::InvalidKey("id must be 1 to 1024 bytes"));
    }
    if namespace.contains('\0') || id.contains('\0') {
        return Err(StoreError::InvalidKey(
            "namespace and id must not contain NUL",
        ));
    }
    Ok(())
}

/// Bounds an MFA device key like a one-time id.
pub(super) fn check_device(device: &str) -> Result<(), StoreError> {
    if device.is_empty() || device.len() > MAX_ID_BYTES || device.contains('\0') {
        return Err(StoreError::InvalidKey(
            "MFA device must be 1 to 1024 bytes without NUL",
        ));
    }
    Ok(())
}

/// The statement parameters of [`Store::record_mfa_attempt`](super::Store::record_mfa_attempt):
/// `(now, max_attempts, window end, lock end)` in stored milliseconds.
pub(super) fn mfa_attempt_params(
    policy: MfaLockPolicy,
    now: DateTime<Utc>,
) -> Result<(i64, i64, i64, i64), StoreError> {
    if policy.max_attempts == 0 {
        return Err(StoreError::InvalidKey("max_attempts must be at least 1"));
    }
    let end = |d: TimeDelta| {
        now.checked_add_signed(d)
            .filter(|e| *e > now)
            .map(expiry_millis)
            .ok_or(StoreError::InvalidKey(
                "MFA window and lockout must be positive",
            ))
    };
    Ok((
        now_millis(now),
        i64::from(policy.max_attempts),
        end(policy.window)?,
        end(policy.lockout)?,
    ))
}

pub(super) fn check_state_value(value: &str) -> Result<(), StoreError> {
    if value.len() > MAX_STATE_BYTES || value.contains('\0') {
        return Err(StoreError::InvalidKey(
            "state value must be at most 1 MiB without NUL",
        ));
    }
    Ok(())
}

/// An expiry as stored: milliseconds since the epoch, rounded up.
pub(super) fn expiry_millis(at: DateTime<Utc>) -> i64 {
    let floor = at.timestamp_millis();
    if at.timestamp_subsec_nanos().is_multiple_of(1_000_000) {
        floor
    } else {
        floor.saturating_add(1)
    }
}

/// "Now" as compared against stored expiries: milliseconds since the epoch, rounded down.
pub(super) fn now_millis(now: DateTime<Utc>) -> i64 {
    now.timestamp_millis()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn expiry_rounds_up_and_now_rounds_down() {
        let exact = Utc.timestamp_millis_opt(1_700_000_000_123).unwrap();
        assert_eq!(expiry_millis(exact), 1_700_000_000_123);
        assert_eq!(now_millis(exact), 1_700_000_000_123);
        let between = exact + chrono::TimeDelta::microseconds(1);
        assert_eq!(expiry_millis(between), 1_700_000_000_124);
        assert_eq!(now_millis(between), 1_700_000_000_123);
    }

    #[test]
    fn key_bounds() {
        assert!(check_key("n", "i").is_ok());
        assert!(check_key(&"n".repeat(256), &"i".repeat(1024)).is_ok());
        assert!(check_key(&"n".repeat(257), "i").is_err());
        assert!(check_key("n", &"i".repeat(1025)).is_err());
        // Bytes, not characters: 513 two-byte characters are 1026 bytes.
        assert!(check_key("n", &"é".repeat(513)).is_err());
        assert!(check_key("", "i").is_err());
        assert!(check_key("n", "").is_err());
        assert!(check_key("n", "a\0b").is_err());
    }
}
