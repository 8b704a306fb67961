//! AssumeRoleWithSAML through the SDK and raw HTTP, with a SAML IdP that signs with a TEST-ONLY
//! key; the validator's attack matrix (XSW1–8, XXE, comment injection, …) lives in the unit
//! tests of `authn::saml`, signed by the independent xmlsec1 tool.

use chrono::TimeDelta;
use stsbridge::app::ServeLimits;
use stsbridge::clock::{Clock, SystemClock};
use stsbridge::demo::saml_idp::{SamlIdp, SamlResponseSpec};
use stsbridge::seal::Keyring;

use crate::common::postgres::{Proxy, TestDb};
use crate::common::{TestServer, config_from, error_code, error_message, test_config_toml};

pub(crate) const ENTITY_ID: &str = "https://idp.test/saml";
pub(crate) const ACS: &str = "https://sts.test/saml/acs";
pub(crate) const AUDIENCE: &str = "https://sts.test/saml/metadata";
pub(crate) const PROVIDER_ARN: &str = "arn:aws:iam::123456789012:saml-provider/corp";
pub(crate) const ROLE_DEV: &str = "arn:aws:iam::123456789012:role/saml-dev";
pub(crate) const ROLE_OPS: &str = "arn:aws:iam::123456789012:role/saml-ops";

fn idp() -> SamlIdp {
    SamlIdp::from_pem(
        ENTITY_ID,
        include_bytes!("../../certs/test-saml-idp-key.pem"),
        include_bytes!("../../certs/test-saml-idp-cert.pem"),
    )
    .unwrap()
}

/// Config with the SAML provider (metadata written into `dir`) and two roles trusting it.
pub(crate) fn config_toml(dir: &std::path::Path, store: &str) -> String {
    let metadata = dir.join("idp-metadata.xml");
    std::fs::write(&metadata, idp().metadata_xml("https://idp.test/sso")).unwrap();
    let trust = format!(
        r#"'''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{PROVIDER_ARN}"}},"Action":"sts:AssumeRoleWithSAML","Condition":{{"StringEquals":{{"SAML:aud":"{ACS}"}}}}}}]}}'''"#
    );
    test_config_toml()
        .replace(
            "listen = \"127.0.0.1:0\"",
            "listen = \"127.0.0.1:0\"\npublic_url = \"https://sts.test\"",
        )
        .replace("url = \"sqlite::memory:\"", &format!("url = \"{store}\""))
        + &format!(
            "\n[[saml_providers]]\nname = \"corp\"\nmetadata_file = \"{}\"\n\n[[roles]]\nname = \"saml-dev\"\ntrust_policy = {trust}\n\n[[roles]]\nname = \"saml-ops\"\ntrust_policy = {trust}\n",
            metadata.display()
        )
}

pub(crate) fn response(
    name: &str,
    roles: &[(String, String)],
    valid_for: TimeDelta,
    audience: &str,
) -> String {
    response_with(name, roles, valid_for, audience, &[])
}

type Attribute = (String, Option<String>, Vec<String>);

fn attribute(name: &str, friendly: Option<&str>, values: &[&str]) -> Attribute {
    (
        name.to_owned(),
        friendly.map(str::to_owned),
        values.iter().map(|v| (*v).to_owned()).collect(),
    )
}

fn response_with(
    name: &str,
    roles: &[(String, String)],
    valid_for: TimeDelta,
    audience: &str,
    extra: &[Attribute],
) -> String {
    idp()
        .response_b64(&SamlResponseSpec {
            name_id: name,
            recipient: ACS,
            audience,
            role_session_name: name,
            roles,
            groups: &["engineering".to_owned()],
            extra_attributes: extra,
            now: SystemClock.now(),
            valid_for,
            in_response_to: None,
        })
        .unwrap()
}

pub(crate) fn dev_role() -> Vec<(String, String)> {
    vec![(ROLE_DEV.to_owned(), PROVIDER_ARN.to_owned())]
}

async fn start(dir: &std::path::Path, store: &str, keyring: Keyring) -> TestServer {
    TestServer::start_full(
        ServeLimits::default(),
        config_from(&config_toml(dir, store)),
        keyring,
    )
    .await
}

