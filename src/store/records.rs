//! The records the store takes and returns besides revocations (audit events, the MFA lock
//! policy and what an attempt did), and the bounds every key and value keeps. Plain data, so
//! that the trait, the bounds checks and the backends all build on it.

use chrono::{DateTime, TimeDelta, Utc};

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

/// What [`Store::record_mfa_attempt`](super::Store::record_mfa_attempt) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaAttempt {
    /// Counted: `attempts` in the current window, this one included. When it equals
    /// `max_attempts` this attempt has locked the device (a valid code still unlocks it).
    Counted { attempts: u32 },
    /// The device is locked: nothing was counted and the code must not be checked.
    Locked,
}
