//! JWKS (RFC 7517) → an immutable [`KeySet`] of verification keys.
//!
//! Invariants of every key in a set:
//! - it is an RSA key of 2048..=8192 bits or an EC key on P-256/P-384 (what AWS accepts for
//!   ID tokens); symmetric (`oct`) keys are never loaded, so a published secret can never be
//!   used as an HMAC key;
//! - its allowed algorithms come from its key type and curve (RSA → RS*/PS*, P-256 → ES256,
//!   P-384 → ES384), narrowed to the JWK's own `alg` when it has one; a JWK whose `alg` does
//!   not fit its key type is skipped, never trusted;
//! - it is meant for signatures (`use` absent or `sig`, `key_ops` absent or containing
//!   `verify`).
//!
//! Keys that break a rule are skipped with a log line rather than failing the whole set: IdPs
//! publish encryption keys and new key types next to their signing keys. A set with no usable
//! key at all is an error, so a broken document never replaces working keys.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};
use url::Url;

use super::error::{FetchError, JwksError};
use super::fetch::{self, Fetched};

const RSA_ALGORITHMS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// Whether any key may ever allow `alg`: every algorithm of an RSA key, ES256 and ES384.
/// Anything else in a token header is refused outright.
pub(super) fn is_supported_algorithm(alg: Algorithm) -> bool {
    RSA_ALGORITHMS.contains(&alg) || matches!(alg, Algorithm::ES256 | Algorithm::ES384)
}

/// aws-lc verifies RSA signatures only for 2048- to 8192-bit moduli; a key outside that range
/// could never verify anything, so it is refused where the reason can still be logged.
const MIN_RSA_BITS: usize = 2048;
const MAX_RSA_BITS: usize = 8192;

/// Real IdPs publish a handful of keys; the cap bounds the work a hostile document can cause
/// (each key is tried when a token has no `kid`).
const MAX_KEYS: usize = 100;

/// One verification key and the algorithms it may verify.
#[derive(Debug)]
pub(super) struct VerificationKey {
    pub(super) kid: Option<String>,
    pub(super) key: DecodingKey,
    pub(super) algorithms: Vec<Algorithm>,
}

impl VerificationKey {
    pub(super) fn allows(&self, alg: Algorithm) -> bool {
        self.algorithms.contains(&alg)
    }
}

/// A provider's keys at one point in time; replaced whole, never mutated.
#[derive(Debug)]
pub(super) struct KeySet {
    keys: Vec<VerificationKey>,
}

impl KeySet {
    pub(super) fn keys(&self) -> &[VerificationKey] {
        &self.keys
    }

    /// The keys whose `kid` is exactly `kid` (more than one only if the IdP reuses a kid).
    pub(super) fn with_kid<'s, 'q>(
        &'s self,
        kid: &'q str,
    ) -> impl Iterator<Item = &'s VerificationKey> + use<'s, 'q> {
        self.keys
            .iter()
            .filter(move |k| k.kid.as_deref() == Some(kid))
    }
}

/// Fetches and parses the JWKS at `url`; also returns the response's `Cache-Control`.
pub(super) async fn fetch_jwks(
    http: &reqwest::Client,
    issuer: &str,
    url: &Url,
) -> Result<(KeySet, Option<String>), FetchError> {
    let Fetched {
        body,
        cache_control,
    } = fetch::get_json(http, url).await?;
    let set = parse_jwks(issuer, &body)?;
    Ok((set, cache_control))
}

/// Parses a JWKS document; `issuer` only labels log lines about skipped keys.
pub(super) fn parse_jwks(issuer: &str, text: &[u8]) -> Result<KeySet, JwksError> {
    let doc: Value = serde_json::from_slice(text).map_err(|e| JwksError::Json(e.to_string()))?;
    let entries = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(JwksError::NoKeysArray)?;
    key_set(issuer, entries)
}

/// What a `jwks_file` that is no JWKS document at all is told (the wording config validation
/// has always used for it).
const NOT_A_JWKS_FILE: &str =
    "expected a JWKS document: a JSON object with a non-empty \"keys\" array";

/// Parses a `jwks_file`'s text, the reason worded for the operator who wrote the file.
pub(super) fn parse_jwks_file(issuer: &str, text: &str) -> Result<KeySet, String> {
    let doc: Option<Value> = serde_json::from_str(text).ok();
    let entries = doc
        .as_ref()
        .and_then(|d| d.get("keys"))
        .and_then(Value::as_array)
        .filter(|keys| !keys.is_empty())
        .ok_or(NOT_A_JWKS_FILE)?;
    key_set(issuer, entries).map_err(|e| e.to_string())
}

