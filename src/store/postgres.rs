//! The PostgreSQL backend: one database shared by every replica. What it adds to the generic
//! store is how it connects, purges and migrates.
//!
//! - Same tables, columns and semantics as the SQLite backend (times are `BIGINT` milliseconds
//!   rounded by the same helpers); the two pass the same conformance suite.
//! - The shared upserts are atomic as they stand: concurrent inserters of one key wait on the
//!   unique index (or the row lock) for the first to commit, then re-check the `WHERE` against
//!   the newest version, so exactly one caller in any number of processes counts a row, and
//!   MFA attempts are counted one on top of the other. `take_state` is one `DELETE …
//!   RETURNING`: of two concurrent takers one deletes the row, the other finds nothing.
//! - Purges delete in batches. Candidate rows are locked with `FOR UPDATE SKIP LOCKED`
//!   (replicas purging at once share the work instead of queueing), and the `DELETE` re-checks
//!   the expiry: a row that a concurrent `use_once` or `put_state` has just renewed is never
//!   removed (that would reopen a replay window).
//! - A bounded pool ([`POOL_SIZE`] connections); a caller waits at most [`ACQUIRE_TIMEOUT`]
//!   for a connection, and a statement runs at most [`STATEMENT_TIMEOUT`] (unless the URL sets
//!   `statement_timeout` itself through `options`). Errors then surface as
//!   [`StoreError::Query`]; the callers refuse the request rather than skip the check.
//! - Recovery needs no restart: the pool pings an idle connection before handing it out and
//!   replaces a dead one, and opens new connections on demand, so once the server answers
//!   again the next request succeeds.
//! - Migrations run in one transaction holding a transaction-scoped advisory lock: replicas
//!   starting together on a new database take turns. DDL is transactional in PostgreSQL, so
//!   any failure rolls back entirely.
//! - TLS is rustls (ring, webpki roots), as for the bridge's HTTP clients. As with libpq,
//!   `sslmode=prefer` (the default) and `require` do not check the server certificate; use
//!   `sslmode=verify-full` in production.
//! - The URL is a [`Secret`]: errors and logs name the database through
//!   [`redacted_url`], never with its password.

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{
    PgConnectOptions, PgConnection, PgPoolOptions, PgQueryResult, Postgres as PgDb,
};
use sqlx::{ConnectOptions as _, Connection as _, Transaction};

use super::backend::Backend;
use super::error::StoreError;
use super::location::redacted_url;
use super::sql_store::SqlStore;
use crate::config::StoreUrl;
use crate::types::Secret;

/// Connections per replica. Every store call is one short statement, so a few connections
/// serve many requests; ten per replica keeps a fleet well under PostgreSQL's default 100.
const POOL_SIZE: u32 = 10;
/// How long a caller waits for a pooled connection (including opening one, retried while the
/// server refuses) before the call fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest a single statement may run on the server.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);
/// The migration transaction's statement timeout: it may wait for another replica's migrations
/// and may one day rebuild an index.
const MIGRATION_STATEMENT_TIMEOUT: &str = "SET LOCAL statement_timeout = '60s'";
/// Advisory lock key serialising migrations across replicas ("stsbridg" in ASCII). Advisory
/// locks are per database, so stores in different databases never wait for each other.
const MIGRATION_LOCK_KEY: i64 = 0x7374_7362_7269_6467;

/// Embedded migrations, mirroring the SQLite ones version for version. Append only; never edit
/// one that has shipped.
static MIGRATOR: Migrator = sqlx::migrate!("src/store/migrations/postgres");

/// The PostgreSQL [`Backend`].
#[derive(Debug)]
pub(crate) struct Postgres;

/// A [`super::Store`] over a PostgreSQL database.
pub(crate) type PgStore = SqlStore<Postgres>;

impl Backend for Postgres {
    type Db = PgDb;

