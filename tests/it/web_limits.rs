//! The browser endpoints under `[limits]`, as the API is (issue 11): the ACS per source IP
//! before anything is parsed and per subject after verification, getSigninToken per access
//! key, OIDC sign-in per subject; the ACS picking one SAML provider by the Response's own
//! Issuer (encrypted assertions included); and the `__Host-` cookie names over https.

use std::fmt::Write as _;

use base64::Engine as _;
use chrono::TimeDelta;
use stsbridge::app::ServeLimits;
use stsbridge::clock::{Clock as _, SystemClock};
use stsbridge::demo::saml_idp::{SamlIdp, SamlResponseSpec};

use crate::common::idp::TestIdp;
use crate::common::web::WebClient;
use crate::common::{ADMIN_KEY, TestServer, config_from, error_code, test_config_toml};
use crate::saml::{ACS, AUDIENCE};
use crate::web::{
    assert_error_page, callback_url, oidc_config_with, sign_in, wait_for_login_endpoints,
};

const CERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs");
const ROLE: &str = "arn:aws:iam::123456789012:role/saml-web";

fn entity(i: usize) -> String {
    format!("https://idp{i}.test/saml")
}

fn provider_arn(i: usize) -> String {
    format!("arn:aws:iam::123456789012:saml-provider/p{i}")
}

/// The IdP of provider `i`. TEST KEYS ONLY: provider 1 signs with the demo key, every other
/// one with the test key.
fn idp(i: usize) -> SamlIdp {
    let (key, cert) = if i == 1 {
        ("demo-saml-idp-key.pem", "demo-saml-idp-cert.pem")
    } else {
        ("test-saml-idp-key.pem", "test-saml-idp-cert.pem")
    };
    SamlIdp::from_pem(
        &entity(i),
        &std::fs::read(format!("{CERTS}/{key}")).unwrap(),
        &std::fs::read(format!("{CERTS}/{cert}")).unwrap(),
    )
    .unwrap()
}

/// `providers` SAML providers `p0…` (each its own IdP entity id), an SP key for encrypted
/// assertions, one role trusting them all, and `limits` as the `[limits]` table.
fn saml_config(dir: &std::path::Path, providers: usize, limits: &str) -> stsbridge::config::Config {
    let mut toml = test_config_toml().replace(
        "listen = \"127.0.0.1:0\"",
        &format!(
            "listen = \"127.0.0.1:0\"\npublic_url = \"https://sts.test\"\nsaml_sp_key_file = \"{CERTS}/test-saml-idp-key.pem\"\nsaml_sp_cert_file = \"{CERTS}/test-saml-idp-cert.pem\""
        ),
    );
    let mut arns = Vec::new();
    for i in 0..providers {
        let metadata = dir.join(format!("idp{i}.xml"));
        let sso = format!("https://idp{i}.test/sso");
        std::fs::write(
            &metadata,
            idp(i).metadata_xml_with_redirect(&sso, Some(&sso)),
        )
        .unwrap();
        writeln!(
            toml,
            "\n[[saml_providers]]\nname = \"p{i}\"\nmetadata_file = \"{}\"",
            metadata.display()
        )
        .unwrap();
        arns.push(format!("\"{}\"", provider_arn(i)));
    }
    write!(
        toml,
        r#"
[[roles]]
name = "saml-web"
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":[{}]}},"Action":"sts:AssumeRoleWithSAML","Condition":{{"StringEquals":{{"SAML:aud":"{ACS}"}}}}}}]}}'''

[limits]
{limits}
"#,
        arns.join(",")
    )
    .unwrap();
    config_from(&toml)
}

async fn saml_server(dir: &std::path::Path, providers: usize, limits: &str) -> TestServer {
    TestServer::start_custom(ServeLimits::default(), saml_config(dir, providers, limits)).await
}

/// A signed Response of provider `i`'s IdP for `name`, offering the one role (XML).
fn response_xml(i: usize, name: &str) -> String {
    let roles = [(ROLE.to_owned(), provider_arn(i))];
    idp(i)
        .response_xml(&SamlResponseSpec {
            name_id: name,
            recipient: ACS,
            audience: AUDIENCE,
            role_session_name: name,
            roles: &roles,
            groups: &[],
            extra_attributes: &[],
            now: SystemClock.now(),
            valid_for: TimeDelta::minutes(5),
            in_response_to: None,
        })
        .unwrap()
}

fn b64(xml: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(xml)
}

