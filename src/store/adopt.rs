//! The one-time adoption of the schema history that releases before `sqlx::migrate!` kept.
//!
//! Their runner recorded each applied migration in `schema_migrations` (version, description,
//! hex SHA-256 of the SQL without carriage returns, applied_at). A database that has that table
//! and nothing yet in `_sqlx_migrations` has its history checked (a prefix of the embedded
//! migrations, each unchanged, none newer) and recorded for sqlx as applied, without running
//! the SQL again; the migrations it lacks then run as usual. [`adopt`] runs inside the
//! exclusive migration transaction, so replicas adopting at once take turns and the later ones
//! find `_sqlx_migrations` filled.
//!
//! The old table is kept, rows and all (they say when each migration first ran), plus one
//! marker row at version [`ADOPTED_MARKER`]. A release from before the adoption reads that as a
//! schema newer than it supports and refuses the database with its own "upgrade stsbridge"
//! message: it could not see migrations recorded only in `_sqlx_migrations`, so letting it
//! run would silently use a schema it does not know. Dropping the table instead would make such
//! a release fail on re-creating the first table, a less clear refusal.

use aws_lc_rs::digest;
use sqlx::migrate::{Migrate, Migrator};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, Transaction, Type};

use super::backend::Backend;
use super::error::StoreError;

/// The version of the marker row: far above any version the old runner knew (it stopped at 5).
pub(super) const ADOPTED_MARKER: i64 = 1_000_000;

const LEGACY_TABLE: &str = "schema_migrations";
const READ_LEGACY: &str = "SELECT version, checksum FROM schema_migrations ORDER BY version";
const MARK_ADOPTED: &str =
    "INSERT INTO schema_migrations (version, description, checksum) VALUES ($1, $2, '')";
const MARKER_DESCRIPTION: &str = "history moved to _sqlx_migrations";

/// The old runner's checksum of a migration: hex SHA-256 of its SQL, carriage returns ignored
/// (a checkout with CRLF line endings did not count as an edit).
pub(super) fn legacy_checksum(sql: &str) -> String {
    let normalised: Vec<u8> = sql.bytes().filter(|&b| b != b'\r').collect();
    hex::encode(digest::digest(&digest::SHA256, &normalised).as_ref())
}

/// Adopts the old history if the database has one: `tx` is the migration transaction, and
/// sqlx's `table` exists and is empty. Returns whether there was one to adopt.
pub(super) async fn adopt<B: Backend>(
    tx: &mut Transaction<'_, B::Db>,
    migrator: &Migrator,
    table: &str,
) -> Result<bool, StoreError>
where
    for<'c> &'c mut <B::Db as Database>::Connection: Executor<'c, Database = B::Db>,
    for<'q> i64: Encode<'q, B::Db> + Decode<'q, B::Db> + Type<B::Db>,
    for<'q> String: Decode<'q, B::Db> + Type<B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    usize: ColumnIndex<<B::Db as Database>::Row>,
{
    let tables: i64 = sqlx::query_scalar(B::COUNT_TABLES)
        .bind(LEGACY_TABLE)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| StoreError::migration("cannot look for schema_migrations", e))?;
    if tables == 0 {
        return Ok(false);
    }
    let rows: Vec<(i64, String)> = sqlx::query_as(READ_LEGACY)
        .fetch_all(&mut **tx)
        .await
        .map_err(|e| StoreError::migration("cannot read schema_migrations", e))?;
    if let Some(last) = verify(migrator, &rows)? {
        for m in migrator.iter().take_while(|m| m.version <= last) {
            // Recorded as applied, without running the SQL again.
            tx.skip(table, m)
                .await
                .map_err(|e| StoreError::migration("cannot record the adopted migrations", e))?;
        }
    }
    sqlx::query(MARK_ADOPTED)
        .bind(ADOPTED_MARKER)
        .bind(MARKER_DESCRIPTION)
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::migration("cannot mark schema_migrations as adopted", e))?;
    tracing::info!(
        migrations = rows.len(),
        "adopted the store's schema_migrations history for sqlx"
    );
    Ok(true)
}

