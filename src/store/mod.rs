//! Shared state that must be global across replicas: the one-time-id (replay) cache, session
//! revocations, browser state, audit events and invalid-MFA-code counts.
//!
//! [`Store`] is the only thing the layers above see. It is dyn-compatible (methods return boxed
//! futures) so application state holds an `Arc<dyn Store>` and the backend is picked at start
//! by [`open`]: SQLite (a file, or memory for tests and the demo) for one node, PostgreSQL for
//! several replicas, behind the same trait and the same conformance suite.
//!
//! Invariants every backend keeps:
//! - [`Store::use_once`] is atomic: among any number of concurrent callers, in one process or
//!   several sharing the database, exactly one sees `true` for a live `(namespace, id)`.
//! - [`Store::record_mfa_attempt`] is atomic too: among any number of concurrent attempts on
//!   one device, at most `max_attempts` are counted before the device locks.
//! - Time is a parameter: no method reads a clock. Times are stored as integer milliseconds
//!   since the Unix epoch; an expiry is rounded up and "now" down, so a record never counts as
//!   expired before its real expiry.
//! - Keys are bounded ([`MAX_NAMESPACE_BYTES`], [`MAX_ID_BYTES`]), and so are revocation fields
//!   ([`MAX_REVOCATION_FIELD_BYTES`]), before they reach SQL.
//! - The schema is migrated on open by migrations embedded in the binary (see `migrate`).
//! - All database access is async; nothing blocks the runtime (sqlx runs each SQLite
//!   connection on its own worker thread, and speaks to PostgreSQL over async sockets).
//! - Waits are bounded: a call that cannot get a connection or whose statement runs too long
//!   fails with an error (callers answer "try again"), it does not hang.

mod error;
mod instrumented;
mod migrate;
mod postgres;
mod revocation;
mod sqlite;

#[cfg(test)]
pub mod conformance;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

pub use error::StoreError;
pub use revocation::{
    MAX_REVOCATION_FIELD_BYTES, REVOCATION_LIFETIME, Revocation, RevocationTarget,
};

use crate::config::StoreUrl;

/// Longest accepted namespace, in bytes.
pub const MAX_NAMESPACE_BYTES: usize = 256;
/// Longest accepted one-time id, in bytes. SAML assertion IDs and JWT `jti`s are far shorter;
/// the bound keeps an attacker from filling the store with large keys.
pub const MAX_ID_BYTES: usize = 1024;

/// One audit event as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    /// The federated subject, when the event has one (for `--subject` filters).
    pub subject: Option<String>,
    /// The caller's or issued session's ARN, when known.
    pub principal: Option<String>,
    /// The event as one JSON object.
    pub event: String,
    /// When retention drops it.
    pub expires_at: DateTime<Utc>,
}

/// Largest audit event JSON, in bytes.
pub const MAX_AUDIT_EVENT_BYTES: usize = 16 * 1024;

fn check_audit(r: &AuditRecord) -> Result<(), StoreError> {
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

/// Largest browser-state value, in bytes. A sealed web session is a few KB, but one holding a
/// SAML assertion with hundreds of group attributes can reach a few hundred.
pub const MAX_STATE_BYTES: usize = 1024 * 1024;

/// How invalid MFA codes lock a device; the policy is the caller's, the store only counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfaLockPolicy {
    /// Attempts counted in one window before the device locks (the last one sets the lock).
    pub max_attempts: u32,
    /// How long a window lasts, from the first attempt counted in it.
    pub window: TimeDelta,
    /// How long a lock lasts, from the attempt that set it.
    pub lockout: TimeDelta,
}

/// What [`Store::record_mfa_attempt`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaAttempt {
    /// Counted: `attempts` in the current window, this one included. When it equals
    /// `max_attempts` this attempt has locked the device (a valid code still unlocks it).
    Counted { attempts: u32 },
    /// The device is locked: nothing was counted and the code must not be checked.
    Locked,
}

/// The future every [`Store`] method returns: boxed so the trait stays dyn-compatible.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The bridge's shared state. Implementations must pass `conformance::run_conformance_suite`.
pub trait Store: Send + Sync + fmt::Debug {
    /// Records `(namespace, id)` as used until `expires_at`.
    ///
    /// Returns `true` if this call is the first use (or the previous record had expired at
    /// `now`, i.e. `expires_at <= now`, and has been replaced), `false` if the id is already
    /// recorded and still live: a replay. Atomic across concurrent callers and processes.
    ///
    /// Callers reject already-expired input before asking: with `expires_at <= now` the record
    /// is dead on arrival and every call returns `true`.
    fn use_once<'a>(
        &'a self,
        namespace: &'a str,
        id: &'a str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, bool>;

