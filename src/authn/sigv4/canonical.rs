//! The deterministic half of `SigV4`: canonical request, string to sign, signing key and
//! signature, exactly as a client computes them. Nothing here decides whether a request is
//! acceptable beyond "can it be canonicalised"; `parse` and `verify` do that.

use aws_lc_rs::hmac;
use chrono::{DateTime, NaiveDate, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};
use zeroize::Zeroizing;

use super::auth::{ALGORITHM, AuthLocation, CredentialScope, SCOPE_TERMINATOR, to_amz_date};
use super::error::SigV4Error;
use super::request::{SignedRequest, payload_hash};
use crate::types::SecretAccessKey;

/// RFC 3986 unreserved characters are the only ones `SigV4` leaves unencoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// Path segments additionally keep their `/` separators.
const PATH_UNRESERVED: &AsciiSet = &UNRESERVED.remove(b'/');

/// Query parameter whose value is the signature itself and so cannot be part of what is signed.
pub(super) const SIGNATURE_PARAM: &str = "X-Amz-Signature";

/// Builds the canonical request text:
/// `METHOD\nURI\nQUERY\nHEADERS\n\nSIGNED_HEADERS\nPAYLOAD_HASH`.
///
/// `signed_headers` must already be lowercase and sorted (as [`super::parse`] guarantees);
/// `location` decides whether `X-Amz-Signature` is left out of the query. Fails with
/// [`SigV4Error::Incomplete`] when a signed header is absent or its value is not UTF-8.
pub(crate) fn canonical_request(
    req: &SignedRequest<'_>,
    signed_headers: &[String],
    location: AuthLocation,
    payload_hash: &str,
) -> Result<String, SigV4Error> {
    let headers = canonical_headers(req, signed_headers)?;
    Ok(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method.as_str(),
        canonical_uri(req.uri.path()),
        canonical_query(req.uri.query().unwrap_or(""), location),
        headers,
        signed_headers.join(";"),
        payload_hash
    ))
}

/// `AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex sha256(canonical request)>`.
pub(crate) fn string_to_sign(
    request_time: DateTime<Utc>,
    scope: &CredentialScope,
    canonical_request: &str,
) -> String {
    format!(
        "{ALGORITHM}\n{}\n{scope}\n{}",
        to_amz_date(request_time),
        payload_hash(canonical_request.as_bytes())
    )
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
///
/// Intermediate keys are wiped on drop; the returned key is as sensitive as the secret for the
/// day/region/service it is scoped to, so callers should not keep it longer than needed.
pub(crate) fn signing_key(
    secret: &SecretAccessKey,
    date: NaiveDate,
    region: &str,
    service: &str,
) -> [u8; 32] {
    let mut seed = Zeroizing::new(Vec::with_capacity(4 + secret.expose().len()));
    seed.extend_from_slice(b"AWS4");
    seed.extend_from_slice(secret.expose().as_bytes());
    let date = date.format("%Y%m%d").to_string();
    let k_date = Zeroizing::new(hmac_sha256(&seed, date.as_bytes()));
    let k_region = Zeroizing::new(hmac_sha256(k_date.as_ref(), region.as_bytes()));
    let k_service = Zeroizing::new(hmac_sha256(k_region.as_ref(), service.as_bytes()));
    hmac_sha256(k_service.as_ref(), SCOPE_TERMINATOR.as_bytes())
}

/// The signature bytes: `HMAC(signing_key, string_to_sign)`.
pub(crate) fn sign(signing_key: &[u8; 32], string_to_sign: &str) -> [u8; 32] {
    hmac_sha256(signing_key, string_to_sign.as_bytes())
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let tag = hmac::sign(&key, data);
    // HMAC-SHA256 tags are always 32 bytes; zip avoids a panicking length assertion.
    let mut out = [0u8; 32];
    for (o, b) in out.iter_mut().zip(tag.as_ref()) {
        *o = *b;
    }
    out
}

/// Canonical URI for non-S3 services: the raw path with empty, `.` and `..` segments removed
/// (trailing slash kept), then percent-encoded once more on top of the encoding it arrived with,
/// which is what clients do (`%2F` → `%252F`).
fn canonical_uri(raw_path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in raw_path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut path = String::with_capacity(raw_path.len() + 1);
    path.push('/');
    path.push_str(&segments.join("/"));
    if !segments.is_empty() && raw_path.ends_with('/') {
        path.push('/');
    }
    percent_encode(path.as_bytes(), PATH_UNRESERVED).to_string()
}

/// Splits a raw query string into decoded `(name, value)` byte pairs, decoding exactly as the
/// action's parameters are decoded (`protocol::params`: form encoding, `+` is a space). The
/// signature must cover the values the action will read: were `+` kept literal here, a URL
/// presigned over `a%2Bb` would also verify as `a+b`, which the action reads as "a b". SDKs
/// always send `%2B`/`%20`, never a bare `+`, so nothing they sign changes meaning. Empty segments
/// are skipped like clients do, and a segment without `=` is a name with an empty value.
pub(super) fn query_pairs(raw_query: &str) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    let form_decode = |s: &str| -> Vec<u8> { percent_decode_str(&s.replace('+', " ")).collect() };
    raw_query
        .split('&')
        .filter(|s| !s.is_empty())
        .map(move |segment| {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            (form_decode(name), form_decode(value))
        })
}