/// Checks the old table's rows `(version, checksum)` against the embedded migrations and
/// returns the last version applied, if any.
pub(super) fn verify(known: &Migrator, rows: &[(i64, String)]) -> Result<Option<i64>, StoreError> {
    if rows.iter().any(|(version, _)| *version == ADOPTED_MARKER) {
        return Err(StoreError::Migration(
            "schema_migrations says this database was adopted, but _sqlx_migrations is empty"
                .to_owned(),
        ));
    }
    let supported = known.iter().map(|m| m.version).max().unwrap_or(0);
    if let Some(found) = rows.iter().map(|(version, _)| *version).max()
        && found > supported
    {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    let mut known_in_order = known.iter();
    for (version, checksum) in rows {
        match known_in_order.next() {
            Some(m) if m.version == *version => {
                if legacy_checksum(m.sql.as_str()) != *checksum {
                    return Err(StoreError::Migration(format!(
                        "migration {} ({}) differs from the one applied to this database",
                        m.version, m.description
                    )));
                }
            }
            _ => {
                return Err(StoreError::Migration(format!(
                    "schema_migrations records migration {version} out of sequence; \
                     expected versions 1..={supported} in order"
                )));
            }
        }
    }
    Ok(rows.last().map(|(version, _)| *version))
}

#[cfg(test)]
mod tests {
    use sqlx::SqlSafeStr as _;
    use sqlx::migrate::{Migration, MigrationType};

    use super::*;

    const SQL: [&str; 2] = ["CREATE TABLE a (x INTEGER);", "CREATE TABLE b (x INTEGER);"];

    fn known() -> Migrator {
        Migrator::with_migrations(
            (1..)
                .zip(SQL)
                .map(|(version, sql)| {
                    Migration::new(
                        version,
                        "m".into(),
                        MigrationType::Simple,
                        sql.into_sql_str(),
                        false,
                    )
                })
                .collect(),
        )
    }

    fn row(version: i64) -> (i64, String) {
        let sql = SQL[usize::try_from(version - 1).unwrap()];
        (version, legacy_checksum(sql))
    }

    #[test]
    fn a_prefix_of_unchanged_migrations_is_adopted_up_to_its_last() {
        assert_eq!(verify(&known(), &[]).unwrap(), None);
        assert_eq!(verify(&known(), &[row(1)]).unwrap(), Some(1));
        assert_eq!(verify(&known(), &[row(1), row(2)]).unwrap(), Some(2));
    }

    #[test]
    fn newer_edited_out_of_sequence_and_marked_histories_are_refused() {
        let future = (3, "x".to_owned());
        assert!(matches!(
            verify(&known(), &[row(1), row(2), future]),
            Err(StoreError::SchemaTooNew {
                found: 3,
                supported: 2
            })
        ));
        let edited = (1, "0".repeat(64));
        assert!(matches!(verify(&known(), &[edited]),
            Err(StoreError::Migration(m)) if m.contains("differs")));
        assert!(matches!(verify(&known(), &[row(2)]),
            Err(StoreError::Migration(m)) if m.contains("out of sequence")));
        let marker = (ADOPTED_MARKER, String::new());
        assert!(matches!(verify(&known(), &[row(1), marker]),
            Err(StoreError::Migration(m)) if m.contains("adopted")));
    }

    #[test]
    fn checksum_ignores_carriage_returns() {
        let lf = "CREATE TABLE a (x INTEGER);\nCREATE INDEX i ON a (x);\n";
        let crlf = "CREATE TABLE a (x INTEGER);\r\nCREATE INDEX i ON a (x);\r\n";
        assert_eq!(legacy_checksum(lf), legacy_checksum(crlf));
        assert_eq!(legacy_checksum(lf).len(), 64);
    }
}