/// Sign, then encrypt, as Entra ID does: the signed Assertion under AES-256-GCM with a fresh
/// key, that key under RSA-OAEP (MGF1-SHA1) to the SP certificate, inside the EncryptedData.
/// The Response around it, its own Issuer included, stays in the clear.
fn encrypt_assertion(response: &str) -> String {
    use openssl::rsa::Padding;
    const END: &str = "</saml:Assertion>";
    let start = response.find("<saml:Assertion ").unwrap();
    let end = response.find(END).unwrap() + END.len();
    let mut key = [0u8; 32];
    let mut iv = [0u8; 12];
    openssl::rand::rand_bytes(&mut key).unwrap();
    openssl::rand::rand_bytes(&mut iv).unwrap();
    let mut tag = [0u8; 16];
    let cipher = openssl::symm::encrypt_aead(
        openssl::symm::Cipher::aes_256_gcm(),
        &key,
        Some(&iv),
        &[],
        &response.as_bytes()[start..end],
        &mut tag,
    )
    .unwrap();
    let data = [iv.as_slice(), &cipher, &tag].concat();
    let cert = openssl::x509::X509::from_pem(
        &std::fs::read(format!("{CERTS}/test-saml-idp-cert.pem")).unwrap(),
    )
    .unwrap();
    let rsa = cert.public_key().unwrap().rsa().unwrap();
    let mut wrapped = vec![0u8; usize::try_from(rsa.size()).unwrap()];
    let n = rsa
        .public_encrypt(&key, &mut wrapped, Padding::PKCS1_OAEP)
        .unwrap();
    wrapped.truncate(n);
    let std = base64::engine::general_purpose::STANDARD;
    let encrypted = format!(
        r#"<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/><ds:KeyInfo><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>"#,
        std.encode(&wrapped),
        std.encode(&data)
    );
    format!("{}{encrypted}{}", &response[..start], &response[end..])
}

/// The Response's own Issuer element (the first one: the assertion's comes later).
fn response_issuer_element(xml: &str) -> String {
    const END: &str = "</saml:Issuer>";
    let start = xml.find("<saml:Issuer>").unwrap();
    let end = xml.find(END).unwrap() + END.len();
    xml[start..end].to_owned()
}

async fn acs(server: &TestServer, c: &mut WebClient, response: &str) -> crate::common::web::Page {
    c.post(
        &format!("{}/saml/acs", server.url()),
        &[("SAMLResponse", response)],
    )
    .await
}

async fn metric(server: &TestServer, series: &str) -> f64 {
    let text = reqwest::get(format!("{}/metrics", server.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn the_acs_is_throttled_per_ip_before_anything_is_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let server = saml_server(dir.path(), 1, "unauthenticated_per_ip_per_s = 3").await;
    let series = "stsbridge_throttled_total{limit=\"unauthenticated_per_ip\"}";
    let before = metric(&server, series).await;
    let http = reqwest::Client::new();
    let garbage = || {
        http.post(format!("{}/saml/acs", server.url()))
            .header("content-type", "text/plain")
            .body("\u{1}not a form, not base64, not XML")
            .send()
    };
    // Three per second from this address: each is read, and refused as what it is.
    for _ in 0..3 {
        let resp = garbage().await.unwrap();
        assert_eq!(resp.status(), 400);
        assert!(resp.text().await.unwrap().contains("not a form"));
    }
    // The fourth is throttled before its body is looked at: a clear page, not a parse error.
    let resp = garbage().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "1");
    let body = resp.text().await.unwrap();
    assert!(body.contains("Too many"), "{body}");
    assert!(!body.contains("not a form"), "{body}");
    // A real response from this address waits its turn too.
    let mut c = WebClient::new();
    let page = acs(&server, &mut c, &b64(&response_xml(0, "alice"))).await;
    assert_error_page(&page, 429, "Wait a few seconds");
    assert!(metric(&server, series).await >= before + 2.0);
    // The buckets are the API's: its anonymous federation actions from here wait as well.
    let err = server
        .admin_unsigned()
        .assume_role_with_saml()
        .role_arn(ROLE)
        .principal_arn(provider_arn(0))
        .saml_assertion(b64(&response_xml(0, "alice")))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "Throttling");
    // A second later the bucket has refilled.
    server.clock.advance(TimeDelta::seconds(1));
    let page = acs(&server, &mut c, &b64(&response_xml(0, "alice"))).await;
    assert_eq!(page.status, 303, "{}", page.body);
}