/// Canonical query: every parameter decoded then re-encoded with the RFC 3986 set, sorted by
/// encoded name then encoded value, `X-Amz-Signature` dropped for presigned requests.
fn canonical_query(raw_query: &str, location: AuthLocation) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(raw_query)
        .filter(|(name, _)| {
            !(location == AuthLocation::Query && name.as_slice() == SIGNATURE_PARAM.as_bytes())
        })
        .map(|(name, value)| {
            (
                percent_encode(&name, UNRESERVED).to_string(),
                percent_encode(&value, UNRESERVED).to_string(),
            )
        })
        .collect();
    pairs.sort_unstable();
    let mut out = String::with_capacity(raw_query.len());
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// One `name:value\n` line per signed header. Repeated headers are joined with `,`, each value
/// trimmed with inner whitespace runs collapsed. `host` falls back to the URI authority because
/// HTTP/2 carries it as `:authority` rather than a Host header.
fn canonical_headers(
    req: &SignedRequest<'_>,
    signed_headers: &[String],
) -> Result<String, SigV4Error> {
    let mut out = String::new();
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        let mut values = req.headers.get_all(name.as_str()).iter().peekable();
        if values.peek().is_none() {
            let authority = req.uri.authority().filter(|_| name == "host");
            let Some(authority) = authority else {
                return Err(SigV4Error::Incomplete(format!(
                    "Signed header '{name}' is missing from the request."
                )));
            };
            // `user@` is not part of what a client puts in its Host header.
            let host = authority
                .as_str()
                .rsplit_once('@')
                .map_or(authority.as_str(), |(_, h)| h);
            out.push_str(host);
        }
        for (i, value) in values.enumerate() {
            let Ok(value) = std::str::from_utf8(value.as_bytes()) else {
                return Err(SigV4Error::Incomplete(format!(
                    "Signed header '{name}' has a value that is not UTF-8."
                )));
            };
            if i > 0 {
                out.push(',');
            }
            for (j, word) in value.split_ascii_whitespace().enumerate() {
                if j > 0 {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {

    #[test]
    fn plus_in_a_query_means_space_as_for_the_action() {
        let plus = canonical_query("Foo=a+b", AuthLocation::Query);
        let encoded_plus = canonical_query("Foo=a%2Bb", AuthLocation::Query);
        assert_eq!(plus, "Foo=a%20b");
        assert_eq!(encoded_plus, "Foo=a%2Bb");
        assert_ne!(
            plus, encoded_plus,
            "a signature over one must not verify the other"
        );
    }

    use super::*;
    use crate::authn::sigv4::tests_support::*;

    /// One known-answer vector; `None` where §12 does not list the intermediate value.
    struct Kat<'a> {
        signed: &'a [&'a str],
        location: AuthLocation,
        service: &'a str,
        canonical: Option<&'a str>,
        hash: &'a str,
        key: Option<&'a str>,
        sig: &'a str,
    }

    /// Runs the whole client-side computation and checks every intermediate value.
    fn check_kat(req: &SignedRequest<'_>, kat: &Kat<'_>) {
        let signed: Vec<String> = kat.signed.iter().map(|s| (*s).to_owned()).collect();
        let canonical = canonical_request(req, &signed, kat.location, &req.payload.hash()).unwrap();
        if let Some(expected) = kat.canonical {
            assert_eq!(canonical, expected);
        }
        assert_eq!(payload_hash(canonical.as_bytes()), kat.hash);
        let scope = CredentialScope {
            date: NaiveDate::from_ymd_opt(2015, 8, 30).unwrap(),
            region: "us-east-1".into(),
            service: kat.service.into(),
        };
        assert_eq!(
            scope.to_string(),
            format!("20150830/us-east-1/{}/aws4_request", kat.service)
        );
        let sts = string_to_sign(t0(), &scope, &canonical);
        assert_eq!(
            sts,
            format!("AWS4-HMAC-SHA256\n20150830T123600Z\n{scope}\n{}", kat.hash)
        );
        let key = signing_key(&secret(), scope.date, &scope.region, &scope.service);
        if let Some(expected) = kat.key {
            assert_eq!(hex::encode(key), expected);
        }
        assert_eq!(hex::encode(sign(&key, &sts)), kat.sig);
    }

    #[test]
    fn t1_iam_list_users() {
        let r = Req::new(
            "GET",
            "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
        )
        .header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .header("Host", "iam.amazonaws.com")
        .header("X-Amz-Date", "20150830T123600Z");
        check_kat(
            &r.signed(),
            &Kat {
                signed: &["content-type", "host", "x-amz-date"],
                location: AuthLocation::Header,
                service: "iam",
                canonical: Some(
                    "GET\n/\nAction=ListUsers&Version=2010-05-08\n\
                 content-type:application/x-www-form-urlencoded; charset=utf-8\n\
                 host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
                 content-type;host;x-amz-date\n\
                 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                ),
                hash: "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59",
                key: Some("c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"),
                sig: "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            },
        );
    }

    #[test]
    fn t2_get_vanilla() {
        let r = Req::new("GET", "/")
            .header("Host", "example.amazonaws.com")
            .header("X-Amz-Date", "20150830T123600Z");
        check_kat(
            &r.signed(),
            &Kat {
                signed: &["host", "x-amz-date"],
                location: AuthLocation::Header,
                service: "service",
                canonical: None,
                hash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
                key: None,
                sig: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            },
        );
    }

    #[test]
    fn t3_sts_post() {
        let r = t3();
        check_kat(
            &r.signed(),
            &Kat {
                signed: &["content-type", "host", "x-amz-date"],
                location: AuthLocation::Header,
                service: "sts",
                canonical: Some(
                    "POST\n/\n\n\
                 content-type:application/x-www-form-urlencoded; charset=utf-8\n\
                 host:sts.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
                 content-type;host;x-amz-date\n\
                 ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843",
                ),
                hash: "db0f231bd5fb16e6f5461c322c611c18d360f776c1ec9aea36032f7469ea7559",
                key: Some("a9d028e9e96178f3ed6acfa66eff308447119de7ba1dd1dc7b666bbcb5686dfd"),
                sig: T3_SIG,
            },
        );
    }

    #[test]
    fn t4_sts_post_with_token() {
        let r = t4();
        check_kat(
            &r.signed(),
            &Kat {
                signed: &["content-type", "host", "x-amz-date", "x-amz-security-token"],
                location: AuthLocation::Header,
                service: "sts",
                canonical: Some(
                    "POST\n/\n\n\
                 content-type:application/x-www-form-urlencoded; charset=utf-8\n\
                 host:sts.amazonaws.com\nx-amz-date:20150830T123600Z\n\
                 x-amz-security-token:AQoDYXdzEPT//////////wEXAMPLE\n\n\
                 content-type;host;x-amz-date;x-amz-security-token\n\
                 ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843",
                ),
                hash: "fad058b7ea2aa022fac0fe915118400a068a3df92f28366fb25ee98fd4a8a45c",
                key: None,
                sig: T4_SIG,
            },
        );
    }

    #[test]
    fn t5_presigned_get_and_post() {
        let expected_query = "Action=GetCallerIdentity&Version=2011-06-15\
            &X-Amz-Algorithm=AWS4-HMAC-SHA256\
            &X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request\
            &X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host";
        let get = t5("GET", T5_GET_SIG);
        check_kat(
            &get.signed(),
            &Kat {
                signed: &["host"],
                location: AuthLocation::Query,
                service: "sts",
                canonical: Some(&format!(
                    "GET\n/\n{expected_query}\nhost:sts.amazonaws.com\n\nhost\n\
                 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
                )),
                hash: "73bb7a94b5b19a651b76eda12f76bdb787ac5c687807cef57fa0c9dc466149a3",
                key: None,
                sig: T5_GET_SIG,
            },
        );
        let post = t5("POST", T5_POST_SIG);
        let canonical = canonical_request(
            &post.signed(),
            &["host".to_owned()],
            AuthLocation::Query,
            &payload_hash(b""),
        )
        .unwrap();
        let scope = sts_scope("us-east-1");
        let sig = sign(
            &signing_key(&secret(), scope.date, "us-east-1", "sts"),
            &string_to_sign(t0(), &scope, &canonical),
        );
        assert_eq!(hex::encode(sig), T5_POST_SIG);
    }

    #[test]
    fn canonical_uri_normalises_then_double_encodes() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("/a/./b/../c/"), "/a/c/");
        assert_eq!(canonical_uri("/a//b"), "/a/b");
        assert_eq!(canonical_uri("/../.."), "/");
        assert_eq!(canonical_uri("/a%2Fb"), "/a%252Fb");
        assert_eq!(canonical_uri("/a b:c~d"), "/a%20b%3Ac~d");
    }

    #[test]
    fn canonical_query_encoding_and_ordering() {
        let q = |raw| canonical_query(raw, AuthLocation::Query);
        assert_eq!(q(""), "");
        assert_eq!(q("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(q("flag&x="), "flag=&x=");
        assert_eq!(q("a=x+y&b=x%20y&c=%7e%2d"), "a=x%20y&b=x%20y&c=~-");
        assert_eq!(q("a=1&&b=2"), "a=1&b=2");
        assert_eq!(q("k=%zz&e=%E2%82%AC"), "e=%E2%82%AC&k=%25zz");
        assert_eq!(q("X-Amz-Signature=ab&a=1"), "a=1");
        assert_eq!(
            canonical_query("X-Amz-Signature=ab", AuthLocation::Header),
            "X-Amz-Signature=ab"
        );
        // Sorting is on the encoded form, byte-wise, which puts `%..` before letters.
        assert_eq!(q("a=b&%21=c&A=d"), "%21=c&A=d&a=b");
    }

    #[test]
    fn canonical_headers_trim_collapse_join_and_host_fallback() {
        let r = Req::new("GET", "https://user@example.com:8443/")
            .header("X-Multi", "  a   b\t c  ")
            .header("X-Multi", "d");
        let signed = ["host".to_owned(), "x-multi".to_owned()];
        assert_eq!(
            canonical_headers(&r.signed(), &signed).unwrap(),
            "host:example.com:8443\nx-multi:a b c,d\n"
        );
        let r = Req::new("GET", "/").header("Host", "h");
        let err = canonical_headers(&r.signed(), &["x-missing".to_owned()]).unwrap_err();
        assert!(matches!(err, SigV4Error::Incomplete(_)));
        let r = Req::new("GET", "/").header_bytes("X-Bin", b"\xff\xfe");
        let err = canonical_headers(&r.signed(), &["x-bin".to_owned()]).unwrap_err();
        assert!(matches!(err, SigV4Error::Incomplete(_)));
    }
}
