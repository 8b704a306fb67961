//! Errors of the issuance service. Variants say what was refused and why; the protocol edge
//! picks the AWS code. The layers below have their own enums; this is where each of their
//! variants is sorted into what a caller can be told (exhaustively, so a new cause cannot slip
//! through as the wrong kind of refusal).

use crate::authn::AuthnError;
use crate::authn::oidc::OidcError;
use crate::authn::saml::SamlError;
use crate::authn::sigv4::SigV4Error;
use crate::policy::PolicyError;
use crate::seal::{SealError, TokenError};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Trust policy, rules or a permission check said no. The message is what the client sees;
    /// it names the action, never which check failed (that goes to the log).
    #[error("Not authorized to perform {action}")]
    AccessDenied {
        action: &'static str,
        reason: String,
        /// A Deny statement decided, rather than no Allow: typed, because `reason` may quote
        /// caller input and must never be searched for it.
        explicit: bool,
    },
    /// A wrong, reused or unknown-device MFA code; the reason is for the log and the encoded
    /// authorization message, the client gets AWS's text.
    #[error("MultiFactorAuthentication failed with invalid MFA one time pass code.")]
    MfaFailed(String),
    /// Too many invalid codes for the device: every code is refused until the lock ends.
    #[error("MultiFactorAuthentication failed: too many invalid codes, try again later")]
    MfaLocked,
    #[error("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")]
    DurationTooLong,
    #[error(
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    )]
    ChainedDurationTooLong,
    /// A request parameter that is well-formed but not acceptable (e.g. overriding an
    /// inherited transitive tag).
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    MalformedPolicy(PolicyError),
    #[error("Policy {0} does not exist or is not attachable.")]
    UnknownPolicyArn(String),
    #[error(
        "Packed policy consumes {0}% of allotted space, please use smaller policy for session."
    )]
    PackedPolicyTooLarge(u32),
    /// DecodeAuthorizationMessage given something that is not one of our sealed messages.
    #[error("The encoded authorization message is not valid.")]
    InvalidAuthorizationMessage,
    /// The request's own credentials (signature, access key, session token) were refused.
    #[error("{0}")]
    NotAuthenticated(Unauthenticated),
    /// A web identity token or SAML response was refused.
    #[error("{message}")]
    TokenRefused { kind: TokenRefusal, message: String },
    /// A verified token whose session claims (tags, source identity) are malformed.
    #[error("{0}")]
    InvalidTokenClaim(String),
    #[error(transparent)]
    Mint(#[from] SealError),
    /// A rate limit (`[limits]`) said no; the caller may retry later.
    #[error("Rate exceeded")]
    Throttled,
    /// A server-side fault (a task that died, an inconsistency); logged, never sent.
    #[error("internal failure: {0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a request's own credentials were refused, as far as the caller may know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unauthenticated {
    #[error("Request is missing Authentication Token")]
    Missing,
    /// Unknown key, bad or revoked session token, wrong secret: AWS's one generic answer.
    #[error("The security token included in the request is invalid.")]
    InvalidToken,
    #[error("The security token included in the request is expired")]
    ExpiredToken,
    /// The signature's form is incomplete or uses an unsupported algorithm.
    #[error("{0}")]
    IncompleteSignature(String),
    /// The signature, its scope or its time do not match.
    #[error("{0}")]
    SignatureMismatch(String),
    /// A presigned request past its expiry.
    #[error("{0}")]
    RequestExpired(String),
}

/// How an identity token or SAML response was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Malformed, unsigned, wrongly signed, for another audience or issuer…
    Invalid,
    Expired,
    /// The IdP's keys or metadata could not be had: transient, SDKs retry.
    IdpUnreachable,
    /// The IdP itself said no (a SAML Status other than Success).
    IdpRejected,
    /// Larger than accepted.
    TooLarge,
    /// A SAML assertion without a NameID (AWS answers AccessDenied).
    MissingSubject,
}

