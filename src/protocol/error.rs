//! The one place that knows AWS error codes, HTTP statuses and the `ErrorResponse` document.
//! Lower layers' errors are mapped here with exhaustive matches (no `_ =>`), so a new variant
//! does not compile until someone decides what the client sees.

use axum::http::StatusCode;

use crate::sts::ServiceError;
use crate::sts::error::{TokenRefusal, Unauthenticated};

/// AWS error codes this server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidAction,
    MissingAction,
    MissingParameter,
    InvalidParameterValue,
    ValidationError,
    RequestEntityTooLarge,
    NotFound,
    MethodNotAllowed,
    MissingAuthenticationToken,
    IncompleteSignature,
    InvalidClientTokenId,
    SignatureDoesNotMatch,
    ExpiredToken,
    RequestExpired,
    AccessDenied,
    InvalidIdentityToken,
    ExpiredTokenException,
    IdpCommunicationError,
    IdpRejectedClaim,
    MalformedPolicyDocument,
    PackedPolicyTooLarge,
    InvalidAuthorizationMessage,
    RequestTimeout,
    InternalFailure,
    ServiceUnavailable,
    Throttling,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidAction => "InvalidAction",
            Self::MissingAction => "MissingAction",
            Self::MissingParameter => "MissingParameter",
            Self::InvalidParameterValue => "InvalidParameterValue",
            Self::ValidationError => "ValidationError",
            Self::RequestEntityTooLarge => "RequestEntityTooLarge",
            Self::NotFound => "NotFound",
            Self::MethodNotAllowed => "MethodNotAllowed",
            Self::MissingAuthenticationToken => "MissingAuthenticationToken",
            Self::IncompleteSignature => "IncompleteSignature",
            Self::InvalidClientTokenId => "InvalidClientTokenId",
            Self::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            Self::ExpiredToken => "ExpiredToken",
            Self::RequestExpired => "RequestExpired",
            Self::AccessDenied => "AccessDenied",
            Self::InvalidIdentityToken => "InvalidIdentityToken",
            Self::ExpiredTokenException => "ExpiredTokenException",
            Self::IdpCommunicationError => "IDPCommunicationError",
            Self::IdpRejectedClaim => "IDPRejectedClaim",
            Self::MalformedPolicyDocument => "MalformedPolicyDocument",
            Self::PackedPolicyTooLarge => "PackedPolicyTooLarge",
            Self::InvalidAuthorizationMessage => "InvalidAuthorizationMessageException",
            Self::RequestTimeout => "RequestTimeout",
            Self::InternalFailure => "InternalFailure",
            Self::ServiceUnavailable => "ServiceUnavailable",
            Self::Throttling => "Throttling",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidAction
            | Self::MissingAction
            | Self::MissingParameter
            | Self::InvalidParameterValue
            | Self::ValidationError
            | Self::IncompleteSignature
            | Self::RequestExpired
            | Self::RequestTimeout
            | Self::InvalidIdentityToken
            | Self::ExpiredTokenException
            | Self::IdpCommunicationError
            | Self::MalformedPolicyDocument
            | Self::PackedPolicyTooLarge
            | Self::InvalidAuthorizationMessage
            | Self::Throttling => StatusCode::BAD_REQUEST,
            Self::RequestEntityTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::MissingAuthenticationToken
            | Self::InvalidClientTokenId
            | Self::SignatureDoesNotMatch
            | Self::ExpiredToken
            | Self::AccessDenied
            | Self::IdpRejectedClaim => StatusCode::FORBIDDEN,
            Self::InternalFailure => StatusCode::INTERNAL_SERVER_ERROR,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// `Sender` for client faults, `Receiver` for server faults, as the envelope's `Type`.
    pub fn fault(self) -> &'static str {
        if self.status().is_server_error() {
            "Receiver"
        } else {
            "Sender"
        }
    }
}

/// An error as the client will see it: code plus a message that is safe to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct StsError {
    pub code: ErrorCode,
    pub message: String,
    /// For `AccessDenied`: which check refused, never rendered as is. The endpoint seals it
    /// into an encoded authorization message that `DecodeAuthorizationMessage` reveals.
    pub denial: Option<DenialCause>,
}

/// Why an `AccessDenied` happened, for the sealed authorization message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenialCause {
    pub reason: String,
    /// A Deny statement decided (not merely no Allow).
    pub explicit: bool,
}

impl StsError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            denial: None,
        }
    }

    pub fn internal() -> Self {
        Self::new(
            ErrorCode::InternalFailure,
            "The request processing has failed because of an unknown error.",
        )
    }
}

