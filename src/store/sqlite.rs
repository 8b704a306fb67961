//! The SQLite [`Store`]: one file (WAL) on a laptop or single node, or an in-memory database
//! for tests and the demo.
//!
//! - File: created if missing, `journal_mode = WAL` (readers never block the writer),
//!   `synchronous = NORMAL` (durable across process crashes; a power cut may lose the last
//!   commits, acceptable for a replay cache whose entries live minutes), 5 s busy timeout so
//!   writers from other connections or processes wait instead of failing, foreign keys on.
//! - Memory: every SQLite `:memory:` connection is its own database, so the pool holds exactly
//!   one connection and never closes it (no idle timeout, no max lifetime). Callers queue for it.
//! - Atomicity of `use_once` comes from a single `INSERT … ON CONFLICT DO UPDATE … WHERE
//!   expired` statement: SQLite runs it under the database write lock, and the rows-affected
//!   count says whether this call won.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Connection as _;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::migrate::{self, Applied, Migration};
use super::revocation::{RevocationRow, RevocationTuple};
use super::{
    AuditRecord, MfaAttempt, MfaLockPolicy, Revocation, Store, StoreError, StoreFuture,
    check_audit, check_device, check_key, check_state_value, expiry_millis, mfa_attempt_params,
    now_millis, redacted_url,
};
use crate::config::StoreUrl;

/// Embedded migrations, in order. Append only; never edit one that has shipped.
pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "one-time ids (replay cache)",
        sql: include_str!("migrations/sqlite/0001_one_time_ids.sql"),
    },
    Migration {
        version: 2,
        description: "session revocations",
        sql: include_str!("migrations/sqlite/0002_revocations.sql"),
    },
    Migration {
        version: 3,
        description: "browser state (web sessions, sign-in tokens)",
        sql: include_str!("migrations/sqlite/0003_web_state.sql"),
    },
    Migration {
        version: 4,
        description: "audit events",
        sql: include_str!("migrations/sqlite/0004_audit_events.sql"),
    },
    Migration {
        version: 5,
        description: "invalid MFA code counts",
        sql: include_str!("migrations/sqlite/0005_mfa_failures.sql"),
    },
];

/// Connections in a file-backed pool. SQLite has one writer at a time; a few connections let
/// readers and the next writer's statement preparation overlap without piling up threads.
const FILE_POOL_SIZE: u32 = 4;
/// How long a writer waits for another connection's (or process's) write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a caller waits for a pooled connection before the call fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Rows deleted per purge statement, so a large backlog never holds the write lock for long.
const PURGE_BATCH: i64 = 5_000;

const CREATE_SCHEMA_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    description TEXT    NOT NULL,
    checksum    TEXT    NOT NULL,
    applied_at  TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP
)";

/// Insert, or take over an expired record; a live record is left alone and counts 0 rows.
const USE_ONCE: &str = "INSERT INTO one_time_ids (namespace, id, expires_at) VALUES (?1, ?2, ?3)
    ON CONFLICT (namespace, id) DO UPDATE SET expires_at = excluded.expires_at
    WHERE one_time_ids.expires_at <= ?4";

const PURGE: &str = "DELETE FROM one_time_ids WHERE rowid IN (
    SELECT rowid FROM one_time_ids WHERE expires_at <= ?1 LIMIT ?2
)";

const ADD_REVOCATION: &str = "INSERT INTO revocations
    (kind, target, subject, issued_before, created_at, expires_at, reason)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// Live revocations, newest first; `id` (insertion order) breaks ties within a millisecond.
const LIST_REVOCATIONS: &str = "SELECT
    kind, target, subject, issued_before, created_at, expires_at, reason
    FROM revocations WHERE expires_at > ?1 ORDER BY created_at DESC, id DESC";

const PURGE_REVOCATIONS: &str = "DELETE FROM revocations WHERE id IN (
    SELECT id FROM revocations WHERE expires_at <= ?1 LIMIT ?2
)";

const PUT_STATE: &str = "INSERT INTO web_state (namespace, id, value, expires_at) VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT (namespace, id) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at";

const GET_STATE: &str =
    "SELECT value FROM web_state WHERE namespace = ?1 AND id = ?2 AND expires_at > ?3";

