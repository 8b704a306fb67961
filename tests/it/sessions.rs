//! Temporary credentials: sessions minted in-process with the server's own keyring, then used
//! through the SDK exactly as a client that got them from AssumeRole would.

use chrono::TimeDelta;
use stsbridge::clock::Clock;
use stsbridge::seal::{Keyring, SessionClaims, SessionPrincipal, mint_credentials};
use stsbridge::types::{AccessKeyId, AccessKeyKind, SecretAccessKey, TemporaryCredentials};

use crate::common::{TestServer, error_code, error_message, gci_error};

fn role_session(server: &TestServer, lifetime: TimeDelta) -> SessionClaims {
    let now = server.clock.now();
    let role = server.bridge.config().roles.first().unwrap();
    SessionClaims {
        access_key_id: AccessKeyId::generate(AccessKeyKind::Temporary),
        secret_access_key: SecretAccessKey::generate(),
        issued_at: now,
        expires_at: now + lifetime,
        principal: SessionPrincipal::AssumedRole {
            role_arn: role.arn.clone(),
            role_id: role.role_id.clone(),
            session_name: "alice@example.com".into(),
        },
        issuer: "arn:aws:iam::123456789012:user/admin".into(),
        federated: None,
        source_identity: None,
        session_policy: None,
        policy_arns: vec![],
        tags: vec![],
        transitive_tag_keys: vec![],
        mfa_authenticated: false,
        mfa_at: None,
        chain_depth: 0,
        ancestors: Vec::new(),
        origin_issued_at: None,
    }
}

/// A one-hour role session minted with the server's keyring, for other test modules.
pub(crate) fn mint_for(server: &TestServer) -> TemporaryCredentials {
    mint(
        server.bridge.keyring(),
        &role_session(server, TimeDelta::hours(1)),
    )
}

fn mint(keyring: &Keyring, claims: &SessionClaims) -> TemporaryCredentials {
    mint_credentials(keyring, claims).unwrap()
}

