//! AssumeRole through the SDK: trust conditions (ExternalId, MFA), the caller's own
//! permissions, role chaining (1 h cap, transitive tags), durations, tags and packed size.

use stsbridge::app::ServeLimits;
use stsbridge::clock::Clock;
use stsbridge::seal::session_token;

use crate::common::{
    ADMIN_KEY, ADMIN_SECRET, DEV_KEY, DEV_SECRET, TestServer, config_from, error_code,
    test_config_toml,
};

pub(crate) const TOTP_SEED: &str = "JBSWY3DPEHPK3PXP"; // TEST ONLY

pub(crate) fn role(name: &str) -> String {
    format!("arn:aws:iam::123456789012:role/{name}")
}

pub(crate) fn config() -> String {
    let trust = |principal: &str, actions: &str, condition: &str| {
        format!(
            r#"'''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":[{actions}]{condition}}}]}}'''"#
        )
    };
    let root = "arn:aws:iam::123456789012:root";
    let assume = r#""sts:AssumeRole""#;
    let assume_tag = r#""sts:AssumeRole","sts:TagSession""#;
    let allow_assume = r#"'''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}'''"#;
    test_config_toml().replace(
        &format!("secret_access_key = \"{ADMIN_SECRET}\""),
        &format!("secret_access_key = \"{ADMIN_SECRET}\"\nmfa_totp_secret = \"{TOTP_SEED}\""),
    ) + &format!(
        r#"
[[roles]]
name = "partner-access"
trust_policy = {partner}

[[roles]]
name = "chain-a"
max_session_duration = 43200
trust_policy = {chain_a}
policies = [{allow_assume}]

[[roles]]
name = "chain-b"
max_session_duration = 43200
trust_policy = {chain_b}

[[roles]]
name = "mfa-only"
trust_policy = {mfa}
"#,
        partner = trust(
            root,
            assume,
            r#","Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}"#
        ),
        chain_a = trust(root, assume_tag, ""),
        chain_b = trust(&role("chain-a"), assume_tag, ""),
        mfa = trust(
            root,
            assume,
            r#","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#
        ),
    )
}

async fn server() -> TestServer {
    TestServer::start_custom(ServeLimits::default(), config_from(&config())).await
}

#[tokio::test]
async fn external_id_must_match() {
    let server = server().await;
    let call = |external_id: Option<&'static str>| {
        let mut b = server
            .admin()
            .assume_role()
            .role_arn(role("partner-access"))
            .role_session_name("partner");
        if let Some(id) = external_id {
            b = b.external_id(id);
        }
        b.send()
    };
    let out = call(Some("ext-123")).await.unwrap();
    assert_eq!(
        out.assumed_role_user().unwrap().arn(),
        "arn:aws:sts::123456789012:assumed-role/partner-access/partner"
    );
    assert_eq!(
        error_code(&call(Some("ext-999")).await.unwrap_err()),
        "AccessDenied"
    );
    assert_eq!(error_code(&call(None).await.unwrap_err()), "AccessDenied");
}

#[tokio::test]
async fn the_caller_needs_its_own_permission_too() {
    let server = server().await;
    // The developer user has no policy allowing sts:AssumeRole; chain-a's trust allows the account.
    let err = server
        .client(DEV_KEY, DEV_SECRET, None, "us-east-1")
        .assume_role()
        .role_arn(role("chain-a"))
        .role_session_name("dev")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "AccessDenied");
    // An unknown role is refused the same way.
    let err = server
        .admin()
        .assume_role()
        .role_arn(role("nope"))
        .role_session_name("xx")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "AccessDenied");
}