/// Deleting and returning in one statement makes taking atomic: of two concurrent takers, one
/// gets the row and the other finds nothing.
const TAKE_STATE: &str =
    "DELETE FROM web_state WHERE namespace = ?1 AND id = ?2 RETURNING value, expires_at";

const DELETE_STATE: &str = "DELETE FROM web_state WHERE namespace = ?1 AND id = ?2";

const PURGE_STATE: &str = "DELETE FROM web_state WHERE (namespace, id) IN (
    SELECT namespace, id FROM web_state WHERE expires_at <= ?1 LIMIT ?2
)";

/// Rows per audit INSERT (5 parameters each, far below either backend's parameter limit).
const AUDIT_ROWS_PER_STATEMENT: usize = 256;

const LIST_AUDIT: &str = "SELECT event FROM audit_events
    WHERE at >= ?1 AND expires_at > ?2 AND (?3 IS NULL OR subject = ?3 OR principal = ?3)
    ORDER BY at, id LIMIT ?4";

const PURGE_AUDIT: &str = "DELETE FROM audit_events WHERE id IN (
    SELECT id FROM audit_events WHERE expires_at <= ?1 LIMIT ?2
)";

/// One MFA attempt, counted atomically: SQLite runs the statement under the database write
/// lock. A new device gets a row; on a row that is not locked, an ended window (or
/// lock) starts over at 1, else the attempt adds one; the attempt reaching the maximum sets
/// the lock. A locked row is left as it is, and no row comes back.
/// Parameters: device, now, max attempts, window end, lock end.
const RECORD_MFA_ATTEMPT: &str =
    "INSERT INTO mfa_failures AS f (device, failures, locked_until, expires_at)
    VALUES (?1, 1, CASE WHEN ?3 <= 1 THEN ?5 ELSE 0 END, CASE WHEN ?3 <= 1 THEN ?5 ELSE ?4 END)
    ON CONFLICT (device) DO UPDATE SET
        failures = (CASE WHEN f.expires_at <= ?2 THEN 1 ELSE f.failures + 1 END),
        locked_until = CASE
            WHEN (CASE WHEN f.expires_at <= ?2 THEN 1 ELSE f.failures + 1 END) >= ?3 THEN ?5
            ELSE 0 END,
        expires_at = CASE
            WHEN (CASE WHEN f.expires_at <= ?2 THEN 1 ELSE f.failures + 1 END) >= ?3 THEN ?5
            WHEN f.expires_at <= ?2 THEN ?4
            ELSE f.expires_at END
    WHERE f.locked_until <= ?2
    RETURNING failures";

const MFA_LOCKED: &str =
    "SELECT count(*) FROM mfa_failures WHERE device = ?1 AND locked_until > ?2";

const CLEAR_MFA: &str = "DELETE FROM mfa_failures WHERE device = ?1";

const PURGE_MFA: &str = "DELETE FROM mfa_failures WHERE device IN (
    SELECT device FROM mfa_failures WHERE expires_at <= ?1 LIMIT ?2
)";

