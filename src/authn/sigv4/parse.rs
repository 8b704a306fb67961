//! Turning the untrusted Authorization header or presigned query parameters into a typed
//! [`SigV4Auth`]. Everything structural is checked here (shape, bounds, which headers must be
//! signed, scope date against request date) so that `verify` only has to recompute and compare.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use http::header::AUTHORIZATION;

use super::auth::{
    ALGORITHM, AuthLocation, CredentialScope, MAX_AUTHORIZATION_LEN, MAX_PRESIGN_EXPIRES,
    MAX_SIGNED_HEADERS, SCOPE_TERMINATOR, SigV4Auth, Signature,
};
use super::canonical::{SIGNATURE_PARAM, query_pairs};
use super::error::SigV4Error;
use super::request::SignedRequest;
use crate::types::Secret;

const ALGORITHM_PARAM: &str = "X-Amz-Algorithm";
const CREDENTIAL_PARAM: &str = "X-Amz-Credential";
const DATE_PARAM: &str = "X-Amz-Date";
const EXPIRES_PARAM: &str = "X-Amz-Expires";
const SIGNED_HEADERS_PARAM: &str = "X-Amz-SignedHeaders";
const TOKEN_PARAM: &str = "X-Amz-Security-Token";

const TOKEN_HEADER: &str = "x-amz-security-token";
const DATE_HEADER: &str = "x-amz-date";

/// Longest access key id we bother to carry around; AWS's are 16..=128.
const MAX_ACCESS_KEY_ID_LEN: usize = 128;
/// Longest region name accepted; real ones are under 20 characters.
const MAX_REGION_LEN: usize = 64;

const MISSING_QUERY_PARAMS: &str = "AWS query-string parameters must include 'X-Amz-Algorithm', \
    'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', and \
    'X-Amz-Expires'. Re-examine the query-string parameters.";

fn incomplete(msg: impl Into<String>) -> SigV4Error {
    SigV4Error::Incomplete(msg.into())
}

/// Parses the `SigV4` authentication a request carries, without checking the signature or time.
///
/// `Ok(None)` when the request carries no `SigV4` auth at all: no Authorization header and none of
/// `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Signature` in the query (anonymous actions such
/// as `AssumeRoleWithWebIdentity`).
pub(crate) fn parse(req: &SignedRequest<'_>) -> Result<Option<SigV4Auth>, SigV4Error> {
    let authorization = single_header(req, AUTHORIZATION.as_str())?;
    let raw_query = req.uri.query().unwrap_or("");
    // `X-Amz-Credential` alone also counts: a half-presigned URL is a broken signature, not an
    // anonymous request.
    let query_auth = query_pairs(raw_query).any(|(name, _)| {
        [ALGORITHM_PARAM, CREDENTIAL_PARAM, SIGNATURE_PARAM]
            .iter()
            .any(|p| name.as_slice() == p.as_bytes())
    });
    let parsed = match (authorization, query_auth) {
        (None, false) => return Ok(None),
        (Some(_), true) => {
            return Err(incomplete(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, \
                 Signature query string parameter or the Authorization header should be \
                 specified",
            ));
        }
        (Some(value), false) => parse_header_form(req, value)?,
        (None, true) => parse_query_form(raw_query)?,
    };
    let Parsed {
        credential,
        signed_headers,
        signature,
        request_time,
        expires_in,
        location,
    } = parsed;
    let (access_key_id, scope) = parse_credential(&credential, req.service)?;
    if scope.date != request_time.date_naive() {
        return Err(SigV4Error::ScopeDateMismatch);
    }
    let signed_headers = parse_signed_headers(&signed_headers)?;
    for name in &signed_headers {
        let present = req.headers.contains_key(name.as_str())
            || (name == "host" && req.uri.authority().is_some());
        if !present {
            return Err(incomplete(format!(
                "Signed header '{name}' is missing from the request."
            )));
        }
    }
    if location == AuthLocation::Header {
        let signs = |h: &str| signed_headers.iter().any(|s| s == h);
        if req.headers.contains_key(DATE_HEADER) && !signs(DATE_HEADER) {
            return Err(incomplete("The X-Amz-Date header must be signed."));
        }
        if !req.headers.contains_key(DATE_HEADER) && !signs("date") {
            return Err(incomplete("The Date header must be signed."));
        }
    }
    let security_token = security_token(req, raw_query, &signed_headers)?;
    Ok(Some(SigV4Auth {
        access_key_id,
        scope,
        request_time,
        signed_headers,
        security_token,
        location,
        expires_in,
        signature: parse_signature(&signature)?,
    }))
}