#[tokio::test]
async fn chaining_caps_at_one_hour_and_keeps_transitive_tags() {
    let server = server().await;
    let tag = |k: &str, v: &str| {
        aws_sdk_sts::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .unwrap()
    };
    let a = server
        .admin()
        .assume_role()
        .role_arn(role("chain-a"))
        .role_session_name("first")
        .duration_seconds(7200)
        .tags(tag("team", "blue"))
        .tags(tag("temp", "x"))
        .transitive_tag_keys("team")
        .send()
        .await
        .unwrap();
    let c = a.credentials().unwrap();
    let session = server.client(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
        "us-east-1",
    );
    let chained = |duration: Option<i32>, tag: Option<aws_sdk_sts::types::Tag>| {
        let mut b = session
            .assume_role()
            .role_arn(role("chain-b"))
            .role_session_name("second");
        if let Some(d) = duration {
            b = b.duration_seconds(d);
        }
        if let Some(t) = tag {
            b = b.tags(t);
        }
        b.send()
    };
    let err = chained(Some(7200), None).await.unwrap_err();
    assert_eq!(error_code(&err), "ValidationError");
    // Overriding an inherited transitive tag is refused.
    let err = chained(None, Some(tag("team", "red"))).await.unwrap_err();
    assert_eq!(error_code(&err), "InvalidParameterValue");
    let b = chained(None, None).await.unwrap();
    let now = server.clock.now();
    let claims = session_token::open(
        server.bridge.keyring(),
        b.credentials().unwrap().session_token(),
        now,
    )
    .unwrap();
    assert_eq!(claims.chain_depth, 1);
    assert_eq!(
        claims.tags,
        vec![("team".to_owned(), "blue".to_owned())],
        "the transitive tag is kept, the other is not"
    );
    assert_eq!(claims.transitive_tag_keys, vec!["team".to_owned()]);
    assert!(claims.expires_at - now <= chrono::TimeDelta::hours(1));
    let bc = b.credentials().unwrap();
    let me = server
        .client(
            bc.access_key_id(),
            bc.secret_access_key(),
            Some(bc.session_token()),
            "us-east-1",
        )
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.arn(),
        Some("arn:aws:sts::123456789012:assumed-role/chain-b/second")
    );
}

#[tokio::test]
async fn durations_tags_and_packed_size() {
    let server = server().await;
    let base = || {
        server
            .admin()
            .assume_role()
            .role_arn(role("partner-access"))
            .role_session_name("partner")
            .external_id("ext-123")
    };
    assert_eq!(
        error_code(&base().duration_seconds(7200).send().await.unwrap_err()),
        "ValidationError",
        "above the role's 3600 max"
    );
    let tag = |i: usize| {
        aws_sdk_sts::types::Tag::builder()
            .key(format!("k{i}"))
            .value("v")
            .build()
            .unwrap()
    };
    let mut b = server
        .admin()
        .assume_role()
        .role_arn(role("chain-a"))
        .role_session_name("tags");
    for i in 0..51 {
        b = b.tags(tag(i));
    }
    assert_eq!(
        error_code(&b.send().await.unwrap_err()),
        "ValidationError",
        "51 tags"
    );
    let big = |i: usize| {
        aws_sdk_sts::types::Tag::builder()
            .key(format!("{i:03}{}", "k".repeat(125)))
            .value("v".repeat(256))
            .build()
            .unwrap()
    };
    let mut b = server
        .admin()
        .assume_role()
        .role_arn(role("chain-a"))
        .role_session_name("tags");
    for i in 0..50 {
        b = b.tags(big(i));
    }
    assert_eq!(
        error_code(&b.send().await.unwrap_err()),
        "PackedPolicyTooLarge"
    );
}

#[tokio::test]
async fn a_role_requiring_mfa_takes_a_valid_unused_code() {
    let server = server().await;
    let seed = stsbridge::types::Secret::new(TOTP_SEED);
    let serial = "arn:aws:iam::123456789012:mfa/admin";
    let call = |code: Option<String>| {
        let mut b = server
            .admin()
            .assume_role()
            .role_arn(role("mfa-only"))
            .role_session_name("mfa-user");
        if let Some(c) = code {
            b = b.serial_number(serial).token_code(c);
        }
        b.send()
    };
    assert_eq!(error_code(&call(None).await.unwrap_err()), "AccessDenied");
    let now = server.clock.now();
    let code = stsbridge::authn::totp::code_at(&seed, now).unwrap();
    let wrong = if code == "000000" {
        "111111".to_owned()
    } else {
        "000000".to_owned()
    };
    assert_eq!(
        error_code(&call(Some(wrong)).await.unwrap_err()),
        "AccessDenied"
    );
    // One code a second per user ([limits] mfa_per_user_per_s).
    server.clock.advance(chrono::TimeDelta::seconds(1));
    call(Some(code.clone())).await.unwrap();
    server.clock.advance(chrono::TimeDelta::seconds(1));
    let reused = call(Some(code)).await.unwrap_err();
    assert_eq!(error_code(&reused), "AccessDenied", "a code is used once");
    assert!(
        crate::common::error_message(&reused)
            .starts_with("MultiFactorAuthentication failed with invalid MFA one time pass code."),
        "AWS's text: {}",
        crate::common::error_message(&reused)
    );
    let _ = ADMIN_KEY;
}

