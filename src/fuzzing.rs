//! Entry points for the coverage-guided fuzz targets in `fuzz/` (issue 11 item 8), compiled
//! only for tests and with the `fuzzing` feature.
//!
//! Each `pub fn` takes the fuzzer's bytes and drives one untrusted-input entry point the way a
//! request does: the same size bound first, then the same public call (`SamlRegistry::verify`,
//! `authenticate_signed`, `OidcRegistry::verify`, ...). None of them may panic on any input;
//! errors are the expected outcome. Keys and configuration come from the committed test
//! fixtures (`certs/`, a fixed keyring below) and are built once per process; the clock is
//! fixed at [`NOW`] so corpus entries signed for that instant keep reaching the checks behind
//! the signature.
//!
//! The unit tests at the bottom replay every file of `fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/` through its target (part of `cargo test`), and an ignored test
//! regenerates the seed files (`cargo test --lib fuzzing::tests::write_seeds -- --ignored`).

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::sync::LazyLock;
use std::task::{Context, Poll, Waker};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::authn::oidc::OidcRegistry;
use crate::authn::revocation::RevocationList;
use crate::authn::saml::SamlRegistry;
use crate::authn::sigv4::SignedRequest;
use crate::config::{Config, JwksSource, OidcProvider, SamlMetadataSource, SamlProvider};
use crate::policy::{CallerPrincipal, ContextValue, PolicyKind, RequestContext};
use crate::protocol::action::Action;
use crate::protocol::params::Params;
use crate::protocol::requests::{
    AssumeRoleParams, AssumeRoleWithSamlParams, AssumeRoleWithWebIdentityParams,
    DecodeAuthorizationMessageParams, GetAccessKeyInfoParams, GetFederationTokenParams,
    GetSessionTokenParams,
};
use crate::seal::{Keyring, SessionClaims};
use crate::types::Secret;

/// The fuzzing clock: 2026-01-01T00:00:00Z. Seeds are signed and sealed for this instant.
pub const NOW: i64 = 1_767_225_600;
/// The SAML targets' clock: 2100-01-01T00:00:00Z. samael 0.0.22 checks IssueInstant age and
/// NotBefore against the system clock (no way to pass it one), so the SAML seeds are issued at
/// this instant with a NotBefore of [`NOW`]: they pass samael's checks (until 2100) and ours
/// (at this instant), and keep reaching the code behind the signature.
pub const SAML_NOW: i64 = 4_102_444_800;