pub(crate) async fn assume(
    server: &TestServer,
    role: &str,
    assertion: &str,
) -> Result<aws_sdk_sts::operation::assume_role_with_saml::AssumeRoleWithSamlOutput, (String, String)>
{
    server
        .admin_unsigned()
        .assume_role_with_saml()
        .role_arn(role)
        .principal_arn(PROVIDER_ARN)
        .saml_assertion(assertion)
        .send()
        .await
        .map_err(|e| (error_code(&e), error_message(&e)))
}

#[tokio::test]
async fn a_signed_assertion_gets_credentials_that_work() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        "sqlite::memory:",
        Keyring::generate(SystemClock.now()),
    )
    .await;
    let out = assume(
        &server,
        ROLE_DEV,
        &response(
            "alice@example.com",
            &dev_role(),
            TimeDelta::minutes(5),
            AUDIENCE,
        ),
    )
    .await
    .unwrap();
    assert_eq!(out.subject(), Some("alice@example.com"));
    assert_eq!(out.subject_type(), Some("persistent"));
    assert_eq!(out.issuer(), Some(ENTITY_ID));
    assert_eq!(out.audience(), Some(ACS));
    let qualifier =
        stsbridge::sts::saml::name_qualifier(ENTITY_ID, "123456789012".parse().unwrap(), "corp");
    assert_eq!(out.name_qualifier(), Some(qualifier.as_str()));
    let user = out.assumed_role_user().unwrap();
    assert_eq!(
        user.arn(),
        "arn:aws:sts::123456789012:assumed-role/saml-dev/alice@example.com"
    );
    let c = out.credentials().unwrap();
    let me = server
        .client(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token()),
            "us-east-1",
        )
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.arn(), Some(user.arn()));
}

#[tokio::test]
async fn a_replayed_assertion_is_refused_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().join("store.db").display());
    let keys = dir.path().join("keys.json");
    Keyring::load_or_create(&keys, SystemClock.now()).unwrap();
    let assertion = response("bob", &dev_role(), TimeDelta::minutes(5), AUDIENCE);
    {
        let first = start(dir.path(), &store, Keyring::load(&keys).unwrap()).await;
        assume(&first, ROLE_DEV, &assertion).await.unwrap();
        let (code, message) = assume(&first, ROLE_DEV, &assertion).await.unwrap_err();
        assert_eq!(code, "InvalidIdentityToken");
        assert!(message.contains("already been used"), "{message}");
        first.shutdown().await.unwrap();
    }
    let second = start(dir.path(), &store, Keyring::load(&keys).unwrap()).await;
    let (code, _) = assume(&second, ROLE_DEV, &assertion).await.unwrap_err();
    assert_eq!(
        code, "InvalidIdentityToken",
        "the replay cache survives the restart"
    );
    // A fresh assertion for the same user is fine.
    assume(
        &second,
        ROLE_DEV,
        &response("bob", &dev_role(), TimeDelta::minutes(5), AUDIENCE),
    )
    .await
    .unwrap();
}

/// With the replay cache in PostgreSQL, a database outage refuses sign-ins with a server-side
/// error (never credentials without the replay check), /readyz says so, and once the database
/// is back the same server recovers by itself with its replay records intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_refuses_saml_sign_ins_until_the_database_is_back() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let mut proxy = Proxy::start(db.server_addr().await).await;
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &db.url_via(&proxy),
        Keyring::generate(SystemClock.now()),
    )
    .await;
    let before = response("carol", &dev_role(), TimeDelta::minutes(5), AUDIENCE);
    assume(&server, ROLE_DEV, &before).await.unwrap();

    proxy.stop().await;
    let during = response("carol", &dev_role(), TimeDelta::minutes(5), AUDIENCE);
    let ready = reqwest::get(format!("{}/readyz", server.url()));
    let (refused, ready) = tokio::join!(assume(&server, ROLE_DEV, &during), ready);
    let (code, _) = refused.unwrap_err();
    assert_eq!(code, "ServiceUnavailable", "a 503 the SDKs retry");
    assert_eq!(
        ready.unwrap().status(),
        reqwest::StatusCode::SERVICE_UNAVAILABLE
    );

    proxy.resume().await;
    // The refused assertion was never recorded, so it is good for exactly one use now.
    assume(&server, ROLE_DEV, &during).await.unwrap();
    for used in [&during, &before] {
        let (code, message) = assume(&server, ROLE_DEV, used).await.unwrap_err();
        assert_eq!(code, "InvalidIdentityToken");
        assert!(message.contains("already been used"), "{message}");
    }
    let ready = reqwest::get(format!("{}/readyz", server.url()))
        .await
        .unwrap();
    assert_eq!(ready.status(), reqwest::StatusCode::OK);
    server.shutdown().await.unwrap();
    proxy.stop().await;
}

