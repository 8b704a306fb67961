//! The one [`Store`] implementation, generic over the SQL [`Backend`]: every method checks its
//! input's bounds (`super::columns`), runs the shared statements of `super::queries` (or the
//! backend's purges), and is timed into `stsbridge_store_operation_duration_seconds` by
//! [`timed`], the store's one use of the metrics registry.
//!
//! The bounds on the impls say what `sqlx` must be able to do with the backend's database:
//! execute on a pool and a connection, bind and read `i64` and text, run migrations.
//! `SqlStore<Sqlite>` and `SqlStore<Postgres>` meet them; nothing else is built.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, Pool, Type};

use super::api::{Store, StoreFuture};
use super::backend::Backend;
use super::columns::{
    check_audit, check_device, check_key, check_state_value, expiry_millis, mfa_attempt_params,
    now_millis,
};
use super::error::StoreError;
use super::migrate;
use super::queries::{
    ADD_AUDIT, ADD_REVOCATION, AUDIT_ROWS_PER_STATEMENT, CLEAR_MFA, DELETE_STATE, GET_STATE,
    LIST_AUDIT, LIST_REVOCATIONS, MFA_LOCKED, PING, PURGE_BATCH, PUT_STATE, RECORD_MFA_ATTEMPT,
    TAKE_STATE, USE_ONCE,
};
use super::records::{AuditRecord, MfaAttempt, MfaLockPolicy};
use super::revocation::{Revocation, RevocationRow, RevocationTuple};
use crate::metrics::Metrics;

/// A [`Store`] over one SQL database.
#[derive(Debug)]
pub(crate) struct SqlStore<B: Backend> {
    pub(super) pool: Pool<B::Db>,
    /// The registry of the bridge using this store, once one attaches it (command-line tools
    /// open stores without one).
    pub(super) metrics: OnceLock<Arc<Metrics>>,
}

/// Times `call` into the store metrics under `operation`, ok or error.
fn timed<'a, T: 'a>(
    metrics: &'a OnceLock<Arc<Metrics>>,
    operation: &'static str,
    call: impl Future<Output = Result<T, StoreError>> + Send + 'a,
) -> StoreFuture<'a, T> {
    Box::pin(async move {
        let started = Instant::now();
        let result = call.await;
        if let Some(m) = metrics.get() {
            m.store_call(operation, result.is_ok(), started.elapsed());
        }
        result
    })
}

impl<B: Backend> SqlStore<B>
where
    for<'c> &'c mut <B::Db as Database>::Connection: Executor<'c, Database = B::Db>,
    for<'q> i64: Encode<'q, B::Db> + Decode<'q, B::Db> + Type<B::Db>,
    for<'q> String: Encode<'q, B::Db> + Decode<'q, B::Db> + Type<B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    for<'q> Option<String>: Encode<'q, B::Db> + Decode<'q, B::Db>,
    for<'q> Option<&'q str>: Encode<'q, B::Db>,
    usize: ColumnIndex<<B::Db as Database>::Row>,
{
    /// Brings the schema behind `pool` up to date and wraps it. On failure the pool is closed,
    /// so nothing is left connected to a database the store refused.
    pub(super) async fn migrated(pool: Pool<B::Db>) -> Result<Self, StoreError> {
        let store = Self {
            pool,
            metrics: OnceLock::new(),
        };
        if let Err(e) = store.migrate_to(None).await {
            store.pool.close().await;
            return Err(e);
        }
        Ok(store)
    }

    /// Applies the embedded migrations up to `target` (all of them with `None`; tests pass a
    /// version to build a database as an older binary left it).
    pub(super) async fn migrate_to(&self, target: Option<i64>) -> Result<(), StoreError> {
        migrate::migrate::<B>(&self.pool, target).await
    }

    /// Runs a purge statement until a batch comes back short, so a large backlog never holds
    /// locks for long. Returns the rows removed.
    async fn purge_in_batches(&self, sql: &'static str, now: i64) -> Result<u64, StoreError> {
        let mut removed: u64 = 0;
        loop {
            let done = sqlx::query(sql)
                .bind(now)
                .bind(PURGE_BATCH)
                .execute(&self.pool)
                .await?;
            let batch = B::rows_affected(&done);
            removed = removed.saturating_add(batch);
            if batch < PURGE_BATCH.unsigned_abs() {
                return Ok(removed);
            }
        }
    }
}

