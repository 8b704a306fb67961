//! Authentication: turns a request's credentials into a typed [`Principal`].
//!
//! Signed actions go through [`authenticate_signed`]: SigV4 parsing, access-key lookup
//! (configured users, or the sealed session token for `ASIA…` keys), clock-skew check and the
//! constant-time signature check, in that order, so every failure has exactly one cause.

pub mod error;
pub(crate) mod oidc;
pub mod principal;
mod refresh;
mod registries;
pub mod revocation;
pub mod saml;
mod setup_problem;
pub mod sigv4;
pub mod totp;

use chrono::{DateTime, Utc};

pub use error::AuthnError;
pub use principal::Principal;
pub use registries::IdpRegistries;

use crate::config::Config;
use crate::seal::{Keyring, SessionClaims, session_token};
use crate::types::{AccessKeyId, AccessKeyKind};

/// Verifies the SigV4 signature of a request and returns who signed it.
pub fn authenticate_signed(
    req: &sigv4::SignedRequest<'_>,
    config: &Config,
    keyring: &Keyring,
    revocations: &revocation::RevocationList,
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
                return Err(AuthnError::TokenWithLongTermKey);
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
            let claims = open_session(config, keyring, &akid, token.expose(), now)?;
            // Revoked sessions are refused on every signed request, chained AssumeRole included.
            if revocations.revoking(&claims).is_some() {
                return Err(AuthnError::Revoked);
            }
            let secret = claims.secret_access_key.clone();
            (Principal::Session(Box::new(claims)), secret)
        }
    };
    sigv4::check_time(&auth, now)?;
    sigv4::verify(req, &auth, &secret)?;
    Ok(principal)
}

/// Checks a set of temporary credentials presented as values rather than as a signature (the
/// console federation endpoint's `Session` JSON): the token must open, belong to the key and
/// this account, be unrevoked, and carry the same secret (compared in constant time).
pub fn authenticate_session_credentials(
    config: &Config,
    keyring: &Keyring,
    revocations: &revocation::RevocationList,
    access_key_id: &str,
    secret: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<SessionClaims, AuthnError> {
    let akid: AccessKeyId = access_key_id
        .parse()
        .map_err(|_| AuthnError::UnknownAccessKey)?;
    if akid.kind() != AccessKeyKind::Temporary {
        return Err(AuthnError::UnknownAccessKey);
    }
    let claims = open_session(config, keyring, &akid, token, now)?;
    if revocations.revoking(&claims).is_some() {
        return Err(AuthnError::Revoked);
    }
    let matches: bool = subtle::ConstantTimeEq::ct_eq(
        claims.secret_access_key.expose().as_bytes(),
        secret.as_bytes(),
    )
    .into();
    if !matches {
        return Err(AuthnError::SecretMismatch);
    }
    Ok(claims)
}

/// Opens the session token of an `ASIA…` key and checks it belongs to that key and to this
/// deployment's account.
fn open_session(
    config: &Config,
    keyring: &Keyring,
    akid: &AccessKeyId,
    token: &str,
    now: DateTime<Utc>,
) -> Result<SessionClaims, AuthnError> {
    let claims = session_token::open(keyring, token, now)?;
    // The token must belong to the key that signed: a stolen token is useless without the
    // matching secret, and a token cannot be paired with another session's key.
    if &claims.access_key_id != akid {
        return Err(AuthnError::TokenKeyMismatch);
    }
    // Two deployments sharing a keyring by mistake still do not honour each other's sessions.
    if claims.principal.account() != config.server.account_id {
        return Err(AuthnError::TokenForeignAccount);
    }
    // Only a replica whose clock is far ahead could have minted this; refuse rather than
    // extend a session's life.
    if claims.issued_at > now + sigv4::MAX_SKEW {
        return Err(AuthnError::TokenFromFuture);
    }
    Ok(claims)
}
