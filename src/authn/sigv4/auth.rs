//! What a request says about its signature, as `parse` reads it: where it travelled, the
//! credential scope, the signature bytes (compared only in constant time), and the fixed values
//! and bounds of the `AWS4-HMAC-SHA256` scheme. Types only; `canonical`, `parse` and `verify`
//! all build on them.

use std::fmt;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

/// The only signing algorithm accepted.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The only service name accepted in a credential scope.
pub(crate) const SERVICE: &str = "sts";
/// The fixed last element of every credential scope.
pub(crate) const SCOPE_TERMINATOR: &str = "aws4_request";
/// Clock skew AWS tolerates between the request time and the server's clock.
pub(crate) const MAX_SKEW: TimeDelta = TimeDelta::minutes(15);
/// Longest presigned lifetime AWS accepts in `X-Amz-Expires` (7 days).
pub(crate) const MAX_PRESIGN_EXPIRES: u32 = 604_800;
/// Authorization headers longer than this are rejected before any parsing, so a hostile client
/// cannot make us split and validate megabytes of text.
pub(crate) const MAX_AUTHORIZATION_LEN: usize = 4096;
/// Upper bound on the number of signed headers; real clients sign three to six.
pub(crate) const MAX_SIGNED_HEADERS: usize = 64;

/// Where the signature travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthLocation {
    /// `Authorization: AWS4-HMAC-SHA256 ...` header.
    Header,
    /// Presigned URL: `X-Amz-Algorithm`, `X-Amz-Credential`, ... query parameters.
    Query,
}

/// `<yyyymmdd>/<region>/<service>/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CredentialScope {
    pub(crate) date: NaiveDate,
    pub(crate) region: String,
    pub(crate) service: String,
}

impl fmt::Display for CredentialScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{SCOPE_TERMINATOR}",
            self.date.format("%Y%m%d"),
            self.region,
            self.service
        )
    }
}

/// The 32 signature bytes a client sent. Deliberately without `PartialEq`: the only comparison
/// is the constant-time one in [`verify`](super::verify::verify). `Debug` hides the bytes because a valid signature on
/// a presigned URL is a bearer credential until it expires.
#[derive(Clone)]
pub(super) struct Signature(pub(super) [u8; 32]);

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(<redacted>)")
    }
}

/// Parsed but NOT yet verified `SigV4` authentication data.
///
/// No `PartialEq` (the signature must only be compared in constant time); `Debug` redacts the
/// session token and the signature.
#[derive(Debug, Clone)]
pub(crate) struct SigV4Auth {
    pub(crate) access_key_id: String,
    pub(crate) scope: CredentialScope,
    pub(crate) request_time: DateTime<Utc>,
    /// Lowercase, strictly ascending, always contains `host`.
    pub(crate) signed_headers: Vec<String>,
    pub(crate) security_token: Option<crate::types::Secret>,
    pub(crate) location: AuthLocation,
    /// `X-Amz-Expires` in seconds; always `Some` for [`AuthLocation::Query`], `None` for headers.
    pub(crate) expires_in: Option<u32>,
    pub(super) signature: Signature,
}

/// `yyyymmddTHHMMSSZ`, the timestamp form used in `X-Amz-Date` and the string to sign.
pub(crate) fn to_amz_date(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}
