//! What differs between the SQL backends, and nothing else: the `sqlx` database type, their
//! migrations, the purge statements (PostgreSQL locks candidate rows, SQLite needs not), how a
//! migration excludes other processes, how to ask whether a table exists, and how to read a
//! statement's row count. Connection and
//! pool options stay with each backend's `open`. Everything else is `super::sql_store`'s, once.

use std::future::Future;

use sqlx::migrate::{Migrate, Migrator};
use sqlx::{Database, IntoArguments, Transaction};

/// One SQL database kind the store runs on.
pub(crate) trait Backend: std::fmt::Debug + Send + Sync + 'static {
    /// The sqlx database; the bounds are those every generic use needs that Rust can imply.
    type Db: Database<Connection: Migrate, Arguments: IntoArguments<Self::Db>>;

    /// `purge_expired`'s statements, one per table (one-time ids, revocations, browser state,
    /// audit events, MFA counts). Each deletes at most `$2` rows that have expired at `$1`.
    const PURGES: [&'static str; 5];

    /// How many rows a statement changed (sqlx has no trait for it).
    fn rows_affected(done: &<Self::Db as Database>::QueryResult) -> u64;

    /// Counts the tables named `$1` that the store's connections see (0 or 1).
    const COUNT_TABLES: &'static str;

    /// The embedded migrations (`sqlx::migrate!` of `migrations/<backend>/`).
    fn migrator() -> &'static Migrator;

    /// Begins the transaction migrations (and the adoption of an older schema history) run in,
    /// exclusive against every other process migrating the same database.
    fn begin_migration(
        conn: &mut <Self::Db as Database>::Connection,
    ) -> impl Future<Output = Result<Transaction<'_, Self::Db>, sqlx::Error>> + Send;
}