impl From<AuthnError> for ServiceError {
    fn from(e: AuthnError) -> Self {
        // The precise cause is for the operator; the client gets AWS's generic text.
        tracing::info!(cause = %e, "authentication failed");
        Self::NotAuthenticated(match e {
            AuthnError::MissingAuthentication => Unauthenticated::Missing,
            AuthnError::Signature(e) => e.into(),
            AuthnError::SessionToken(TokenError::Expired(_)) => Unauthenticated::ExpiredToken,
            AuthnError::UnknownAccessKey
            | AuthnError::MissingSessionToken
            | AuthnError::TokenWithLongTermKey
            | AuthnError::SessionToken(
                TokenError::Malformed | TokenError::UnknownKey | TokenError::Tampered,
            )
            | AuthnError::TokenKeyMismatch
            | AuthnError::SecretMismatch
            | AuthnError::TokenForeignAccount
            | AuthnError::TokenFromFuture
            | AuthnError::Revoked => Unauthenticated::InvalidToken,
        })
    }
}

impl From<SigV4Error> for Unauthenticated {
    fn from(e: SigV4Error) -> Self {
        let message = e.to_string();
        match e {
            SigV4Error::Incomplete(_) | SigV4Error::UnsupportedAlgorithm(_) => {
                Self::IncompleteSignature(message)
            }
            SigV4Error::WrongService(_)
            | SigV4Error::ScopeDateMismatch
            | SigV4Error::SignatureMismatch
            | SigV4Error::Skewed { .. } => Self::SignatureMismatch(message),
            SigV4Error::PresignExpired { .. } => Self::RequestExpired(message),
        }
    }
}

impl From<OidcError> for ServiceError {
    fn from(e: OidcError) -> Self {
        tracing::info!(cause = %e.log_reason(), "identity token refused");
        let kind = match &e {
            OidcError::Expired { .. } => TokenRefusal::Expired,
            OidcError::KeysUnavailable => TokenRefusal::IdpUnreachable,
            OidcError::Malformed(_)
            | OidcError::TooLarge
            | OidcError::UnknownIssuer(_)
            | OidcError::UnknownKey
            | OidcError::AlgorithmNotAllowed
            | OidcError::BadSignature
            | OidcError::IncorrectAudience
            | OidcError::MissingClaim(_)
            | OidcError::NotYetValid
            | OidcError::IssuedInFuture => TokenRefusal::Invalid,
            OidcError::Config(_) => return Self::Internal(e.to_string()),
        };
        Self::TokenRefused {
            kind,
            message: e.to_string(),
        }
    }
}

impl From<SamlError> for ServiceError {
    fn from(e: SamlError) -> Self {
        let kind = match &e {
            SamlError::Expired => TokenRefusal::Expired,
            SamlError::TooLarge => TokenRefusal::TooLarge,
            SamlError::MetadataUnavailable => TokenRefusal::IdpUnreachable,
            SamlError::StatusNotSuccess => TokenRefusal::IdpRejected,
            SamlError::MissingNameId => TokenRefusal::MissingSubject,
            SamlError::Config(_) | SamlError::Internal => {
                tracing::error!(error = %e, "SAML verification failed on the server side");
                return Self::Internal(e.to_string());
            }
            SamlError::NoSuchProvider
            | SamlError::BadBase64
            | SamlError::NotUtf8
            | SamlError::Dtd
            | SamlError::MalformedXml
            | SamlError::NotAResponse
            | SamlError::EncryptedAssertion
            | SamlError::AssertionCount
            | SamlError::Unsigned
            | SamlError::SignatureLayout
            | SamlError::DisallowedAlgorithm
            | SamlError::BadSignature
            | SamlError::IssuerMismatch
            | SamlError::MissingConditions
            | SamlError::MissingAudienceRestriction
            | SamlError::AudienceMismatch
            | SamlError::MissingBearerConfirmation
            | SamlError::RecipientMismatch
            | SamlError::DestinationMismatch
            | SamlError::InResponseToMismatch
            | SamlError::NotYetValid
            | SamlError::InvalidAssertion => TokenRefusal::Invalid,
        };
        // Debug only: the validator's own rate-limited warning is the operator's signal, so a
        // flood of forged responses cannot flood the log.
        tracing::debug!(cause = %e, "SAML response refused");
        Self::TokenRefused {
            kind,
            message: e.to_string(),
        }
    }
}
