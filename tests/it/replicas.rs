//! Two replicas on one PostgreSQL database and one keyring file, as behind a load balancer:
//! credentials minted by A verify on B, an assertion spent on A is a replay on B, a revocation
//! made on A is honoured by B within the refresh interval, a browser session started on A
//! continues on B, both ride out a database outage, and stopping A loses nothing B needs.

use std::time::Duration;

use chrono::TimeDelta;
use stsbridge::app::ServeLimits;
use stsbridge::seal::Keyring;

use crate::common::postgres::{Proxy, TestDb};
use crate::common::web::WebClient;
use crate::common::{ACCOUNT, TestServer, config_from, error_code};
use crate::saml::{AUDIENCE, ROLE_DEV, assume, config_toml, dev_role, response};

async fn gci_ok(server: &TestServer, c: &aws_sdk_sts::types::Credentials) -> Result<(), String> {
    server
        .client(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token()),
            "us-east-1",
        )
        .get_caller_identity()
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error_code(&e))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_what_must_be_shared() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let mut proxy = Proxy::start(db.server_addr().await).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.json");
    let toml = config_toml(dir.path(), &db.url_via(&proxy))
        + &format!("\n[tokens]\nkeys_file = \"{}\"\n", keys.display());
    let limits = ServeLimits {
        revocation_refresh: Duration::from_millis(100),
        keyring_reload: Duration::from_millis(100),
        ..ServeLimits::default()
    };
    let now = stsbridge::clock::Clock::now(&stsbridge::clock::SystemClock);
    let a = TestServer::start_full(
        limits,
        config_from(&toml),
        Keyring::load_or_create(&keys, now).unwrap(),
    )
    .await;
    let b = TestServer::start_full(limits, config_from(&toml), Keyring::load(&keys).unwrap()).await;

    // Stateless issuance: minted on A, verified on B.
    let minted = a
        .admin()
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/team/reader"))
        .role_session_name("on-a")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    gci_ok(&b, &minted).await.unwrap();

    // The replay cache is shared: an assertion accepted by A is refused by B.
    let assertion = response("dana", &dev_role(), TimeDelta::minutes(5), AUDIENCE);
    assume(&a, ROLE_DEV, &assertion).await.unwrap();
    let (code, message) = assume(&b, ROLE_DEV, &assertion).await.unwrap_err();
    assert_eq!(code, "InvalidIdentityToken");
    assert!(message.contains("already been used"), "{message}");

    // A browser session started on A continues on B (same cookie, shared store).
    let mut browser = WebClient::new();
    let signed_in = browser
        .post(
            &format!("{}/saml/acs", a.url()),
            &[(
                "SAMLResponse",
                &response("erin", &dev_role(), TimeDelta::minutes(5), AUDIENCE),
            )],
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let on_b = browser.get(&format!("{}/console", b.url())).await;
    let key_on_b = on_b
        .by_id("access-key-id")
        .expect("the session is served by B");
    assert!(key_on_b.starts_with("ASIA"));

    // A revocation made on A is honoured by B within its refresh interval.
    let (status, body) =
        crate::authorize::revoke(&a, &[("AccessKeyId", minted.access_key_id())]).await;
    assert_eq!(status, 200, "{body}");
    let mut refused = false;
    for _ in 0..50 {
        if gci_ok(&b, &minted).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "B still honours a session A revoked");

    // A database outage: sign-ins needing the store fail closed with a retryable error on
    // both; stateless verification keeps working; afterwards both recover by themselves.
    proxy.stop().await;
    let during = response("frank", &dev_role(), TimeDelta::minutes(5), AUDIENCE);
    for server in [&a, &b] {
        let (code, _) = assume(server, ROLE_DEV, &during).await.unwrap_err();
        assert_eq!(code, "ServiceUnavailable");
    }
    let browser_key = browser.get(&format!("{}/console", a.url())).await;
    assert!(
        browser_key.status.is_server_error(),
        "a session read needs the store"
    );
    proxy.resume().await;
    assume(&b, ROLE_DEV, &during).await.unwrap();
    let (code, _) = assume(&a, ROLE_DEV, &during).await.unwrap_err();
    assert_eq!(
        code, "InvalidIdentityToken",
        "the replay record made on B is seen by A"
    );
    let back = browser.get(&format!("{}/console", a.url())).await;
    assert_eq!(back.by_id("access-key-id"), Some(key_on_b.clone()));

    // A stopped replica loses nothing the other needs.
    a.shutdown().await.unwrap();
    let still = browser.get(&format!("{}/console", b.url())).await;
    assert_eq!(still.by_id("access-key-id"), Some(key_on_b));
    assert_eq!(
        gci_ok(&b, &minted).await,
        Err("InvalidClientTokenId".to_owned())
    );
    proxy.stop().await;
}

/// Invalid MFA codes count in the shared store: codes guessed on A and on B add up, the lock
/// that follows holds on both, and a replica started afterwards (a restart) still sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_the_invalid_mfa_code_count() {
    use stsbridge::clock::Clock as _;

    use crate::mfa::{SERIAL, admin, right, wrong};

    let Some(db) = TestDb::create().await else {
        return;
    };
    let proxy = Proxy::start(db.server_addr().await).await;
    let toml = crate::common::test_config_toml()
        .replace(
            "url = \"sqlite::memory:\"",
            &format!("url = \"{}\"", db.url_via(&proxy)),
        )
        .replace(
            &format!("secret_access_key = \"{}\"", crate::common::ADMIN_SECRET),
            &format!(
                "secret_access_key = \"{}\"\nmfa_totp_secret = \"{}\"",
                crate::common::ADMIN_SECRET,
                crate::assume_role::TOTP_SEED
            ),
        );
    let start = || TestServer::start_custom(ServeLimits::default(), config_from(&toml));
    let (a, b) = (start().await, start().await);
    let session_token = |server: &TestServer, code: String| {
        let client = admin(server);
        async move {
            client
                .get_session_token()
                .serial_number(SERIAL)
                .token_code(code)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| crate::common::error_message(&e))
        }
    };
    // Five invalid codes, alternating between the replicas: under each one's per-user limit,
    // but five for the device.
    for n in 0..5 {
        let server = if n % 2 == 0 { &a } else { &b };
        server.clock.advance(TimeDelta::seconds(1));
        let message = session_token(server, wrong(server.clock.now()))
            .await
            .unwrap_err();
        assert!(
            message.starts_with("MultiFactorAuthentication failed with invalid MFA"),
            "invalid code {n}: {message}"
        );
    }
    let locked = stsbridge::sts::mfa::LOCKED_MESSAGE.to_owned();
    for server in [&a, &b] {
        server.clock.advance(TimeDelta::seconds(1));
        assert_eq!(
            session_token(server, right(server)).await,
            Err(locked.clone())
        );
    }
    a.shutdown().await.unwrap();
    let c = start().await;
    c.clock.advance(TimeDelta::seconds(10));
    assert_eq!(session_token(&c, right(&c)).await, Err(locked));
    // Once the lock is over, on any replica, the right code works again.
    c.clock.advance(TimeDelta::minutes(15));
    session_token(&c, right(&c)).await.unwrap();
}