impl From<ServiceError> for StsError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::AccessDenied {
                action,
                reason,
                explicit,
            } => {
                // Which check failed is for the operator; the caller learns only the action.
                tracing::info!(%reason, "access denied");
                let mut e = Self::new(
                    ErrorCode::AccessDenied,
                    format!("Not authorized to perform {action}"),
                );
                e.denial = Some(DenialCause { reason, explicit });
                e
            }
            ServiceError::MfaFailed(ref reason) => {
                tracing::info!(%reason, "MFA refused");
                let mut out = Self::new(ErrorCode::AccessDenied, e.to_string());
                out.denial = Some(DenialCause {
                    reason: format!("MFA: {reason}"),
                    explicit: false,
                });
                out
            }
            // No encoded authorization message: the text is the whole answer, for every code.
            ServiceError::MfaLocked => Self::new(ErrorCode::AccessDenied, e.to_string()),
            ServiceError::DurationTooLong | ServiceError::ChainedDurationTooLong => {
                Self::new(ErrorCode::ValidationError, e.to_string())
            }
            ServiceError::InvalidParameter(message) => {
                Self::new(ErrorCode::InvalidParameterValue, message)
            }
            ServiceError::MalformedPolicy(ref p) => {
                Self::new(ErrorCode::MalformedPolicyDocument, p.to_string())
            }
            ServiceError::UnknownPolicyArn(_) => {
                Self::new(ErrorCode::InvalidParameterValue, e.to_string())
            }
            ServiceError::InvalidAuthorizationMessage => {
                Self::new(ErrorCode::InvalidAuthorizationMessage, e.to_string())
            }
            ServiceError::PackedPolicyTooLarge(_) => {
                Self::new(ErrorCode::PackedPolicyTooLarge, e.to_string())
            }
            ServiceError::NotAuthenticated(why) => {
                let code = match why {
                    Unauthenticated::Missing => ErrorCode::MissingAuthenticationToken,
                    Unauthenticated::InvalidToken => ErrorCode::InvalidClientTokenId,
                    Unauthenticated::ExpiredToken => ErrorCode::ExpiredToken,
                    Unauthenticated::IncompleteSignature(_) => ErrorCode::IncompleteSignature,
                    Unauthenticated::SignatureMismatch(_) => ErrorCode::SignatureDoesNotMatch,
                    Unauthenticated::RequestExpired(_) => ErrorCode::RequestExpired,
                };
                Self::new(code, why.to_string())
            }
            ServiceError::TokenRefused { kind, message } => {
                let code = match kind {
                    TokenRefusal::Invalid => ErrorCode::InvalidIdentityToken,
                    TokenRefusal::Expired => ErrorCode::ExpiredTokenException,
                    TokenRefusal::IdpUnreachable => ErrorCode::IdpCommunicationError,
                    TokenRefusal::IdpRejected => ErrorCode::IdpRejectedClaim,
                    TokenRefusal::TooLarge => ErrorCode::ValidationError,
                    TokenRefusal::MissingSubject => ErrorCode::AccessDenied,
                };
                Self::new(code, message)
            }
            ServiceError::InvalidTokenClaim(message) => {
                Self::new(ErrorCode::InvalidIdentityToken, message)
            }
            // Minting failed on the server: the cause is logged, never sent.
            ServiceError::Mint(e) => {
                tracing::error!(error = %e, "credential minting failed");
                Self::internal()
            }
            ServiceError::Throttled => Self::new(ErrorCode::Throttling, "Rate exceeded"),
            // The shared store is down or slow: nothing was issued (every check that needs it
            // failed closed); the client should retry, as it does for ServiceUnavailable.
            ServiceError::Store(e) => {
                tracing::warn!(error = %e, "store unavailable; request refused");
                Self::new(
                    ErrorCode::ServiceUnavailable,
                    "The service is temporarily unavailable; retry later.",
                )
            }
            ServiceError::Internal(_) => {
                tracing::error!(error = %e, "request failed on the server side");
                Self::internal()
            }
        }
    }
}

/// Collects model-constraint violations into one AWS `ValidationError`:
/// `2 validation errors detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: …; …`.
#[derive(Debug, Default)]
pub struct Violations(Vec<String>);

impl Violations {
    /// `value` is `None` for sensitive members (tokens, assertions), which AWS never echoes.
    pub fn push(&mut self, member: &str, value: Option<&str>, constraint: &str) {
        let shown = value.map_or_else(String::new, |v| format!(" '{}'", truncate_for_echo(v)));
        self.0.push(format!(
            "Value{shown} at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    pub fn into_result(self) -> Result<(), StsError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(StsError::new(
                ErrorCode::ValidationError,
                format!("1 validation error detected: {}", self.0.join("; ")),
            )),
            n => Err(StsError::new(
                ErrorCode::ValidationError,
                format!("{n} validation errors detected: {}", self.0.join("; ")),
            )),
        }
    }
}

/// Echoed values are bounded so an error response never grows with the attacker's input.
fn truncate_for_echo(v: &str) -> String {
    const MAX: usize = 256;
    if v.chars().count() <= MAX {
        v.to_owned()
    } else {
        format!("{}…", v.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_messages_match_aws() {
        let mut v = Violations::default();
        v.push(
            "roleSessionName",
            Some("a:b"),
            r"Member must satisfy regular expression pattern: [\w+=,.@-]*",
        );
        let e = v.into_result().unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationError);
        assert_eq!(
            e.message,
            r"1 validation error detected: Value 'a:b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
        );
        let mut v = Violations::default();
        v.push("a", Some("1"), "x");
        v.push(
            "webIdentityToken",
            None,
            "Member must have length less than or equal to 20000",
        );
        let e = v.into_result().unwrap_err();
        assert!(
            e.message
                .starts_with("2 validation errors detected: Value '1' at 'a'")
        );
        assert!(e.message.contains("; Value at 'webIdentityToken'"));
    }

    #[test]
    fn faults() {
        assert_eq!(ErrorCode::InternalFailure.fault(), "Receiver");
        assert_eq!(ErrorCode::AccessDenied.fault(), "Sender");
        assert_eq!(ErrorCode::ExpiredToken.status(), StatusCode::FORBIDDEN);
    }
}