#[tokio::test]
async fn get_session_token_with_mfa_unlocks_an_mfa_role() {
    let server = server().await;
    let seed = stsbridge::types::Secret::new(TOTP_SEED);
    let now = server.clock.now();
    // Without MFA: 12 h credentials that cannot reach the MFA role.
    let plain = server.admin().get_session_token().send().await.unwrap();
    let c = plain.credentials().unwrap();
    let lifetime = c.expiration().secs() - now.timestamp();
    assert!((43_190..=43_210).contains(&lifetime), "{lifetime}");
    let session = server.client(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
        "us-east-1",
    );
    let err = session
        .assume_role()
        .role_arn(role("mfa-only"))
        .role_session_name("no-mfa")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "AccessDenied");
    // GetSessionToken credentials are the user itself: AssumeRole from them is not role
    // chaining, so the role's own maximum applies, not the 1 h chaining cap.
    let long = session
        .assume_role()
        .role_arn(role("chain-a"))
        .role_session_name("from-session-token")
        .duration_seconds(7200)
        .send()
        .await
        .unwrap();
    let lifetime = long.credentials().unwrap().expiration().secs() - now.timestamp();
    assert!((7190..=7210).contains(&lifetime), "{lifetime}");
    // Session credentials cannot call GetSessionToken again.
    assert_eq!(
        error_code(&session.get_session_token().send().await.unwrap_err()),
        "AccessDenied"
    );
    // With a valid code, the session carries MFA into AssumeRole.
    let code = stsbridge::authn::totp::code_at(&seed, now).unwrap();
    let mfa = server
        .admin()
        .get_session_token()
        .serial_number("arn:aws:iam::123456789012:mfa/admin")
        .token_code(code.clone())
        .duration_seconds(3600)
        .send()
        .await
        .unwrap();
    let m = mfa.credentials().unwrap();
    let mfa_session = server.client(
        m.access_key_id(),
        m.secret_access_key(),
        Some(m.session_token()),
        "us-east-1",
    );
    mfa_session
        .assume_role()
        .role_arn(role("mfa-only"))
        .role_session_name("with-mfa")
        .send()
        .await
        .unwrap();
    // The same code again, and a wrong serial number, are refused.
    server.clock.advance(chrono::TimeDelta::seconds(1));
    let again = server
        .admin()
        .get_session_token()
        .serial_number("arn:aws:iam::123456789012:mfa/admin")
        .token_code(code)
        .send()
        .await;
    assert_eq!(error_code(&again.unwrap_err()), "AccessDenied");
    let other =
        stsbridge::authn::totp::code_at(&seed, now + chrono::TimeDelta::seconds(30)).unwrap();
    let wrong_serial = server
        .admin()
        .get_session_token()
        .serial_number("arn:aws:iam::123456789012:mfa/someone")
        .token_code(other)
        .send()
        .await;
    assert_eq!(error_code(&wrong_serial.unwrap_err()), "AccessDenied");
}

#[tokio::test]
async fn get_federation_token_makes_a_narrowed_federated_user() {
    let server = server().await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let out = server
        .admin()
        .get_federation_token()
        .name("contractor")
        .policy(policy)
        .send()
        .await
        .unwrap();
    let user = out.federated_user().unwrap();
    assert_eq!(
        user.arn(),
        "arn:aws:sts::123456789012:federated-user/contractor"
    );
    assert_eq!(user.federated_user_id(), "123456789012:contractor");
    let c = out.credentials().unwrap();
    let federated = server.client(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
        "us-east-1",
    );
    let me = federated.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some(user.arn()));
    // Federated users cannot assume roles, and cannot mint further tokens.
    let err = federated
        .assume_role()
        .role_arn(role("chain-a"))
        .role_session_name("fed")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "AccessDenied");
    assert_eq!(
        error_code(
            &federated
                .get_federation_token()
                .name("again")
                .send()
                .await
                .unwrap_err()
        ),
        "AccessDenied"
    );
    // A user without sts:GetFederationToken permission is refused.
    let dev = server.client(DEV_KEY, DEV_SECRET, None, "us-east-1");
    assert_eq!(
        error_code(
            &dev.get_federation_token()
                .name("contractor")
                .send()
                .await
                .unwrap_err()
        ),
        "AccessDenied"
    );
    // Name rules.
    assert_eq!(
        error_code(
            &server
                .admin()
                .get_federation_token()
                .name("a")
                .send()
                .await
                .unwrap_err()
        ),
        "ValidationError"
    );
}
