//! AssumeRoleWithWebIdentity against a real OpenID provider on loopback (test keys, RSA and EC),
//! through the official SDK, the SDK's own web-identity credential provider, and raw HTTP.

use aws_sdk_sts::config::BehaviorVersion;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use stsbridge::app::ServeLimits;
use stsbridge::seal::Keyring;

use crate::common::idp::{CLIENT_ID, Key, TestIdp, sign_with};
use crate::common::{TestServer, config_from, error_code, error_message, test_config_toml};

/// The test config plus a provider for `idp`, roles trusting it, and rules for it.
pub(crate) fn config_toml(idp: &TestIdp) -> String {
    let arn = idp.provider_arn();
    let p = idp.prefix();
    let trust = |actions: &str, extra: &str| {
        format!(
            r#"'''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{arn}"}},"Action":[{actions}],"Condition":{{"StringEquals":{{"{p}:aud":"{CLIENT_ID}"}}{extra}}}}}]}}'''"#
        )
    };
    let web = r#""sts:AssumeRoleWithWebIdentity""#;
    let web_tag = r#""sts:AssumeRoleWithWebIdentity","sts:TagSession""#;
    format!(
        r#"{base}
[[oidc_providers]]
url = "{issuer}"
client_ids = ["{CLIENT_ID}", "other-app"]

[[roles]]
name = "web-reader"
max_session_duration = 7200
trust_policy = {reader}

[[roles]]
name = "web-tagged"
trust_policy = {tagged}

[[roles]]
name = "web-admin"
trust_policy = {admin}

[[rules]]
provider = "{issuer}"
when = [ {{ claim = "sub", op = "starts_with", value = "user-" }} ]
roles = ["web-reader", "web-tagged"]

[[rules]]
provider = "{issuer}"
when = [ {{ claim = "groups", op = "contains", value = "admins" }} ]
roles = ["web-admin"]
tags = {{ team = "admins" }}
"#,
        base = test_config_toml(),
        issuer = idp.issuer,
        reader = trust(web, &format!(r#","StringLike":{{"{p}:sub":"user-*"}}"#)),
        tagged = trust(web_tag, ""),
        admin = trust(web_tag, ""),
    )
}

async fn setup() -> (TestIdp, TestServer) {
    let idp = TestIdp::start().await;
    let server =
        TestServer::start_custom(ServeLimits::default(), config_from(&config_toml(&idp))).await;
    (idp, server)
}

fn role(name: &str) -> String {
    format!("arn:aws:iam::123456789012:role/{name}")
}

async fn assume(
    server: &TestServer,
    role_name: &str,
    token: &str,
) -> Result<
    aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityOutput,
    (String, String),
> {
    server
        .admin()
        .assume_role_with_web_identity()
        .role_arn(role(role_name))
        .role_session_name("test-session")
        .web_identity_token(token)
        .send()
        .await
        .map_err(|e| (error_code(&e), error_message(&e)))
}

#[tokio::test]
async fn rs256_and_es256_tokens_get_working_credentials() {
    let (idp, server) = setup().await;
    for key in [Key::Rsa, Key::Ec] {
        let token = idp.sign(key, &idp.claims("user-1"));
        let out = assume(&server, "web-reader", &token)
            .await
            .unwrap_or_else(|e| panic!("{key:?}: {e:?}"));
        assert_eq!(out.subject_from_web_identity_token(), Some("user-1"));
        assert_eq!(out.audience(), Some(CLIENT_ID));
        assert_eq!(out.provider(), Some(idp.issuer.as_str()));
        let user = out.assumed_role_user().unwrap();
        assert_eq!(
            user.arn(),
            "arn:aws:sts::123456789012:assumed-role/web-reader/test-session"
        );
        let creds = out.credentials().unwrap();
        assert!(creds.access_key_id().starts_with("ASIA"));
        let seconds = (creds.expiration().secs()
            - stsbridge::clock::Clock::now(server.clock.as_ref()).timestamp())
            as i64;
        assert!(
            (3590..=3610).contains(&seconds),
            "default duration is one hour, got {seconds}"
        );
        // The credentials sign real requests.
        let me = server
            .client(
                creds.access_key_id(),
                creds.secret_access_key(),
                Some(creds.session_token()),
                "eu-west-1",
            )
            .get_caller_identity()
            .send()
            .await
            .unwrap();
        assert_eq!(me.arn(), Some(user.arn()));
    }
}

#[tokio::test]
async fn credentials_work_on_any_replica_sharing_the_keyring() {
    let idp = TestIdp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.json");
    let now = stsbridge::clock::Clock::now(&stsbridge::clock::SystemClock);
    Keyring::load_or_create(&keys, now).unwrap();
    let a = TestServer::start_full(
        ServeLimits::default(),
        config_from(&config_toml(&idp)),
        Keyring::load(&keys).unwrap(),
    )
    .await;
    let b = TestServer::start_full(
        ServeLimits::default(),
        config_from(&config_toml(&idp)),
        Keyring::load(&keys).unwrap(),
    )
    .await;
    let out = assume(&a, "web-reader", &idp.token("user-2"))
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    let me = b
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
    assert_eq!(
        me.arn(),
        Some("arn:aws:sts::123456789012:assumed-role/web-reader/test-session")
    );
    // A replica with another keyring does not honour them.
    let other =
        TestServer::start_custom(ServeLimits::default(), config_from(&config_toml(&idp))).await;
    let err = other
        .client(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token()),
            "us-east-1",
        )
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidClientTokenId");
}

#[tokio::test]
async fn the_sdk_web_identity_credential_provider_works_against_the_bridge() {
    use aws_types::os_shim_internal::{Env, Fs};
    let (idp, server) = setup().await;
    // Token files end with a newline, which SDKs send verbatim.
    let token_file = format!("{}\n", idp.token("user-sdk"));
    let role_arn = role("web-reader");
    let endpoint = server.url();
    let env = Env::from_slice(&[
        ("AWS_ROLE_ARN", role_arn.as_str()),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/token"),
        ("AWS_ROLE_SESSION_NAME", "sdk-session"),
        ("AWS_ENDPOINT_URL_STS", endpoint.as_str()),
        ("AWS_REGION", "eu-central-1"),
    ]);
    let fs = Fs::from_slice(&[("/var/run/secrets/token", token_file.as_str())]);
    let sdk_config = aws_config::defaults(BehaviorVersion::latest())
        .env(env)
        .fs(fs)
        .load()
        .await;
    let client = aws_sdk_sts::Client::new(&sdk_config);
    let me = client.get_caller_identity().send().await.unwrap();
    assert_eq!(
        me.arn(),
        Some("arn:aws:sts::123456789012:assumed-role/web-reader/sdk-session")
    );
}

#[tokio::test]
async fn trust_conditions_rules_and_tag_permission_decide() {
    let (idp, server) = setup().await;
    let denied = |r: Result<_, (String, String)>| match r {
        Err((code, message)) => (code, message),
        Ok(_) => panic!("expected AccessDenied"),
    };
    // Trust condition on sub unmet (reader wants user-*).
    let (code, message) = denied(assume(&server, "web-reader", &idp.token("robot-1")).await);
    assert_eq!(code, "AccessDenied");
    // Which check refused is sealed for DecodeAuthorizationMessage, never in plain text.
    assert!(
        message.starts_with(
            "Not authorized to perform sts:AssumeRoleWithWebIdentity. Encoded authorization failure message: "
        ),
        "{message}"
    );
    assert!(!message.contains("trust"), "{message}");
    // Trust condition on aud unmet: a valid token for another accepted client id.
    let mut claims = idp.claims("user-1");
    claims["aud"] = json!("other-app");
    assert_eq!(
        denied(assume(&server, "web-reader", &idp.sign(Key::Rsa, &claims)).await).0,
        "AccessDenied"
    );
    // The trust policy of web-admin allows the provider, but no matching rule lists it...
    assert_eq!(
        denied(assume(&server, "web-admin", &idp.token("user-1")).await).0,
        "AccessDenied"
    );
    // ...until the identity is in the admins group (whose rule also adds a session tag).
    let mut admin = idp.claims("user-1");
    admin["groups"] = json!(["admins", "dev"]);
    assume(&server, "web-admin", &idp.sign(Key::Rsa, &admin))
        .await
        .unwrap();
    // Session tags in the token need sts:TagSession: web-reader's trust lacks it, web-tagged has it.
    let mut tagged = idp.claims("user-1");
    tagged["https://aws.amazon.com/tags"] =
        json!({"principal_tags": {"Project": ["X"]}, "transitive_tag_keys": ["Project"]});
    let token = idp.sign(Key::Rsa, &tagged);
    assert_eq!(
        denied(assume(&server, "web-reader", &token).await).0,
        "AccessDenied"
    );
    assume(&server, "web-tagged", &token).await.unwrap();
    // An unknown role is refused the same way as a forbidden one.
    assert_eq!(
        denied(assume(&server, "nope", &idp.token("user-1")).await).0,
        "AccessDenied"
    );
}

#[tokio::test]
async fn durations_and_session_policies() {
    let (idp, server) = setup().await;
    let call = |duration: Option<i32>, policy: Option<&str>| {
        let mut b = server
            .admin()
            .assume_role_with_web_identity()
            .role_arn(role("web-reader"))
            .role_session_name("s1")
            .web_identity_token(idp.token("user-1"));
        if let Some(d) = duration {
            b = b.duration_seconds(d);
        }
        if let Some(p) = policy {
            b = b.policy(p);
        }
        b.send()
    };
    assert!(
        call(Some(7200), None).await.is_ok(),
        "up to the role's max_session_duration"
    );
    let err = call(Some(7201), None).await.unwrap_err();
    assert_eq!(error_code(&err), "ValidationError");
    assert_eq!(
        error_message(&err),
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    );
    let err = call(Some(899), None).await.unwrap_err();
    assert_eq!(error_code(&err), "ValidationError");
    let ok = call(None, Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#)).await.unwrap();
    #[expect(
        deprecated,
        reason = "AWS deprecated PackedPolicySize in its model; the bridge still reports it"
    )]
    let packed = ok.packed_policy_size().unwrap();
    assert!(packed > 0);
    let err = call(None, Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#)).await.unwrap_err();
    assert_eq!(error_code(&err), "MalformedPolicyDocument");
}

#[tokio::test]
async fn key_rotation_at_the_idp_is_picked_up_without_restart() {
    let (idp, server) = setup().await;
    let rotated = idp.sign(Key::Rsa2, &idp.claims("user-1"));
    let before = idp.jwks_fetches();
    idp.publish_rotated_key();
    assume(&server, "web-reader", &rotated)
        .await
        .expect("the new kid is fetched on first sight");
    assert_eq!(idp.jwks_fetches(), before + 1, "exactly one refetch");
    assume(
        &server,
        "web-reader",
        &idp.sign(Key::Rsa2, &idp.claims("user-2")),
    )
    .await
    .unwrap();
    assert_eq!(idp.jwks_fetches(), before + 1, "the new key is cached");
}

/// Raw form POST, for tokens no SDK would produce; returns (status, body).
async fn raw_assume(server: &TestServer, token: &str) -> (u16, String) {
    raw_assume_as(server, "web-reader", token).await
}

async fn raw_assume_as(server: &TestServer, role_name: &str, token: &str) -> (u16, String) {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("Action", "AssumeRoleWithWebIdentity")
        .append_pair("Version", "2011-06-15")
        .append_pair("RoleArn", &role(role_name))
        .append_pair("RoleSessionName", "attack")
        .append_pair("WebIdentityToken", token)
        .finish();
    let resp = reqwest::Client::new()
        .post(server.url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

fn b64(v: &Value) -> String {
    base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        serde_json::to_vec(v).unwrap(),
    )
}

/// Every forged or broken token of the threat list, with the code it must get, plus a good one.
#[expect(
    clippy::too_many_lines,
    reason = "a table: one row per attack of the threat list"
)]
fn attack_tokens(idp: &TestIdp) -> (Vec<(&'static str, String, &'static str)>, String) {
    let good = idp.claims("user-1");
    let now = good["iat"].as_i64().unwrap();
    let with = |key: &str, value: Value| {
        let mut c = good.clone();
        c[key] = value;
        c
    };
    let mut no_sub = good.clone();
    no_sub.as_object_mut().unwrap().remove("sub");
    let rsa_public_pem = {
        let jwk = Key::Rsa.jwk();
        serde_json::to_vec(&jwk).unwrap()
    };
    let hs256 = {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some("rsa-1".into());
        jsonwebtoken::encode(&h, &good, &EncodingKey::from_secret(&rsa_public_pem)).unwrap()
    };
    let embedded = |field: &str| {
        // Signed by a key the IdP never published, which the header offers in every way.
        // Under the IdP's real kid, offering the attacker's key inline or at a live URL that
        // must never be fetched.
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some("rsa-1".into());
        match field {
            "jwk" => h.jwk = Some(Key::Rsa2.jwk()),
            "jku" => h.jku = Some(idp.evil_url()),
            _ => h.x5u = Some(idp.evil_url()),
        }
        sign_with(&h, Key::Rsa2, &good)
    };
    let good_token = idp.sign(Key::Rsa, &good);
    let truncated = good_token[..good_token.len() - 8].to_owned();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg":"none","typ":"JWT"})),
                b64(&good)
            ),
            "InvalidIdentityToken",
        ),
        (
            "HS256 keyed with the public key",
            hs256,
            "InvalidIdentityToken",
        ),
        (
            "unknown kid",
            {
                let mut h = Header::new(Algorithm::RS256);
                h.kid = Some("nope".into());
                sign_with(&h, Key::Rsa, &good)
            },
            "InvalidIdentityToken",
        ),
        (
            "attacker jwk header",
            embedded("jwk"),
            "InvalidIdentityToken",
        ),
        (
            "attacker jku header",
            embedded("jku"),
            "InvalidIdentityToken",
        ),
        (
            "attacker x5u header",
            embedded("x5u"),
            "InvalidIdentityToken",
        ),
        (
            "wrong iss",
            idp.sign(Key::Rsa, &with("iss", json!("https://evil.example.com"))),
            "InvalidIdentityToken",
        ),
        (
            "iss with trailing slash",
            idp.sign(Key::Rsa, &with("iss", json!(format!("{}/", idp.issuer)))),
            "InvalidIdentityToken",
        ),
        (
            "wrong aud",
            idp.sign(Key::Rsa, &with("aud", json!("someone-else"))),
            "InvalidIdentityToken",
        ),
        (
            "expired",
            idp.sign(Key::Rsa, &with("exp", json!(now - 3600))),
            "ExpiredTokenException",
        ),
        (
            "nbf in the future",
            idp.sign(Key::Rsa, &with("nbf", json!(now + 3600))),
            "InvalidIdentityToken",
        ),
        (
            "missing sub",
            idp.sign(Key::Rsa, &no_sub),
            "InvalidIdentityToken",
        ),
        ("truncated signature", truncated, "InvalidIdentityToken"),
        (
            "bad base64",
            "abc!.d$f.gh*".to_owned(),
            "InvalidIdentityToken",
        ),
        (
            "not a JWT",
            "just-an-opaque-access-token".to_owned(),
            "InvalidIdentityToken",
        ),
        ("oversize", "a".repeat(20_001), "ValidationError"),
    ];
    (cases, good_token)
}

