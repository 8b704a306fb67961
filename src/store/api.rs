//! What the layers above see: the [`Store`] trait. Its own file so that the generic SQL store
//! implements it without importing from `store/mod.rs`, which opens the backends.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};

use super::error::StoreError;
use super::records::{AuditRecord, MfaAttempt, MfaLockPolicy};
use super::revocation::Revocation;

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
    /// [`MAX_REVOCATION_FIELD_BYTES`](super::revocation::MAX_REVOCATION_FIELD_BYTES) bytes without NUL, and target values and the subject
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
    /// `value` is at most [`MAX_STATE_BYTES`](super::records::MAX_STATE_BYTES); callers store only sealed text.
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
    /// [`MAX_AUDIT_EVENT_BYTES`](super::records::MAX_AUDIT_EVENT_BYTES); a batch with one out of bounds is refused whole.
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
    /// `device` is at most [`MAX_ID_BYTES`](super::records::MAX_ID_BYTES) without NUL; `policy.max_attempts` at least 1.
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

    /// Counts this store's calls (`stsbridge_store_operation_duration_seconds`) in the
    /// bridge's registry from now on.
    fn attach_metrics(&self, metrics: std::sync::Arc<crate::metrics::Metrics>);
}