#[tokio::test]
async fn anonymous_browser_endpoints_that_cost_work_are_throttled_per_ip() {
    // /saml/login signs an AuthnRequest (RSA), /oidc/callback asks the IdP's token endpoint,
    // /federation?Action=login writes to the store, /oidc/login seals a cookie: anyone can
    // call them, so each takes a token of the API's per-IP bucket before doing anything.
    let dir = tempfile::tempdir().unwrap();
    let server = saml_server(dir.path(), 1, "unauthenticated_per_ip_per_s = 2").await;
    let base = server.url();
    let series = "stsbridge_throttled_total{limit=\"unauthenticated_per_ip\"}";
    let endpoints = [
        format!("{base}/saml/login/p0"),
        format!("{base}/oidc/callback?state=x&code=y"),
        format!(
            "{base}/federation?Action=login&Destination=https%3A%2F%2Fsts.test%2Fconsole&SigninToken=t"
        ),
        format!("{base}/oidc/login/0"),
    ];
    for url in &endpoints {
        server.clock.advance(TimeDelta::seconds(1));
        let mut c = WebClient::new();
        for _ in 0..2 {
            let page = c.get(url).await;
            assert_ne!(page.status, 429, "{url}: {}", page.body);
        }
        let before = metric(&server, series).await;
        let page = c.get(url).await;
        assert_error_page(&page, 429, "Wait a few seconds");
        assert_eq!(page.headers["retry-after"], "1", "{url}");
        assert!(metric(&server, series).await > before, "{url}");
    }
}

#[tokio::test]
async fn the_acs_applies_the_per_subject_limit_without_spending_the_assertion() {
    let dir = tempfile::tempdir().unwrap();
    let server = saml_server(dir.path(), 1, "per_subject_per_s = 1").await;
    let first = acs(
        &server,
        &mut WebClient::new(),
        &b64(&response_xml(0, "bob")),
    )
    .await;
    assert_eq!(first.status, 303, "{}", first.body);
    let second = b64(&response_xml(0, "bob"));
    let page = acs(&server, &mut WebClient::new(), &second).await;
    assert_error_page(&page, 429, "Wait a few seconds");
    // Another subject has its own bucket.
    let carol = acs(
        &server,
        &mut WebClient::new(),
        &b64(&response_xml(0, "carol")),
    )
    .await;
    assert_eq!(carol.status, 303, "{}", carol.body);
    // Throttled before the replay cache: the same assertion works a second later.
    server.clock.advance(TimeDelta::seconds(1));
    let retried = acs(&server, &mut WebClient::new(), &second).await;
    assert_eq!(retried.status, 303, "{}", retried.body);
}

#[tokio::test]
async fn encrypted_assertions_sign_in_with_four_saml_providers() {
    let dir = tempfile::tempdir().unwrap();
    let server = saml_server(dir.path(), 4, "").await;
    for i in [3, 1] {
        let mut c = WebClient::new();
        let page = acs(
            &server,
            &mut c,
            &b64(&encrypt_assertion(&response_xml(i, "dora"))),
        )
        .await;
        assert_eq!(page.status, 303, "provider p{i}: {}", page.body);
        assert_eq!(page.location.as_deref(), Some("/console"));
        let console = c.get(&format!("{}/console", server.url())).await;
        assert!(console.body.contains("role/saml-web"), "{}", console.body);
    }
    // Without its own Issuer, a Response cannot be told apart among several providers.
    let xml = encrypt_assertion(&response_xml(2, "dora"));
    let anonymous = xml.replacen(&response_issuer_element(&xml), "", 1);
    let page = acs(&server, &mut WebClient::new(), &b64(&anonymous)).await;
    assert_error_page(&page, 400, "names no Issuer of its own");
}

#[tokio::test]
async fn only_the_provider_the_response_names_is_tried() {
    let dir = tempfile::tempdir().unwrap();
    let server = saml_server(dir.path(), 2, "").await;
    // An assertion of p1's IdP (signed with p1's key), in a Response naming p0's IdP: p0's
    // check refuses it (p0's key did not sign it), and p1's check, which would refuse it for
    // the Issuer, never runs.
    let xml = encrypt_assertion(&response_xml(1, "eve"));
    let issuer = response_issuer_element(&xml);
    let claimed = xml.replacen(
        &issuer,
        &format!("<saml:Issuer>{}</saml:Issuer>", entity(0)),
        1,
    );
    let page = acs(&server, &mut WebClient::new(), &b64(&claimed)).await;
    assert_error_page(&page, 403, "could not be read");
    assert!(!page.body.contains("Issuer not present"), "{}", page.body);
    // Naming no Issuer, it is not tried against each provider in turn (p1 would accept it).
    let anonymous = xml.replacen(&issuer, "", 1);
    let page = acs(&server, &mut WebClient::new(), &b64(&anonymous)).await;
    assert_error_page(&page, 400, "names no Issuer of its own");
    // The very assertion, in a Response naming its own IdP, signs in: only the pick failed.
    let page = acs(&server, &mut WebClient::new(), &b64(&xml)).await;
    assert_eq!(page.status, 303, "{}", page.body);
}