    /// The outer `expires_at` test is re-evaluated on a row renewed since the subquery ran.
    /// Audit events are never renewed, so theirs needs no re-check.
    const PURGES: [&'static str; 5] = [
        "DELETE FROM one_time_ids WHERE (namespace, id) IN (
            SELECT namespace, id FROM one_time_ids WHERE expires_at <= $1 LIMIT $2
            FOR UPDATE SKIP LOCKED
        ) AND expires_at <= $1",
        "DELETE FROM revocations WHERE id IN (
            SELECT id FROM revocations WHERE expires_at <= $1 LIMIT $2
            FOR UPDATE SKIP LOCKED
        ) AND expires_at <= $1",
        "DELETE FROM web_state WHERE (namespace, id) IN (
            SELECT namespace, id FROM web_state WHERE expires_at <= $1 LIMIT $2
            FOR UPDATE SKIP LOCKED
        ) AND expires_at <= $1",
        "DELETE FROM audit_events WHERE id IN (
            SELECT id FROM audit_events WHERE expires_at <= $1 LIMIT $2
            FOR UPDATE SKIP LOCKED
        )",
        "DELETE FROM mfa_failures WHERE device IN (
            SELECT device FROM mfa_failures WHERE expires_at <= $1 LIMIT $2
            FOR UPDATE SKIP LOCKED
        ) AND expires_at <= $1",
    ];

    /// `to_regclass` resolves the name as queries do (through `search_path`).
    const COUNT_TABLES: &'static str = "SELECT count(to_regclass($1))";

    fn rows_affected(done: &PgQueryResult) -> u64 {
        done.rows_affected()
    }

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn begin_migration(
        conn: &mut PgConnection,
    ) -> Result<Transaction<'_, PgDb>, sqlx::Error> {
        let mut tx = conn.begin().await?;
        sqlx::query(MIGRATION_STATEMENT_TIMEOUT)
            .execute(&mut *tx)
            .await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

/// Pool and timeout settings: [`Tuning::PRODUCTION`] outside tests, which shorten the waits.
#[derive(Debug, Clone, Copy)]
struct Tuning {
    pool_size: u32,
    acquire_timeout: Duration,
    statement_timeout: Duration,
}

impl Tuning {
    const PRODUCTION: Self = Self {
        pool_size: POOL_SIZE,
        acquire_timeout: ACQUIRE_TIMEOUT,
        statement_timeout: STATEMENT_TIMEOUT,
    };
}

impl PgStore {
    /// Connects to `secret` (a `postgres://` URL; `url` is the same location, for redacted
    /// error messages) and migrates the database.
    pub(crate) async fn open(secret: &Secret, url: &StoreUrl) -> Result<Self, StoreError> {
        Self::open_tuned(secret, url, Tuning::PRODUCTION).await
    }

    async fn open_tuned(
        secret: &Secret,
        url: &StoreUrl,
        tuning: Tuning,
    ) -> Result<Self, StoreError> {
        let open_failed = |source| StoreError::Open {
            url_redacted: redacted_url(url),
            source,
        };
        let options = connect_options(secret, tuning).map_err(open_failed)?;
        let pool = PgPoolOptions::new()
            .max_connections(tuning.pool_size)
            .acquire_timeout(tuning.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(open_failed)?;
        Self::migrated(pool).await
    }
}

/// The query parameters sqlx-postgres 0.9 reads from a URL (besides `options[NAME]`).
const URL_PARAMETERS: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
];

