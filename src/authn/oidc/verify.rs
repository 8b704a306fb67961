//! ID-token verification, in the order of sts-api.md 6.2. Everything here is pure: no network,
//! no clock (`now` is a parameter); the registry supplies the keys.
//!
//! Invariants:
//! - the header's `alg` is only ever checked against the algorithms a configured key allows;
//!   it never chooses the key type, and `jku`/`jwk`/`x5u`/`x5c` headers are never read, so a
//!   token cannot bring its own key;
//! - the unverified payload is read for one purpose only, choosing the provider by `iss`;
//!   every claim returned comes from a payload whose signature verified;
//! - time checks use the caller's `now` and the provider's skew; jsonwebtoken's own exp/nbf
//!   checks (which read the system clock) are switched off.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};

use super::error::{MAX_TOKEN_CHARS, OidcError};
use super::jwks::{KeySet, VerificationKey, is_supported_algorithm};

/// A successfully verified ID token (serialisable: a browser session keeps it between sign-in
/// and the role choice).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VerifiedIdToken {
    /// Index into the configuration's `oidc_providers`.
    pub provider_index: usize,
    pub issuer: String,
    pub provider_arn: String,
    /// The `sub` claim (non-empty).
    pub subject: String,
    /// The client id that matched: `azp` when it is one of the client ids, else the first
    /// `aud` value that is.
    pub audience: String,
    /// Every claim of the verified payload, for claim rules and condition keys.
    pub claims: Map<String, Value>,
    pub expires_at: DateTime<Utc>,
    /// `iat`, when the token has one: when the IdP vouched for the subject.
    pub issued_at: Option<DateTime<Utc>>,
}

/// What verification needs to know about the provider an `iss` selected.
#[derive(Debug, Clone)]
pub(super) struct ProviderInfo {
    pub(super) index: usize,
    pub(super) issuer: String,
    pub(super) arn: String,
    pub(super) client_ids: Vec<String>,
    pub(super) clock_skew_s: u32,
}

/// The header's algorithm as far as it matters here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HeaderAlg {
    Known(Algorithm),
    /// A JSON string jsonwebtoken has no variant for (`none`, `ES512`, …): always refused.
    Unrecognised,
}

/// A token that has passed the syntactic checks, before any key is involved.
#[derive(Debug)]
pub(super) struct UnverifiedToken<'a> {
    /// The trimmed compact serialisation.
    pub(super) compact: &'a str,
    pub(super) alg: HeaderAlg,
    pub(super) kid: Option<String>,
    /// Only for choosing the provider; see the module invariants.
    pub(super) issuer: String,
}

/// Steps 1–2 of 6.2: trim, size, compact form, header, and the unverified `iss`.
pub(super) fn parse_unverified(raw: &str) -> Result<UnverifiedToken<'_>, OidcError> {
    // Token files (Kubernetes, CI) end with a newline; clients pass them through verbatim.
    let compact = raw.trim();
    // `len()` bounds the character count from above, so the count runs only when it matters.
    if compact.len() > MAX_TOKEN_CHARS && compact.chars().count() > MAX_TOKEN_CHARS {
        return Err(OidcError::TooLarge);
    }
    let mut parts = compact.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(OidcError::Malformed("not three dot-separated parts"));
    };
    // Decoded here so that a mangled signature is a malformed token rather than a bad
    // signature, whatever length it was cut to.
    URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| OidcError::Malformed("signature is not base64url"))?;
    let (alg, kid) = parse_header(compact, header_b64)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| OidcError::Malformed("payload is not base64url"))?;
    let payload: Map<String, Value> = serde_json::from_slice(&payload)
        .map_err(|_| OidcError::Malformed("payload is not a JSON object"))?;
    let issuer = match payload.get("iss") {
        Some(Value::String(iss)) => iss.clone(),
        _ => return Err(OidcError::MissingClaim("iss")),
    };
    Ok(UnverifiedToken {
        compact,
        alg,
        kid,
        issuer,
    })
}