impl<B: Backend> Store for SqlStore<B>
where
    for<'c> &'c mut <B::Db as Database>::Connection: Executor<'c, Database = B::Db>,
    for<'q> i64: Encode<'q, B::Db> + Decode<'q, B::Db> + Type<B::Db>,
    for<'q> String: Encode<'q, B::Db> + Decode<'q, B::Db> + Type<B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    for<'q> Option<String>: Encode<'q, B::Db> + Decode<'q, B::Db>,
    for<'q> Option<&'q str>: Encode<'q, B::Db>,
    usize: ColumnIndex<<B::Db as Database>::Row>,
{
    fn use_once<'a>(
        &'a self,
        namespace: &'a str,
        id: &'a str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, bool> {
        timed(&self.metrics, "use_once", async move {
            check_key(namespace, id)?;
            let done = sqlx::query(USE_ONCE)
                .bind(namespace)
                .bind(id)
                .bind(expiry_millis(expires_at))
                .bind(now_millis(now))
                .execute(&self.pool)
                .await?;
            Ok(B::rows_affected(&done) == 1)
        })
    }

    fn add_revocation(&self, r: &Revocation) -> StoreFuture<'_, ()> {
        // Checked and copied now, so the future does not borrow `r`.
        let row = RevocationRow::try_from(r);
        timed(&self.metrics, "add_revocation", async move {
            let row = row?;
            sqlx::query(ADD_REVOCATION)
                .bind(row.kind)
                .bind(row.target)
                .bind(row.subject)
                .bind(row.issued_before)
                .bind(row.created_at)
                .bind(row.expires_at)
                .bind(row.reason)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn list_revocations(&self, now: DateTime<Utc>) -> StoreFuture<'_, Vec<Revocation>> {
        timed(&self.metrics, "list_revocations", async move {
            let rows: Vec<RevocationTuple> = sqlx::query_as(LIST_REVOCATIONS)
                .bind(now_millis(now))
                .fetch_all(&self.pool)
                .await?;
            rows.into_iter()
                .map(|row| Revocation::try_from(RevocationRow::from(row)))
                .collect()
        })
    }

    fn purge_expired(&self, now: DateTime<Utc>) -> StoreFuture<'_, u64> {
        timed(&self.metrics, "purge_expired", async move {
            let now = now_millis(now);
            let mut removed: u64 = 0;
            for sql in B::PURGES {
                removed = removed.saturating_add(self.purge_in_batches(sql, now).await?);
            }
            Ok(removed)
        })
    }

    fn put_state<'a>(
        &'a self,
        namespace: &'a str,
        id: &'a str,
        value: &'a str,
        expires_at: DateTime<Utc>,
    ) -> StoreFuture<'a, ()> {
        timed(&self.metrics, "put_state", async move {
            check_key(namespace, id)?;
            check_state_value(value)?;
            sqlx::query(PUT_STATE)
                .bind(namespace)
                .bind(id)
                .bind(value)
                .bind(expiry_millis(expires_at))
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn get_state<'a>(
        &'a self,
        namespace: &'a str,
        id: &'a str,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, Option<String>> {
        timed(&self.metrics, "get_state", async move {
            check_key(namespace, id)?;
            let row: Option<(String,)> = sqlx::query_as(GET_STATE)
                .bind(namespace)
                .bind(id)
                .bind(now_millis(now))
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|(v,)| v))
        })
    }

    fn take_state<'a>(
        &'a self,
        namespace: &'a str,
        id: &'a str,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, Option<String>> {
        timed(&self.metrics, "take_state", async move {
            check_key(namespace, id)?;
            let row: Option<(String, i64)> = sqlx::query_as(TAKE_STATE)
                .bind(namespace)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            // An expired row is removed all the same, and counts as absent.
            Ok(row.and_then(|(v, exp)| (exp > now_millis(now)).then_some(v)))
        })
    }

    fn delete_state<'a>(&'a self, namespace: &'a str, id: &'a str) -> StoreFuture<'a, ()> {
        timed(&self.metrics, "delete_state", async move {
            check_key(namespace, id)?;
            sqlx::query(DELETE_STATE)
                .bind(namespace)
                .bind(id)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn add_audit_events<'a>(&'a self, events: &'a [AuditRecord]) -> StoreFuture<'a, ()> {
        timed(&self.metrics, "add_audit_events", async move {
            for e in events {
                check_audit(e)?;
            }
            // One multi-row INSERT per chunk, all in one transaction: a batch is one statement
            // (not one per event), and a batch is written whole or not at all.
            let mut tx = self.pool.begin().await?;
            for chunk in events.chunks(AUDIT_ROWS_PER_STATEMENT) {
                let mut insert = sqlx::QueryBuilder::<B::Db>::new(ADD_AUDIT);
                insert.push_values(chunk, |mut row, e| {
                    row.push_bind(e.at.timestamp_millis())
                        .push_bind(e.subject.clone())
                        .push_bind(e.principal.clone())
                        .push_bind(e.event.clone())
                        .push_bind(expiry_millis(e.expires_at));
                });
                insert.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn list_audit_events<'a>(
        &'a self,
        since: DateTime<Utc>,
        who: Option<&'a str>,
        limit: u32,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, Vec<String>> {
        timed(&self.metrics, "list_audit_events", async move {
            let rows: Vec<(String,)> = sqlx::query_as(LIST_AUDIT)
                .bind(since.timestamp_millis())
                .bind(now_millis(now))
                .bind(who)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
            Ok(rows.into_iter().map(|(e,)| e).collect())
        })
    }

    fn mfa_locked<'a>(&'a self, device: &'a str, now: DateTime<Utc>) -> StoreFuture<'a, bool> {
        timed(&self.metrics, "mfa_locked", async move {
            check_device(device)?;
            let locked: i64 = sqlx::query_scalar(MFA_LOCKED)
                .bind(device)
                .bind(now_millis(now))
                .fetch_one(&self.pool)
                .await?;
            Ok(locked > 0)
        })
    }

    fn record_mfa_attempt<'a>(
        &'a self,
        device: &'a str,
        policy: MfaLockPolicy,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, MfaAttempt> {
        timed(&self.metrics, "record_mfa_attempt", async move {
            check_device(device)?;
            let (now, max, window_end, lock_end) = mfa_attempt_params(policy, now)?;
            let counted: Option<i64> = sqlx::query_scalar(RECORD_MFA_ATTEMPT)
                .bind(device)
                .bind(now)
                .bind(max)
                .bind(window_end)
                .bind(lock_end)
                .fetch_optional(&self.pool)
                .await?;
            Ok(counted.map_or(MfaAttempt::Locked, |n| MfaAttempt::Counted {
                attempts: u32::try_from(n).unwrap_or(u32::MAX),
            }))
        })
    }

    fn clear_mfa_attempts<'a>(&'a self, device: &'a str) -> StoreFuture<'a, ()> {
        timed(&self.metrics, "clear_mfa_attempts", async move {
            check_device(device)?;
            sqlx::query(CLEAR_MFA)
                .bind(device)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn attach_metrics(&self, metrics: Arc<Metrics>) {
        // Attached once, by the one bridge that owns the store.
        let _ = self.metrics.set(metrics);
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        timed(&self.metrics, "ping", async move {
            sqlx::query(PING).execute(&self.pool).await?;
            Ok(())
        })
    }
}