    /// Records a revocation. Several revocations may name the same target; all are kept.
    ///
    /// Each target value, the subject and the reason must be at most
    /// [`MAX_REVOCATION_FIELD_BYTES`] bytes without NUL, and target values and the subject
    /// non-empty; otherwise [`StoreError::InvalidKey`] and nothing is stored. Times are kept in
    /// milliseconds: `issued_before` and `expires_at` rounded up, `created_at` rounded down.
    fn add_revocation(&self, r: &Revocation) -> StoreFuture<'_, ()>;

    /// The revocations still live at `now` (`expires_at > now`), newest first: by `created_at`
    /// descending, then the later-added of two made in the same millisecond first.
    fn list_revocations(&self, now: DateTime<Utc>) -> StoreFuture<'_, Vec<Revocation>>;

    /// Deletes every record (one-time ids, revocations, browser state, audit events, MFA
    /// attempt counts) that has expired at `now` and returns how many were removed in all.
    fn purge_expired(&self, now: DateTime<Utc>) -> StoreFuture<'_, u64>;

    /// Stores (or replaces) browser state `value` under `(namespace, id)` until `expires_at`.
    /// `value` is at most [`MAX_STATE_BYTES`]; callers store only sealed text.
    fn put_state<'a>(
        &'a self,
        namespace: &'a str,
        id: &'a str,
        value: &'a str,
        expires_at: DateTime<Utc>,
    ) -> StoreFuture<'a, ()>;

    /// The value under `(namespace, id)` if it is still live at `now`.
    fn get_state<'a>(
        &'a self,
        namespace: &'a str,
        id: &'a str,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, Option<String>>;

    /// Removes the value under `(namespace, id)` and returns it if it was live at `now`.
    /// Atomic: among concurrent takers of one live value, exactly one gets it (single-use
    /// tokens rely on this).
    fn take_state<'a>(
        &'a self,
        namespace: &'a str,
        id: &'a str,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, Option<String>>;

    /// Removes the value under `(namespace, id)`, if any.
    fn delete_state<'a>(&'a self, namespace: &'a str, id: &'a str) -> StoreFuture<'a, ()>;

    /// Appends audit events (one transaction). Each event's JSON is at most
    /// [`MAX_AUDIT_EVENT_BYTES`]; a batch with one out of bounds is refused whole.
    fn add_audit_events<'a>(&'a self, events: &'a [AuditRecord]) -> StoreFuture<'a, ()>;

    /// Audit events at or after `since` (and live at `now`), oldest first, at most `limit`;
    /// with `who`, only those whose subject or principal is exactly `who`.
    fn list_audit_events<'a>(
        &'a self,
        since: DateTime<Utc>,
        who: Option<&'a str>,
        limit: u32,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, Vec<String>>;

    /// Whether `device` (an MFA serial number) is locked at `now`. A read: counts nothing.
    fn mfa_locked<'a>(&'a self, device: &'a str, now: DateTime<Utc>) -> StoreFuture<'a, bool>;

    /// Counts an MFA attempt on `device` before its code is checked, in one atomic statement:
    /// a locked device ([`MfaAttempt::Locked`]) is left as it is; otherwise the attempt is
    /// added to the current window (a new one when the last window or lock has ended), and the
    /// attempt that reaches `policy.max_attempts` locks the device for `policy.lockout`.
    /// Concurrent callers, in one process or several, are counted one by one.
    ///
    /// `device` is at most [`MAX_ID_BYTES`] without NUL; `policy.max_attempts` at least 1.
    fn record_mfa_attempt<'a>(
        &'a self,
        device: &'a str,
        policy: MfaLockPolicy,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, MfaAttempt>;

    /// Forgets the attempts (and any lock) of `device`: a valid code was given.
    fn clear_mfa_attempts<'a>(&'a self, device: &'a str) -> StoreFuture<'a, ()>;

    /// Checks that the database answers (for `/readyz`).
    fn ping(&self) -> StoreFuture<'_, ()>;
}

/// Opens (creating and migrating as needed) the store the configuration names.
pub async fn open(url: &StoreUrl) -> Result<Arc<dyn Store>, StoreError> {
    let store = open_backend(url).await?;
    Ok(Arc::new(instrumented::Instrumented(store)))
}