#[tokio::test]
async fn every_forged_or_broken_token_is_refused_with_the_right_code() {
    let (idp, server) = setup().await;
    let (cases, good_token) = attack_tokens(&idp);
    for (name, token, code) in cases {
        let (status, body) = raw_assume(&server, &token).await;
        assert!(
            status == 400 || status == 403,
            "{name}: status {status}: {body}"
        );
        assert!(
            body.contains(&format!("<Code>{code}</Code>")),
            "{name}: expected {code}: {body}"
        );
        assert!(!body.contains("<Credentials>"), "{name}");
    }
    // The genuine token still works after all that, and the attacker's URL was never fetched.
    assert_eq!(raw_assume(&server, &good_token).await.0, 200);
    assert_eq!(idp.evil_fetches(), 0, "jku/x5u must never be followed");
}

#[tokio::test]
async fn tags_from_token_and_rules_meet_the_session_tag_rules() {
    let (idp, server) = setup().await;
    let with_tags = |tags: Value| {
        let mut c = idp.claims("user-1");
        c["https://aws.amazon.com/tags"] = tags;
        idp.sign(Key::Rsa, &c)
    };
    // Keys equal but for case: a trust condition would check one value while the other is used.
    let dup = with_tags(json!({"principal_tags": {"Team": ["admins"], "team": ["dev"]}}));
    // More transitive keys than tags allow, and repeated.
    let many: Vec<String> = (0..100).map(|_| "k".repeat(128)).collect();
    let transitive =
        with_tags(json!({"principal_tags": {"k": ["v"]}, "transitive_tag_keys": many}));
    let control = with_tags(json!({"principal_tags": {"k": ["a\u{1}b"]}}));
    for (name, token) in [
        ("dup", dup),
        ("transitive", transitive),
        ("control", control),
    ] {
        let (status, body) = raw_assume_as(&server, "web-tagged", &token).await;
        assert_eq!(status, 400, "{name}: {body}");
        assert!(
            body.contains("<Code>InvalidIdentityToken</Code>"),
            "{name}: {body}"
        );
    }
}

