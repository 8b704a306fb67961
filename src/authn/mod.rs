//! Authentication: turns a request's credentials into a typed [`Principal`].
//!
//! Signed actions go through [`authenticate_signed`]: SigV4 parsing, access-key lookup
//! (configured users, or the sealed session token for `ASIA…` keys), clock-skew check and the
//! constant-time signature check, in that order, so every failure has exactly one cause.

pub mod error;
pub mod principal;
pub mod saml;
pub mod sigv4;

use chrono::{DateTime, Utc};

pub use error::AuthnError;
pub use principal::Principal;

use crate::config::Config;
use crate::mint::{Keyring, MintError, session_token};
use crate::types::{AccessKeyId, AccessKeyKind};

/// Verifies the SigV4 signature of a request and returns who signed it.
pub fn authenticate_signed(
    req: &sigv4::SignedRequest<'_>,
    config: &Config,
    keyring: &Keyring,
    now: DateTime<Utc>,
) -> Result<Principal, AuthnError> {
    let auth = sigv4::parse(req)?.ok_or(AuthnError::MissingAuthentication)?;
    let akid: AccessKeyId = auth
        .access_key_id
        .parse()
        .map_err(|_| AuthnError::UnknownAccessKey)?;
    let (principal, secret) = match akid.kind() {
        AccessKeyKind::LongTerm => {
            // A session token next to a long-term key is a client mix-up; AWS rejects it too.
            if auth.security_token.is_some() {
                return Err(AuthnError::InvalidSessionToken);
            }
            let user = config
                .user_by_access_key(&akid)
                .ok_or(AuthnError::UnknownAccessKey)?;
            (
                Principal::user(config, user),
                user.secret_access_key.clone(),
            )
        }
        AccessKeyKind::Temporary => {
            let token = auth
                .security_token
                .as_ref()
                .ok_or(AuthnError::MissingSessionToken)?;
            let claims =
                session_token::open(keyring, token.expose(), now).map_err(|e| match e {
                    MintError::TokenExpired(at) => AuthnError::ExpiredSession(at),
                    _ => AuthnError::InvalidSessionToken,
                })?;
            // The token must belong to the key that signed: a stolen token is useless without
            // the matching secret, and a token cannot be paired with another session's key.
            if claims.access_key_id != akid {
                return Err(AuthnError::InvalidSessionToken);
            }
            let secret = claims.secret_access_key.clone();
            (Principal::Session(Box::new(claims)), secret)
        }
    };
    sigv4::check_time(&auth, now)?;
    sigv4::verify(req, &auth, &secret)?;
    Ok(principal)
}