/// The usable keys among a JWKS's `keys` entries (at most [`MAX_KEYS`]).
fn key_set(issuer: &str, entries: &[Value]) -> Result<KeySet, JwksError> {
    let mut keys = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        if keys.len() >= MAX_KEYS {
            tracing::warn!(
                issuer,
                "JWKS has more than {MAX_KEYS} usable keys; ignoring the rest"
            );
            break;
        }
        let kid = entry.get("kid").and_then(Value::as_str);
        match parse_key(entry) {
            Ok(key) => keys.push(key),
            Err(Skip::NotForSignatures) => {
                tracing::debug!(issuer, index, kid, "JWK is not a signing key; skipped");
            }
            Err(Skip::Unusable(reason)) => {
                tracing::warn!(issuer, index, kid, reason = %reason, "JWK skipped");
            }
        }
    }
    if keys.is_empty() {
        return Err(JwksError::NoUsableKeys);
    }
    Ok(KeySet { keys })
}

/// Why one JWK was left out of the set.
#[derive(Debug)]
enum Skip {
    /// An encryption key, or one whose `key_ops` exclude verification: expected, not a problem.
    NotForSignatures,
    Unusable(String),
}

fn unusable(reason: impl Into<String>) -> Skip {
    Skip::Unusable(reason.into())
}

fn parse_key(entry: &Value) -> Result<VerificationKey, Skip> {
    let obj = entry
        .as_object()
        .ok_or_else(|| unusable("not a JSON object"))?;
    let kid = string_member(obj, "kid")?;
    match string_member(obj, "use")? {
        None | Some("sig") => {}
        Some(_) => return Err(Skip::NotForSignatures),
    }
    if let Some(ops) = obj.get("key_ops") {
        let ops = ops
            .as_array()
            .ok_or_else(|| unusable("key_ops is not an array"))?;
        if !ops.iter().any(|op| op.as_str() == Some("verify")) {
            return Err(Skip::NotForSignatures);
        }
    }
    let kty = string_member(obj, "kty")?.ok_or_else(|| unusable("no kty"))?;
    let (key, family): (DecodingKey, &[Algorithm]) = match kty {
        "RSA" => (rsa_key(obj)?, &RSA_ALGORITHMS),
        "EC" => ec_key(obj)?,
        other => return Err(unusable(format!("unsupported kty {other:?}"))),
    };
    let algorithms = match string_member(obj, "alg")? {
        None => family.to_vec(),
        Some(alg) => match alg.parse::<Algorithm>() {
            Ok(a) if family.contains(&a) => vec![a],
            _ => {
                return Err(unusable(format!(
                    "alg {alg:?} is not a signature algorithm for this {kty} key"
                )));
            }
        },
    };
    Ok(VerificationKey {
        kid: kid.map(str::to_owned),
        key,
        algorithms,
    })
}

/// A member that must be a string when present.
fn string_member<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, Skip> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(unusable(format!("{name} is not a string"))),
    }
}

fn required_b64(obj: &Map<String, Value>, name: &str) -> Result<(String, Vec<u8>), Skip> {
    let text = string_member(obj, name)?.ok_or_else(|| unusable(format!("no {name}")))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| unusable(format!("{name} is not base64url")))?;
    Ok((text.to_owned(), bytes))
}

fn rsa_key(obj: &Map<String, Value>) -> Result<DecodingKey, Skip> {
    let (n, n_bytes) = required_b64(obj, "n")?;
    let (e, e_bytes) = required_b64(obj, "e")?;
    let bits = significant_bits(&n_bytes);
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return Err(unusable(format!(
            "RSA modulus has {bits} bits, not {MIN_RSA_BITS}..={MAX_RSA_BITS}"
        )));
    }
    if significant_bits(&e_bytes) == 0 {
        return Err(unusable("RSA exponent is zero"));
    }
    DecodingKey::from_rsa_components(&n, &e).map_err(|e| unusable(format!("RSA key: {e}")))
}