fn parse_header(compact: &str, header_b64: &str) -> Result<(HeaderAlg, Option<String>), OidcError> {
    if let Ok(header) = jsonwebtoken::decode_header(compact) {
        // RFC 7515 §4.1.11: extensions listed in `crit` must be understood; we know none.
        if header.crit.is_some() {
            return Err(OidcError::Malformed("header has crit extensions"));
        }
        return Ok((HeaderAlg::Known(header.alg), header.kid));
    }
    // jsonwebtoken refuses algorithms it does not implement at parse time. Tell those apart
    // from garbage so that `alg: none` is reported as the refused algorithm it is rather than
    // as a malformed token.
    let bytes = URL_SAFE_NO_PAD
        .decode(header_b64)
        .map_err(|_| OidcError::Malformed("header is not base64url"))?;
    let header: Map<String, Value> = serde_json::from_slice(&bytes)
        .map_err(|_| OidcError::Malformed("header is not a JSON object"))?;
    match header.get("alg") {
        Some(Value::String(alg)) if alg.parse::<Algorithm>().is_err() => {
            Ok((HeaderAlg::Unrecognised, None))
        }
        _ => Err(OidcError::Malformed("header is not a valid JWS header")),
    }
}

/// Steps 3–4: the keys that may verify this token.
///
/// `Err(UnknownKey)` means no key matched (the caller may refetch the JWKS and ask again);
/// `Err(AlgorithmNotAllowed)` means a key matched but does not allow the header's `alg`, or
/// the `alg` is one no key ever may.
pub(super) fn select_keys<'k>(
    keys: &'k KeySet,
    token: &UnverifiedToken<'_>,
) -> Result<(Algorithm, Vec<&'k VerificationKey>), OidcError> {
    let alg = match token.alg {
        HeaderAlg::Known(alg) if is_supported_algorithm(alg) => alg,
        HeaderAlg::Known(_) | HeaderAlg::Unrecognised => {
            return Err(OidcError::AlgorithmNotAllowed);
        }
    };
    let candidates: Vec<&VerificationKey> = if let Some(kid) = &token.kid {
        let matching: Vec<_> = keys.with_kid(kid).collect();
        if matching.is_empty() {
            return Err(OidcError::UnknownKey);
        }
        let allowed: Vec<_> = matching.into_iter().filter(|k| k.allows(alg)).collect();
        if allowed.is_empty() {
            return Err(OidcError::AlgorithmNotAllowed);
        }
        allowed
    } else {
        // No `kid`: AWS tries every key [sts-api.md 6.2 step 3]; only those that allow `alg`.
        let allowed: Vec<_> = keys.keys().iter().filter(|k| k.allows(alg)).collect();
        if allowed.is_empty() {
            return Err(OidcError::UnknownKey);
        }
        allowed
    };
    Ok((alg, candidates))
}

/// Steps 4–8: signature with each candidate key, then claims against `provider` and `now`.
pub(super) fn verify_with_keys(
    token: &UnverifiedToken<'_>,
    alg: Algorithm,
    candidates: &[&VerificationKey],
    provider: &ProviderInfo,
    now: DateTime<Utc>,
) -> Result<VerifiedIdToken, OidcError> {
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[provider.issuer.as_str()]);
    validation.set_audience(&provider.client_ids);
    // jsonwebtoken checks iss and aud only when they are present unless they are required
    // (dependencies.md 3); "iat" is not honoured there and is checked below.
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = u64::from(provider.clock_skew_s);
    // These read the system clock; the checks are redone below against `now`.
    validation.validate_exp = false;
    validation.validate_nbf = false;

    for candidate in candidates {
        match jsonwebtoken::decode::<Map<String, Value>>(token.compact, &candidate.key, &validation)
        {
            Ok(data) => return check_claims(data.claims, provider, now),
            // Without a `kid` several keys may be tried; only a wrong signature moves on.
            Err(e) if matches!(e.kind(), ErrorKind::InvalidSignature) => {}
            Err(e) => return Err(map_jwt_error(e.kind(), token)),
        }
    }
    Err(OidcError::BadSignature)
}

