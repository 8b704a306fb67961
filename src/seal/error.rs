//! Errors of the seal layer. Two enums, because their causes differ: [`SealError`] is the
//! server's own failure (keyring, sealing), [`TokenError`] is a client presenting a bad token.
//! Keeping them apart means a bad token can never be reported as a server fault.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("cannot read or write keyring {path}: {source}")]
    KeyringIo {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("keyring {path} is not valid: {reason}")]
    KeyringFormat { path: PathBuf, reason: String },
    #[error("keyring {path} is readable by group or others (mode {mode:o}); run: chmod 600 {path}")]
    KeyringPermissions { path: PathBuf, mode: u32 },
    #[error("session claims could not be encoded: {0}")]
    Encode(String),
    /// The sealed token would exceed what `open` accepts: the session carries too much
    /// (policies, tags) and must be refused at issuance, not handed out dead.
    #[error("session token would be {len} bytes, more than the {max} allowed")]
    TokenTooLarge { len: usize, max: usize },
}

/// Why a presented session token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not base64, wrong version, too short or too long.
    #[error("session token is malformed")]
    Malformed,
    /// Sealed with a key this keyring does not hold (another deployment, or a retired key).
    #[error("session token was sealed with a key this keyring does not hold")]
    UnknownKey,
    /// Authentication tag mismatch: tampered, truncated or forged.
    #[error("session token failed authentication")]
    Tampered,
    #[error("session token expired at {0}")]
    Expired(DateTime<Utc>),
}
