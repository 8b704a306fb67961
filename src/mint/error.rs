//! Errors of the mint layer: keyring loading and session-token sealing/opening.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error("cannot read or write keyring {path}: {source}")]
    KeyringIo {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("keyring {path} is not valid: {reason}")]
    KeyringFormat { path: PathBuf, reason: String },
    #[error("keyring {path} is readable by group or others (mode {mode:o}); run: chmod 600 {path}")]
    KeyringPermissions { path: PathBuf, mode: u32 },
    /// Not base64, wrong version, too short or too long.
    #[error("session token is malformed")]
    TokenMalformed,
    /// Sealed with a key this keyring does not hold (another deployment, or a retired key).
    #[error("session token was sealed with an unknown key")]
    TokenUnknownKey,
    /// Authentication tag mismatch: tampered, truncated or forged.
    #[error("session token failed authentication")]
    TokenTampered,
    #[error("session token expired at {0}")]
    TokenExpired(chrono::DateTime<chrono::Utc>),
    #[error("session claims could not be encoded: {0}")]
    Encode(String),
}