/// Translates jsonwebtoken's verdicts. `ErrorKind` is `#[non_exhaustive]`, so a wildcard arm is
/// unavoidable; it refuses the token as malformed.
fn map_jwt_error(kind: &ErrorKind, token: &UnverifiedToken<'_>) -> OidcError {
    match kind {
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => OidcError::Malformed("not a valid JWS"),
        ErrorKind::InvalidClaimFormat(_) => OidcError::Malformed("a claim has the wrong type"),
        ErrorKind::InvalidSignature
        | ErrorKind::RsaFailedSigning
        | ErrorKind::Signing(_)
        | ErrorKind::Provider(_) => OidcError::BadSignature,
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidKeyFormat => OidcError::AlgorithmNotAllowed,
        // A published key the crypto library cannot use is a key we could not retrieve.
        ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidEddsaKey | ErrorKind::InvalidRsaKey(_) => {
            OidcError::UnknownKey
        }
        ErrorKind::MissingRequiredClaim(claim) => OidcError::MissingClaim(claim_name(claim)),
        ErrorKind::InvalidAudience => OidcError::IncorrectAudience,
        ErrorKind::InvalidIssuer => OidcError::unknown_issuer(&token.issuer),
        // Time checks are off in the Validation; should that change, still refuse.
        ErrorKind::ExpiredSignature => OidcError::Expired { now: 0, exp: 0 },
        ErrorKind::ImmatureSignature => OidcError::NotYetValid,
        ErrorKind::InvalidSubject => OidcError::MissingClaim("sub"),
        _ => OidcError::Malformed("unrecognised verification failure"),
    }
}

fn claim_name(claim: &str) -> &'static str {
    match claim {
        "exp" => "exp",
        "iss" => "iss",
        "aud" => "aud",
        "sub" => "sub",
        "nbf" => "nbf",
        _ => "unknown",
    }
}

/// Steps 6–8 on a payload whose signature, iss and aud jsonwebtoken has verified.
fn check_claims(
    claims: Map<String, Value>,
    provider: &ProviderInfo,
    now: DateTime<Utc>,
) -> Result<VerifiedIdToken, OidcError> {
    let now_s = now.timestamp();
    let skew = i64::from(provider.clock_skew_s);

    // AWS documents NumericDates as integers; 1.7e9 or "1700000000" is not one.
    let exp = match claims.get("exp") {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_u64().map(|_| i64::MAX))
            .ok_or(OidcError::MissingClaim("exp"))?,
        _ => return Err(OidcError::MissingClaim("exp")),
    };
    // The token is good strictly before `exp` (AWS: "must be before"), plus the skew.
    if now_s >= exp.saturating_add(skew) {
        return Err(OidcError::Expired { now: now_s, exp });
    }
    let limit = now_s.saturating_add(skew);
    if numeric_date(&claims, "nbf")?.is_some_and(|nbf| nbf > limit) {
        return Err(OidcError::NotYetValid);
    }
    let iat = numeric_date(&claims, "iat")?;
    if iat.is_some_and(|iat| iat > limit) {
        return Err(OidcError::IssuedInFuture);
    }
    let subject = match claims.get("sub") {
        Some(Value::String(sub)) if !sub.is_empty() => sub.clone(),
        _ => return Err(OidcError::MissingClaim("sub")),
    };
    let audience = matched_audience(&claims, &provider.client_ids)?;
    let expires_at = DateTime::from_timestamp(exp, 0).unwrap_or(DateTime::<Utc>::MAX_UTC);
    Ok(VerifiedIdToken {
        provider_index: provider.index,
        issuer: provider.issuer.clone(),
        provider_arn: provider.arn.clone(),
        subject,
        audience,
        claims,
        expires_at,
        issued_at: iat.and_then(|t| DateTime::from_timestamp(t, 0)),
    })
}

