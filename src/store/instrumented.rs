//! A [`Store`] decorator that times every call into `stsbridge_store_operation_duration_seconds`,
//! whatever the backend. [`super::open`] wraps each store it opens with it.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::{AuditRecord, MfaAttempt, MfaLockPolicy, Revocation, Store, StoreError, StoreFuture};

#[derive(Debug)]
pub(super) struct Instrumented(pub(super) Arc<dyn Store>);

async fn timed<T>(operation: &'static str, call: StoreFuture<'_, T>) -> Result<T, StoreError> {
    let started = Instant::now();
    let result = call.await;
    crate::metrics::global().store_call(operation, result.is_ok(), started.elapsed());
    result
}

impl Store for Instrumented {
    fn use_once<'a>(
        &'a self,
        namespace: &'a str,
        id: &'a str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, bool> {
        Box::pin(timed(
            "use_once",
            self.0.use_once(namespace, id, expires_at, now),
        ))
    }

    fn add_revocation(&self, r: &Revocation) -> StoreFuture<'_, ()> {
        Box::pin(timed("add_revocation", self.0.add_revocation(r)))
    }

    fn list_revocations(&self, now: DateTime<Utc>) -> StoreFuture<'_, Vec<Revocation>> {
        Box::pin(timed("list_revocations", self.0.list_revocations(now)))
    }

    fn purge_expired(&self, now: DateTime<Utc>) -> StoreFuture<'_, u64> {
        Box::pin(timed("purge_expired", self.0.purge_expired(now)))
    }

    fn put_state<'a>(
        &'a self,
        namespace: &'a str,
        id: &'a str,
        value: &'a str,
        expires_at: DateTime<Utc>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(timed(
            "put_state",
            self.0.put_state(namespace, id, value, expires_at),
        ))
    }

    fn get_state<'a>(
        &'a self,
        namespace: &'a str,
        id: &'a str,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, Option<String>> {
        Box::pin(timed("get_state", self.0.get_state(namespace, id, now)))
    }

    fn take_state<'a>(
        &'a self,
        namespace: &'a str,
        id: &'a str,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, Option<String>> {
        Box::pin(timed("take_state", self.0.take_state(namespace, id, now)))
    }

    fn delete_state<'a>(&'a self, namespace: &'a str, id: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(timed("delete_state", self.0.delete_state(namespace, id)))
    }

    fn add_audit_events<'a>(&'a self, events: &'a [AuditRecord]) -> StoreFuture<'a, ()> {
        Box::pin(timed("add_audit_events", self.0.add_audit_events(events)))
    }

    fn list_audit_events<'a>(
        &'a self,
        since: DateTime<Utc>,
        who: Option<&'a str>,
        limit: u32,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, Vec<String>> {
        Box::pin(timed(
            "list_audit_events",
            self.0.list_audit_events(since, who, limit, now),
        ))
    }

    fn mfa_locked<'a>(&'a self, device: &'a str, now: DateTime<Utc>) -> StoreFuture<'a, bool> {
        Box::pin(timed("mfa_locked", self.0.mfa_locked(device, now)))
    }

    fn record_mfa_attempt<'a>(
        &'a self,
        device: &'a str,
        policy: MfaLockPolicy,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, MfaAttempt> {
        Box::pin(timed(
            "record_mfa_attempt",
            self.0.record_mfa_attempt(device, policy, now),
        ))
    }

    fn clear_mfa_attempts<'a>(&'a self, device: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(timed(
            "clear_mfa_attempts",
            self.0.clear_mfa_attempts(device),
        ))
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(timed("ping", self.0.ping()))
    }
}