/// The raw components both forms share before their individual validation.
struct Parsed {
    credential: String,
    signed_headers: String,
    signature: String,
    request_time: DateTime<Utc>,
    expires_in: Option<u32>,
    location: AuthLocation,
}

fn parse_header_form(req: &SignedRequest<'_>, authorization: &str) -> Result<Parsed, SigV4Error> {
    // Bound the work before splitting anything.
    if authorization.len() > MAX_AUTHORIZATION_LEN {
        return Err(incomplete(format!(
            "The Authorization header is longer than {MAX_AUTHORIZATION_LEN} bytes."
        )));
    }
    let value = authorization.trim();
    let (algorithm, rest) = value
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((value, ""));
    if algorithm.is_empty() {
        return Err(incomplete("The Authorization header is empty."));
    }
    if algorithm != ALGORITHM {
        return Err(SigV4Error::UnsupportedAlgorithm(sanitize(algorithm)));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    // Clients separate components with ", " or ","; values never contain either, so any run of
    // commas and spaces is one separator.
    for part in rest
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|p| !p.is_empty())
    {
        let Some((key, value)) = part.split_once('=') else {
            return Err(incomplete(
                "Authorization header components must be of the form key=value.",
            ));
        };
        let (slot, name) = match key {
            "Credential" => (&mut credential, "Credential"),
            "SignedHeaders" => (&mut signed_headers, "SignedHeaders"),
            "Signature" => (&mut signature, "Signature"),
            _ => return Err(incomplete("Authorization header has an unknown component.")),
        };
        if slot.replace(value).is_some() {
            return Err(incomplete(format!(
                "Authorization header has more than one '{name}'."
            )));
        }
    }
    let mut missing = Vec::new();
    for (present, name) in [
        (credential.is_some(), "Credential"),
        (signature.is_some(), "Signature"),
        (signed_headers.is_some(), "SignedHeaders"),
    ] {
        if !present {
            missing.push(format!("Authorization header requires '{name}' parameter."));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(SigV4Error::Incomplete(missing.join(" ")));
    };
    let request_time = if let Some(date) = single_header(req, DATE_HEADER)? {
        parse_amz_date(date).ok_or_else(bad_amz_date)?
    } else if let Some(date) = single_header(req, "date")? {
        DateTime::parse_from_rfc2822(date)
            .map_err(|_| incomplete("The Date header must be an RFC 1123 date."))?
            .with_timezone(&Utc)
    } else {
        return Err(incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' \
             header.",
        ));
    };
    Ok(Parsed {
        credential: credential.to_owned(),
        signed_headers: signed_headers.to_owned(),
        signature: signature.to_owned(),
        request_time,
        expires_in: None,
        location: AuthLocation::Header,
    })
}

fn parse_query_form(raw_query: &str) -> Result<Parsed, SigV4Error> {
    let algorithm = single_param(raw_query, ALGORITHM_PARAM)?;
    let credential = single_param(raw_query, CREDENTIAL_PARAM)?;
    let signature = single_param(raw_query, SIGNATURE_PARAM)?;
    let date = single_param(raw_query, DATE_PARAM)?;
    let signed_headers = single_param(raw_query, SIGNED_HEADERS_PARAM)?;
    let expires = single_param(raw_query, EXPIRES_PARAM)?;
    let (
        Some(algorithm),
        Some(credential),
        Some(signature),
        Some(date),
        Some(signed_headers),
        Some(expires),
    ) = (
        algorithm,
        credential,
        signature,
        date,
        signed_headers,
        expires,
    )
    else {
        return Err(incomplete(MISSING_QUERY_PARAMS));
    };
    if algorithm != ALGORITHM {
        return Err(SigV4Error::UnsupportedAlgorithm(sanitize(&algorithm)));
    }
    let request_time = parse_amz_date(&date).ok_or_else(bad_amz_date)?;
    Ok(Parsed {
        credential,
        signed_headers,
        signature,
        request_time,
        expires_in: Some(parse_expires(&expires)?),
        location: AuthLocation::Query,
    })
}