/// A [`Store`] over a SQLite database.
#[derive(Debug)]
pub(crate) struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) a database file and migrates it.
    pub(crate) async fn open_file(path: &Path, url: &StoreUrl) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(FILE_POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                url_redacted: redacted_url(url),
                source,
            })?;
        Self::migrated(pool).await
    }

    /// Opens a fresh, private in-memory database and migrates it.
    pub(crate) async fn open_memory(url: &StoreUrl) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .in_memory(true)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        // One connection that lives as long as the pool: closing it would drop the database.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            // A failed health check would replace the connection, and with it the database,
            // by an empty one: never test, never replace.
            .test_before_acquire(false)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                url_redacted: redacted_url(url),
                source,
            })?;
        Self::migrated(pool).await
    }

    async fn migrated(pool: SqlitePool) -> Result<Self, StoreError> {
        let store = Self { pool };
        if let Err(e) = store.migrate().await {
            store.pool.close().await;
            return Err(e);
        }
        Ok(store)
    }

    /// Brings the schema up to date. The whole check-and-apply runs in one `BEGIN IMMEDIATE`
    /// transaction, which takes the write lock first: two processes starting on the same new
    /// file serialise here, and the second finds the work done. Any failure rolls back.
    async fn migrate(&self) -> Result<(), StoreError> {
        self.migrate_to(MIGRATIONS).await
    }

    /// [`Self::migrate`] against `known`, which is [`MIGRATIONS`] outside tests (tests pass a
    /// prefix to build a database as an older binary left it).
    async fn migrate_to(&self, known: &[Migration]) -> Result<(), StoreError> {
        let failed = |what: &str, e: sqlx::Error| StoreError::Migration(format!("{what}: {e}"));
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| failed("no connection", e))?;
        // Up to date already (the usual case, e.g. a CLI next to a running server): answer
        // from a plain read, without queueing for the write lock behind the server's writes.
        let current: Result<Vec<(i64, String)>, _> =
            sqlx::query_as("SELECT version, checksum FROM schema_migrations ORDER BY version")
                .fetch_all(&mut *conn)
                .await;
        if let Ok(rows) = current {
            let applied: Vec<Applied> = rows
                .into_iter()
                .map(|(version, checksum)| Applied { version, checksum })
                .collect();
            if migrate::pending(known, &applied)?.is_empty() {
                return Ok(());
            }
        }
        let mut tx = conn
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| failed("cannot lock the database", e))?;
        sqlx::raw_sql(CREATE_SCHEMA_TABLE)
            .execute(&mut *tx)
            .await
            .map_err(|e| failed("cannot create schema_migrations", e))?;
        let applied: Vec<(i64, String)> =
            sqlx::query_as("SELECT version, checksum FROM schema_migrations ORDER BY version")
                .fetch_all(&mut *tx)
                .await
                .map_err(|e| failed("cannot read schema_migrations", e))?;
        let applied: Vec<Applied> = applied
            .into_iter()
            .map(|(version, checksum)| Applied { version, checksum })
            .collect();
        for m in migrate::pending(known, &applied)? {
            sqlx::raw_sql(m.sql)
                .execute(&mut *tx)
                .await
                .map_err(|e| failed(&format!("migration {} ({})", m.version, m.description), e))?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, description, checksum) VALUES (?1, ?2, ?3)",
            )
            .bind(m.version)
            .bind(m.description)
            .bind(m.checksum())
            .execute(&mut *tx)
            .await
            .map_err(|e| failed("cannot record migration", e))?;
            tracing::info!(
                version = m.version,
                description = m.description,
                "applied store migration"
            );
        }
        tx.commit()
            .await
            .map_err(|e| failed("cannot commit migrations", e))
    }
}

impl SqliteStore {
    /// Runs a `DELETE … LIMIT ?2` purge statement until a batch comes back short, so a large
    /// backlog never holds the write lock for long. Returns the rows removed.
    async fn purge_in_batches(&self, sql: &'static str, now: i64) -> Result<u64, StoreError> {
        let mut removed: u64 = 0;
        loop {
            let batch = sqlx::query(sql)
                .bind(now)
                .bind(PURGE_BATCH)
                .execute(&self.pool)
                .await?
                .rows_affected();
            removed = removed.saturating_add(batch);
            if batch < PURGE_BATCH.unsigned_abs() {
                return Ok(removed);
            }
        }
    }
}

