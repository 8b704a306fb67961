//! Server-side AWS Signature Version 4 verification: for our `sts` endpoint, and for requests
//! to resource servers relayed through `/authorize`.
//!
//! This module owns everything between "the request as received" and "this caller holds the
//! secret for this access key id": parsing the Authorization header or the presigned query
//! ([`parse`]), the clock-skew and expiry rules ([`check_time`]), and recomputing and comparing
//! the signature ([`verify`]). It does not look up access keys, decide whether a session token
//! is valid, or map errors to STS error codes; callers do that with the parsed [`SigV4Auth`].
//!
//! The usual order is `parse` → look up the secret by `access_key_id` → `check_time` →
//! `verify`. `parse` returns a value that is *not yet trusted*; only a successful `verify`
//! says its fields were signed by the holder of the secret.

mod canonical;
mod parse;
mod verify;

use std::fmt;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

pub use canonical::{
    canonical_request, payload_hash, sign, signing_key, string_to_sign, to_amz_date,
};
pub use parse::parse;
pub use verify::{check_time, verify};

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

/// The request as received, borrowed.
pub struct SignedRequest<'a> {
    pub method: &'a http::Method,
    /// Raw path and raw query exactly as received (still percent-encoded).
    pub uri: &'a http::Uri,
    pub headers: &'a http::HeaderMap,
    pub payload: Payload<'a>,
    /// The service the credential scope must name: `sts` for our own endpoint, the resource
    /// server's service for a request relayed to `/authorize`.
    pub service: &'a str,
}

/// What the signature covers of the request body.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    /// The body itself, as received: we hash it.
    Body(&'a [u8]),
    /// A hex SHA-256 (or `UNSIGNED-PAYLOAD`) computed by a resource server that received the
    /// body; it vouches for it, we only check the signature over it.
    Hash(&'a str),
}

impl Payload<'_> {
    pub fn hash(&self) -> String {
        match self {
            Self::Body(body) => payload_hash(body),
            Self::Hash(hash) => (*hash).to_owned(),
        }
    }
}

impl<'a> SignedRequest<'a> {
    /// Borrows the parts of an `http` request to our STS endpoint together with its
    /// already-buffered body.
    pub fn from_parts(parts: &'a http::request::Parts, body: &'a [u8]) -> Self {
        Self {
            method: &parts.method,
            uri: &parts.uri,
            headers: &parts.headers,
            payload: Payload::Body(body),
            service: SERVICE,
        }
    }
}

impl SignedRequest<'_> {
    fn payload_kind(&self) -> String {
        match self.payload {
            Payload::Body(b) => format!("{} body bytes", b.len()),
            Payload::Hash(_) => "declared hash".to_owned(),
        }
    }
}

// Hand-written so that logging a request never prints the Authorization header, a session token
// in a header, or a presigned query string (which carries the token and the signature).
impl fmt::Debug for SignedRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRequest")
            .field("method", self.method)
            .field("path", &self.uri.path())
            .field("header_names", &self.headers.keys().collect::<Vec<_>>())
            .field("payload", &self.payload_kind())
            .finish()
    }
}

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
/// is the constant-time one in [`verify`]. `Debug` hides the bytes because a valid signature on
/// a presigned URL is a bearer credential until it expires.
#[derive(Clone)]
struct Signature([u8; 32]);

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
    signature: Signature,
}

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

/// Fixtures shared by the tests of every file in this module: the §12 vectors as owned requests.
#[cfg(test)]
mod tests_support {
    use std::str::FromStr as _;

    use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
    use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

    use super::{
        AuthLocation, CredentialScope, SignedRequest, canonical_request, payload_hash, sign,
        signing_key, string_to_sign,
    };
    use crate::types::SecretAccessKey;

    pub(super) const T3_SIG: &str =
        "6fb20d31f734d876c5682fdd2678d194cf68b862755f83b7ba1373c0874be25c";
    pub(super) const T4_SIG: &str =
        "3b6449733de6f3b795180c2c72eee958e1f604e91df97b9d595ab3065c12e50c";
    pub(super) const T5_GET_SIG: &str =
        "1d10ef2bc2bb1b02201752f1912e9eb7a5df0d0d7bd2cc98b1f5557b7a9254be";
    pub(super) const T5_POST_SIG: &str =
        "3ee3bfc22ba6033aef30771984ac8bd07a9808b67020fc899b45c71b62a085d7";
    pub(super) const T4_TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLE";
    pub(super) const T3_BODY: &[u8] = b"Action=GetCallerIdentity&Version=2011-06-15";
    pub(super) const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