/// Whole seconds in `1..=604800`, digits only (no sign, no spaces).
fn parse_expires(s: &str) -> Result<u32, SigV4Error> {
    let bad = || {
        incomplete(format!(
            "X-Amz-Expires must be a whole number of seconds from 1 to {MAX_PRESIGN_EXPIRES}."
        ))
    };
    if s.is_empty() || s.len() > 7 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let secs: u32 = s.parse().map_err(|_| bad())?;
    if (1..=MAX_PRESIGN_EXPIRES).contains(&secs) {
        Ok(secs)
    } else {
        Err(bad())
    }
}

/// Reads a header that may appear at most once, as UTF-8.
fn single_header<'r>(req: &SignedRequest<'r>, name: &str) -> Result<Option<&'r str>, SigV4Error> {
    let mut values = req.headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(incomplete(format!(
            "The request has more than one '{name}' header."
        )));
    }
    std::str::from_utf8(first.as_bytes())
        .map(Some)
        .map_err(|_| incomplete(format!("The '{name}' header is not UTF-8.")))
}

/// Reads a query parameter that may appear at most once, percent-decoded, as UTF-8.
fn single_param(raw_query: &str, name: &str) -> Result<Option<String>, SigV4Error> {
    let mut found = None;
    for (key, value) in query_pairs(raw_query) {
        if key.as_slice() != name.as_bytes() {
            continue;
        }
        if found.is_some() {
            return Err(incomplete(format!(
                "The query has more than one '{name}' parameter."
            )));
        }
        let value = String::from_utf8(value)
            .map_err(|_| incomplete(format!("The '{name}' query parameter is not UTF-8.")))?;
        found = Some(value);
    }
    Ok(found)
}

fn bad_amz_date() -> SigV4Error {
    incomplete("X-Amz-Date must be in the ISO8601 basic format yyyyMMdd'T'HHmmss'Z'.")
}

/// Strict `yyyymmddTHHMMSSZ`; chrono's parser alone would accept signs and extra digits.
fn parse_amz_date(s: &str) -> Option<DateTime<Utc>> {
    let shape_ok = s.len() == 16
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 => b == b'T',
            15 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc())
}

/// `AKID/yyyymmdd/region/service/aws4_request`. Any region is accepted because clients sign with
/// whatever region they are configured for, not the one the server runs in.
fn parse_credential(
    credential: &str,
    expected_service: &str,
) -> Result<(String, CredentialScope), SigV4Error> {
    let mut parts = credential.split('/');
    let (Some(akid), Some(date), Some(region), Some(service), Some(terminator), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(incomplete(
            "Credential must have the form <access key id>/<yyyymmdd>/<region>/<service>/\
             aws4_request.",
        ));
    };
    if terminator != SCOPE_TERMINATOR {
        return Err(incomplete(
            "Credential should be scoped with a valid terminator: 'aws4_request'.",
        ));
    }
    if service != expected_service {
        return Err(SigV4Error::WrongService(expected_service.to_owned()));
    }
    if akid.is_empty()
        || akid.len() > MAX_ACCESS_KEY_ID_LEN
        || !akid.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(incomplete("Credential has an invalid access key id."));
    }
    if region.is_empty()
        || region.len() > MAX_REGION_LEN
        || !region.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(incomplete("Credential should be scoped to a valid region."));
    }
    let date = (date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()))
        .then(|| NaiveDate::parse_from_str(date, "%Y%m%d").ok())
        .flatten()
        .ok_or_else(|| incomplete("Credential has an invalid date; expected yyyymmdd."))?;
    Ok((
        akid.to_owned(),
        CredentialScope {
            date,
            region: region.to_owned(),
            service: service.to_owned(),
        },
    ))
}