fn ec_key(obj: &Map<String, Value>) -> Result<(DecodingKey, &'static [Algorithm]), Skip> {
    let crv = string_member(obj, "crv")?.ok_or_else(|| unusable("no crv"))?;
    let (coordinate_len, algorithms): (usize, &'static [Algorithm]) = match crv {
        "P-256" => (32, &[Algorithm::ES256]),
        "P-384" => (48, &[Algorithm::ES384]),
        other => return Err(unusable(format!("unsupported EC curve {other:?}"))),
    };
    let (x, x_bytes) = required_b64(obj, "x")?;
    let (y, y_bytes) = required_b64(obj, "y")?;
    // jsonwebtoken concatenates x and y without checking them; a wrong length would only
    // surface later as a signature that never verifies.
    if x_bytes.len() != coordinate_len || y_bytes.len() != coordinate_len {
        return Err(unusable(format!(
            "{crv} coordinates must be {coordinate_len} bytes"
        )));
    }
    let key =
        DecodingKey::from_ec_components(&x, &y).map_err(|e| unusable(format!("EC key: {e}")))?;
    Ok((key, algorithms))
}

/// Bit length of a big-endian unsigned integer.
fn significant_bits(bytes: &[u8]) -> usize {
    let mut rest = bytes.iter().skip_while(|b| **b == 0);
    match rest.next() {
        None => 0,
        Some(first) => {
            let remaining = rest.count();
            remaining * 8 + (8 - first.leading_zeros() as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testkit::{ec_jwk, ec384_jwk_json, rsa_jwk};
    use super::*;

    fn parse(v: &Value) -> Result<KeySet, JwksError> {
        parse_jwks("https://idp.test", v.to_string().as_bytes())
    }

    #[test]
    fn key_types_map_to_algorithms() {
        let mut rsa_any = rsa_jwk(1, "r1", None);
        rsa_any["use"] = json!("sig");
        let set = parse(&json!({ "keys": [
            rsa_any,
            rsa_jwk(2, "r2", Some("PS384")),
            ec_jwk("e1", Some("ES256")),
            ec_jwk("e2", None),
            ec384_jwk_json("e3"),
        ]}))
        .unwrap();
        let algs = |kid: &str| set.with_kid(kid).next().unwrap().algorithms.clone();
        assert_eq!(algs("r1"), RSA_ALGORITHMS.to_vec());
        assert_eq!(algs("r2"), vec![Algorithm::PS384]);
        assert_eq!(algs("e1"), vec![Algorithm::ES256]);
        assert_eq!(algs("e2"), vec![Algorithm::ES256]);
        assert_eq!(algs("e3"), vec![Algorithm::ES384]);
    }

    #[test]
    fn unusable_keys_are_skipped() {
        let mut enc = rsa_jwk(1, "enc", None);
        enc["use"] = json!("enc");
        let mut ops = rsa_jwk(1, "ops", None);
        ops["key_ops"] = json!(["encrypt"]);
        let mut wrong_alg = rsa_jwk(1, "wrong-alg", Some("ES256"));
        wrong_alg["alg"] = json!("ES256");
        let mut hs = rsa_jwk(1, "hs", None);
        hs["alg"] = json!("HS256");
        let mut short_ec = ec_jwk("short", None);
        short_ec["x"] = json!("AAAA");
        let set = parse(&json!({ "keys": [
            { "kty": "oct", "kid": "oct", "k": "c2VjcmV0" },
            { "kty": "OKP", "kid": "okp", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" },
            { "kty": "EC", "kid": "p521", "crv": "P-521", "x": "AA", "y": "AA" },
            { "kty": "RSA", "kid": "small", "n": URL_SAFE_NO_PAD.encode([0xffu8; 128]), "e": "AQAB" },
            { "kid": "no-kty" },
            "not an object",
            enc, ops, wrong_alg, hs, short_ec,
            rsa_jwk(1, "good", Some("RS256")),
        ]}))
        .unwrap();
        let kids: Vec<_> = set.keys().iter().map(|k| k.kid.clone().unwrap()).collect();
        assert_eq!(kids, ["good"]);
    }

    #[test]
    fn documents_without_usable_keys_are_errors() {
        assert_eq!(
            parse(&json!({ "keys": [] })).err(),
            Some(JwksError::NoUsableKeys)
        );
        assert_eq!(
            parse(&json!({ "keys": [{ "kty": "oct", "k": "c2VjcmV0" }] })).err(),
            Some(JwksError::NoUsableKeys)
        );
        assert_eq!(
            parse(&json!({ "nokeys": 1 })).err(),
            Some(JwksError::NoKeysArray)
        );
        assert!(matches!(parse_jwks("i", b"{"), Err(JwksError::Json(_))));
    }

    #[test]
    fn bit_length() {
        assert_eq!(significant_bits(&[]), 0);
        assert_eq!(significant_bits(&[0, 0]), 0);
        assert_eq!(significant_bits(&[0, 1]), 1);
        assert_eq!(significant_bits(&[0x80, 0]), 16);
        assert_eq!(significant_bits(&[0, 0x7f, 0xff]), 15);
    }
}
