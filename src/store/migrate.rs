//! The schema: each backend's migrations are embedded by `sqlx::migrate!` (files
//! `migrations/<backend>/NNNN_name.sql`) and recorded in sqlx's `_sqlx_migrations` table.
//!
//! On open, [`migrate`]:
//! 1. answers from a plain read when the database is up to date already (the usual case, e.g. a
//!    CLI next to a running server), without queueing for a write lock behind the server;
//! 2. otherwise opens one transaction that keeps every other migrator out (the backend's
//!    `begin_migration`: SQLite `BEGIN IMMEDIATE`, PostgreSQL a transaction-scoped advisory
//!    lock), adopts the history of a database made before sqlx (`super::adopt`), checks what
//!    is applied, and has sqlx apply the rest (`Migrate::apply`: the SQL and its record, in a
//!    savepoint). `Migrator::run` is not used: it would take a second, session-level lock of
//!    its own, and its `Acquire` bound makes the open future not provably `Send`. Replicas starting together on a new database
//!    take turns, and the later ones find the work done; any failure rolls everything back.
//!
//! Invariants checked here by [`pending`], before sqlx touches anything:
//! - the applied migrations are a prefix of the known list, in order;
//! - an applied migration's SQL has not changed since (sqlx's checksum);
//! - a database carrying a version newer than the binary knows is refused
//!   ([`StoreError::SchemaTooNew`]), never silently used or downgraded.
//!
//! Migrations are append-only: never edit or renumber one that has shipped.

use sqlx::migrate::{AppliedMigration, Migrate, Migration, Migrator};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, Pool, Type};

use super::adopt;
use super::backend::Backend;
use super::error::StoreError;

/// Where sqlx records applied migrations (its default name).
const TABLE: &str = "_sqlx_migrations";

/// Brings the schema behind `pool` up to `target` (every known migration with `None`).
pub(super) async fn migrate<B: Backend>(
    pool: &Pool<B::Db>,
    target: Option<i64>,
) -> Result<(), StoreError>
where
    for<'c> &'c mut <B::Db as Database>::Connection: Executor<'c, Database = B::Db>,
    for<'q> i64: Encode<'q, B::Db> + Decode<'q, B::Db> + Type<B::Db>,
    for<'q> String: Decode<'q, B::Db> + Type<B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    usize: ColumnIndex<<B::Db as Database>::Row>,
{
    let migrator = B::migrator();
    let mut conn = pool
        .acquire()
        .await
        .map_err(|e| StoreError::migration("no connection", e))?;
    // No table yet (a new or an adoptable database) is an error here: then the slow way.
    if let Ok(applied) = conn.list_applied_migrations(TABLE).await
        && pending(migrator, &applied, target)?.is_empty()
    {
        return Ok(());
    }
    let mut tx = B::begin_migration(&mut conn)
        .await
        .map_err(|e| StoreError::migration("cannot lock the database for migrations", e))?;
    tx.ensure_migrations_table(TABLE)
        .await
        .map_err(|e| StoreError::migration("cannot create _sqlx_migrations", e))?;
    let mut applied = read_applied(&mut *tx).await?;
    if applied.is_empty() && adopt::adopt::<B>(&mut tx, migrator, TABLE).await? {
        applied = read_applied(&mut *tx).await?;
    }
    let todo = pending(migrator, &applied, target)?;
    for m in &todo {
        // sqlx runs the SQL and records it, in a savepoint of this transaction.
        tx.apply(TABLE, m).await.map_err(|e| {
            StoreError::migration(&format!("migration {} ({})", m.version, m.description), e)
        })?;
    }
    tx.commit()
        .await
        .map_err(|e| StoreError::migration("cannot commit migrations", e))?;
    for m in todo {
        tracing::info!(
            version = m.version,
            description = %m.description,
            "applied store migration"
        );
    }
    Ok(())
}