/// `a;b;c`: lowercase header names, strictly ascending (so sorted and unique), bounded in
/// number, and always including `host` so a signature cannot be replayed against another host.
fn parse_signed_headers(list: &str) -> Result<Vec<String>, SigV4Error> {
    if list.len() > MAX_AUTHORIZATION_LEN
        || list.bytes().filter(|b| *b == b';').count() >= MAX_SIGNED_HEADERS
    {
        return Err(incomplete(format!(
            "SignedHeaders may list at most {MAX_SIGNED_HEADERS} headers."
        )));
    }
    let mut names: Vec<String> = Vec::new();
    for name in list.split(';') {
        let valid = !name.is_empty() && name.bytes().all(is_lower_tchar);
        let ascending = names.last().is_none_or(|prev| prev.as_str() < name);
        if !valid || !ascending {
            return Err(incomplete(
                "SignedHeaders must be lowercase header names, sorted, without duplicates.",
            ));
        }
        names.push(name.to_owned());
    }
    if !names.iter().any(|n| n == "host") {
        return Err(incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    Ok(names)
}

/// RFC 9110 token characters, minus uppercase letters.
fn is_lower_tchar(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Exactly 64 hex digits.
fn parse_signature(sig: &str) -> Result<Signature, SigV4Error> {
    let mut bytes = [0u8; 32];
    if sig.len() != 64 || hex::decode_to_slice(sig, &mut bytes).is_err() {
        return Err(incomplete("Signature must be 64 hexadecimal characters."));
    }
    Ok(Signature(bytes))
}

/// The session token travels in the `X-Amz-Security-Token` header or query parameter. A header
/// token must be signed (otherwise it could be swapped in transit); a query token is always
/// covered by the canonical query. Both at once is ambiguous and rejected.
fn security_token(
    req: &SignedRequest<'_>,
    raw_query: &str,
    signed_headers: &[String],
) -> Result<Option<Secret>, SigV4Error> {
    let header = single_header(req, TOKEN_HEADER)?;
    if header.is_some() && !signed_headers.iter().any(|s| s == TOKEN_HEADER) {
        return Err(incomplete(
            "The X-Amz-Security-Token header must be signed.",
        ));
    }
    let param = single_param(raw_query, TOKEN_PARAM)?;
    match (header, param) {
        (Some(_), Some(_)) => Err(incomplete(
            "X-Amz-Security-Token must be sent either as a header or as a query parameter, not \
             both.",
        )),
        (Some(token), None) => Ok(Some(Secret::new(token))),
        (None, Some(token)) => Ok(Some(Secret::new(token))),
        (None, None) => Ok(None),
    }
}

/// Client-supplied text echoed in an error: short, printable, no quotes.
fn sanitize(s: &str) -> String {
    s.chars()
        .take(32)
        .map(|c| {
            if c.is_ascii_graphic() && c != '\'' && c != '"' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::authn::sigv4::tests_support::*;

    const SH: &str = "content-type;host;x-amz-date";

    fn parse_err(req: &Req) -> SigV4Error {
        parse(&req.signed()).unwrap_err()
    }

    fn with_auth(value: &str) -> Req {
        t3().set("Authorization", value)
    }

    fn assert_incomplete(req: &Req, needle: &str) {
        match parse_err(req) {
            SigV4Error::Incomplete(msg) => {
                assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
            }
            other => panic!("expected Incomplete({needle}), got {other:?}"),
        }
    }

    fn presigned(query: &str) -> Req {
        Req::new("GET", &format!("https://sts.amazonaws.com/?{query}"))
            .header("Host", "sts.amazonaws.com")
    }

    #[test]
    fn no_auth_at_all_is_none() {
        let anon = Req::new("POST", "https://sts.amazonaws.com/")
            .header("Host", "sts.amazonaws.com")
            .header("X-Amz-Date", "20150830T123600Z")
            .body(b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15");
        assert!(parse(&anon.signed()).unwrap().is_none());
        let get = presigned("Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Date=x");
        assert!(parse(&get.signed()).unwrap().is_none());
    }

    #[test]
    fn separator_variations_are_tolerated() {
        let compact = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request,\
             SignedHeaders={SH},Signature={T3_SIG}"
        );
        let spaced = format!(
            "  AWS4-HMAC-SHA256   Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request ,  \
             Signature={T3_SIG},SignedHeaders={SH}  "
        );
        for value in [compact, spaced] {
            let auth = parse(&with_auth(&value).signed()).unwrap().unwrap();
            assert_eq!(auth.signed_headers, ["content-type", "host", "x-amz-date"]);
        }
    }

    #[test]
    fn missing_or_malformed_authorization_components() {
        let cred = "Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request";
        let sh = format!("SignedHeaders={SH}");
        let sig = format!("Signature={T3_SIG}");
        let cases = [
            (
                format!("AWS4-HMAC-SHA256 {cred}, {sh}"),
                "requires 'Signature'",
            ),
            (
                format!("AWS4-HMAC-SHA256 {sh}, {sig}"),
                "requires 'Credential'",
            ),
            (
                format!("AWS4-HMAC-SHA256 {cred}, {sig}"),
                "requires 'SignedHeaders'",
            ),
            ("AWS4-HMAC-SHA256".to_owned(), "requires 'Credential'"),
            (String::new(), "empty"),
            (
                format!("AWS4-HMAC-SHA256 {cred}, {sh}, {sig}, {sig}"),
                "more than one 'Signature'",
            ),
            (
                format!("AWS4-HMAC-SHA256 {cred}, {sh}, {sig}, Foo=bar"),
                "unknown component",
            ),
            (
                format!("AWS4-HMAC-SHA256 {cred}, {sh}, {sig}, junk"),
                "key=value",
            ),
            (
                format!(
                    "AWS4-HMAC-SHA256 {cred}, {sh}, Signature=zz{}",
                    &T3_SIG[2..]
                ),
                "64 hex",
            ),
            (
                format!("AWS4-HMAC-SHA256 {cred}, {sh}, Signature={}", &T3_SIG[1..]),
                "64 hex",
            ),
            (
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts, {sh}, {sig}"
                ),
                "Credential must have the form",
            ),
            (
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request/x, \
                     {sh}, {sig}"
                ),
                "Credential must have the form",
            ),
            (
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws5_request, \
                     {sh}, {sig}"
                ),
                "terminator",
            ),
            (
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2015083/us-east-1/sts/aws4_request, {sh}, {sig}"
                ),
                "invalid date",
            ),
            (
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830//sts/aws4_request, {sh}, {sig}"
                ),
                "valid region",
            ),
            (
                format!(
                    "AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/sts/aws4_request, {sh}, {sig}"
                ),
                "access key id",
            ),
        ];
        for (value, needle) in cases {
            assert_incomplete(&with_auth(&value), needle);
        }
    }

    #[test]
    fn malformed_or_absent_signed_headers() {
        let cred = "Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request";
        let sig = format!("Signature={T3_SIG}");
        let cases = [
            (
                format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders=content-type;x-amz-date, {sig}"),
                "'Host'",
            ),
            (
                format!(
                    "AWS4-HMAC-SHA256 {cred}, SignedHeaders=host;content-type;x-amz-date, {sig}"
                ),
                "sorted",
            ),
            (
                format!(
                    "AWS4-HMAC-SHA256 {cred}, SignedHeaders=Content-Type;host;x-amz-date, {sig}"
                ),
                "lowercase",
            ),
            (
                format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders=host;host;x-amz-date, {sig}"),
                "duplicates",
            ),
            (
                format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders=;host;x-amz-date, {sig}"),
                "lowercase",
            ),
            (
                format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders=content-type;host, {sig}"),
                "X-Amz-Date header must be signed",
            ),
            (
                format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders={SH};x-zz-absent, {sig}"),
                "'x-zz-absent' is missing",
            ),
        ];
        for (value, needle) in cases {
            assert_incomplete(&with_auth(&value), needle);
        }
    }

    #[test]
    fn bounded_work() {
        let long = format!(
            "{} {}",
            authorization(SH, T3_SIG),
            "x".repeat(MAX_AUTHORIZATION_LEN)
        );
        assert_incomplete(&with_auth(&long), "longer than");
        let many: Vec<String> = (0..MAX_SIGNED_HEADERS)
            .map(|i| format!("x-h{i:03}"))
            .collect();
        let many = format!("host;{}", many.join(";"));
        assert_incomplete(&with_auth(&authorization(&many, T3_SIG)), "at most 64");
    }

    #[test]
    fn algorithm_service_and_scope_date() {
        let sigv2 = with_auth("AWS AKIDEXAMPLE:c2lnbmF0dXJl");
        assert_eq!(
            parse_err(&sigv2),
            SigV4Error::UnsupportedAlgorithm("AWS".to_owned())
        );
        let sha1 = with_auth(&authorization(SH, T3_SIG).replace("SHA256", "SHA1"));
        assert_eq!(
            parse_err(&sha1),
            SigV4Error::UnsupportedAlgorithm("AWS4-HMAC-SHA1".to_owned())
        );
        let iam = with_auth(&authorization(SH, T3_SIG).replace("/sts/", "/iam/"));
        let err = parse_err(&iam);
        assert_eq!(err, SigV4Error::WrongService("sts".to_owned()));
        assert_eq!(
            err.to_string(),
            "Credential should be scoped to correct service: 'sts'."
        );
        let other_day = with_auth(&authorization(SH, T3_SIG).replace("20150830/", "20150831/"));
        assert_eq!(parse_err(&other_day), SigV4Error::ScopeDateMismatch);
    }

    #[test]
    fn dates() {
        assert_incomplete(
            &t3().without("X-Amz-Date"),
            "either a 'X-Amz-Date' or a 'Date'",
        );
        for bad in [
            "2015-08-30T12:36:00Z",
            "20150830T123600",
            "20150830t123600Z",
            "20151330T123600Z",
            "+0150830T123600Z",
        ] {
            assert_incomplete(&t3().set("X-Amz-Date", bad), "ISO8601");
        }
        assert_incomplete(
            &t3().header("X-Amz-Date", "20150830T123600Z"),
            "more than one",
        );
        let date = t3()
            .without("X-Amz-Date")
            .header("Date", "Sun, 30 Aug 2015 12:36:00 GMT");
        assert_incomplete(
            &date
                .clone()
                .set("Authorization", &authorization("content-type;host", T3_SIG)),
            "Date header must be signed",
        );
        let signed = date.set(
            "Authorization",
            &authorization("content-type;date;host", T3_SIG),
        );
        assert_eq!(parse(&signed.signed()).unwrap().unwrap().request_time, t0());
        let bad = t3().without("X-Amz-Date").header("Date", "yesterday");
        assert_incomplete(
            &bad.set(
                "Authorization",
                &authorization("content-type;date;host", T3_SIG),
            ),
            "RFC 1123",
        );
    }

    #[test]
    fn session_token_rules() {
        let unsigned = t3().header("X-Amz-Security-Token", T4_TOKEN);
        assert_incomplete(&unsigned, "X-Amz-Security-Token header must be signed");
        let mut both = t4();
        both.uri = "https://sts.amazonaws.com/?X-Amz-Security-Token=x"
            .parse()
            .unwrap();
        assert_incomplete(&both, "not both");
        let twice = t4().header("X-Amz-Security-Token", T4_TOKEN);
        assert_incomplete(&twice, "more than one");
    }

    #[test]
    fn header_and_query_auth_together() {
        let mut req = t3();
        req.uri = format!("https://sts.amazonaws.com/?{T5_QUERY}&X-Amz-Signature={T5_GET_SIG}")
            .parse()
            .unwrap();
        assert_incomplete(&req, "Only one auth mechanism");
    }

    #[test]
    fn presigned_query_validation() {
        let base = format!("{T5_QUERY}&X-Amz-Signature={T5_GET_SIG}");
        let auth = parse(&presigned(&base).signed()).unwrap().unwrap();
        assert_eq!(auth.expires_in, Some(60));
        for missing in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&",
            "X-Amz-Expires=60&",
            "X-Amz-Date=20150830T123600Z&",
            "X-Amz-SignedHeaders=host",
        ] {
            assert_incomplete(&presigned(&base.replace(missing, "")), "must include");
        }
        assert_incomplete(&presigned(T5_QUERY), "must include");
        assert_incomplete(
            &presigned("X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request"),
            "must include",
        );
        for bad in ["0", "604801", "-1", "abc", "", "60.0", "99999999999"] {
            let q = base.replace("X-Amz-Expires=60", &format!("X-Amz-Expires={bad}"));
            assert_incomplete(&presigned(&q), "X-Amz-Expires");
        }
        let week = base.replace("X-Amz-Expires=60", "X-Amz-Expires=604800");
        assert_eq!(
            parse(&presigned(&week).signed())
                .unwrap()
                .unwrap()
                .expires_in,
            Some(604_800)
        );
        let dup = format!("{base}&X-Amz-Date=20150830T123600Z");
        assert_incomplete(&presigned(&dup), "more than one");
        let sha1 = base.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1");
        assert_eq!(
            parse_err(&presigned(&sha1)),
            SigV4Error::UnsupportedAlgorithm("AWS4-HMAC-SHA1".to_owned())
        );
        let iam = base.replace("%2Fsts%2F", "%2Fiam%2F");
        assert_eq!(
            parse_err(&presigned(&iam)),
            SigV4Error::WrongService("sts".to_owned())
        );
        let no_host = base.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date");
        assert_incomplete(&presigned(&no_host), "'Host'");
        let token = format!("{base}&X-Amz-Security-Token=AQo%2F%2Fx");
        let auth = parse(&presigned(&token).signed()).unwrap().unwrap();
        assert_eq!(auth.security_token.unwrap().expose(), "AQo//x");
        let bad_utf8 = base.replace("X-Amz-Date=20150830T123600Z", "X-Amz-Date=%FF");
        assert_incomplete(&presigned(&bad_utf8), "not UTF-8");
    }

    #[test]
    fn non_utf8_signed_header_is_incomplete() {
        let req = t3()
            .set(
                "Authorization",
                &authorization("content-type;host;x-amz-date;x-bin", T3_SIG),
            )
            .header_bytes("X-Bin", b"\xff");
        let auth = parse(&req.signed()).unwrap().unwrap();
        let err = crate::authn::sigv4::verify(&req.signed(), &auth, &secret()).unwrap_err();
        assert!(matches!(err, SigV4Error::Incomplete(_)), "{err:?}");
    }

    /// Authorization values built from the grammar's own pieces, to get past the first checks.
    fn authorization_like() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("AWS4-HMAC-SHA256".to_owned()),
            Just("Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request".to_owned()),
            Just(format!("SignedHeaders={SH}")),
            Just(format!("Signature={T3_SIG}")),
            Just("Credential=".to_owned()),
            Just("SignedHeaders=host;;".to_owned()),
            Just("=".to_owned()),
            "[ -~]{0,40}",
        ];
        let sep = prop_oneof![
            Just(" "),
            Just(","),
            Just(", "),
            Just(""),
            Just("/"),
            Just(";")
        ];
        prop::collection::vec((piece, sep), 0..8)
            .prop_map(|v| v.into_iter().flat_map(|(p, s)| [p, s.to_owned()]).collect())
    }

    fn query_like() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("X-Amz-Algorithm=AWS4-HMAC-SHA256".to_owned()),
            Just(
                "X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request"
                    .to_owned()
            ),
            Just("X-Amz-Date=20150830T123600Z".to_owned()),
            Just("X-Amz-Expires=60".to_owned()),
            Just("X-Amz-SignedHeaders=host".to_owned()),
            Just(format!("X-Amz-Signature={T5_GET_SIG}")),
            Just("X-Amz-Security-Token=%FF%00".to_owned()),
            "[A-Za-z0-9%=._~+-]{0,30}",
        ];
        prop::collection::vec(piece, 0..10).prop_map(|v| v.join("&"))
    }

    /// parse (and, when it succeeds, time check and verify) never panic.
    fn exercise(req: &Req) {
        if let Ok(Some(auth)) = parse(&req.signed()) {
            let _ = crate::authn::sigv4::check_time(&auth, t0());
            let _ = crate::authn::sigv4::verify(&req.signed(), &auth, &secret());
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_authorization(value in prop_oneof![authorization_like(), "\\PC{0,200}"]) {
            if let Ok(v) = http::HeaderValue::from_str(&value) {
                let mut req = t3();
                req.headers.insert(http::header::AUTHORIZATION, v);
                exercise(&req);
            }
        }

        #[test]
        fn parse_never_panics_on_query(query in prop_oneof![query_like(), "[ -~]{0,200}"]) {
            if let Ok(uri) = format!("https://sts.amazonaws.com/?{query}").parse::<http::Uri>() {
                let mut req = t3().without("Authorization");
                req.uri = uri;
                exercise(&req);
            }
        }

        #[test]
        fn parse_never_panics_on_raw_header_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(v) = http::HeaderValue::from_bytes(&bytes) {
                let mut req = t3();
                req.headers.insert(http::header::AUTHORIZATION, v);
                exercise(&req);
            }
        }
    }
}
