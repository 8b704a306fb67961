//! The SQLite backend: one file (WAL) on a laptop or single node, or an in-memory database
//! for tests and the demo. What it adds to the generic store is how it connects and migrates.
//!
//! - File: created if missing, `journal_mode = WAL` (readers never block the writer),
//!   `synchronous = NORMAL` (durable across process crashes; a power cut may lose the last
//!   commits, acceptable for a replay cache whose entries live minutes), 5 s busy timeout so
//!   writers from other connections or processes wait instead of failing, foreign keys on.
//! - Memory: every SQLite `:memory:` connection is its own database, so the pool holds exactly
//!   one connection and never closes it (no idle timeout, no max lifetime). Callers queue for it.
//! - Statements run under the database write lock, so the shared single-statement upserts are
//!   atomic as they stand, and purges need no row locks.
//! - Migrations run in one `BEGIN IMMEDIATE` transaction, which takes the write lock first:
//!   two processes starting on the same new file serialise there, and the second finds the
//!   work done.

use std::path::Path;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    Sqlite as SqliteDb, SqliteConnectOptions, SqliteConnection, SqliteJournalMode,
    SqlitePoolOptions, SqliteQueryResult, SqliteSynchronous,
};
use sqlx::{Connection as _, Transaction};

use super::backend::Backend;
use super::error::StoreError;
use super::location::redacted_url;
use super::sql_store::SqlStore;
use crate::config::StoreUrl;

/// Connections in a file-backed pool. SQLite has one writer at a time; a few connections let
/// readers and the next writer's statement preparation overlap without piling up threads.
const FILE_POOL_SIZE: u32 = 4;
/// How long a writer waits for another connection's (or process's) write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a caller waits for a pooled connection before the call fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Embedded migrations. Append only; never edit one that has shipped.
static MIGRATOR: Migrator = sqlx::migrate!("src/store/migrations/sqlite");

/// The SQLite [`Backend`].
#[derive(Debug)]
pub(crate) struct Sqlite;

/// A [`super::Store`] over a SQLite database.
pub(crate) type SqliteStore = SqlStore<Sqlite>;

impl Backend for Sqlite {
    type Db = SqliteDb;