impl Store for SqliteStore {
    fn use_once<'a>(
        &'a self,
        namespace: &'a str,
        id: &'a str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            check_key(namespace, id)?;
            let done = sqlx::query(USE_ONCE)
                .bind(namespace)
                .bind(id)
                .bind(expiry_millis(expires_at))
                .bind(now_millis(now))
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    fn add_revocation(&self, r: &Revocation) -> StoreFuture<'_, ()> {
        // Checked and copied now, so the future does not borrow `r`.
        let row = RevocationRow::try_from(r);
        Box::pin(async move {
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
        Box::pin(async move {
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
        Box::pin(async move {
            let now = now_millis(now);
            let ids = self.purge_in_batches(PURGE, now).await?;
            let revocations = self.purge_in_batches(PURGE_REVOCATIONS, now).await?;
            let state = self.purge_in_batches(PURGE_STATE, now).await?;
            let audit = self.purge_in_batches(PURGE_AUDIT, now).await?;
            let mfa = self.purge_in_batches(PURGE_MFA, now).await?;
            Ok(ids
                .saturating_add(revocations)
                .saturating_add(state)
                .saturating_add(audit)
                .saturating_add(mfa))
        })
    }

    fn put_state<'a>(
        &'a self,
        namespace: &'a str,
        id: &'a str,
        value: &'a str,
        expires_at: DateTime<Utc>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
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
        Box::pin(async move {
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
        Box::pin(async move {
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
        Box::pin(async move {
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
        Box::pin(async move {
            for e in events {
                check_audit(e)?;
            }
            // One multi-row INSERT per chunk, all in one transaction: a batch is one statement
            // (not one per event), and a batch is written whole or not at all.
            let mut tx = self.pool.begin().await?;
            for chunk in events.chunks(AUDIT_ROWS_PER_STATEMENT) {
                let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                    "INSERT INTO audit_events (at, subject, principal, event, expires_at) ",
                );
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
        Box::pin(async move {
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
        Box::pin(async move {
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
        Box::pin(async move {
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
        Box::pin(async move {
            check_device(device)?;
            sqlx::query(CLEAR_MFA)
                .bind(device)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use sqlx::ConnectOptions as _;
    use sqlx::Row as _;

    use super::*;
    use crate::store::conformance::run_conformance_suite;
    use crate::store::{RevocationTarget, open};

    fn t(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
    }

    fn file_url(dir: &tempfile::TempDir) -> StoreUrl {
        StoreUrl::SqliteFile(dir.path().join("stsbridge.db"))
    }

    /// A separate, plain connection to the same file, to look at it from outside the store.
    async fn raw(dir: &tempfile::TempDir) -> sqlx::SqliteConnection {
        SqliteConnectOptions::new()
            .filename(dir.path().join("stsbridge.db"))
            .connect()
            .await
            .unwrap()
    }

    /// Every migration this binary knows, as `schema_migrations` lists them once applied.
    fn all_versions() -> Vec<i64> {
        MIGRATIONS.iter().map(|m| m.version).collect()
    }

    async fn schema_rows(dir: &tempfile::TempDir) -> Vec<i64> {
        let mut conn = raw(dir).await;
        sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<i64, _>(0))
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conformance_in_memory() {
        let store = open(&StoreUrl::SqliteMemory).await.unwrap();
        run_conformance_suite(&store).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conformance_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&file_url(&dir)).await.unwrap();
        run_conformance_suite(&store).await;
    }

    #[tokio::test]
    async fn memory_stores_are_independent() {
        let a = open(&StoreUrl::SqliteMemory).await.unwrap();
        let b = open(&StoreUrl::SqliteMemory).await.unwrap();
        assert!(a.use_once("ns", "x", t(10), t(0)).await.unwrap());
        assert!(b.use_once("ns", "x", t(10), t(0)).await.unwrap());
        assert!(!a.use_once("ns", "x", t(10), t(1)).await.unwrap());
    }

    #[tokio::test]
    async fn a_used_id_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&file_url(&dir)).await.unwrap();
        assert!(store.use_once("saml", "_abc", t(300), t(0)).await.unwrap());
        drop(store);

        let reopened = open(&file_url(&dir)).await.unwrap();
        assert!(
            !reopened
                .use_once("saml", "_abc", t(300), t(10))
                .await
                .unwrap()
        );
        assert!(
            reopened
                .use_once("saml", "_abc", t(600), t(300))
                .await
                .unwrap()
        );
    }

    fn revocation(created: i64) -> Revocation {
        Revocation::new(
            RevocationTarget::Role("arn:aws:iam::123456789012:role/deploy".into()),
            t(created),
            t(created),
            Some("offboarding".into()),
        )
    }

    async fn recorded_checksums(dir: &tempfile::TempDir) -> Vec<String> {
        let mut conn = raw(dir).await;
        sqlx::query_scalar("SELECT checksum FROM schema_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn migrations_apply_once_and_reopen_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let expected: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(expected, (1..=5).collect::<Vec<i64>>());
        let kept = revocation(0);
        for round in 0..3 {
            let store = open(&file_url(&dir)).await.unwrap();
            store.ping().await.unwrap();
            if round == 0 {
                store.add_revocation(&kept).await.unwrap();
                assert!(store.use_once("ns", "id", t(300), t(0)).await.unwrap());
            }
            // Reopening neither re-runs a migration nor loses what earlier rounds stored.
            assert_eq!(
                store.list_revocations(t(1)).await.unwrap(),
                std::slice::from_ref(&kept)
            );
            assert!(!store.use_once("ns", "id", t(300), t(1)).await.unwrap());
            drop(store);
            assert_eq!(schema_rows(&dir).await, expected);
        }
        let checksums: Vec<String> = MIGRATIONS.iter().map(Migration::checksum).collect();
        assert_eq!(recorded_checksums(&dir).await, checksums);
    }

    /// A database an older binary (migration 1 only) left behind gains the revocations table
    /// on open, and keeps its one-time ids.
    #[tokio::test]
    async fn revocations_migration_upgrades_a_version_one_database() {
        let dir = tempfile::tempdir().unwrap();
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(dir.path().join("stsbridge.db"))
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal),
            )
            .await
            .unwrap();
        let old = SqliteStore { pool };
        old.migrate_to(&MIGRATIONS[..1]).await.unwrap();
        assert!(old.use_once("saml", "_old", t(300), t(0)).await.unwrap());
        old.pool.close().await;
        assert_eq!(schema_rows(&dir).await, [1]);
        let mut conn = raw(&dir).await;
        let tables: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'revocations'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(tables, 0);
        conn.close().await.unwrap();

        let store = open(&file_url(&dir)).await.unwrap();
        assert_eq!(schema_rows(&dir).await, all_versions());
        assert!(!store.use_once("saml", "_old", t(300), t(10)).await.unwrap());
        let r = revocation(5);
        store.add_revocation(&r).await.unwrap();
        assert_eq!(
            store.list_revocations(t(10)).await.unwrap(),
            std::slice::from_ref(&r)
        );
        drop(store);

        let reopened = open(&file_url(&dir)).await.unwrap();
        assert_eq!(schema_rows(&dir).await, all_versions());
        assert_eq!(reopened.list_revocations(t(10)).await.unwrap(), [r]);
        let checksums: Vec<String> = MIGRATIONS.iter().map(Migration::checksum).collect();
        assert_eq!(recorded_checksums(&dir).await, checksums);
    }

    #[tokio::test]
    async fn the_revocations_table_refuses_rows_no_backend_writes() {
        let store = SqliteStore::open_memory(&StoreUrl::SqliteMemory)
            .await
            .unwrap();
        for (kind, subject) in [("user", None), ("role", Some("s")), ("subject", None)] {
            let inserted = sqlx::query(ADD_REVOCATION)
                .bind(kind)
                .bind("target")
                .bind(subject)
                .bind(0_i64)
                .bind(0_i64)
                .bind(1_i64)
                .bind(None::<String>)
                .execute(&store.pool)
                .await;
            assert!(inserted.is_err(), "{kind} {subject:?}");
        }
    }

    #[test]
    fn migration_versions_are_one_to_n() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(
                m.version,
                i64::try_from(i).unwrap() + 1,
                "{}",
                m.description
            );
        }
    }

    #[tokio::test]
    async fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(open(&file_url(&dir)).await.unwrap());
        let mut conn = raw(&dir).await;
        sqlx::query(
            "INSERT INTO schema_migrations (version, description, checksum) \
             VALUES (9999, 'from the future', 'x')",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();

        let err = open(&file_url(&dir)).await.unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::SchemaTooNew {
                    found: 9999,
                    supported: 5
                }
            ),
            "{err}"
        );
        // Refusing left the database as it was.
        let mut with_future = all_versions();
        with_future.push(9999);
        assert_eq!(schema_rows(&dir).await, with_future);
    }

    #[tokio::test]
    async fn an_edited_migration_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(open(&file_url(&dir)).await.unwrap());
        let mut conn = raw(&dir).await;
        sqlx::query("UPDATE schema_migrations SET checksum = 'changed' WHERE version = 1")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();

        let err = open(&file_url(&dir)).await.unwrap_err();
        assert!(matches!(err, StoreError::Migration(_)), "{err}");
    }

    #[tokio::test]
    async fn files_use_wal() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&file_url(&dir)).await.unwrap();
        assert!(store.use_once("ns", "id", t(10), t(0)).await.unwrap());
        // journal_mode = WAL is persistent in the file, so a plain connection reports it.
        let mut conn = raw(&dir).await;
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(mode.to_ascii_lowercase(), "wal");
        assert!(dir.path().join("stsbridge.db-wal").exists());
    }

    #[tokio::test]
    async fn the_store_pool_sets_its_pragmas() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_file(&dir.path().join("stsbridge.db"), &file_url(&dir))
            .await
            .unwrap();
        let mut conn = store.pool.acquire().await.unwrap();
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(synchronous, 1, "NORMAL");
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(foreign_keys, 1);
        let busy_ms: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(busy_ms, 5_000);
        let plan: Vec<String> = sqlx::query(
            "EXPLAIN QUERY PLAN SELECT rowid FROM one_time_ids WHERE expires_at <= 1 LIMIT 10",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("detail"))
        .collect();
        assert!(
            plan.iter().any(|d| d.contains("one_time_ids_expires_at")),
            "purge must use the expiry index: {plan:?}"
        );
        for query in [
            "EXPLAIN QUERY PLAN SELECT id FROM revocations WHERE expires_at <= 1 LIMIT 10",
            "EXPLAIN QUERY PLAN SELECT kind FROM revocations WHERE expires_at > 1 \
             ORDER BY created_at DESC, id DESC",
        ] {
            let plan: Vec<String> = sqlx::query(query)
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>("detail"))
                .collect();
            assert!(
                plan.iter().any(|d| d.contains("revocations_expires_at")),
                "{query}: {plan:?}"
            );
        }
    }

    /// Two stores (two pools, as two processes would have) on one file: still one winner.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_stores_on_one_file_agree_on_a_single_winner() {
        let dir = tempfile::tempdir().unwrap();
        let a = open(&file_url(&dir)).await.unwrap();
        let b = open(&file_url(&dir)).await.unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..40 {
            let store = Arc::clone(if i % 2 == 0 { &a } else { &b });
            tasks.spawn(async move { store.use_once("ns", "contested", t(60), t(0)).await });
        }
        let mut winners = 0;
        while let Some(result) = tasks.join_next().await {
            if result.unwrap().unwrap() {
                winners += 1;
            }
        }
        assert_eq!(winners, 1);
    }

    #[tokio::test]
    async fn purge_works_in_batches() {
        let store = SqliteStore::open_memory(&StoreUrl::SqliteMemory)
            .await
            .unwrap();
        let rows = PURGE_BATCH * 2 + 7;
        // Bulk-insert expired rows directly; going through use_once 10k times is just slow.
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
             INSERT INTO one_time_ids (namespace, id, expires_at) SELECT 'bulk', 'id-' || i, ?2 FROM n",
        )
        .bind(rows)
        .bind(expiry_millis(t(10)))
        .execute(&store.pool)
        .await
        .unwrap();
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
             INSERT INTO revocations (kind, target, issued_before, created_at, expires_at) \
             SELECT 'access_key', 'ASIA' || i, 0, 0, ?2 FROM n",
        )
        .bind(rows)
        .bind(expiry_millis(t(10)))
        .execute(&store.pool)
        .await
        .unwrap();
        assert!(store.use_once("bulk", "live", t(100), t(0)).await.unwrap());
        let live = revocation(0);
        store.add_revocation(&live).await.unwrap();
        assert_eq!(
            store.purge_expired(t(50)).await.unwrap(),
            rows.unsigned_abs() * 2
        );
        assert!(!store.use_once("bulk", "live", t(100), t(60)).await.unwrap());
        assert_eq!(store.list_revocations(t(0)).await.unwrap(), [live]);
        assert_eq!(store.purge_expired(t(50)).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn an_unopenable_file_is_an_open_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let url = StoreUrl::SqliteFile(dir.path().join("missing-dir").join("db.sqlite"));
        let err = open(&url).await.unwrap_err();
        assert!(matches!(err, StoreError::Open { .. }), "{err}");
        assert!(err.to_string().contains("missing-dir"), "{err}");
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stsbridge.db");
        tokio::fs::write(
            &path,
            b"this is not an SQLite database, just text padding it out.",
        )
        .await
        .unwrap();
        assert!(open(&StoreUrl::SqliteFile(path)).await.is_err());
    }
}