async fn open_backend(url: &StoreUrl) -> Result<Arc<dyn Store>, StoreError> {
    match url {
        StoreUrl::SqliteFile(path) => {
            Ok(Arc::new(sqlite::SqliteStore::open_file(path, url).await?))
        }
        StoreUrl::SqliteMemory => Ok(Arc::new(sqlite::SqliteStore::open_memory(url).await?)),
        StoreUrl::Postgres(secret) => Ok(Arc::new(postgres::PgStore::open(secret, url).await?)),
    }
}

/// The store location for logs and error messages, with any password replaced.
///
/// A PostgreSQL URL loses its password, query string and fragment (libpq accepts
/// `?password=` too); text that is not a URL at all is not echoed.
pub fn redacted_url(url: &StoreUrl) -> String {
    match url {
        StoreUrl::SqliteFile(path) => format!("sqlite://{}", path.display()),
        StoreUrl::SqliteMemory => "sqlite::memory:".to_owned(),
        StoreUrl::Postgres(secret) => match url::Url::parse(secret.expose()) {
            Ok(mut parsed) => {
                if parsed.password().is_some() && parsed.set_password(Some("REDACTED")).is_err() {
                    return "postgres://<redacted>".to_owned();
                }
                parsed.set_query(None);
                parsed.set_fragment(None);
                parsed.to_string()
            }
            Err(_) => "postgres://<unparseable URL>".to_owned(),
        },
    }
}

/// Bounds a one-time key before it reaches SQL. NUL is refused because PostgreSQL `TEXT`
/// cannot hold it; refusing it everywhere keeps the backends interchangeable.
fn check_key(namespace: &str, id: &str) -> Result<(), StoreError> {
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
fn check_device(device: &str) -> Result<(), StoreError> {
    if device.is_empty() || device.len() > MAX_ID_BYTES || device.contains('\0') {
        return Err(StoreError::InvalidKey(
            "MFA device must be 1 to 1024 bytes without NUL",
        ));
    }
    Ok(())
}

/// The statement parameters of [`Store::record_mfa_attempt`], shared by the backends:
/// `(now, max_attempts, window end, lock end)` in stored milliseconds.
fn mfa_attempt_params(
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

fn check_state_value(value: &str) -> Result<(), StoreError> {
    if value.len() > MAX_STATE_BYTES || value.contains('\0') {
        return Err(StoreError::InvalidKey(
            "state value must be at most 1 MiB without NUL",
        ));
    }
    Ok(())
}

/// An expiry as stored: milliseconds since the epoch, rounded up.
fn expiry_millis(at: DateTime<Utc>) -> i64 {
    let floor = at.timestamp_millis();
    if at.timestamp_subsec_nanos().is_multiple_of(1_000_000) {
        floor
    } else {
        floor.saturating_add(1)
    }
}

/// "Now" as compared against stored expiries: milliseconds since the epoch, rounded down.
fn now_millis(now: DateTime<Utc>) -> i64 {
    now.timestamp_millis()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::types::Secret;

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

    #[test]
    fn redaction_hides_postgres_passwords() {
        let url = StoreUrl::Postgres(Secret::new(
            "postgres://bridge:hunter2@db.example:5432/sts?sslmode=require&password=hunter3",
        ));
        let shown = redacted_url(&url);
        assert!(!shown.contains("hunter"), "{shown}");
        assert!(shown.contains("bridge") && shown.contains("db.example:5432/sts"));

        let libpq = StoreUrl::Postgres(Secret::new("host=db password=hunter2"));
        assert!(!redacted_url(&libpq).contains("hunter2"));

        let file = StoreUrl::SqliteFile("/var/lib/stsbridge/db.sqlite".into());
        assert_eq!(redacted_url(&file), "sqlite:///var/lib/stsbridge/db.sqlite");
    }

    #[tokio::test]
    async fn an_unreachable_postgres_fails_to_open_without_showing_the_password() {
        // `.invalid` never resolves, so this fails at once rather than after retries.
        let url = StoreUrl::Postgres(Secret::new(
            "postgres://bridge:hunter2@db.invalid:5432/sts?password=hunter3",
        ));
        let err = open(&url).await.unwrap_err();
        assert!(matches!(err, StoreError::Open { .. }), "{err}");
        let shown = err.to_string();
        assert!(shown.contains("db.invalid"), "{shown}");
        assert!(!shown.contains("hunter"), "{shown}");
        assert!(!format!("{err:?}").contains("hunter"), "{err:?}");
    }
}
