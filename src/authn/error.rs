//! Errors of the authentication layer. Variants say what happened; the protocol edge decides
//! the AWS code and status.

use chrono::{DateTime, Utc};

use super::sigv4::SigV4Error;

#[derive(Debug, thiserror::Error)]
pub enum AuthnError {
    #[error("request is missing authentication")]
    MissingAuthentication,
    #[error(transparent)]
    Signature(#[from] SigV4Error),
    #[error("access key id is not known")]
    UnknownAccessKey,
    #[error("temporary credentials need a session token")]
    MissingSessionToken,
    #[error("session token is invalid")]
    InvalidSessionToken,
    #[error("session expired at {0}")]
    ExpiredSession(DateTime<Utc>),
}