/// A session client whose SDK reads the server's manual clock for signing.
fn session_client_on_server_clock(
    server: &TestServer,
    creds: &TemporaryCredentials,
) -> aws_sdk_sts::Client {
    let conf = server
        .client(
            creds.access_key_id.as_str(),
            creds.secret_access_key.expose(),
            Some(creds.session_token.expose()),
            "us-east-1",
        )
        .config()
        .to_builder()
        .time_source(crate::common::ServerClock(server.clock.clone()))
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

fn session_client(
    server: &TestServer,
    creds: &TemporaryCredentials,
    token: &str,
) -> aws_sdk_sts::Client {
    server.client(
        creds.access_key_id.as_str(),
        creds.secret_access_key.expose(),
        Some(token),
        "eu-west-1",
    )
}

#[tokio::test]
async fn session_credentials_work_until_they_expire() {
    let server = TestServer::start().await;
    let creds = mint(
        server.bridge.keyring(),
        &role_session(&server, TimeDelta::hours(1)),
    );
    assert!(creds.access_key_id.as_str().starts_with("ASIA"));
    let client = session_client(&server, &creds, creds.session_token.expose());

    let out = client.get_caller_identity().send().await.unwrap();
    // The role's path is dropped from the assumed-role ARN, as AWS does.
    assert_eq!(
        out.arn(),
        Some("arn:aws:sts::123456789012:assumed-role/reader/alice@example.com")
    );
    let role_id = &server.bridge.config().roles[0].role_id;
    assert_eq!(
        out.user_id(),
        Some(format!("{role_id}:alice@example.com").as_str())
    );
    assert!(role_id.starts_with("AROA"));

    // The SDK now signs with the server's clock, so expiry can be approached to the second
    // without any skew in between.
    let on_clock = session_client_on_server_clock(&server, &creds);
    server
        .clock
        .advance(TimeDelta::hours(1) - TimeDelta::seconds(1));
    on_clock
        .get_caller_identity()
        .send()
        .await
        .expect("valid one second before expiry");

    // At the expiry instant: ExpiredToken, and the signature is never even checked.
    server.clock.advance(TimeDelta::seconds(1));
    let err = on_clock.get_caller_identity().send().await.unwrap_err();
    assert_eq!(error_code(&err), "ExpiredToken");
    assert_eq!(
        error_message(&err),
        "The security token included in the request is expired"
    );
    // The real-time client is now 1 h behind the server: the token's expiry is still reported
    // first, rather than clock skew.
    assert_eq!(gci_error(&client).await, "ExpiredToken");
}

#[tokio::test]
async fn tampered_foreign_missing_or_mismatched_tokens_are_invalid() {
    let server = TestServer::start().await;
    let creds = mint(
        server.bridge.keyring(),
        &role_session(&server, TimeDelta::hours(1)),
    );
    let token = creds.session_token.expose().to_owned();

    // One character changed in the middle of the token.
    let mut tampered = token.clone().into_bytes();
    let mid = tampered.len() / 2;
    tampered[mid] = if tampered[mid] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    // Truncated, and the same token sealed by another deployment's keyring.
    let truncated = token[..token.len() - 4].to_owned();
    let foreign = mint(
        &Keyring::generate(server.clock.now()),
        &role_session(&server, TimeDelta::hours(1)),
    );
    for bad in [tampered.as_str(), truncated.as_str(), "", "garbage"] {
        assert_eq!(
            gci_error(&session_client(&server, &creds, bad)).await,
            "InvalidClientTokenId",
            "token {bad:.20}"
        );
    }
    assert_eq!(
        gci_error(&server.client(
            foreign.access_key_id.as_str(),
            foreign.secret_access_key.expose(),
            Some(foreign.session_token.expose()),
            "us-east-1",
        ))
        .await,
        "InvalidClientTokenId"
    );

    // ASIA key without any token.
    assert_eq!(
        gci_error(&server.client(
            creds.access_key_id.as_str(),
            creds.secret_access_key.expose(),
            None,
            "us-east-1",
        ))
        .await,
        "InvalidClientTokenId"
    );

    // A valid token presented with another session's key and secret.
    let other = mint(
        server.bridge.keyring(),
        &role_session(&server, TimeDelta::hours(1)),
    );
    assert_eq!(
        gci_error(&server.client(
            other.access_key_id.as_str(),
            other.secret_access_key.expose(),
            Some(&token),
            "us-east-1",
        ))
        .await,
        "InvalidClientTokenId"
    );

    // The right token with the wrong secret: the signature still has to match.
    let other_client = session_client(&server, &other, other.session_token.expose());
    other_client.get_caller_identity().send().await.unwrap();
    let wrong = server.client(
        creds.access_key_id.as_str(),
        other.secret_access_key.expose(),
        Some(&token),
        "us-east-1",
    );
    assert_eq!(gci_error(&wrong).await, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn user_and_federated_sessions_report_their_identities() {
    let server = TestServer::start().await;
    let mut claims = role_session(&server, TimeDelta::hours(1));
    claims.principal = SessionPrincipal::FederatedUser {
        account: "123456789012".parse().unwrap(),
        name: "bob".into(),
    };
    let creds = mint(server.bridge.keyring(), &claims);
    let out = session_client(&server, &creds, creds.session_token.expose())
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.arn(),
        Some("arn:aws:sts::123456789012:federated-user/bob")
    );
    assert_eq!(out.user_id(), Some("123456789012:bob"));

    let admin = &server.bridge.config().users[0];
    claims.principal = SessionPrincipal::User {
        account: "123456789012".parse().unwrap(),
        name: admin.name.clone(),
        user_id: admin.user_id.clone(),
    };
    let creds = mint(server.bridge.keyring(), &claims);
    let out = session_client(&server, &creds, creds.session_token.expose())
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(out.arn(), Some("arn:aws:iam::123456789012:user/admin"));
    assert_eq!(out.user_id(), Some(admin.user_id.as_str()));
}

#[tokio::test]
async fn long_term_key_with_a_session_token_is_refused() {
    let server = TestServer::start().await;
    let creds = mint(
        server.bridge.keyring(),
        &role_session(&server, TimeDelta::hours(1)),
    );
    assert_eq!(
        gci_error(&server.client(
            crate::common::ADMIN_KEY,
            crate::common::ADMIN_SECRET,
            Some(creds.session_token.expose()),
            "us-east-1",
        ))
        .await,
        "InvalidClientTokenId"
    );
}
