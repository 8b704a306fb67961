//! Errors of the OIDC layer.
//!
//! [`OidcError`] is what verifying an ID token can end in. Its `Display` texts are safe to send
//! to clients: they follow AWS's wording where AWS's is known (sts-api.md 6.2) and never contain
//! the token. Only [`OidcError::UnknownIssuer`] echoes input, and only a sanitised `iss`.
//! [`FetchError`] describes why fetching discovery or JWKS failed; it is for the operator's log
//! (it may name URLs, which are configuration, not secrets).

use std::time::Duration;

/// AWS's maximum length of `WebIdentityToken` (API model `clientTokenType`).
pub(crate) const MAX_TOKEN_CHARS: usize = 20_000;

/// The longest `iss` echoed back in [`OidcError::UnknownIssuer`].
const MAX_ECHOED_ISSUER_CHARS: usize = 256;

/// Why an ID token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    /// Not a compact JWS, or a part is not base64url / JSON. The reason is for logs only.
    #[error(
        "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
    )]
    Malformed(&'static str),
    /// Longer than [`MAX_TOKEN_CHARS`]; checked before any decoding.
    #[error(
        "Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000"
    )]
    TooLarge,
    /// No configured provider has this issuer (already sanitised: see [`OidcError::unknown_issuer`]).
    #[error("No OpenIDConnect provider found in your account for {0}")]
    UnknownIssuer(String),
    /// The provider's keys have never been loaded (IdP unreachable since start). Retryable.
    #[error("Couldn't retrieve verification keys from your identity provider, please try again")]
    KeysUnavailable,
    /// No key of the provider matches the token's `kid` (after one refetch where allowed).
    #[error(
        "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"
    )]
    UnknownKey,
    /// The header's `alg` is not one the selected key allows (covers `none` and HS*).
    #[error("The ID Token is signed with an algorithm that its verification key does not allow")]
    AlgorithmNotAllowed,
    #[error("The ID Token signature is invalid")]
    BadSignature,
    #[error("Incorrect token audience")]
    IncorrectAudience,
    /// A required claim is absent or not of the required type (`exp`, `iss`, `aud`, `sub`).
    #[error("Missing a required claim: {0}")]
    MissingClaim(&'static str),
    /// AWS's text really has no space before the expiry time.
    #[error("Token expired: current date/time {now} must be before the expiration date/time{exp}")]
    Expired { now: i64, exp: i64 },
    #[error("Token is not yet valid: its nbf (not before) time is in the future")]
    NotYetValid,
    #[error("Token was issued in the future: its iat (issued at) time is in the future")]
    IssuedInFuture,
    /// A provider's keys could not be set up at start (bad `jwks_file`, …).
    #[error("OIDC provider configuration: {0}")]
    Config(String),
}

impl OidcError {
    /// [`OidcError::UnknownIssuer`] with the issuer made safe to echo: control characters
    /// dropped (no log or header injection) and cut to 256 characters (the IAM URL limit is 255,
    /// so nothing legitimate is lost).
    pub fn unknown_issuer(iss: &str) -> Self {
        Self::UnknownIssuer(
            iss.chars()
                .filter(|c| !c.is_control())
                .take(MAX_ECHOED_ISSUER_CHARS)
                .collect(),
        )
    }

    /// For logs: the internal reason behind [`OidcError::Malformed`], else the `Display` text.
    pub fn log_reason(&self) -> String {
        match self {
            Self::Malformed(reason) => format!("malformed token: {reason}"),
            other => other.to_string(),
        }
    }
}

/// Why fetching a provider's discovery document or JWKS failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("HTTP request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: response body is larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("{url}: response is not valid JSON: {reason}")]
    Json { url: String, reason: String },
    #[error("discovery document: {0}")]
    Discovery(String),
    #[error("JWKS: {0}")]
    Jwks(#[from] JwksError),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("this provider's keys come from a file and are not fetched")]
    NotFetched,
}

/// Why a JWKS document yields no key set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum JwksError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("expected a JSON object with a \"keys\" array")]
    NoKeysArray,
    #[error("no usable signing key (RSA ≥ 2048 bits, EC P-256 or P-384, use \"sig\")")]
    NoUsableKeys,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_match_aws() {
        assert_eq!(
            OidcError::Malformed("x").to_string(),
            "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
        );
        assert_eq!(
            OidcError::UnknownKey.to_string(),
            "Couldn't retrieve verification key from your identity provider,  please reference \
             AssumeRoleWithWebIdentity documentation for requirements"
        );
        assert_eq!(
            OidcError::Expired {
                now: 1_624_482_533,
                exp: 1_624_482_335
            }
            .to_string(),
            "Token expired: current date/time 1624482533 must be before the expiration date/time1624482335"
        );
        assert_eq!(
            OidcError::MissingClaim("aud").to_string(),
            "Missing a required claim: aud"
        );
        assert_eq!(
            OidcError::IncorrectAudience.to_string(),
            "Incorrect token audience"
        );
    }

    #[test]
    fn unknown_issuer_is_sanitised() {
        let long = format!("https://evil.example/\r\n{}", "a".repeat(1000));
        let OidcError::UnknownIssuer(shown) = OidcError::unknown_issuer(&long) else {
            panic!("wrong variant")
        };
        assert_eq!(shown.chars().count(), 256);
        assert!(!shown.contains('\r') && !shown.contains('\n'));
        assert_eq!(
            OidcError::unknown_issuer("https://a.example/").to_string(),
            "No OpenIDConnect provider found in your account for https://a.example/"
        );
    }
}
