//! Errors of the authentication layer. Variants say what happened; the protocol edge decides
//! the AWS code and status. Display texts name the cause for the operator's log and never
//! contain a secret.

use super::sigv4::SigV4Error;
use crate::seal::TokenError;

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
    #[error("a session token was sent with a long-term access key")]
    TokenWithLongTermKey,
    #[error(transparent)]
    SessionToken(#[from] TokenError),
    #[error("session token belongs to another access key")]
    TokenKeyMismatch,
    #[error("session token was issued for another account")]
    TokenForeignAccount,
    #[error("session token claims to be issued in the future")]
    TokenFromFuture,
    #[error("session has been revoked")]
    Revoked,
    /// Credentials presented as values (console federation) whose secret is not the session's.
    #[error("the secret access key does not belong to this session")]
    SecretMismatch,
}
