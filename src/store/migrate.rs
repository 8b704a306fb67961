//! Embedded schema migrations: the backend-independent half.
//!
//! Each backend owns an ordered list of [`Migration`]s whose SQL is compiled into the binary
//! (`include_str!` from `migrations/<backend>/`). On open, the backend reads what its
//! `schema_migrations` table records inside one exclusive transaction and asks [`pending`] what
//! to run. Invariants checked here:
//! - the applied migrations are a prefix of the known list, in order;
//! - an applied migration's SQL has not changed since (SHA-256 checksum);
//! - a database carrying a version newer than the binary knows is refused
//!   ([`StoreError::SchemaTooNew`]), never silently used or downgraded.
//!
//! Migrations are append-only: never edit or renumber one that has shipped.

use aws_lc_rs::digest;

use super::StoreError;

/// One schema step, applied exactly once per database.
#[derive(Debug)]
pub(crate) struct Migration {
    /// 1, 2, 3… with no gaps.
    pub(crate) version: i64,
    pub(crate) description: &'static str,
    pub(crate) sql: &'static str,
}

impl Migration {
    /// Hex SHA-256 of the SQL. Carriage returns are ignored so that a checkout with CRLF line
    /// endings does not look like an edited migration.
    pub(crate) fn checksum(&self) -> String {
        let normalised: Vec<u8> = self.sql.bytes().filter(|&b| b != b'\r').collect();
        hex::encode(digest::digest(&digest::SHA256, &normalised).as_ref())
    }
}

/// A row of the `schema_migrations` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Applied {
    pub(crate) version: i64,
    pub(crate) checksum: String,
}

/// Checks what the database has applied (ordered by version) against what the binary knows,
/// and returns the migrations still to run, in order.
pub(crate) fn pending<'m>(
    known: &'m [Migration],
    applied: &[Applied],
) -> Result<&'m [Migration], StoreError> {
    let supported = known.last().map_or(0, |m| m.version);
    if let Some(found) = applied.iter().map(|a| a.version).max()
        && found > supported
    {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    for (position, done) in applied.iter().enumerate() {
        match known.get(position) {
            Some(m) if m.version == done.version => {
                if m.checksum() != done.checksum {
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
    Ok(known.get(applied.len()..).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[Migration] = &[
        Migration {
            version: 1,
            description: "one",
            sql: "CREATE TABLE a (x INTEGER);",
        },
        Migration {
            version: 2,
            description: "two",
            sql: "CREATE TABLE b (x INTEGER);",
        },
    ];

    fn applied(version: i64) -> Applied {
        let m = KNOWN.iter().find(|m| m.version == version).unwrap();
        Applied {
            version,
            checksum: m.checksum(),
        }
    }

    #[test]
    fn fresh_database_runs_everything_in_order() {
        let todo = pending(KNOWN, &[]).unwrap();
        assert_eq!(todo.iter().map(|m| m.version).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn partially_migrated_database_runs_the_rest() {
        let todo = pending(KNOWN, &[applied(1)]).unwrap();
        assert_eq!(todo.iter().map(|m| m.version).collect::<Vec<_>>(), [2]);
        assert!(
            pending(KNOWN, &[applied(1), applied(2)])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn newer_schema_is_refused() {
        let future = Applied {
            version: 3,
            checksum: "whatever".into(),
        };
        let err = pending(KNOWN, &[applied(1), applied(2), future]).unwrap_err();
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
        let tampered = Applied {
            version: 1,
            checksum: "0".repeat(64),
        };
        let err = pending(KNOWN, &[tampered]).unwrap_err();
        assert!(matches!(err, StoreError::Migration(m) if m.contains("differs")));
    }

    #[test]
    fn gap_in_applied_versions_is_refused() {
        let err = pending(KNOWN, &[applied(2)]).unwrap_err();
        assert!(matches!(err, StoreError::Migration(m) if m.contains("out of sequence")));
    }

    #[test]
    fn checksum_ignores_carriage_returns() {
        let lf = Migration {
            version: 1,
            description: "x",
            sql: "CREATE TABLE a (x INTEGER);\nCREATE INDEX i ON a (x);\n",
        };
        let crlf = Migration {
            sql: "CREATE TABLE a (x INTEGER);\r\nCREATE INDEX i ON a (x);\r\n",
            ..lf
        };
        assert_eq!(lf.checksum(), crlf.checksum());
        assert_eq!(lf.checksum().len(), 64);
    }
}