    /// An owned request that hands out [`SignedRequest`] views.
    #[derive(Debug, Clone)]
    pub(super) struct Req {
        pub(super) method: Method,
        pub(super) uri: Uri,
        pub(super) headers: HeaderMap,
        pub(super) body: Vec<u8>,
    }

    impl Req {
        pub(super) fn new(method: &str, uri: &str) -> Self {
            Self {
                method: Method::from_str(method).unwrap(),
                uri: Uri::from_str(uri).unwrap(),
                headers: HeaderMap::new(),
                body: Vec::new(),
            }
        }

        pub(super) fn header(self, name: &str, value: &str) -> Self {
            self.header_bytes(name, value.as_bytes())
        }

        pub(super) fn header_bytes(mut self, name: &str, value: &[u8]) -> Self {
            self.headers.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value).unwrap(),
            );
            self
        }

        /// Replaces every value of `name` with `value`.
        pub(super) fn set(mut self, name: &str, value: &str) -> Self {
            self.headers.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
            self
        }

        pub(super) fn without(mut self, name: &str) -> Self {
            self.headers.remove(name);
            self
        }

        /// Signs the request (header form) with the test secret, replacing any Authorization.
        pub(super) fn resign(self, signed_headers: &str, region: &str, at: DateTime<Utc>) -> Self {
            let signed: Vec<String> = signed_headers.split(';').map(str::to_owned).collect();
            let scope = CredentialScope {
                date: at.date_naive(),
                region: region.to_owned(),
                service: "sts".to_owned(),
            };
            let canonical = canonical_request(
                &self.signed(),
                &signed,
                AuthLocation::Header,
                &payload_hash(&self.body),
            )
            .unwrap();
            let key = signing_key(&secret(), scope.date, region, "sts");
            let sig = sign(&key, &string_to_sign(at, &scope, &canonical));
            let value = format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{scope}, SignedHeaders={signed_headers}, \
                 Signature={}",
                hex::encode(sig)
            );
            self.set("Authorization", &value)
        }

        pub(super) fn body(mut self, body: &[u8]) -> Self {
            self.body = body.to_vec();
            self
        }

        pub(super) fn signed(&self) -> SignedRequest<'_> {
            SignedRequest {
                method: &self.method,
                uri: &self.uri,
                headers: &self.headers,
                payload: crate::authn::sigv4::Payload::Body(&self.body),
                service: crate::authn::sigv4::SERVICE,
            }
        }
    }

    /// 2015-08-30T12:36:00Z, the time every vector was signed at.
    pub(super) fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2015, 8, 30, 12, 36, 0).unwrap()
    }

    pub(super) fn secret() -> SecretAccessKey {
        SecretAccessKey::parse("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap()
    }

    pub(super) fn sts_scope(region: &str) -> CredentialScope {
        CredentialScope {
            date: NaiveDate::from_ymd_opt(2015, 8, 30).unwrap(),
            region: region.to_owned(),
            service: "sts".to_owned(),
        }
    }

    pub(super) fn authorization(signed_headers: &str, signature: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, \
             SignedHeaders={signed_headers}, Signature={signature}"
        )
    }

    /// T3: POST `GetCallerIdentity` with long-term keys, Authorization header included.
    pub(super) fn t3() -> Req {
        Req::new("POST", "https://sts.amazonaws.com/")
            .header("Content-Type", FORM)
            .header("Host", "sts.amazonaws.com")
            .header("X-Amz-Date", "20150830T123600Z")
            .header(
                "Authorization",
                &authorization("content-type;host;x-amz-date", T3_SIG),
            )
            .body(T3_BODY)
    }

    /// T4: T3 with a session token header.
    pub(super) fn t4() -> Req {
        t3().header("X-Amz-Security-Token", T4_TOKEN).set(
            "Authorization",
            &authorization("content-type;host;x-amz-date;x-amz-security-token", T4_SIG),
        )
    }

    pub(super) const T5_QUERY: &str = "Action=GetCallerIdentity&Version=2011-06-15\
        &X-Amz-Algorithm=AWS4-HMAC-SHA256\
        &X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request\
        &X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host";

    /// T5: presigned `GetCallerIdentity` sent with `method`, carrying `signature`.
    pub(super) fn t5(method: &str, signature: &str) -> Req {
        Req::new(
            method,
            &format!("https://sts.amazonaws.com/?{T5_QUERY}&X-Amz-Signature={signature}"),
        )
        .header("Host", "sts.amazonaws.com")
    }
}