#[tokio::test]
async fn a_rule_tag_rendered_from_a_hostile_claim_is_refused_not_a_5xx() {
    let idp = TestIdp::start().await;
    let toml = config_toml(&idp).replace(
        "roles = [\"web-reader\", \"web-tagged\"]",
        "roles = [\"web-reader\", \"web-tagged\"]\ntags = { name = \"{{claims.name}}\" }",
    );
    let server = TestServer::start_custom(ServeLimits::default(), config_from(&toml)).await;
    let mut claims = idp.claims("user-1");
    claims["name"] = json!("\u{1}".repeat(2150));
    let (status, body) = raw_assume_as(&server, "web-tagged", &idp.sign(Key::Rsa, &claims)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("<Code>InvalidIdentityToken</Code>"), "{body}");
    claims["name"] = json!("Alice Example");
    assert_eq!(
        raw_assume_as(&server, "web-tagged", &idp.sign(Key::Rsa, &claims))
            .await
            .0,
        200
    );
}

fn trust_only(provider_arn: &str) -> String {
    format!(
        r#"'''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider_arn}"}},"Action":"sts:AssumeRoleWithWebIdentity"}}]}}'''"#
    )
}

#[tokio::test]
async fn two_providers_are_never_confused() {
    let (idp_a, _) = setup().await;
    let idp_b = TestIdp::start().await;
    let toml = format!(
        "{}\n[[oidc_providers]]\nurl = \"{}\"\nclient_ids = [\"app-two\"]\n\n[[roles]]\nname = \"web-two\"\ntrust_policy = {}\n",
        config_toml(&idp_a),
        idp_b.issuer,
        trust_only(&idp_b.provider_arn())
    );
    let server = TestServer::start_custom(ServeLimits::default(), config_from(&toml)).await;
    // A's token carrying B's client id: A's provider does not accept that audience.
    let mut claims = idp_a.claims("user-1");
    claims["aud"] = json!("app-two");
    let (_, body) = raw_assume_as(&server, "web-two", &idp_a.sign(Key::Rsa, &claims)).await;
    assert!(
        body.contains("<Code>InvalidIdentityToken</Code>")
            && body.contains("Incorrect token audience"),
        "{body}"
    );
    // A's valid token for a role that trusts only B.
    let (status, body) = raw_assume_as(&server, "web-two", &idp_a.token("user-1")).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    // B's own token works for it.
    let mut b = idp_b.claims("user-1");
    b["aud"] = json!("app-two");
    assert_eq!(
        raw_assume_as(&server, "web-two", &idp_b.sign(Key::Rsa, &b))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn an_idp_down_at_start_gives_the_retryable_idp_communication_error() {
    let issuer = "http://127.0.0.1:9/down";
    let toml = format!(
        "{}\n[[oidc_providers]]\nurl = \"{issuer}\"\nclient_ids = [\"app\"]\n\n[[roles]]\nname = \"down\"\ntrust_policy = {}\n",
        test_config_toml(),
        trust_only("arn:aws:iam::123456789012:oidc-provider/127.0.0.1:9/down")
    );
    let server = TestServer::start_custom(ServeLimits::default(), config_from(&toml)).await;
    let now = stsbridge::clock::Clock::now(&stsbridge::clock::SystemClock).timestamp();
    let claims = json!({"iss": issuer, "sub": "u", "aud": "app", "iat": now, "exp": now + 600});
    let token = sign_with(&Header::new(Algorithm::RS256), Key::Rsa, &claims);
    let (status, body) = raw_assume_as(&server, "down", &token).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("<Code>IDPCommunicationError</Code>"),
        "{body}"
    );
}