async fn read_applied<C: Migrate>(conn: &mut C) -> Result<Vec<AppliedMigration>, StoreError> {
    conn.list_applied_migrations(TABLE)
        .await
        .map_err(|e| StoreError::migration("cannot read _sqlx_migrations", e))
}

/// Checks what the database has applied (ordered by version) against what the binary knows,
/// and returns the migrations still to run up to `target`, in order.
pub(super) fn pending<'m>(
    known: &'m Migrator,
    applied: &[AppliedMigration],
    target: Option<i64>,
) -> Result<Vec<&'m Migration>, StoreError> {
    let supported = known.iter().map(|m| m.version).max().unwrap_or(0);
    if let Some(found) = applied.iter().map(|a| a.version).max()
        && found > supported
    {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    let mut known_in_order = known.iter();
    for done in applied {
        match known_in_order.next() {
            Some(m) if m.version == done.version => {
                if m.checksum != done.checksum {
                    return Err(StoreError::Migration(format!(
                        "migration {} ({}) differs from the one applied to this database",
                        m.version, m.description
                    )));
                }
            }
            _ => {
                return Err(StoreError::Migration(format!(
                    "database records migration {} out of sequence; expected versions 1..={supported} in order",
                    done.version
                )));
            }
        }
    }
    Ok(known_in_order
        .filter(|m| target.is_none_or(|t| m.version <= t))
        .collect())
}

#[cfg(test)]
mod tests {
    use sqlx::SqlSafeStr as _;
    use sqlx::migrate::MigrationType;

    use super::*;

    fn known() -> Migrator {
        Migrator::with_migrations(vec![
            Migration::new(
                1,
                "one".into(),
                MigrationType::Simple,
                "CREATE TABLE a (x INTEGER);".into_sql_str(),
                false,
            ),
            Migration::new(
                2,
                "two".into(),
                MigrationType::Simple,
                "CREATE TABLE b (x INTEGER);".into_sql_str(),
                false,
            ),
        ])
    }

    fn applied(known: &Migrator, version: i64) -> AppliedMigration {
        let m = known.iter().find(|m| m.version == version).unwrap();
        AppliedMigration {
            version,
            checksum: m.checksum.clone(),
        }
    }

    fn versions(todo: &[&Migration]) -> Vec<i64> {
        todo.iter().map(|m| m.version).collect()
    }

    #[test]
    fn fresh_database_runs_everything_in_order() {
        let known = known();
        assert_eq!(versions(&pending(&known, &[], None).unwrap()), [1, 2]);
        assert_eq!(versions(&pending(&known, &[], Some(1)).unwrap()), [1]);
    }

    #[test]
    fn partially_migrated_database_runs_the_rest() {
        let known = known();
        let one = applied(&known, 1);
        assert_eq!(versions(&pending(&known, &[one], None).unwrap()), [2]);
        let both = [applied(&known, 1), applied(&known, 2)];
        assert!(pending(&known, &both, None).unwrap().is_empty());
    }

    #[test]
    fn newer_schema_is_refused() {
        let known = known();
        let future = AppliedMigration {
            version: 3,
            checksum: vec![0; 48].into(),
        };
        let err = pending(
            &known,
            &[applied(&known, 1), applied(&known, 2), future],
            None,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            StoreError::SchemaTooNew {
                found: 3,
                supported: 2
            }
        ));
    }

    #[test]
    fn edited_migration_is_refused() {
        let known = known();
        let tampered = AppliedMigration {
            version: 1,
            checksum: vec![0; 48].into(),
        };
        let err = pending(&known, &[tampered], None).unwrap_err();
        assert!(matches!(err, StoreError::Migration(m) if m.contains("differs")));
    }

    #[test]
    fn gap_in_applied_versions_is_refused() {
        let known = known();
        let err = pending(&known, &[applied(&known, 2)], None).unwrap_err();
        assert!(matches!(err, StoreError::Migration(m) if m.contains("out of sequence")));
    }
}
