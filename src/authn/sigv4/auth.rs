//! What a request says about its signature, as `parse` reads it: where it travelled, the
//! credential scope, the signature bytes (compared only in constant time), and the fixed values
//! and bounds of the `AWS4-HMAC-SHA256` scheme. Types only; `canonical`, `parse` and `verify`
//! all build on them.

use std::fmt;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

/// The only signing algorithm accepted.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The only service name accepted in a credential scope.
pub const SERVICE: &str = "sts";
/// The fixed last element of every credential scope.
pub const SCOPE_TERMINATOR: &str = "aws4_request";
/// Clock skew AWS tolerates between the request time and the server's clock.
pub const MAX_SKEW: TimeDelta = TimeDelta::minutes(15);
/// Longest presigned lifetime AWS accepts in `X-Amz-Expires` (7 days).
pub const MAX_PRESIGN_EXPIRES: u32 = 604_800;
/// Authorization headers longer than this are rejected before any parsing, so a hostile client
/// cannot make us split and validate megabytes of text.
pub const MAX_AUTHORIZATION_LEN: usize = 4096;
/// Upper bound on the number of signed headers; real clients sign three to six.
pub const MAX_SIGNED_HEADERS: usize = 64;

/// Where the signature travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthLocation {
    /// `Authorization: AWS4-HMAC-SHA256 ...` header.
    Header,
    /// Presigned URL: `X-Amz-Algorithm`, `X-Amz-Credential`, ... query parameters.
    Query,
}

/// `<yyyymmdd>/<region>/<service>/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    pub date: NaiveDate,
    pub region: String,
    pub service: String,
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
pub struct SigV4Auth {
    pub access_key_id: String,
    pub scope: CredentialScope,
    pub request_time: DateTime<Utc>,
    /// Lowercase, strictly ascending, always contains `host`.
    pub signed_headers: Vec<String>,
    pub security_token: Option<crate::types::Secret>,
    pub location: AuthLocation,
    /// `X-Amz-Expires` in seconds; always `Some` for [`AuthLocation::Query`], `None` for headers.
    pub expires_in: Option<u32>,
    pub(super) signature: Signature,
}

/// `yyyymmddTHHMMSSZ`, the timestamp form used in `X-Amz-Date` and the string to sign.
pub fn to_amz_date(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}