/// A fuzz target's entry point.
pub type Target = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` and corpus directory.
pub const TARGETS: [(&str, Target); 10] = [
    ("saml_response", saml_response),
    ("saml_decrypt", saml_decrypt),
    ("saml_metadata", saml_metadata),
    ("authn_request", authn_request),
    ("sigv4", sigv4),
    ("params", params),
    ("policy", policy),
    ("session_token", session_token),
    ("jwt", jwt),
    ("web_state", web_state),
];

const ACCOUNT: &str = "123456789012";
const SAML_ENTITY_ID: &str = "https://idp.fuzz.test/saml";
const SAML_PROVIDER: &str = "corp";
const SAML_ACS: &str = "https://signin.aws.amazon.com/saml";
const SAML_AUDIENCE: &str = "urn:amazon:webservices";
const OIDC_ISSUER: &str = "https://idp.fuzz.test";
const OIDC_CLIENT: &str = "client-a";
/// The long-term user the SigV4 target's configuration knows.
pub const USER_KEY: &str = "AKIAFUZZTESTUSER0001";
pub const USER_SECRET: &str = "fuzz/TEST/secret/do+not+use+0000000000";
/// The web-state kind the target opens (the real kinds are private to `sts::browser`; the AAD
/// construction and the box format are the same for all of them).
pub const WEB_STATE_KIND: &str = "fuzz-state";

const SAML_IDP_KEY: &str = include_str!("../certs/test-saml-idp-key.pem");
const SAML_IDP_CERT: &str = include_str!("../certs/test-saml-idp-cert.pem");
/// The SP key that decrypts EncryptedAssertions (the demo SAML key pair doubles as the SP's).
const SAML_SP_KEY: &str = include_str!("../certs/demo-saml-idp-key.pem");
const OIDC_RSA_KEY: &str = include_str!("../certs/test-idp-rsa-key.pem");
const OIDC_EC_KEY: &str = include_str!("../certs/test-idp-ec-key.pem");

/// A fixed keyring (TEST ONLY, like everything in `certs/`): session tokens and web state in
/// the corpus are sealed under it.
const KEYRING_JSON: &str = r#"{"version":1,"keys":[{"id":"0123456789abcdef","key":"ZnV6ei10ZXN0LWtleS1kby1ub3QtdXNlLTAwMDAwMDA=","created":"2025-12-31T00:00:00Z"}]}"#;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(NOW, 0).unwrap_or_default()
}

fn saml_now() -> DateTime<Utc> {
    DateTime::from_timestamp(SAML_NOW, 0).unwrap_or_default()
}

/// Whether every fixture built; the fuzz targets assert it at start-up (a broken fixture would
/// otherwise fuzz nothing, silently).
pub fn fixtures_ready() -> bool {
    saml_registry().is_some()
        && oidc_registry().is_some()
        && sigv4_fixture().is_some()
        && keyring().is_some()
}

fn saml_idp() -> Option<&'static crate::demo::saml_idp::SamlIdp> {
    static IDP: LazyLock<Option<crate::demo::saml_idp::SamlIdp>> = LazyLock::new(|| {
        crate::demo::saml_idp::SamlIdp::from_pem(
            SAML_ENTITY_ID,
            SAML_IDP_KEY.as_bytes(),
            SAML_IDP_CERT.as_bytes(),
        )
        .ok()
    });
    IDP.as_ref()
}

fn saml_metadata_xml() -> Option<String> {
    saml_idp().map(|idp| {
        idp.metadata_xml_with_redirect(
            "https://idp.fuzz.test/sso",
            Some("https://idp.fuzz.test/sso/redirect"),
        )
    })
}

/// One provider trusting the test SAML IdP, with the SP key configured (so encrypted
/// assertions are decrypted rather than refused up front).
fn saml_registry() -> Option<&'static SamlRegistry> {
    static REGISTRY: LazyLock<Option<SamlRegistry>> = LazyLock::new(|| {
        let provider = SamlProvider {
            name: SAML_PROVIDER.to_owned(),
            arn: format!("arn:aws:iam::{ACCOUNT}:saml-provider/{SAML_PROVIDER}")
                .parse()
                .unwrap_or_else(|_| unreachable!("a valid provider ARN")),
            metadata: SamlMetadataSource::File {
                path: "fuzz-idp-metadata.xml".into(),
                xml: saml_metadata_xml()?,
            },
            display_name: "Fuzz IdP".to_owned(),
            audiences: vec![SAML_AUDIENCE.to_owned()],
            acs_urls: vec![SAML_ACS.to_owned()],
            allow_sha1: false,
            clock_skew_s: 60,
        };
        let http = reqwest::Client::builder().no_proxy().build().ok()?;
        SamlRegistry::new(&[provider], Some(&Secret::new(SAML_SP_KEY)), http).ok()
    });
    REGISTRY.as_ref()
}

fn oidc_jwks() -> Option<String> {
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{Algorithm, EncodingKey};
    let jwk = |key: &EncodingKey, alg: Algorithm, kid: &str| {
        let mut value = serde_json::to_value(Jwk::from_encoding_key(key, alg).ok()?).ok()?;
        let obj = value.as_object_mut()?;
        obj.insert("kid".into(), json!(kid));
        Some(value)
    };
    let rsa = EncodingKey::from_rsa_pem(OIDC_RSA_KEY.as_bytes()).ok()?;
    let ec = EncodingKey::from_ec_pem(OIDC_EC_KEY.as_bytes()).ok()?;
    let keys = json!({ "keys": [
        jwk(&rsa, Algorithm::RS256, "rsa1")?,
        jwk(&ec, Algorithm::ES256, "ec1")?,
    ]});
    Some(keys.to_string())
}

/// One OIDC provider with the test RSA and EC keys as a file JWKS (no network, ever).
fn oidc_registry() -> Option<&'static OidcRegistry> {
    static REGISTRY: LazyLock<Option<OidcRegistry>> = LazyLock::new(|| {
        crate::authn::oidc::install_crypto_provider();
        let provider = OidcProvider {
            issuer: OIDC_ISSUER.to_owned(),
            arn: format!("arn:aws:iam::{ACCOUNT}:oidc-provider/idp.fuzz.test")
                .parse()
                .unwrap_or_else(|_| unreachable!("a valid provider ARN")),
            key_prefix: "idp.fuzz.test".to_owned(),
            client_ids: vec![OIDC_CLIENT.to_owned(), "client-b".to_owned()],
            jwks: JwksSource::File {
                path: "fuzz-jwks.json".into(),
                json: oidc_jwks()?,
            },
            clock_skew_s: 60,
            display_name: "Fuzz IdP".to_owned(),
            login_client_id: None,
            login_client_secret: None,
            scopes: Vec::new(),
            login_endpoints: None,
        };
        let http = reqwest::Client::builder().no_proxy().build().ok()?;
        OidcRegistry::new(&[provider], http).ok()
    });
    REGISTRY.as_ref()
}

fn keyring() -> Option<&'static Keyring> {
    static RING: LazyLock<Option<Keyring>> =
        LazyLock::new(|| Keyring::from_json(KEYRING_JSON).ok());
    RING.as_ref()
}

struct SigV4Fixture {
    config: Config,
    revocations: RevocationList,
}

fn sigv4_fixture() -> Option<&'static SigV4Fixture> {
    static FIXTURE: LazyLock<Option<SigV4Fixture>> = LazyLock::new(|| {
        let toml = format!(
            r#"
[server]
listen = "127.0.0.1:0"
account_id = "{ACCOUNT}"

[store]
url = "sqlite::memory:"

[[users]]
name = "fuzz"
access_key_id = "{USER_KEY}"
secret_access_key = "{USER_SECRET}"
policies = ['''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*"}}]}}''']
"#
        );
        let config =
            crate::config::from_toml(&toml, Path::new("."), &HashMap::<String, String>::new())
                .ok()?;
        Some(SigV4Fixture {
            config,
            revocations: RevocationList::default(),
        })
    });
    FIXTURE.as_ref()
}

/// Polls a future once. The fuzzed `async` entry points only await network I/O for providers
/// that fetch their keys, which the fixtures have none of, so they finish on the first poll.
fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

/// A `SAMLResponse` as AssumeRoleWithSAML and the browser ACS receive it: the input is the
/// XML, which is base64-encoded (so mutations work on the markup) and verified for the test
/// provider at [`SAML_NOW`]; if it is UTF-8 it is also passed as the base64 text itself.
pub fn saml_response(data: &[u8]) {
    let Some(registry) = saml_registry() else {
        return;
    };
    let b64 = STANDARD.encode(data);
    let _ = registry.candidates_for_response(&b64);
    let _ = registry.verify(SAML_PROVIDER, &b64, saml_now());
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = registry.verify(SAML_PROVIDER, text, saml_now());
    }
}

/// The envelope [`saml_decrypt`] puts its input in: a Response from the test IdP
/// ([`SAML_NOW`]) whose only content is one EncryptedAssertion.
pub fn encrypted_response_xml(encrypted_assertion_content: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_fuzz0response" Version="2.0" IssueInstant="2100-01-01T00:00:00Z" Destination="{SAML_ACS}"><saml:Issuer>{SAML_ENTITY_ID}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:EncryptedAssertion>{encrypted_assertion_content}</saml:EncryptedAssertion></samlp:Response>"#
    )
}

/// XML decryption: the input is the content of a Response's `saml:EncryptedAssertion`
/// (`xenc:EncryptedData`, `xenc:EncryptedKey`), decrypted with the SP key and then verified
/// like any response, through [`SamlRegistry::verify`].
pub fn saml_decrypt(data: &[u8]) {
    let Some(registry) = saml_registry() else {
        return;
    };
    let Ok(content) = std::str::from_utf8(data) else {
        return;
    };
    let b64 = STANDARD.encode(encrypted_response_xml(content));
    let _ = registry.verify(SAML_PROVIDER, &b64, saml_now());
}

/// IdP metadata as a `metadata_file` or a metadata refresh loads it (1 MiB bound, our parser,
/// then samael's configuration and the signing-certificate checks).
pub fn saml_metadata(data: &[u8]) {
    const MAX_METADATA_BYTES: usize = 1024 * 1024;
    if data.len() > MAX_METADATA_BYTES {
        return;
    }
    let Ok(xml) = std::str::from_utf8(data) else {
        return;
    };
    let _ = crate::authn::saml::load_metadata(xml, SAML_AUDIENCE, SAML_ACS);
    let _ = crate::authn::saml::metadata::parse_idp_metadata(xml);
}

/// The demo IdP's HTTP-Redirect `SAMLRequest` reader (base64, inflate, AuthnRequest). The
/// first byte picks what the rest is: 0 the query value itself, 1 the AuthnRequest XML (we
/// deflate and encode it), anything else a raw DEFLATE stream (we encode it).
pub fn authn_request(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let value = match mode {
        0 => match std::str::from_utf8(rest) {
            Ok(text) => text.to_owned(),
            Err(_) => return,
        },
        1 => {
            let mut encoder =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            if encoder.write_all(rest).is_err() {
                return;
            }
            match encoder.finish() {
                Ok(raw) => STANDARD.encode(raw),
                Err(_) => return,
            }
        }
        _ => STANDARD.encode(rest),
    };
    let _ = crate::demo::read_authn_request(&value);
}

/// Splits `METHOD TARGET\nName: value\n...\n\nbody` into an HTTP request (lines that are not
/// valid header lines are dropped, as a server would refuse the request before us).
fn http_request(data: &[u8]) -> Option<(http::request::Parts, &[u8])> {
    // hyper's default caps: 100 headers; and our body bound.
    const MAX_HEADERS: usize = 100;
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (data.get(..at)?, data.get(at + 2..)?),
        None => (data, &[][..]),
    };
    if body.len() > crate::protocol::extract::MAX_BODY_BYTES {
        return None;
    }
    let mut lines = head.split(|&b| b == b'\n');
    let request_line = lines.next()?;
    let mut words = request_line.splitn(2, |&b| b == b' ');
    let method = http::Method::from_bytes(words.next()?).ok()?;
    let uri = http::Uri::try_from(words.next()?).ok()?;
    let mut builder = http::Request::builder().method(method).uri(uri);
    for line in lines.take(MAX_HEADERS) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (Some(name), Some(value)) = (line.get(..colon), line.get(colon + 1..)) else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.trim_ascii()),
            http::HeaderValue::from_bytes(value.trim_ascii()),
        ) else {
            continue;
        };
        builder = builder.header(name, value);
    }
    let (parts, ()) = builder.body(()).ok()?.into_parts();
    Some((parts, body))
}

/// SigV4 as the STS extractor checks it: the Authorization header or the presigned query,
/// key lookup (a long-term user; a temporary key's session token opened with the fixture
/// keyring), time, and the recomputed signature. Input format: see [`http_request`].
pub fn sigv4(data: &[u8]) {
    let Some(fixture) = sigv4_fixture() else {
        return;
    };
    let Some(keyring) = keyring() else {
        return;
    };
    let Some((parts, body)) = http_request(data) else {
        return;
    };
    let signed = SignedRequest::from_parts(&parts, body);
    let _ = crate::authn::authenticate_signed(
        &signed,
        &fixture.config,
        keyring,
        &fixture.revocations,
        now(),
    );
}

/// Query-protocol parameters: the query string, then the form body (the input up to the first
/// newline is the query), then the action and every action's typed parameters.
pub fn params(data: &[u8]) {
    if data.len() > crate::protocol::extract::MAX_BODY_BYTES {
        return;
    }
    let (query, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (
            data.get(..at).unwrap_or_default(),
            data.get(at + 1..).unwrap_or_default(),
        ),
        None => (data, &[][..]),
    };
    let Ok(params) = Params::parse(&[query, body]) else {
        return;
    };
    let _ = Action::from_params(&params);
    let _ = AssumeRoleParams::parse(&params);
    let _ = AssumeRoleWithWebIdentityParams::parse(&params);
    let _ = AssumeRoleWithSamlParams::parse(&params);
    let _ = GetSessionTokenParams::parse(&params);
    let _ = GetFederationTokenParams::parse(&params);
    let _ = GetAccessKeyInfoParams::parse(&params);
    let _ = DecodeAuthorizationMessageParams::parse(&params);
    let _ = crate::protocol::requests::parse_revoke_sessions(&params);
}

fn policy_contexts() -> &'static [RequestContext] {
    static CONTEXTS: LazyLock<Vec<RequestContext>> = LazyLock::new(|| {
        let tag_keys = ContextValue::Multi(vec!["team".into(), "Project".into()]);
        vec![
            RequestContext::new(
                "s3:GetObject",
                Some("arn:aws:s3:::bucket/home/alice/file.txt"),
            )
            .with_principal(CallerPrincipal::Aws {
                arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/Dev/alice"),
                account: ACCOUNT.to_owned(),
                unique_id: Some("AROAEXAMPLE0000000001:alice".to_owned()),
            })
            .with("aws:username", "alice")
            .with("aws:userid", "AROAEXAMPLE0000000001:alice")
            .with("aws:SourceIp", "192.0.2.10")
            .with("aws:CurrentTime", "2026-01-01T00:00:00Z")
            .with("aws:EpochTime", "1767225600")
            .with("aws:SecureTransport", true)
            .with("aws:MultiFactorAuthPresent", true)
            .with("aws:MultiFactorAuthAge", "120")
            .with("aws:PrincipalTag/team", "blue")
            .with("aws:RequestTag/team", "blue")
            .with("aws:TagKeys", tag_keys.clone())
            .with(
                "aws:PrincipalArn",
                format!("arn:aws:iam::{ACCOUNT}:role/Dev"),
            )
            .with("s3:prefix", "home/alice/"),
            RequestContext::new("sts:AssumeRoleWithSAML", None)
                .with_principal(CallerPrincipal::Federated {
                    provider: format!("arn:aws:iam::{ACCOUNT}:saml-provider/corp"),
                })
                .with("SAML:aud", SAML_ACS)
                .with("SAML:sub", "alice@example.com")
                .with(
                    "SAML:edupersonaffiliation",
                    ContextValue::Multi(vec!["staff".into()]),
                )
                .with("aws:TagKeys", tag_keys),
            RequestContext::new("sts:AssumeRoleWithWebIdentity", None)
                .with_principal(CallerPrincipal::Federated {
                    provider: format!("arn:aws:iam::{ACCOUNT}:oidc-provider/idp.fuzz.test"),
                })
                .with("idp.fuzz.test:aud", OIDC_CLIENT)
                .with("idp.fuzz.test:sub", "user-123"),
        ]
    });
    &CONTEXTS
}

/// IAM policy JSON (every kind), and when it parses, evaluation with a trace against fixed
/// identity and trust contexts.
pub fn policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in [PolicyKind::Identity, PolicyKind::Session, PolicyKind::Trust] {
        let Ok(policy) = crate::policy::parse_policy(text, kind) else {
            continue;
        };
        for ctx in policy_contexts() {
            let _ = crate::policy::evaluate(&[&policy], ctx);
            let (_, trace) = crate::policy::evaluate_with_trace(&[&policy], ctx);
            for step in &trace {
                let _ = step.to_string();
            }
        }
    }
}

/// Session tokens and encoded authorization-failure messages as callers present them (both
/// AES-GCM boxes under the fixture keyring), then the claims decoding behind the box.
pub fn session_token(data: &[u8]) {
    let Some(keyring) = keyring() else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::seal::session_token::open(keyring, text, now());
        let _ = crate::seal::denial::open(keyring, text);
    }
    if data.len() <= crate::seal::session_token::MAX_TOKEN_LEN {
        let _ = serde_json::from_slice::<SessionClaims>(data);
    }
}

/// Sealed web state (login cookie, web session, console sign-in) as it comes back from a
/// cookie or the store.
pub fn web_state(data: &[u8]) {
    let Some(keyring) = keyring() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = crate::seal::web_state::open::<serde_json::Value>(keyring, WEB_STATE_KIND, "", text);
}

/// An ID token as AssumeRoleWithWebIdentity and the OIDC callback receive it: size, compact
/// form, header and unverified `iss`, key choice, signature, claims.
pub fn jwt(data: &[u8]) {
    let Some(registry) = oidc_registry() else {
        return;
    };
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let _ = poll_once(registry.verify(token, now()));
}

#[cfg(test)]
mod tests;
