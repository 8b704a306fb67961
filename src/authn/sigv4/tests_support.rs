//! Fixtures shared by the tests of every file in this module: the §12 vectors as owned
//! requests.

use std::str::FromStr as _;

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

use super::auth::{AuthLocation, CredentialScope, SERVICE};
use super::canonical::{canonical_request, sign, signing_key, string_to_sign};
use super::request::{Payload, SignedRequest, payload_hash};
use crate::types::SecretAccessKey;

pub(super) const T3_SIG: &str = "6fb20d31f734d876c5682fdd2678d194cf68b862755f83b7ba1373c0874be25c";
pub(super) const T4_SIG: &str = "3b6449733de6f3b795180c2c72eee958e1f604e91df97b9d595ab3065c12e50c";
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
            payload: Payload::Body(&self.body),
            service: SERVICE,
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