/// An optional NumericDate (`nbf`, `iat`). Fractions are accepted and rounded down, which can
/// only make a future time look earlier by under a second; non-numbers are malformed.
fn numeric_date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, OidcError> {
    let Some(value) = claims.get(name) else {
        return Ok(None);
    };
    let Value::Number(n) = value else {
        return Err(OidcError::Malformed("nbf or iat is not a number"));
    };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    if n.is_u64() {
        return Ok(Some(i64::MAX));
    }
    match n.as_f64() {
        Some(f) if f.is_finite() => Ok(Some(float_seconds(f))),
        _ => Err(OidcError::Malformed("nbf or iat is not a number")),
    }
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "the value is floored and clamped to i64's range first; `as` saturates anyway"
)]
fn float_seconds(f: f64) -> i64 {
    // i64::MAX is not exactly representable; 9.2e18 seconds is far beyond any date anyway.
    f.floor().clamp(-9.2e18, 9.2e18) as i64
}

/// The audience AWS reports: `azp` when it is one of our client ids (the hybrid-app case,
/// sts-api.md 6.3), else the first `aud` value that is. jsonwebtoken has already refused tokens
/// whose `aud` holds none of them.
fn matched_audience(
    claims: &Map<String, Value>,
    client_ids: &[String],
) -> Result<String, OidcError> {
    let ours = |s: &str| client_ids.iter().any(|c| c == s);
    if let Some(Value::String(azp)) = claims.get("azp")
        && ours(azp)
    {
        return Ok(azp.clone());
    }
    let found = match claims.get("aud") {
        Some(Value::String(aud)) if ours(aud) => Some(aud.clone()),
        Some(Value::Array(auds)) => auds
            .iter()
            .filter_map(Value::as_str)
            .find(|a| ours(a))
            .map(str::to_owned),
        _ => None,
    };
    found.ok_or(OidcError::IncorrectAudience)
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{EncodingKey, Header};
    use proptest::prelude::*;
    use serde_json::json;

    use super::super::testkit::*;
    use super::*;

    fn verify(reg: &super::super::OidcRegistry, token: &str) -> Result<VerifiedIdToken, OidcError> {
        block_on(reg.verify(token, now()))
    }

    fn ok(token: &str) -> VerifiedIdToken {
        verify(standard_registry(), token).unwrap()
    }

    fn err(token: &str) -> OidcError {
        verify(standard_registry(), token).unwrap_err()
    }

    #[test]
    fn rs256_success_returns_claims() {
        let mut c = claims();
        c["email"] = json!("jane@example.com");
        let v = ok(&format!(
            "{}\n",
            sign(Algorithm::RS256, Some("rsa1"), &rsa_key(1), &c)
        ));
        assert_eq!(v.provider_index, 1);
        assert_eq!(v.issuer, ISSUER);
        assert_eq!(v.provider_arn, ARN);
        assert_eq!(v.subject, "user-123");
        assert_eq!(v.audience, "client-a");
        assert_eq!(v.claims["email"], "jane@example.com");
        assert_eq!(v.expires_at.timestamp(), NOW + 3600);
    }

    #[test]
    fn es256_and_ps256_success() {
        let v = ok(&sign(Algorithm::ES256, Some("ec1"), &ec_key(), &claims()));
        assert_eq!(v.subject, "user-123");
        // The RSA JWK without `alg` allows PSS too.
        ok(&sign(
            Algorithm::PS256,
            Some("rsa2-any"),
            &rsa_key(2),
            &claims(),
        ));
    }

    #[test]
    fn es384_with_a_p384_key() {
        let (key, jwk) = ec384_key_and_jwk("p384");
        let reg = file_registry(&json!({ "keys": [jwk] }));
        let token = sign(Algorithm::ES384, Some("p384"), &key, &claims());
        verify(&reg, &token).unwrap();
    }

    #[test]
    fn no_kid_tries_every_key() {
        let v = ok(&sign(Algorithm::RS256, None, &rsa_key(2), &claims()));
        assert_eq!(v.subject, "user-123");
        let v = ok(&sign(Algorithm::ES256, None, &ec_key(), &claims()));
        assert_eq!(v.subject, "user-123");
    }

    #[test]
    fn audience_string_array_and_azp() {
        let mut c = claims();
        c["aud"] = json!(["other", "client-b", "client-a"]);
        assert_eq!(ok(&rs(&c)).audience, "client-b");
        c["azp"] = json!("client-a");
        assert_eq!(ok(&rs(&c)).audience, "client-a");
        // An azp that is not ours does not replace the matched aud.
        c["azp"] = json!("someone-else");
        assert_eq!(ok(&rs(&c)).audience, "client-b");
        let mut c = claims();
        c["aud"] = json!("client-b");
        assert_eq!(ok(&rs(&c)).audience, "client-b");
        // azp alone does not stand in for aud.
        c["aud"] = json!("not-ours");
        c["azp"] = json!("client-a");
        assert_eq!(err(&rs(&c)), OidcError::IncorrectAudience);
    }

    #[test]
    fn alg_none_is_refused() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims().to_string());
        assert_eq!(
            err(&format!("{header}.{payload}.")),
            OidcError::AlgorithmNotAllowed
        );
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"rsa1"}"#);
        let sig = rs(&claims()).rsplit('.').next().unwrap().to_owned();
        assert_eq!(
            err(&format!("{header}.{payload}.{sig}")),
            OidcError::AlgorithmNotAllowed
        );
    }

    #[test]
    fn hs256_with_the_public_key_as_secret_is_refused() {
        for secret in [
            rsa_public_der(1),
            rsa_jwk(1, "rsa1", Some("RS256")).to_string().into_bytes(),
        ] {
            let key = EncodingKey::from_secret(&secret);
            for kid in [Some("rsa1"), None] {
                let token = sign(Algorithm::HS256, kid, &key, &claims());
                assert_eq!(err(&token), OidcError::AlgorithmNotAllowed, "{kid:?}");
            }
        }
    }

    #[test]
    fn alg_outside_the_jwk_alg_is_refused() {
        // `rsa1` is published with "alg": "RS256".
        let token = sign(Algorithm::RS384, Some("rsa1"), &rsa_key(1), &claims());
        assert_eq!(err(&token), OidcError::AlgorithmNotAllowed);
        // An RSA kid with an EC algorithm.
        let token = sign(Algorithm::ES256, Some("rsa1"), &ec_key(), &claims());
        assert_eq!(err(&token), OidcError::AlgorithmNotAllowed);
    }

    #[test]
    fn unknown_kid() {
        let token = sign(Algorithm::RS256, Some("nope"), &rsa_key(1), &claims());
        assert_eq!(err(&token), OidcError::UnknownKey);
    }

    #[test]
    fn keys_embedded_in_the_header_are_ignored() {
        let attacker = rsa_key(2);
        let jwk = Jwk::from_encoding_key(&attacker, Algorithm::RS256).unwrap();
        let headers = |kid: Option<&str>| {
            let mut embedded = Header::new(Algorithm::RS256);
            embedded.kid = kid.map(str::to_owned);
            embedded.jwk = Some(jwk.clone());
            let mut jku = Header::new(Algorithm::RS256);
            jku.kid = kid.map(str::to_owned);
            jku.jku = Some("https://attacker.example/jwks".into());
            let mut x5u = Header::new(Algorithm::RS256);
            x5u.kid = kid.map(str::to_owned);
            x5u.x5u = Some("https://attacker.example/cert.pem".into());
            [embedded, jku, x5u]
        };
        // Only rsa1 (RS256 only) may verify RS256 in this registry when no kid is given...
        let reg = file_registry(&json!({ "keys": [rsa_jwk(1, "rsa1", Some("RS256"))] }));
        for header in headers(Some("rsa1")) {
            let token = sign_with_header(&header, &attacker, &claims());
            assert_eq!(verify(&reg, &token).unwrap_err(), OidcError::BadSignature);
        }
        for header in headers(None) {
            let token = sign_with_header(&header, &attacker, &claims());
            assert_eq!(verify(&reg, &token).unwrap_err(), OidcError::BadSignature);
        }
        for header in headers(Some("attacker")) {
            let token = sign_with_header(&header, &attacker, &claims());
            assert_eq!(verify(&reg, &token).unwrap_err(), OidcError::UnknownKey);
        }
    }

    #[test]
    fn wrong_issuer() {
        for iss in [
            "https://evil.test",
            "https://idp.test/",
            "https://IDP.test",
            "",
        ] {
            let mut c = claims();
            c["iss"] = json!(iss);
            assert_eq!(
                err(&rs(&c)),
                OidcError::UnknownIssuer(iss.to_owned()),
                "{iss}"
            );
        }
        // The trailing slash is significant the other way round too.
        let mut c = claims();
        c["iss"] = json!("https://other.test");
        assert_eq!(
            err(&rs(&c)),
            OidcError::UnknownIssuer("https://other.test".into())
        );
    }

    #[test]
    fn wrong_audience() {
        for aud in [json!("client-z"), json!(["x", "y"]), json!([])] {
            let mut c = claims();
            c["aud"] = aud;
            assert_eq!(err(&rs(&c)), OidcError::IncorrectAudience);
        }
    }

    #[test]
    fn missing_claims() {
        for name in ["aud", "sub", "exp", "iss"] {
            let mut c = claims();
            c.as_object_mut().unwrap().remove(name);
            let expected = OidcError::MissingClaim(claim_name(name));
            assert_eq!(err(&rs(&c)), expected, "{name}");
        }
        for (name, value) in [
            ("exp", json!(1.5e12)),
            ("exp", json!("1767229200")),
            ("exp", json!(-5)),
            ("sub", json!("")),
            ("sub", json!(42)),
            ("aud", json!(7)),
            ("iss", json!(["https://idp.test"])),
        ] {
            let mut c = claims();
            c[name] = value;
            assert_eq!(
                err(&rs(&c)),
                OidcError::MissingClaim(claim_name(name)),
                "{name}"
            );
        }
    }

    #[test]
    fn expiry_with_skew() {
        let mut c = claims();
        // Provider skew is 60 s: 59 s past exp is still fine, 60 s is not.
        c["exp"] = json!(NOW - 59);
        ok(&rs(&c));
        c["exp"] = json!(NOW - 60);
        assert_eq!(
            err(&rs(&c)),
            OidcError::Expired {
                now: NOW,
                exp: NOW - 60
            }
        );
        c["exp"] = json!(NOW - 100_000);
        assert!(matches!(err(&rs(&c)), OidcError::Expired { .. }));
    }

    #[test]
    fn not_before_and_issued_at_in_the_future() {
        let mut c = claims();
        c["nbf"] = json!(NOW + 60);
        ok(&rs(&c));
        c["nbf"] = json!(NOW + 61);
        assert_eq!(err(&rs(&c)), OidcError::NotYetValid);
        let mut c = claims();
        c["iat"] = json!(NOW + 61);
        assert_eq!(err(&rs(&c)), OidcError::IssuedInFuture);
        c["iat"] = json!(1_767_225_630.5);
        ok(&rs(&c));
        c["iat"] = json!("yesterday");
        assert!(matches!(err(&rs(&c)), OidcError::Malformed(_)));
    }

    #[test]
    fn signature_tampering() {
        let token = rs(&claims());
        let (signed, sig) = token.rsplit_once('.').unwrap();
        let mut raw = URL_SAFE_NO_PAD.decode(sig).unwrap();
        raw.truncate(raw.len() - 10);
        let truncated = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(&raw));
        assert_eq!(err(&truncated), OidcError::BadSignature);
        // Cut mid-character: not base64url any more.
        assert!(matches!(
            err(&token[..token.len() - 1]),
            OidcError::Malformed(_)
        ));
        // Payload swapped for another one: same key, different claims.
        let mut c = claims();
        c["sub"] = json!("admin");
        let other = rs(&c);
        let forged_payload = other.split('.').nth(1).unwrap();
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[1] = forged_payload;
        assert_eq!(err(&parts.join(".")), OidcError::BadSignature);
    }

    #[test]
    fn malformed_tokens() {
        let token = rs(&claims());
        for bad in [
            String::new(),
            "abc".to_owned(),
            "a.b".to_owned(),
            format!("{token}.extra"),
            token.replacen('.', ".!", 1),
            format!("*{token}"),
            format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode("[]"),
                token.split_once('.').unwrap().1
            ),
        ] {
            assert!(matches!(err(&bad), OidcError::Malformed(_)), "{bad}");
        }
        // Payload that is JSON but not an object.
        let header = token.split('.').next().unwrap();
        let bad = format!("{header}.{}.AAAA", URL_SAFE_NO_PAD.encode("[1]"));
        assert!(matches!(err(&bad), OidcError::Malformed(_)));
        // crit extensions we do not understand.
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some("rsa1".into());
        h.crit = Some(vec!["b64".into()]);
        let bad = sign_with_header(&h, &rsa_key(1), &claims());
        assert!(matches!(err(&bad), OidcError::Malformed(_)));
    }

    #[test]
    fn oversize_is_refused_before_decoding() {
        assert_eq!(err(&"a".repeat(20_001)), OidcError::TooLarge);
        // Surrounding whitespace does not count.
        let token = rs(&claims());
        let padded = format!("{}{token}{}", " ".repeat(20_000), "\n".repeat(20_000));
        ok(&padded);
        // Exactly the limit is decoded (and here fails as malformed).
        assert!(matches!(err(&"a".repeat(20_000)), OidcError::Malformed(_)));
    }

    #[test]
    fn unknown_issuer_beats_key_problems() {
        let mut c = claims();
        c["iss"] = json!("https://elsewhere.test");
        let token = sign(Algorithm::RS256, Some("nope"), &rsa_key(1), &c);
        assert!(matches!(err(&token), OidcError::UnknownIssuer(_)));
    }

    fn rs(c: &Value) -> String {
        sign(Algorithm::RS256, Some("rsa1"), &rsa_key(1), c)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn never_panics_on_arbitrary_strings(s in ".{0,400}") {
            let reg = standard_registry();
            let _ = verify(reg, &s);
        }

        #[test]
        fn never_panics_on_jwt_shaped_strings(
            h in "[A-Za-z0-9_-]{0,80}",
            p in "[A-Za-z0-9_-]{0,80}",
            s in "[A-Za-z0-9_-]{0,80}",
        ) {
            let reg = standard_registry();
            let _ = verify(reg, &format!("{h}.{p}.{s}"));
        }

        #[test]
        fn never_panics_on_arbitrary_json_parts(header in ".{0,60}", payload in ".{0,120}") {
            let reg = standard_registry();
            let token = format!(
                "{}.{}.AAAA",
                URL_SAFE_NO_PAD.encode(header),
                URL_SAFE_NO_PAD.encode(payload)
            );
            let _ = verify(reg, &token);
        }

        #[test]
        fn never_panics_on_arbitrary_claims(
            exp in any::<Option<i64>>(),
            nbf in any::<Option<f64>>(),
            sub in any::<Option<String>>(),
            aud in proptest::collection::vec(".{0,10}", 0..4),
        ) {
            let reg = standard_registry();
            let mut c = claims();
            c["exp"] = json!(exp);
            c["nbf"] = json!(nbf);
            c["sub"] = json!(sub);
            c["aud"] = json!(aud);
            let _ = verify(reg, &rs(&c));
        }
    }
}