/// The connection settings: the URL's, plus a statement timeout and an application name
/// where the URL sets none. Parsing never echoes the URL, so its errors are safe to show.
///
/// A query parameter sqlx does not know is refused rather than passed on: sqlx would ignore
/// it with a warning that logs its value, and a misspelt `password` is still a password.
fn connect_options(secret: &Secret, tuning: Tuning) -> Result<PgConnectOptions, sqlx::Error> {
    let url = url::Url::parse(secret.expose()).map_err(|e| sqlx::Error::Configuration(e.into()))?;
    if let Some((key, _)) = url.query_pairs().find(|(key, _)| {
        !(URL_PARAMETERS.contains(&key.as_ref())
            || (key.starts_with("options[") && key.ends_with(']')))
    }) {
        return Err(sqlx::Error::Configuration(
            format!("unknown connection parameter `{key}` in the store URL").into(),
        ));
    }
    let mut options = PgConnectOptions::from_url(&url)?;
    if !options
        .get_options()
        .is_some_and(|o| o.contains("statement_timeout"))
    {
        let ms = tuning.statement_timeout.as_millis().to_string();
        options = options.options([("statement_timeout", ms.as_str())]);
    }
    if options.get_application_name().is_none() {
        options = options.application_name("stsbridge");
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::str::FromStr as _;
    use std::sync::Arc;
    use std::time::Instant;

    use chrono::{DateTime, TimeZone, Utc};
    use sqlx::{AssertSqlSafe, PgConnection};

    use super::*;
    use crate::store::adopt::ADOPTED_MARKER;
    use crate::store::columns::{expiry_millis, now_millis};
    use crate::store::conformance::release_0::{self, fixture, rows_are_intact_and_usable};
    use crate::store::conformance::run_conformance_suite;
    use crate::store::queries::{ADD_REVOCATION, PURGE_BATCH, USE_ONCE};
    use crate::store::{Revocation, RevocationTarget, Store, open};

    /// Names a PostgreSQL server the tests may create and drop databases on, e.g.
    /// `postgres://stsbridge@127.0.0.1:5433/postgres` (`scripts/test` starts one and sets it).
    const URL_VAR: &str = "STSBRIDGE_TEST_POSTGRES_URL";

    /// Whether missing test services fail the tests rather than skip them: `CI` set to
    /// anything but empty, `0` or `false` (`.ci/run` and `scripts/test` set `CI=true`).
    fn strict() -> bool {
        std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
    }

    /// The admin URL, or `None` when the variable is unset: then the calling test says on one
    /// line that it is skipped and how to run it, or fails under [`strict`].
    fn admin_url() -> Option<String> {
        if let Ok(url) = std::env::var(URL_VAR)
            && !url.is_empty()
        {
            return Some(url);
        }
        let how = format!(
            "needs PostgreSQL: set {URL_VAR} to a server it may create databases on, \
             or run ./scripts/test (it starts one)"
        );
        assert!(!strict(), "CI is set but {URL_VAR} is not: this test {how}");
        let test = std::thread::current().name().unwrap_or("a test").to_owned();
        // Straight to stderr, past the test harness's capture.
        let _ = writeln!(std::io::stderr().lock(), "skipped {test}: {how}");
        None
    }

    /// CI must never pass without the PostgreSQL tests having run.
    #[test]
    fn postgres_tests_are_not_skipped_in_ci() {
        if strict() {
            assert!(
                std::env::var(URL_VAR).is_ok_and(|u| !u.is_empty()),
                "CI is set but {URL_VAR} is not: the PostgreSQL store tests would be skipped"
            );
        }
    }

    /// A fresh database on the test server, dropped (even after a failed test) on drop.
    struct TestDb {
        admin: String,
        name: String,
        /// `postgres://…/<name>`.
        url: String,
    }

    impl TestDb {
        /// `None` when no test server is configured.
        async fn create() -> Option<Self> {
            let admin = admin_url()?;
            let name = format!("stsbridge_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = PgConnection::connect(&admin)
                .await
                .expect("admin connection");
            sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("CREATE DATABASE");
            conn.close().await.unwrap();
            let mut url = url::Url::parse(&admin).expect("admin URL");
            url.set_path(&name);
            Some(Self {
                admin,
                name,
                url: url.to_string(),
            })
        }

        fn store_url(&self) -> StoreUrl {
            StoreUrl::Postgres(Secret::new(self.url.clone()))
        }

        fn secret(&self) -> Secret {
            Secret::new(self.url.clone())
        }

        /// A plain connection, to look at the database from outside the store.
        async fn raw(&self) -> PgConnection {
            PgConnection::connect(&self.url).await.unwrap()
        }

        /// Opens the store `n` times at once, as replicas starting together would; all succeed.
        async fn open_as_replicas(&self, n: usize) {
            let mut opens = tokio::task::JoinSet::new();
            for _ in 0..n {
                let url = self.store_url();
                opens.spawn(async move { open(&url).await.map(|_| ()) });
            }
            while let Some(opened) = opens.join_next().await {
                opened.unwrap().unwrap();
            }
        }

        /// Fills the database from the plain-SQL dump the release before `sqlx::migrate!` made.
        /// The dump's psql meta-commands (`\restrict`) are skipped; its `search_path` setting
        /// stays on this connection, which is closed.
        async fn restore_release_0(&self) {
            let dump = std::fs::read_to_string(fixture("release-0.postgres.sql")).unwrap();
            let sql: String = dump
                .lines()
                .filter(|l| !l.starts_with('\\'))
                .flat_map(|l| [l, "\n"])
                .collect();
            let mut conn = self.raw().await;
            sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
        }

        async fn legacy_rows(&self) -> Vec<(i64, String)> {
            let mut conn = self.raw().await;
            sqlx::query_as("SELECT version, checksum FROM schema_migrations ORDER BY version")
                .fetch_all(&mut conn)
                .await
                .unwrap()
        }

        /// Everything `_sqlx_migrations` records, to see that a second open changes nothing.
        async fn sqlx_rows(&self) -> Vec<(i64, String, String, bool, Vec<u8>, i64)> {
            let mut conn = self.raw().await;
            sqlx::query_as(
                "SELECT version, description, CAST(installed_on AS TEXT), success, checksum, \
                 execution_time FROM _sqlx_migrations ORDER BY version",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap()
        }

        /// Records migration `version` in `_sqlx_migrations`, as a newer binary would have.
        async fn record_newer_migration(&self, version: i64) {
            let mut conn = self.raw().await;
            sqlx::query(
                "INSERT INTO _sqlx_migrations \
                 (version, description, success, checksum, execution_time) \
                 VALUES ($1, 'from the future', TRUE, '\\x00', 0)",
            )
            .bind(version)
            .execute(&mut conn)
            .await
            .unwrap();
            conn.close().await.unwrap();
        }

        async fn schema_rows(&self) -> Vec<i64> {
            let mut conn = self.raw().await;
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
                .fetch_all(&mut conn)
                .await
                .unwrap()
        }

        async fn recorded_checksums(&self) -> Vec<Vec<u8>> {
            let mut conn = self.raw().await;
            sqlx::query_scalar("SELECT checksum FROM _sqlx_migrations ORDER BY version")
                .fetch_all(&mut conn)
                .await
                .unwrap()
        }
    }

    impl Drop for TestDb {
        fn drop(&mut self) {
            // No async drop: a short-lived runtime on its own thread, so this works inside the
            // test's runtime too. FORCE ends sessions a test left open.
            let (admin, name) = (self.admin.clone(), self.name.clone());
            let dropped = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(async {
                    let mut conn = PgConnection::connect(&admin).await?;
                    sqlx::raw_sql(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await?;
                    conn.close().await?;
                    Ok::<_, sqlx::Error>(())
                })
                .map_err(std::io::Error::other)
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "could not drop test database {}: {dropped:?}",
                    self.name
                );
            }
        }
    }

    /// Every migration this binary knows, as `_sqlx_migrations` lists them once applied.
    fn all_versions() -> Vec<i64> {
        MIGRATOR.iter().map(|m| m.version).collect()
    }

    /// Their checksums, as `_sqlx_migrations` records them.
    fn all_checksums() -> Vec<Vec<u8>> {
        MIGRATOR.iter().map(|m| m.checksum.to_vec()).collect()
    }

    fn t(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
    }

    fn revocation(created: i64) -> Revocation {
        Revocation::new(
            RevocationTarget::Role("arn:aws:iam::123456789012:role/deploy".into()),
            t(created),
            t(created),
            Some("offboarding".into()),
        )
    }

    const QUICK: Tuning = Tuning {
        pool_size: 4,
        acquire_timeout: Duration::from_millis(500),
        statement_timeout: Duration::from_secs(5),
    };

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conformance() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        let store = open(&db.store_url()).await.unwrap();
        let started = Instant::now();
        run_conformance_suite(&store).await;
        let _ = writeln!(
            std::io::stderr().lock(),
            "PostgreSQL conformance suite: {} ms",
            started.elapsed().as_millis()
        );
    }

    #[tokio::test]
    async fn migrations_apply_once_and_reopen_is_idempotent() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        let expected: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
        assert_eq!(expected, all_versions());
        let kept = revocation(0);
        for round in 0..3 {
            let store = open(&db.store_url()).await.unwrap();
            store.ping().await.unwrap();
            if round == 0 {
                store.add_revocation(&kept).await.unwrap();
                assert!(store.use_once("ns", "id", t(300), t(0)).await.unwrap());
                store.put_state("ns", "s", "v", t(300)).await.unwrap();
            }
            // Reopening neither re-runs a migration nor loses what earlier rounds stored.
            assert_eq!(
                store.list_revocations(t(1)).await.unwrap(),
                std::slice::from_ref(&kept)
            );
            assert!(!store.use_once("ns", "id", t(300), t(1)).await.unwrap());
            assert_eq!(
                store.get_state("ns", "s", t(1)).await.unwrap().as_deref(),
                Some("v")
            );
            drop(store);
            assert_eq!(db.schema_rows().await, expected);
        }
        assert_eq!(db.recorded_checksums().await, all_checksums());
    }

    /// Same versions, same descriptions, same tables and indexes as SQLite: one schema history
    /// whatever the backend.
    #[test]
    fn migrations_mirror_the_sqlite_ones() {
        let sqlite = <crate::store::sqlite::Sqlite as Backend>::migrator();
        assert_eq!(MIGRATOR.iter().len(), sqlite.iter().len());
        for (i, (m, lite)) in MIGRATOR.iter().zip(sqlite.iter()).enumerate() {
            assert_eq!(
                m.version,
                i64::try_from(i).unwrap() + 1,
                "{}",
                m.description
            );
            assert_eq!(
                (m.version, &m.description),
                (lite.version, &lite.description)
            );
            let objects = |sql: &str| -> Vec<String> {
                sql.lines()
                    .filter(|l| l.starts_with("CREATE "))
                    .map(|l| l.split(" (").next().unwrap_or(l).to_owned())
                    .collect()
            };
            assert!(
                objects(m.sql.as_str()).len() >= 2,
                "{}: a table and its expiry index",
                m.description
            );
            assert_eq!(
                objects(m.sql.as_str()),
                objects(lite.sql.as_str()),
                "{}",
                m.description
            );
        }
    }

    /// A database an older binary (migration 1 only) left behind gains the later tables on
    /// open, and keeps its one-time ids.
    #[tokio::test]
    async fn an_older_database_is_upgraded() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect(&db.url)
            .await
            .unwrap();
        let old = PgStore {
            pool,
            metrics: std::sync::OnceLock::new(),
        };
        old.migrate_to(Some(1)).await.unwrap();
        assert!(old.use_once("saml", "_old", t(300), t(0)).await.unwrap());
        old.pool.close().await;
        assert_eq!(db.schema_rows().await, [1]);
        let mut conn = db.raw().await;
        let tables: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_tables WHERE tablename IN ('revocations', 'web_state')",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(tables, 0);
        conn.close().await.unwrap();

        let store = open(&db.store_url()).await.unwrap();
        assert_eq!(db.schema_rows().await, all_versions());
        assert!(!store.use_once("saml", "_old", t(300), t(10)).await.unwrap());
        let r = revocation(5);
        store.add_revocation(&r).await.unwrap();
        assert_eq!(store.list_revocations(t(10)).await.unwrap(), [r]);
        assert_eq!(db.recorded_checksums().await, all_checksums());
    }

    #[tokio::test]
    async fn a_newer_schema_is_refused() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        drop(open(&db.store_url()).await.unwrap());
        db.record_newer_migration(9999).await;

        let err = open(&db.store_url()).await.unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::SchemaTooNew { found: 9999, supported }
                    if Some(supported) == all_versions().last().copied()
            ),
            "{err}"
        );
        // Refusing left the database as it was.
        let mut with_future = all_versions();
        with_future.push(9999);
        assert_eq!(db.schema_rows().await, with_future);
    }

    #[tokio::test]
    async fn an_edited_migration_is_refused() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        drop(open(&db.store_url()).await.unwrap());
        let mut conn = db.raw().await;
        sqlx::query("UPDATE _sqlx_migrations SET checksum = '\\x00' WHERE version = 1")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();

        let err = open(&db.store_url()).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Migration(m) if m.contains("differs")),
            "{err}"
        );
    }

    /// Replicas starting together on an empty database: all succeed, the schema is applied
    /// once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_opens_of_a_fresh_database_all_succeed() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        db.open_as_replicas(4).await;
        assert_eq!(db.schema_rows().await, all_versions());
    }

    /// Migrating waits for the advisory lock another session holds, then proceeds.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn migrations_wait_for_the_advisory_lock() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        let mut holder = db.raw().await;
        let mut tx = holder.begin().await.unwrap();
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .execute(&mut *tx)
            .await
            .unwrap();
        let url = db.store_url();
        let mut opening = tokio::spawn(async move { open(&url).await.map(|_| ()) });
        assert!(
            tokio::time::timeout(Duration::from_millis(300), &mut opening)
                .await
                .is_err(),
            "migrated while another session held the lock"
        );
        tx.commit().await.unwrap();
        opening.await.unwrap().unwrap();
        assert_eq!(db.schema_rows().await, all_versions());
    }

    #[tokio::test]
    async fn a_database_made_by_the_previous_release_is_adopted_once() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        db.restore_release_0().await;
        let before = db.legacy_rows().await;
        let versions: Vec<i64> = before.iter().map(|(v, _)| *v).collect();
        assert_eq!(versions, release_0::VERSIONS);

        let store = open(&db.store_url()).await.unwrap();
        assert_eq!(db.schema_rows().await, all_versions());
        assert_eq!(db.recorded_checksums().await, all_checksums());
        // The old history stays, with the marker that makes older releases refuse it.
        let mut marked = before.clone();
        marked.push((ADOPTED_MARKER, String::new()));
        assert_eq!(db.legacy_rows().await, marked);
        rows_are_intact_and_usable(store.as_ref()).await;
        drop(store);

        let adopted = db.sqlx_rows().await;
        open(&db.store_url()).await.unwrap().ping().await.unwrap();
        assert_eq!(
            db.sqlx_rows().await,
            adopted,
            "a second open changed nothing"
        );
        assert_eq!(db.legacy_rows().await, marked);
    }

    /// Replicas of the new release starting together on a database of the old one: all
    /// open, the history is adopted once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn replicas_adopting_at_once_all_succeed() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        db.restore_release_0().await;
        db.open_as_replicas(4).await;
        assert_eq!(db.schema_rows().await, all_versions());
        let markers = db
            .legacy_rows()
            .await
            .iter()
            .filter(|(v, _)| *v == ADOPTED_MARKER)
            .count();
        assert_eq!(markers, 1);
    }

    #[tokio::test]
    async fn an_adopted_database_with_a_newer_migration_is_refused() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        db.restore_release_0().await;
        drop(open(&db.store_url()).await.unwrap());
        db.record_newer_migration(6).await;
        let err = open(&db.store_url()).await.unwrap_err();
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
    }

    /// A history the binary cannot vouch for is refused before anything is written.
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
            let Some(db) = TestDb::create().await else {
                return;
            };
            db.restore_release_0().await;
            let mut conn = db.raw().await;
            sqlx::query(AssertSqlSafe(tamper))
                .execute(&mut conn)
                .await
                .unwrap();
            let before = db.legacy_rows().await;

            let err = open(&db.store_url()).await.unwrap_err();
            assert!(err.to_string().contains(refused), "{err}");
            let sqlx_table: Option<String> =
                sqlx::query_scalar("SELECT CAST(to_regclass('_sqlx_migrations') AS TEXT)")
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
            assert_eq!(sqlx_table, None);
            conn.close().await.unwrap();
            assert_eq!(db.legacy_rows().await, before);
        }
    }

    #[tokio::test]
    async fn the_revocations_table_refuses_rows_no_backend_writes() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        let store = PgStore::open(&db.secret(), &db.store_url()).await.unwrap();
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

    #[tokio::test]
    async fn the_pool_is_bounded_and_sets_its_session() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        let store = PgStore::open(&db.secret(), &db.store_url()).await.unwrap();
        assert_eq!(store.pool.options().get_max_connections(), POOL_SIZE);
        assert_eq!(store.pool.options().get_acquire_timeout(), ACQUIRE_TIMEOUT);
        let mut conn = store.pool.acquire().await.unwrap();
        let timeout: String = sqlx::query_scalar("SHOW statement_timeout")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(timeout, "5s");
        let name: String = sqlx::query_scalar("SHOW application_name")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(name, "stsbridge");
    }

    #[tokio::test]
    async fn a_statement_timeout_in_the_url_wins() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        let url = format!("{}?options=-c%20statement_timeout%3D7s", db.url);
        let store = PgStore::open(
            &Secret::new(url.clone()),
            &StoreUrl::Postgres(Secret::new(url)),
        )
        .await
        .unwrap();
        let timeout: String = sqlx::query_scalar("SHOW statement_timeout")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(timeout, "7s");
    }

    #[tokio::test]
    async fn purge_works_in_batches() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        let store = PgStore::open(&db.secret(), &db.store_url()).await.unwrap();
        let rows = PURGE_BATCH * 2 + 7;
        let expired = expiry_millis(t(10));
        for bulk in [
            "INSERT INTO one_time_ids (namespace, id, expires_at) \
             SELECT 'bulk', 'id-' || i, $2 FROM generate_series(1, $1) AS i",
            "INSERT INTO revocations (kind, target, issued_before, created_at, expires_at) \
             SELECT 'access_key', 'ASIA' || i, 0, 0, $2 FROM generate_series(1, $1) AS i",
            "INSERT INTO web_state (namespace, id, value, expires_at) \
             SELECT 'bulk', 'id-' || i, 'v', $2 FROM generate_series(1, $1) AS i",
        ] {
            sqlx::query(bulk)
                .bind(rows)
                .bind(expired)
                .execute(&store.pool)
                .await
                .unwrap();
        }
        assert!(store.use_once("bulk", "live", t(100), t(0)).await.unwrap());
        let live = revocation(0);
        store.add_revocation(&live).await.unwrap();
        store.put_state("bulk", "live", "v", t(100)).await.unwrap();
        assert_eq!(
            store.purge_expired(t(50)).await.unwrap(),
            rows.unsigned_abs() * 3
        );
        assert!(!store.use_once("bulk", "live", t(100), t(60)).await.unwrap());
        assert_eq!(store.list_revocations(t(0)).await.unwrap(), [live]);
        assert_eq!(
            store
                .get_state("bulk", "live", t(60))
                .await
                .unwrap()
                .as_deref(),
            Some("v")
        );
        assert_eq!(store.purge_expired(t(50)).await.unwrap(), 0);
    }

    /// An expired id that another replica is renewing (its transaction still open) is skipped
    /// by a purge rather than waited for, and never deleted: deleting it would let the
    /// renewed id be used a second time.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn purge_skips_and_keeps_an_id_being_renewed() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        let store = PgStore::open(&db.secret(), &db.store_url()).await.unwrap();
        assert!(store.use_once("ns", "x", t(10), t(0)).await.unwrap());
        let mut other = db.raw().await;
        let mut tx = other.begin().await.unwrap();
        let renewed = sqlx::query(USE_ONCE)
            .bind("ns")
            .bind("x")
            .bind(expiry_millis(t(100)))
            .bind(now_millis(t(20)))
            .execute(&mut *tx)
            .await
            .unwrap();
        assert_eq!(renewed.rows_affected(), 1);
        let purged = tokio::time::timeout(Duration::from_secs(3), store.purge_expired(t(50)))
            .await
            .expect("purge waited for a locked row")
            .unwrap();
        assert_eq!(purged, 0);
        tx.commit().await.unwrap();
        assert!(!store.use_once("ns", "x", t(100), t(30)).await.unwrap());
        assert_eq!(store.purge_expired(t(50)).await.unwrap(), 0);
    }

    /// Two stores (two pools, as two replicas would have) on one database: one winner.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_stores_on_one_database_agree_on_a_single_winner() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        let a = open(&db.store_url()).await.unwrap();
        let b = open(&db.store_url()).await.unwrap();
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

    /// A TCP forwarder standing in for the database server: stopping it drops every
    /// connection and refuses new ones, as a database restart does.
    struct Proxy {
        port: u16,
        target: std::net::SocketAddr,
        accept: Option<tokio::task::JoinHandle<()>>,
    }

    impl Proxy {
        async fn start(target: std::net::SocketAddr) -> Self {
            let mut proxy = Self {
                port: 0,
                target,
                accept: None,
            };
            proxy.resume().await;
            proxy
        }

        /// Listens again on the same port (a new one the first time).
        async fn resume(&mut self) {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
                .await
                .unwrap();
            self.port = listener.local_addr().unwrap().port();
            let target = self.target;
            self.accept = Some(tokio::spawn(async move {
                // Owned by this task: aborting it drops the set, which aborts every forward.
                let mut forwards = tokio::task::JoinSet::new();
                while let Ok((mut client, _)) = listener.accept().await {
                    forwards.spawn(async move {
                        if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                }
            }));
        }

        async fn stop(&mut self) {
            if let Some(accept) = self.accept.take() {
                accept.abort();
                let _ = accept.await;
            }
        }
    }

    /// The database going away fails calls promptly, and coming back heals the pool with no
    /// restart of the store; what was stored before is still there.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_pool_recovers_when_the_database_comes_back() {
        let Some(db) = TestDb::create().await else {
            return;
        };
        let direct = PgConnectOptions::from_str(&db.url).unwrap();
        let target = tokio::net::lookup_host((direct.get_host(), direct.get_port()))
            .await
            .unwrap()
            .next()
            .unwrap();
        let mut proxy = Proxy::start(target).await;
        let mut via = url::Url::parse(&db.url).unwrap();
        via.set_host(Some("127.0.0.1")).unwrap();
        via.set_port(Some(proxy.port)).unwrap();
        let secret = Secret::new(via.to_string());
        let url = StoreUrl::Postgres(Secret::new(via.to_string()));
        let store = PgStore::open_tuned(&secret, &url, QUICK).await.unwrap();
        assert!(store.use_once("ns", "before", t(300), t(0)).await.unwrap());

        proxy.stop().await;
        let started = Instant::now();
        assert!(store.ping().await.is_err());
        let err = store
            .use_once("ns", "during", t(300), t(0))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Query(_)), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );

        proxy.resume().await;
        store.ping().await.unwrap();
        assert!(!store.use_once("ns", "before", t(300), t(1)).await.unwrap());
        assert!(store.use_once("ns", "during", t(300), t(1)).await.unwrap());
        proxy.stop().await;
    }

    /// Opening a store on `port` of this host (with password `hunter2`) fails, within 3 s.
    async fn open_fails_promptly(port: u16) -> StoreError {
        let raw = format!("postgres://bridge:hunter2@127.0.0.1:{port}/sts");
        let url = StoreUrl::Postgres(Secret::new(raw.clone()));
        let started = Instant::now();
        let err = PgStore::open_tuned(&Secret::new(raw), &url, QUICK)
            .await
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        err
    }

    /// A server that accepts connections but never answers (a hung host, a black-holed route)
    /// fails the open within the acquire timeout instead of hanging.
    #[tokio::test]
    async fn a_silent_server_fails_promptly() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let err = open_fails_promptly(port).await;
        assert!(matches!(err, StoreError::Open { .. }), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        drop(listener);
    }

    /// Nothing listening: connection refused is retried until the acquire timeout, then fails.
    #[tokio::test]
    async fn a_closed_port_fails_promptly() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let err = open_fails_promptly(port).await;
        let shown = err.to_string();
        assert!(
            shown.contains("127.0.0.1") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn an_unknown_url_parameter_is_refused_without_echoing_its_value() {
        let raw = "postgres://bridge@db.example/sts?sslmode=require&passwort=hunter2";
        let err = connect_options(&Secret::new(raw), Tuning::PRODUCTION).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("`passwort`"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let known = "postgres://bridge@db.example/sts?sslmode=verify-full&application_name=a\
                     &options[search_path]=sts&statement-cache-capacity=10";
        let options = connect_options(&Secret::new(known), Tuning::PRODUCTION).unwrap();
        assert_eq!(options.get_application_name(), Some("a"));
    }

    #[test]
    fn a_bad_url_parameter_is_an_open_error_without_the_password() {
        let raw = "postgres://bridge:hunter2@db.example/sts?sslmode=sometimes";
        let url = StoreUrl::Postgres(Secret::new(raw));
        let err = connect_options(&Secret::new(raw), Tuning::PRODUCTION).unwrap_err();
        let shown = StoreError::Open {
            url_redacted: redacted_url(&url),
            source: err,
        }
        .to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
