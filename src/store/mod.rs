//! Shared state that must be global across replicas: the one-time-id (replay) cache, session
//! revocations, browser state, audit events and invalid-MFA-code counts.
//!
//! [`Store`] is the only thing the layers above see. It is dyn-compatible (methods return boxed
//! futures) so application state holds an `Arc<dyn Store>` and the backend is picked at start
//! by [`open`]: SQLite (a file, or memory for tests and the demo) for one node, PostgreSQL for
//! several replicas, behind the same trait and the same conformance suite.
//!
//! Invariants every backend keeps:
//! - [`Store::use_once`] is atomic: among any number of concurrent callers, in one process or
//!   several sharing the database, exactly one sees `true` for a live `(namespace, id)`.
//! - [`Store::record_mfa_attempt`] is atomic too: among any number of concurrent attempts on
//!   one device, at most `max_attempts` are counted before the device locks.
//! - Time is a parameter: no method reads a clock. Times are stored as integer milliseconds
//!   since the Unix epoch; an expiry is rounded up and "now" down, so a record never counts as
//!   expired before its real expiry.
//! - Keys are bounded ([`MAX_NAMESPACE_BYTES`], [`MAX_ID_BYTES`]), and so are revocation fields
//!   ([`MAX_REVOCATION_FIELD_BYTES`]), before they reach SQL.
//! - The schema is migrated on open by migrations embedded in the binary (`sqlx::migrate!`,
//!   see `migrate`); a database made before that is adopted once (see `adopt`).
//! - All database access is async; nothing blocks the runtime (sqlx runs each SQLite
//!   connection on its own worker thread, and speaks to PostgreSQL over async sockets).
//! - Waits are bounded: a call that cannot get a connection or whose statement runs too long
//!   fails with an error (callers answer "try again"), it does not hang.
//!
//! Layout: `api` (the trait), `records` (what it takes and returns, and their bounds),
//! `columns` (bounds checks and stored times),
//! `revocation` (the revocation record), `sql_store` (the one implementation, generic over a
//! `backend::Backend`), `sqlite` and `postgres` (what differs: connections, pragmas, locking,
//! the SQL that cannot be shared), `migrate` and `adopt` (the schema).

mod adopt;
mod api;
mod backend;
mod columns;
mod error;
mod location;
mod migrate;
mod postgres;
mod queries;
mod records;
mod revocation;
mod sql_store;
mod sqlite;

#[cfg(test)]
pub(crate) mod conformance;

use std::sync::Arc;

pub use api::{Store, StoreFuture};
pub use error::StoreError;
pub use location::redacted_url;
pub use records::{
    AuditRecord, MAX_AUDIT_EVENT_BYTES, MAX_ID_BYTES, MAX_NAMESPACE_BYTES, MAX_STATE_BYTES,
    MfaAttempt, MfaLockPolicy,
};
pub use revocation::{
    MAX_REVOCATION_FIELD_BYTES, REVOCATION_LIFETIME, Revocation, RevocationTarget,
};

use crate::config::StoreUrl;

/// Opens (creating and migrating as needed) the store the configuration names.
pub async fn open(url: &StoreUrl) -> Result<Arc<dyn Store>, StoreError> {
    match url {
        StoreUrl::SqliteFile(path) => {
            Ok(Arc::new(sqlite::SqliteStore::open_file(path, url).await?))
        }
        StoreUrl::SqliteMemory => Ok(Arc::new(sqlite::SqliteStore::open_memory(url).await?)),
        StoreUrl::Postgres(secret) => Ok(Arc::new(postgres::PgStore::open(secret, url).await?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Secret;

    #[tokio::test]
    async fn an_unreachable_postgres_fails_to_open_without_showing_the_password() {
        // `.invalid` never resolves, so this fails at once rather than after retries.
        let url = StoreUrl::Postgres(Secret::new(
            "postgres://bridge:hunter2@db.invalid:5432/sts?password=hunter3",
        ));
        let err = open(&url).await.unwrap_err();
        assert!(matches!(err, StoreError::Open { .. }), "{err}");
        let shown = err.to_string();
        assert!(shown.contains("db.invalid"), "{shown}");
        assert!(!shown.contains("hunter"), "{shown}");
        assert!(!format!("{err:?}").contains("hunter"), "{err:?}");
    }
}