#[tokio::test]
async fn role_attribute_audience_expiry_and_tampering_decide() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        "sqlite::memory:",
        Keyring::generate(SystemClock.now()),
    )
    .await;
    // The Role attribute lists saml-dev only: saml-ops is refused although its trust allows.
    let (code, _) = assume(
        &server,
        ROLE_OPS,
        &response("carol", &dev_role(), TimeDelta::minutes(5), AUDIENCE),
    )
    .await
    .unwrap_err();
    assert_eq!(code, "AccessDenied");
    let (code, _) = assume(
        &server,
        ROLE_DEV,
        &response(
            "carol",
            &dev_role(),
            TimeDelta::minutes(5),
            "https://other.example/sp",
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(code, "InvalidIdentityToken");
    let (code, _) = assume(
        &server,
        ROLE_DEV,
        &response("carol", &dev_role(), TimeDelta::minutes(-2), AUDIENCE),
    )
    .await
    .unwrap_err();
    assert_eq!(code, "ExpiredTokenException");
    // Change the signed role session name after signing.
    let b64 = response("carol", &dev_role(), TimeDelta::minutes(5), AUDIENCE);
    let xml = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &b64).unwrap(),
    )
    .unwrap();
    let tampered = xml.replacen(
        "<saml:AttributeValue>carol</saml:AttributeValue>",
        "<saml:AttributeValue>admin</saml:AttributeValue>",
        1,
    );
    assert_ne!(tampered, xml);
    let tampered = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, tampered);
    let (code, _) = assume(&server, ROLE_DEV, &tampered).await.unwrap_err();
    assert_eq!(code, "InvalidIdentityToken");
    // An unknown provider ARN.
    let err = server
        .admin_unsigned()
        .assume_role_with_saml()
        .role_arn(ROLE_DEV)
        .principal_arn("arn:aws:iam::123456789012:saml-provider/nope")
        .saml_assertion(response(
            "carol",
            &dev_role(),
            TimeDelta::minutes(5),
            AUDIENCE,
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidIdentityToken");
}

const AWS: &str = "https://aws.amazon.com/SAML/Attributes/";

#[tokio::test]
async fn aws_attributes_shape_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        "sqlite::memory:",
        Keyring::generate(SystemClock.now()),
    )
    .await;
    let now = SystemClock.now().timestamp();
    // SessionDuration can only shorten: 1800 s instead of the default hour.
    let out = assume(
        &server,
        ROLE_DEV,
        &response_with(
            "dana",
            &dev_role(),
            TimeDelta::minutes(5),
            AUDIENCE,
            &[attribute(&format!("{AWS}SessionDuration"), None, &["1800"])],
        ),
    )
    .await
    .unwrap();
    let lifetime = out.credentials().unwrap().expiration().secs() - now;
    assert!((1790..=1810).contains(&lifetime), "{lifetime}");
    // A longer SessionDuration does not lengthen the default hour (nor fail on the role max).
    let out = assume(
        &server,
        ROLE_DEV,
        &response_with(
            "dana",
            &dev_role(),
            TimeDelta::minutes(5),
            AUDIENCE,
            &[attribute(
                &format!("{AWS}SessionDuration"),
                None,
                &["28800"],
            )],
        ),
    )
    .await
    .unwrap();
    let lifetime = out.credentials().unwrap().expiration().secs() - now;
    assert!((3590..=3610).contains(&lifetime), "{lifetime}");
    // Tags need sts:TagSession, which these roles' trust policies do not grant.
    let (code, _) = assume(
        &server,
        ROLE_DEV,
        &response_with(
            "dana",
            &dev_role(),
            TimeDelta::minutes(5),
            AUDIENCE,
            &[attribute(
                &format!("{AWS}PrincipalTag:Team"),
                None,
                &["blue"],
            )],
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(code, "AccessDenied");
    // Hostile tag sets never reach the session: duplicate keys, too many transitive keys.
    let long_key = "k".repeat(128);
    let many: Vec<&str> = std::iter::repeat_n(long_key.as_str(), 300).collect();
    for extra in [
        vec![
            attribute(&format!("{AWS}PrincipalTag:Team"), None, &["a"]),
            attribute(&format!("{AWS}PrincipalTag:team"), None, &["b"]),
        ],
        vec![
            attribute(&format!("{AWS}PrincipalTag:k"), None, &["v"]),
            attribute(&format!("{AWS}TransitiveTagKeys"), None, &many),
        ],
        vec![attribute(
            &format!("{AWS}SourceIdentity"),
            None,
            &["aws:nope"],
        )],
    ] {
        let (code, _) = assume(
            &server,
            ROLE_DEV,
            &response_with("dana", &dev_role(), TimeDelta::minutes(5), AUDIENCE, &extra),
        )
        .await
        .unwrap_err();
        assert_eq!(code, "InvalidIdentityToken");
    }
}

#[tokio::test]
async fn an_attribute_named_sub_cannot_stand_in_for_the_name_id() {
    let dir = tempfile::tempdir().unwrap();
    let trust_on_sub = format!(
        r#"'''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{PROVIDER_ARN}"}},"Action":"sts:AssumeRoleWithSAML","Condition":{{"StringEquals":{{"SAML:sub":"boss@example.com"}}}}}}]}}'''"#
    );
    let toml = config_toml(dir.path(), "sqlite::memory:")
        + &format!("\n[[roles]]\nname = \"boss\"\ntrust_policy = {trust_on_sub}\n");
    let server = TestServer::start_full(
        ServeLimits::default(),
        config_from(&toml),
        Keyring::generate(SystemClock.now()),
    )
    .await;
    let roles = vec![(
        "arn:aws:iam::123456789012:role/boss".to_owned(),
        PROVIDER_ARN.to_owned(),
    )];
    let forged_sub = [attribute(
        "urn:example:nickname",
        Some("sub"),
        &["boss@example.com"],
    )];
    let (code, _) = assume(
        &server,
        "arn:aws:iam::123456789012:role/boss",
        &response_with(
            "mallory@example.com",
            &roles,
            TimeDelta::minutes(5),
            AUDIENCE,
            &forged_sub,
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(
        code, "AccessDenied",
        "an IdP attribute must not replace SAML:sub"
    );
    assume(
        &server,
        "arn:aws:iam::123456789012:role/boss",
        &response_with(
            "boss@example.com",
            &roles,
            TimeDelta::minutes(5),
            AUDIENCE,
            &[],
        ),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn one_assertion_one_use_even_across_providers_sharing_an_idp() {
    let dir = tempfile::tempdir().unwrap();
    let metadata = dir.path().join("idp-metadata.xml");
    let second = format!(
        "\n[[saml_providers]]\nname = \"corp2\"\nmetadata_file = \"{}\"\n\n[[roles]]\nname = \"saml-dev2\"\ntrust_policy = '''{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Federated\":\"arn:aws:iam::123456789012:saml-provider/corp2\"}},\"Action\":\"sts:AssumeRoleWithSAML\"}}]}}'''\n",
        metadata.display()
    );
    let toml = config_toml(dir.path(), "sqlite::memory:") + &second;
    let server = TestServer::start_full(
        ServeLimits::default(),
        config_from(&toml),
        Keyring::generate(SystemClock.now()),
    )
    .await;
    let roles = vec![
        (ROLE_DEV.to_owned(), PROVIDER_ARN.to_owned()),
        (
            "arn:aws:iam::123456789012:role/saml-dev2".to_owned(),
            "arn:aws:iam::123456789012:saml-provider/corp2".to_owned(),
        ),
    ];
    let assertion = response("erin", &roles, TimeDelta::minutes(5), AUDIENCE);
    assume(&server, ROLE_DEV, &assertion).await.unwrap();
    let err = server
        .admin_unsigned()
        .assume_role_with_saml()
        .role_arn("arn:aws:iam::123456789012:role/saml-dev2")
        .principal_arn("arn:aws:iam::123456789012:saml-provider/corp2")
        .saml_assertion(assertion)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_code(&err),
        "InvalidIdentityToken",
        "the same assertion through another provider is a replay"
    );
}

#[tokio::test]
async fn an_assertion_issued_before_a_subject_revocation_is_refused() {
    use stsbridge::sts::revoke::{RevokeRequest, revocation};
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        "sqlite::memory:",
        Keyring::generate(SystemClock.now()),
    )
    .await;
    let old = response(
        "alice@example.com",
        &dev_role(),
        TimeDelta::minutes(5),
        AUDIENCE,
    );
    server.clock.advance(TimeDelta::seconds(2));
    let req = RevokeRequest {
        provider: Some("corp".into()),
        subject: Some("alice@example.com".into()),
        ..RevokeRequest::default()
    };
    let record = revocation(server.bridge.config(), &req, server.clock.now()).unwrap();
    server.bridge.store().add_revocation(&record).await.unwrap();
    server.bridge.refresh_revocations().await;
    // Signed by the IdP before the offboarding: no credentials from it.
    let (code, _) = assume(&server, ROLE_DEV, &old).await.unwrap_err();
    assert_eq!(code, "AccessDenied");
    // Bob is untouched; alice signing in again afterwards is the IdP's call, and works.
    assume(
        &server,
        ROLE_DEV,
        &response(
            "bob@example.com",
            &dev_role(),
            TimeDelta::minutes(5),
            AUDIENCE,
        ),
    )
    .await
    .unwrap();
    let fresh = idp()
        .response_b64(&SamlResponseSpec {
            name_id: "alice@example.com",
            recipient: ACS,
            audience: AUDIENCE,
            role_session_name: "alice@example.com",
            roles: &dev_role(),
            groups: &[],
            extra_attributes: &[],
            now: server.clock.now() + TimeDelta::seconds(1),
            valid_for: TimeDelta::minutes(5),
            in_response_to: None,
        })
        .unwrap();
    assume(&server, ROLE_DEV, &fresh).await.unwrap();
}

/// Reads every event of `xml`, failing on anything malformed.
fn well_formed(xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("metadata is not well-formed XML: {e}\n{xml}"),
        }
    }
}

#[tokio::test]
async fn sp_metadata_names_what_the_validator_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        "sqlite::memory:",
        Keyring::generate(SystemClock.now()),
    )
    .await;
    let resp = reqwest::get(format!("{}/saml/metadata", server.url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/samlmetadata+xml"
    );
    let xml = resp.text().await.unwrap();
    well_formed(&xml);
    assert!(
        xml.contains(r#"entityID="https://sts.test/saml/metadata""#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"Location="https://sts.test/saml/acs""#),
        "{xml}"
    );
    assert!(xml.contains(r#"AuthnRequestsSigned="false""#), "{xml}");
    assert!(
        !xml.contains("KeyDescriptor"),
        "no SP key configured: {xml}"
    );
    // What the metadata announces is what a provider accepts by default.
    let provider = &server.bridge.config().saml_providers[0];
    let entity = stsbridge::web::saml_flow::entity_id(server.bridge.config());
    let acs = stsbridge::web::saml_flow::acs_url(server.bridge.config());
    assert!(
        provider.audiences.contains(&entity),
        "{:?}",
        provider.audiences
    );
    assert!(provider.acs_urls.contains(&acs), "{:?}", provider.acs_urls);
}

#[tokio::test]
async fn sp_metadata_publishes_the_sp_certificate_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    // TEST KEYS ONLY: the test IdP's pair stands in for an SP key pair.
    let certs = concat!(env!("CARGO_MANIFEST_DIR"), "/certs");
    let toml = config_toml(dir.path(), "sqlite::memory:").replace(
        "public_url = \"https://sts.test\"",
        &format!(
            "public_url = \"https://sts.test\"\nsaml_sp_key_file = \"{certs}/test-saml-idp-key.pem\"\nsaml_sp_cert_file = \"{certs}/test-saml-idp-cert.pem\""
        ),
    );
    let server = TestServer::start_full(
        ServeLimits::default(),
        config_from(&toml),
        Keyring::generate(SystemClock.now()),
    )
    .await;
    let xml = reqwest::get(format!("{}/saml/metadata", server.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    well_formed(&xml);
    let pem = std::fs::read_to_string(format!("{certs}/test-saml-idp-cert.pem")).unwrap();
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>();
    assert!(xml.contains(&format!("<ds:X509Certificate>{body}</ds:X509Certificate>")));
    assert!(xml.contains(r#"<md:KeyDescriptor use="signing">"#), "{xml}");
    assert!(
        xml.contains(r#"<md:KeyDescriptor use="encryption">"#),
        "{xml}"
    );
    assert!(xml.contains(r#"AuthnRequestsSigned="true""#), "{xml}");
}

#[tokio::test]
async fn sp_initiated_login_sends_a_signed_authn_request() {
    let dir = tempfile::tempdir().unwrap();
    // TEST KEYS ONLY: the test IdP's pair stands in for an SP key pair.
    let certs = concat!(env!("CARGO_MANIFEST_DIR"), "/certs");
    let toml = config_toml(dir.path(), "sqlite::memory:").replace(
        "public_url = \"https://sts.test\"",
        &format!(
            "public_url = \"https://sts.test\"\nsaml_sp_key_file = \"{certs}/test-saml-idp-key.pem\"\nsaml_sp_cert_file = \"{certs}/test-saml-idp-cert.pem\""
        ),
    );
    // The IdP's metadata names a redirect SSO endpoint: browser login is offered.
    std::fs::write(
        dir.path().join("idp-metadata.xml"),
        idp().metadata_xml_with_redirect(
            "https://idp.test/sso",
            Some("https://idp.test/sso/redirect"),
        ),
    )
    .unwrap();
    let server = TestServer::start_full(
        ServeLimits::default(),
        config_from(&toml),
        Keyring::generate(SystemClock.now()),
    )
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http.get(format!("{}/", server.url())).send().await.unwrap();
    assert!(
        login
            .text()
            .await
            .unwrap()
            .contains("href=\"/saml/login/corp\"")
    );
    let resp = http
        .get(format!("{}/saml/login/corp", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("__Host-stsbridge_saml=")
            && cookie.contains("SameSite=None")
            && cookie.contains("Secure"),
        "{cookie}"
    );
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let (endpoint, query) = location.split_once('?').unwrap();
    assert_eq!(endpoint, "https://idp.test/sso/redirect");
    // The signature covers the exact octets SAMLRequest=…&SigAlg=… as sent.
    let (signed, signature) = query.split_once("&Signature=").unwrap();
    assert!(
        signed.contains("&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256"),
        "{signed}"
    );
    assert!(
        redirect_signature_verifies(
            signed,
            signature,
            &format!("{certs}/test-saml-idp-cert.pem")
        ),
        "AuthnRequest signature verifies with the SP cert"
    );
    // The request itself: deflated XML naming our entity id and ACS.
    let b64 = signed
        .strip_prefix("SAMLRequest=")
        .and_then(|s| s.split('&').next())
        .unwrap();
    let xml = inflate(b64);
    assert!(
        xml.contains(&format!("AssertionConsumerServiceURL=\"{ACS}\"")),
        "{xml}"
    );
    assert!(
        xml.contains(&format!("<saml:Issuer>{AUDIENCE}</saml:Issuer>")),
        "{xml}"
    );
    assert!(
        xml.contains("Destination=\"https://idp.test/sso/redirect\""),
        "{xml}"
    );
    // A provider without a redirect endpoint, or none at all: a 404 page, not a 5xx.
    let missing = http
        .get(format!("{}/saml/login/nope", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// HTTP-Redirect binding: RSA-SHA256 over the exact query octets, with the cert's public key.
fn redirect_signature_verifies(signed: &str, signature_param: &str, cert_path: &str) -> bool {
    use base64::Engine as _;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(
            percent_encoding::percent_decode_str(signature_param)
                .decode_utf8()
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
    let cert = openssl::x509::X509::from_pem(&std::fs::read(cert_path).unwrap()).unwrap();
    let key = cert.public_key().unwrap();
    let mut verifier =
        openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
    verifier.update(signed.as_bytes()).unwrap();
    verifier.verify(&signature).unwrap()
}

/// The XML of a `SAMLRequest` query value (percent-encoded base64 of raw DEFLATE).
fn inflate(b64: &str) -> String {
    use base64::Engine as _;
    use std::io::Read as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(
            percent_encoding::percent_decode_str(b64)
                .decode_utf8()
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(raw.as_slice())
        .read_to_string(&mut xml)
        .unwrap();
    xml
}
