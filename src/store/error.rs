//! The store layer's one error enum. Variants say what went wrong, not how to answer a client:
//! the layers above decide (a failed replay check is a denial, never credentials).
//!
//! Invariant: no variant carries a PostgreSQL URL as given. Locations are rendered through
//! [`super::redacted_url`], which never contains a password.

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or created.
    #[error("cannot open store {url_redacted}: {source}")]
    Open {
        /// The store location with any password replaced.
        url_redacted: String,
        source: sqlx::Error,
    },
    /// Applying or checking the embedded schema migrations failed.
    #[error("store migration failed: {0}")]
    Migration(String),
    /// The database was migrated by a newer binary. Running an older binary against it could
    /// misread or damage data, so it is refused rather than silently downgraded.
    #[error(
        "store schema version {found} is newer than this binary supports ({supported}); \
         upgrade stsbridge or point it at another database"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    /// A query failed (I/O, lock timeout, corruption, lost connection…).
    #[error("store query failed: {0}")]
    Query(#[from] sqlx::Error),
    /// A key or revocation field given by the caller is out of bounds (empty where a value is
    /// required, too long, or containing NUL).
    #[error("invalid store key: {0}")]
    InvalidKey(&'static str),
}

impl StoreError {
    /// A migration step failed: `what` says which.
    pub(super) fn migration(what: &str, e: impl std::fmt::Display) -> Self {
        Self::Migration(format!("{what}: {e}"))
    }
}