    /// The write lock serialises purges, so candidates need no locking; `rowid` is the cheapest
    /// key where the table has one.
    const PURGES: [&'static str; 5] = [
        "DELETE FROM one_time_ids WHERE rowid IN (
            SELECT rowid FROM one_time_ids WHERE expires_at <= $1 LIMIT $2)",
        "DELETE FROM revocations WHERE id IN (
            SELECT id FROM revocations WHERE expires_at <= $1 LIMIT $2)",
        "DELETE FROM web_state WHERE (namespace, id) IN (
            SELECT namespace, id FROM web_state WHERE expires_at <= $1 LIMIT $2)",
        "DELETE FROM audit_events WHERE id IN (
            SELECT id FROM audit_events WHERE expires_at <= $1 LIMIT $2)",
        "DELETE FROM mfa_failures WHERE device IN (
            SELECT device FROM mfa_failures WHERE expires_at <= $1 LIMIT $2)",
    ];

    const COUNT_TABLES: &'static str =
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1";

    fn rows_affected(done: &SqliteQueryResult) -> u64 {
        done.rows_affected()
    }

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn begin_migration(
        conn: &mut SqliteConnection,
    ) -> Result<Transaction<'_, SqliteDb>, sqlx::Error> {
        conn.begin_with("BEGIN IMMEDIATE").await
    }
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
        let pool = SqlitePoolOptions::new().max_connections(FILE_POOL_SIZE);
        Self::connect(pool, options, url).await
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
            .test_before_acquire(false);
        Self::connect(pool, options, url).await
    }

    /// Opens the pool (waits for a connection bounded by [`ACQUIRE_TIMEOUT`]) and migrates.
    async fn connect(
        pool: SqlitePoolOptions,
        options: SqliteConnectOptions,
        url: &StoreUrl,
    ) -> Result<Self, StoreError> {
        let pool = pool
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                url_redacted: redacted_url(url),
                source,
            })?;
        Self::migrated(pool).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, TimeZone, Utc};
    use sqlx::Row as _;
    use sqlx::{AssertSqlSafe, ConnectOptions as _};

    use super::*;
    use crate::store::adopt::ADOPTED_MARKER;
    use crate::store::columns::expiry_millis;
    use crate::store::conformance::release_0::{self, fixture, rows_are_intact_and_usable};
    use crate::store::conformance::run_conformance_suite;
    use crate::store::queries::{ADD_REVOCATION, PURGE_BATCH};
    use crate::store::{Revocation, RevocationTarget, Store, open};

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

    /// Every migration this binary knows, as `_sqlx_migrations` lists them once applied.
    fn all_versions() -> Vec<i64> {
        MIGRATOR.iter().map(|m| m.version).collect()
    }

    /// Their checksums, as `_sqlx_migrations` records them.
    fn all_checksums() -> Vec<Vec<u8>> {
        MIGRATOR.iter().map(|m| m.checksum.to_vec()).collect()
    }

    async fn schema_rows(dir: &tempfile::TempDir) -> Vec<i64> {
        let mut conn = raw(dir).await;
        sqlx::query("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<i64, _>(0))
            .collect()
    }

    /// Records migration `version` in `_sqlx_migrations`, as a newer binary would have.
    async fn record_newer_migration(dir: &tempfile::TempDir, version: i64) {
        let mut conn = raw(dir).await;
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ($1, 'from the future', TRUE, x'00', 0)",
        )
        .bind(version)
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
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

    async fn recorded_checksums(dir: &tempfile::TempDir) -> Vec<Vec<u8>> {
        let mut conn = raw(dir).await;
        sqlx::query_scalar("SELECT checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn migrations_apply_once_and_reopen_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let expected: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
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
        assert_eq!(recorded_checksums(&dir).await, all_checksums());
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
        let old = SqliteStore {
            pool,
            metrics: std::sync::OnceLock::new(),
        };
        old.migrate_to(Some(1)).await.unwrap();
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
        assert_eq!(recorded_checksums(&dir).await, all_checksums());
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
        for (i, m) in MIGRATOR.iter().enumerate() {
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
        record_newer_migration(&dir, 9999).await;

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
        sqlx::query("UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 1")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();

        let err = open(&file_url(&dir)).await.unwrap_err();
        assert!(matches!(err, StoreError::Migration(_)), "{err}");
    }

    /// Copies the database the release before `sqlx::migrate!` made into `dir`.
    fn copy_release_0(dir: &tempfile::TempDir) {
        std::fs::copy(fixture("release-0.sqlite"), dir.path().join("stsbridge.db")).unwrap();
    }

    /// `(version, checksum)` rows of the old runner's table.
    async fn legacy_rows(dir: &tempfile::TempDir) -> Vec<(i64, String)> {
        let mut conn = raw(dir).await;
        sqlx::query_as("SELECT version, checksum FROM schema_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap()
    }

    /// Everything `_sqlx_migrations` records, to see that a second open changes nothing.
    async fn sqlx_rows(dir: &tempfile::TempDir) -> Vec<(i64, String, String, bool, Vec<u8>, i64)> {
        let mut conn = raw(dir).await;
        sqlx::query_as(
            "SELECT version, description, installed_on, success, checksum, execution_time \
             FROM _sqlx_migrations ORDER BY version",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
    }

    async fn table_exists(dir: &tempfile::TempDir, name: &str) -> bool {
        let mut conn = raw(dir).await;
        let n: i64 = sqlx::query_scalar(Sqlite::COUNT_TABLES)
            .bind(name)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        n == 1
    }

    #[tokio::test]
    async fn a_database_made_by_the_previous_release_is_adopted_once() {
        let dir = tempfile::tempdir().unwrap();
        copy_release_0(&dir);
        assert!(!table_exists(&dir, "_sqlx_migrations").await);
        let before = legacy_rows(&dir).await;
        let versions: Vec<i64> = before.iter().map(|(v, _)| *v).collect();
        assert_eq!(versions, release_0::VERSIONS);

        let store = open(&file_url(&dir)).await.unwrap();
        assert_eq!(schema_rows(&dir).await, all_versions());
        assert_eq!(recorded_checksums(&dir).await, all_checksums());
        // The old history stays, with the marker that makes older releases refuse the file.
        let mut marked = before.clone();
        marked.push((ADOPTED_MARKER, String::new()));
        assert_eq!(legacy_rows(&dir).await, marked);
        rows_are_intact_and_usable(store.as_ref()).await;
        drop(store);

        let adopted = sqlx_rows(&dir).await;
        let reopened = open(&file_url(&dir)).await.unwrap();
        reopened.ping().await.unwrap();
        drop(reopened);
        assert_eq!(
            sqlx_rows(&dir).await,
            adopted,
            "a second open changed nothing"
        );
        assert_eq!(legacy_rows(&dir).await, marked);
    }

    #[tokio::test]
    async fn an_adopted_database_with_a_newer_migration_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        copy_release_0(&dir);
        drop(open(&file_url(&dir)).await.unwrap());
        record_newer_migration(&dir, 6).await;
        let err = open(&file_url(&dir)).await.unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::SchemaTooNew {
                    found: 6,
                    supported: 5
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("upgrade stsbridge"), "{err}");
    }

    /// A history the binary cannot vouch for is refused before anything is written: no
    /// `_sqlx_migrations` appears, the old table is as it was.
    #[tokio::test]
    async fn a_previous_release_database_with_an_unknown_or_edited_migration_is_refused() {
        for (tamper, refused) in [
            (
                "INSERT INTO schema_migrations (version, description, checksum) \
                 VALUES (6, 'from the future', 'x')",
                "newer",
            ),
            (
                "UPDATE schema_migrations SET checksum = 'changed' WHERE version = 2",
                "differs",
            ),
        ] {
            let dir = tempfile::tempdir().unwrap();
            copy_release_0(&dir);
            let mut conn = raw(&dir).await;
            sqlx::query(AssertSqlSafe(tamper))
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
            let before = legacy_rows(&dir).await;

            let err = open(&file_url(&dir)).await.unwrap_err();
            assert!(err.to_string().contains(refused), "{err}");
            assert!(!table_exists(&dir, "_sqlx_migrations").await);
            assert_eq!(legacy_rows(&dir).await, before);
        }
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