#[tokio::test]
async fn with_one_saml_provider_a_response_without_issuer_still_goes_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = saml_server(dir.path(), 1, "").await;
    let xml = encrypt_assertion(&response_xml(0, "fred"));
    let anonymous = xml.replacen(&response_issuer_element(&xml), "", 1);
    let page = acs(&server, &mut WebClient::new(), &b64(&anonymous)).await;
    assert_eq!(page.status, 303, "{}", page.body);
}

async fn signin_token(server: &TestServer, key: &str, secret: &str, token: &str) -> u16 {
    let session =
        serde_json::json!({"sessionId": key, "sessionKey": secret, "sessionToken": token});
    reqwest::Client::new()
        .post(format!("{}/federation", server.url()))
        .form(&[
            ("Action", "getSigninToken"),
            ("Session", &session.to_string()),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn get_signin_token_is_throttled_per_access_key_once_the_credentials_verify() {
    let server = TestServer::start_custom(
        ServeLimits::default(),
        config_from(&(test_config_toml() + "\n[limits]\nper_access_key_per_s = 2\n")),
    )
    .await;
    let assume = || async {
        let creds = server
            .admin()
            .assume_role()
            .role_arn("arn:aws:iam::123456789012:role/team/reader")
            .role_session_name("console")
            .send()
            .await
            .unwrap()
            .credentials
            .unwrap();
        (
            creds.access_key_id,
            creds.secret_access_key,
            creds.session_token,
        )
    };
    let (key, secret, token) = assume().await;
    // Wrong secrets are refused without touching the key's bucket: knowing a key id (not a
    // secret) must not let anyone throttle its owner.
    for _ in 0..5 {
        assert_eq!(signin_token(&server, &key, "wrong", &token).await, 403);
    }
    assert_eq!(signin_token(&server, ADMIN_KEY, "x", &token).await, 403);
    // The owner's valid calls share the API's per-key budget: two a second here.
    let series = "stsbridge_throttled_total{limit=\"per_access_key\"}";
    for _ in 0..2 {
        assert_eq!(signin_token(&server, &key, &secret, &token).await, 200);
    }
    let before = metric(&server, series).await;
    assert_eq!(signin_token(&server, &key, &secret, &token).await, 429);
    assert!(metric(&server, series).await > before);
    // Other credentials have their own bucket.
    let (other_key, other_secret, other_token) = assume().await;
    assert_ne!(other_key, key);
    assert_eq!(
        signin_token(&server, &other_key, &other_secret, &other_token).await,
        200
    );
    server.clock.advance(TimeDelta::seconds(1));
    assert_eq!(signin_token(&server, &key, &secret, &token).await, 200);
}

#[tokio::test]
async fn oidc_sign_in_is_throttled_per_subject() {
    let idp = TestIdp::start().await;
    let server = TestServer::start_bound(|addr| {
        oidc_config_with(addr, &idp, false, "\n[limits]\nper_subject_per_s = 1\n")
    })
    .await;
    wait_for_login_endpoints(&server, &idp).await;
    let roles = sign_in(&server, &mut WebClient::new()).await;
    assert_eq!(roles.status, 200, "{}", roles.body);
    // The same subject again within the second: the API's bucket for it is empty.
    let mut c = WebClient::new();
    let callback = callback_url(&server, &mut c).await;
    let page = c.get(&callback).await;
    assert_error_page(&page, 429, "Wait a few seconds");
    assert!(!c.cookies.contains_key("stsbridge_session"));
    assert!(
        !c.cookies.contains_key("stsbridge_login"),
        "the attempt is over"
    );
    server.clock.advance(TimeDelta::seconds(1));
    let roles = sign_in(&server, &mut WebClient::new()).await;
    assert_eq!(roles.status, 200, "{}", roles.body);
}

#[tokio::test]
async fn login_cookies_use_the_host_prefix_over_https() {
    let idp = TestIdp::start().await;
    // https in public_url, TLS terminated elsewhere: the test talks plain http to the port.
    let server = TestServer::start_bound(|addr| {
        let mut config = oidc_config_with(addr, &idp, false, "");
        config.server.public_url = url::Url::parse("https://sts.test/").unwrap();
        config
    })
    .await;
    wait_for_login_endpoints(&server, &idp).await;
    let mut c = WebClient::new();
    let start = c.get(&format!("{}/oidc/login/0", server.url())).await;
    assert_eq!(start.status, 303, "{}", start.body);
    assert_host_cookie(&start, "__Host-stsbridge_login=");
    // The callback reads it under that name, and clears it under that name.
    let back = c.get(&start.location.unwrap()).await.location.unwrap();
    let callback = back.replace("https://sts.test", &server.url());
    let page = c.get(&callback).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(!c.cookies.contains_key("__Host-stsbridge_login"));
    assert!(c.cookies.contains_key("__Host-stsbridge_session"));
    assert!(
        c.cookies.keys().all(|k| k.starts_with("__Host-")),
        "{:?}",
        c.cookies
    );
}

#[tokio::test]
async fn the_saml_request_cookie_uses_the_host_prefix_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let server = saml_server(dir.path(), 1, "").await;
    let mut c = WebClient::new();
    let start = c.get(&format!("{}/saml/login/p0", server.url())).await;
    assert_eq!(start.status, 303, "{}", start.body);
    assert_host_cookie(&start, "__Host-stsbridge_saml=");
    // The ACS reads it under that name: the answer to this browser's request is accepted.
    let location = start.location.unwrap();
    let request_id = authn_request_id(&location);
    let roles = [(ROLE.to_owned(), provider_arn(0))];
    let answer = idp(0)
        .response_b64(&SamlResponseSpec {
            name_id: "gina",
            recipient: ACS,
            audience: AUDIENCE,
            role_session_name: "gina",
            roles: &roles,
            groups: &[],
            extra_attributes: &[],
            now: SystemClock.now(),
            valid_for: TimeDelta::minutes(5),
            in_response_to: Some(&request_id),
        })
        .unwrap();
    let page = acs(&server, &mut c, &answer).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(!c.cookies.contains_key("__Host-stsbridge_saml"), "spent");
    assert!(c.cookies.contains_key("__Host-stsbridge_session"));
}

/// The page sets `prefix…` as a `__Host-` cookie: Secure, `Path=/`, host-only.
fn assert_host_cookie(page: &crate::common::web::Page, prefix: &str) {
    let cookie = page.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with(prefix)
            && cookie.contains("Secure")
            && cookie.contains("Path=/")
            && !cookie.contains("Domain"),
        "{cookie}"
    );
}

/// The ID of the AuthnRequest in an HTTP-Redirect URL (raw DEFLATE, base64, percent-encoded).
fn authn_request_id(location: &str) -> String {
    use std::io::Read as _;
    let url = url::Url::parse(location).unwrap();
    let request = url
        .query_pairs()
        .find(|(k, _)| k == "SAMLRequest")
        .unwrap()
        .1
        .into_owned();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(request)
        .unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(raw.as_slice())
        .read_to_string(&mut xml)
        .unwrap();
    let at = xml.find(" ID=\"").unwrap() + 5;
    xml[at..at + xml[at..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn an_answer_without_issuer_goes_to_the_provider_this_browser_asked() {
    // The Response-level Issuer is optional in SAML. With several providers, an answer to an
    // SP-initiated request is still accepted: the provider is the one the browser's sealed
    // request cookie names (only that one is tried); an unsolicited one is refused.
    let dir = tempfile::tempdir().unwrap();
    let server = saml_server(dir.path(), 3, "").await;
    let mut c = WebClient::new();
    let start = c.get(&format!("{}/saml/login/p2", server.url())).await;
    assert_eq!(start.status, 303, "{}", start.body);
    let request_id = authn_request_id(&start.location.unwrap());
    let roles = [(ROLE.to_owned(), provider_arn(2))];
    let xml = idp(2)
        .response_xml(&SamlResponseSpec {
            name_id: "hana",
            recipient: ACS,
            audience: AUDIENCE,
            role_session_name: "hana",
            roles: &roles,
            groups: &[],
            extra_attributes: &[],
            now: SystemClock.now(),
            valid_for: TimeDelta::minutes(5),
            in_response_to: Some(&request_id),
        })
        .unwrap();
    let anonymous = xml.replacen(&response_issuer_element(&xml), "", 1);
    assert!(anonymous.len() < xml.len());
    let unsolicited = acs(&server, &mut WebClient::new(), &b64(&anonymous)).await;
    assert_error_page(&unsolicited, 400, "names no Issuer");
    let page = acs(&server, &mut c, &b64(&anonymous)).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(c.cookies.contains_key("__Host-stsbridge_session"));
}
