//! `SigV4Error`: why a request's signature data was refused, in AWS's words.

use chrono::{DateTime, Utc};

use super::auth::{MAX_SKEW, to_amz_date};

/// Why a request's `SigV4` authentication was rejected. Every message is safe to send to the
/// client: none contains the secret, the session token or the signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// Malformed or missing parts of the signature data (AWS: `IncompleteSignature`).
    #[error("{0}")]
    Incomplete(String),
    /// Anything but `AWS4-HMAC-SHA256`.
    #[error("Unsupported AWS 'algorithm': '{0}'.")]
    UnsupportedAlgorithm(String),
    /// The credential scope names another service; carries the expected one.
    #[error("Credential should be scoped to correct service: '{0}'.")]
    WrongService(String),
    /// The scope date is not the date part of the request time.
    #[error(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP."
    )]
    ScopeDateMismatch,
    /// The recomputed signature differs, or the declared payload hash is false.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check \
         your AWS Secret Access Key and signing method. Consult the service documentation for \
         details."
    )]
    SignatureMismatch,
    /// Request time more than [`MAX_SKEW`] away from the server clock.
    #[error("{}", skew_message(*.request_time, *.now))]
    Skewed {
        request_time: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    /// A presigned URL used after `X-Amz-Date + X-Amz-Expires`.
    #[error("Request has expired")]
    PresignExpired {
        expired_at: DateTime<Utc>,
        now: DateTime<Utc>,
    },
}

/// AWS's wording, e.g. `Signature expired: 20220127T001427Z is now earlier than 20220127T014428Z
/// (20220127T015928Z - 15 min.)`; for requests from the future AWS says "not yet current".
fn skew_message(request_time: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let req = to_amz_date(request_time);
    let now_s = to_amz_date(now);
    if request_time < now {
        let bound = now
            .checked_sub_signed(MAX_SKEW)
            .map_or_else(String::new, to_amz_date);
        format!("Signature expired: {req} is now earlier than {bound} ({now_s} - 15 min.)")
    } else {
        let bound = now
            .checked_add_signed(MAX_SKEW)
            .map_or_else(String::new, to_amz_date);
        format!("Signature not yet current: {req} is still later than {bound} ({now_s} + 15 min.)")
    }
}
