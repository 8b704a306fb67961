//! Test fixtures: the test IdP keys from `certs/`, JWK and token builders, a fixed clock, and
//! registries over file-based JWKS.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::OidcRegistry;
use crate::config::{JwksSource, OidcProvider};

const RSA1_PEM: &[u8] = include_bytes!("../../../certs/test-idp-rsa-key.pem");
const RSA2_PEM: &[u8] = include_bytes!("../../../certs/test-idp-rsa2-key.pem");
const EC_PEM: &[u8] = include_bytes!("../../../certs/test-idp-ec-key.pem");

/// The fixed "now" of every test: 2026-01-01T00:00:00Z.
pub(super) const NOW: i64 = 1_767_225_600;
pub(super) const ISSUER: &str = "https://idp.test";
pub(super) const ARN: &str = "arn:aws:iam::123456789012:oidc-provider/idp.test";

pub(super) fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(NOW, 0).unwrap()
}

/// Test RSA key 1 or 2.
pub(super) fn rsa_key(which: u8) -> EncodingKey {
    let pem = if which == 1 { RSA1_PEM } else { RSA2_PEM };
    EncodingKey::from_rsa_pem(pem).unwrap()
}

pub(super) fn ec_key() -> EncodingKey {
    EncodingKey::from_ec_pem(EC_PEM).unwrap()
}

/// DER (PKCS#1) of RSA key `which`'s public half: what an HS256 key-confusion attack uses.
pub(super) fn rsa_public_der(which: u8) -> Vec<u8> {
    use aws_lc_rs::signature::KeyPair as _;
    let pair = aws_lc_rs::signature::RsaKeyPair::from_der(rsa_key(which).as_bytes()).unwrap();
    pair.public_key().as_ref().to_vec()
}

fn jwk_json(key: &EncodingKey, family_alg: Algorithm, kid: &str, alg: Option<&str>) -> Value {
    let mut jwk = serde_json::to_value(Jwk::from_encoding_key(key, family_alg).unwrap()).unwrap();
    let obj = jwk.as_object_mut().unwrap();
    obj.remove("alg");
    if let Some(alg) = alg {
        obj.insert("alg".into(), json!(alg));
    }
    obj.insert("kid".into(), json!(kid));
    jwk
}

/// Public JWK of RSA key `which`; `alg` None publishes no `alg` (all RSA algorithms allowed).
pub(super) fn rsa_jwk(which: u8, kid: &str, alg: Option<&str>) -> Value {
    jwk_json(&rsa_key(which), Algorithm::RS256, kid, alg)
}

pub(super) fn ec_jwk(kid: &str, alg: Option<&str>) -> Value {
    jwk_json(&ec_key(), Algorithm::ES256, kid, alg)
}

/// A fresh P-384 key (there is none in `certs/`) and its public JWK.
pub(super) fn ec384_key_and_jwk(kid: &str) -> (EncodingKey, Value) {
    let pair = aws_lc_rs::signature::EcdsaKeyPair::generate(
        &aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED_SIGNING,
    )
    .unwrap();
    let key = EncodingKey::from_ec_der(pair.to_pkcs8v1().unwrap().as_ref());
    let jwk = jwk_json(&key, Algorithm::ES384, kid, None);
    (key, jwk)
}

pub(super) fn ec384_jwk_json(kid: &str) -> Value {
    ec384_key_and_jwk(kid).1
}

/// Claims of a valid token for [`ISSUER`] at [`NOW`].
pub(super) fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "sub": "user-123",
        "aud": "client-a",
        "exp": NOW + 3600,
        "iat": NOW - 10,
        "nbf": NOW - 10,
    })
}

pub(super) fn sign(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    sign_with_header(&header, key, claims)
}

pub(super) fn sign_with_header(header: &Header, key: &EncodingKey, claims: &Value) -> String {
    jsonwebtoken::encode(header, claims, key).unwrap()
}

/// A provider as config validation would produce it.
pub(super) fn provider(issuer: &str, jwks: JwksSource) -> OidcProvider {
    OidcProvider {
        login_endpoints: None,
        issuer: issuer.to_owned(),
        arn: format!(
            "arn:aws:iam::123456789012:oidc-provider/{}",
            issuer
                .trim_start_matches("https://")
                .trim_start_matches("http://")
        )
        .parse()
        .unwrap(),
        key_prefix: issuer
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .to_owned(),
        client_ids: vec!["client-a".into(), "client-b".into()],
        jwks,
        clock_skew_s: 60,
        display_name: "Test IdP".into(),
        login_client_id: None,
        login_client_secret: None,
        scopes: vec![],
    }
}

pub(super) fn file_source(jwks: &Value) -> JwksSource {
    JwksSource::File {
        path: "test-jwks.json".into(),
        json: jwks.to_string(),
    }
}

pub(super) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap()
}

/// Provider 0 is another issuer ("https://other.test/", trailing slash); provider 1 is
/// [`ISSUER`] with `jwks`.
pub(super) fn file_registry(jwks: &Value) -> OidcRegistry {
    let providers = [
        provider(
            "https://other.test/",
            file_source(&json!({ "keys": [ec_jwk("o1", None)] })),
        ),
        provider(ISSUER, file_source(jwks)),
    ];
    OidcRegistry::new(&providers, http()).unwrap()
}

/// [`file_registry`] with `rsa1` (RS256 only), `rsa2-any` (no `alg`) and `ec1` (ES256).
pub(super) fn standard_registry() -> &'static OidcRegistry {
    static REGISTRY: LazyLock<OidcRegistry> = LazyLock::new(|| {
        file_registry(&json!({ "keys": [
            rsa_jwk(1, "rsa1", Some("RS256")),
            rsa_jwk(2, "rsa2-any", None),
            ec_jwk("ec1", Some("ES256")),
        ]}))
    });
    &REGISTRY
}

/// Runs a future to completion on a fresh current-thread runtime (for sync tests and proptest).
pub(super) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}
