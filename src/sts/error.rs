//! Errors of the issuance service. Variants say what was refused and why; the protocol edge
//! picks the AWS code.

use crate::authn::oidc::OidcError;
use crate::authn::saml::SamlError;
use crate::policy::PolicyError;
use crate::seal::SealError;
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
    #[error(transparent)]
    IdentityToken(#[from] OidcError),
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
    #[error(transparent)]
    Saml(#[from] SamlError),
}
