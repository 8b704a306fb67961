//! Revocation: first-class records (CLI and in-process) refused on every signed request, and
//! AWS-style "revoke older sessions" role policies.

use chrono::{SecondsFormat, TimeDelta};
use stsbridge::app::ServeLimits;
use stsbridge::clock::Clock;
use stsbridge::sts::revoke::{RevokeRequest, revocation};

use crate::common::{DEV_SECRET, TestServer, config_from, error_code, test_config_toml};

fn config_toml(store: &str) -> String {
    let allow = r#"'''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}'''"#;
    test_config_toml().replace("url = \"sqlite::memory:\"", &format!("url = \"{store}\""))
        + &format!(
            "\n[[roles]]\nname = \"ops\"\ntrust_policy = {allow}\n\n[[roles]]\nname = \"ops2\"\ntrust_policy = {allow}\n"
        )
}

async fn session(server: &TestServer, role: &str) -> aws_sdk_sts::Client {
    let out = server
        .admin()
        .assume_role()
        .role_arn(format!("arn:aws:iam::123456789012:role/{role}"))
        .role_session_name("worker")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    server.client(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
        "us-east-1",
    )
}

// Multi-threaded: the CLI runs as a blocking child process, and the in-process server must
// keep running meanwhile (on one thread an audit write it had begun would hold the SQLite
// write lock until the CLI gave up waiting for it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_revokes_an_access_key_for_every_replica_sharing_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().join("store.db").display());
    let toml = config_toml(&store);
    let config_path = dir.path().join("config.toml");
    std::fs::write(&config_path, &toml).unwrap();
    let server = TestServer::start_custom(ServeLimits::default(), config_from(&toml)).await;
    let out = server
        .admin()
        .assume_role()
        .role_arn("arn:aws:iam::123456789012:role/ops")
        .role_session_name("worker")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    let client = server.client(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
        "us-east-1",
    );
    client.get_caller_identity().send().await.unwrap();

    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stsbridge"))
            .arg("revoke")
            .arg("--config")
            .arg(&config_path)
            .args(args)
            .env("STSBRIDGE_TEST_DEV_SECRET", DEV_SECRET)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let said = cli(&[
        "--access-key-id",
        c.access_key_id(),
        "--reason",
        "laptop lost",
    ]);
    assert!(
        said.contains("revoked: ") && said.contains(c.access_key_id()),
        "{said}"
    );
    assert!(cli(&["--list"]).contains("laptop lost"));
    // The server reloads revocations every 5 s; run that reload now rather than sleep.
    server.bridge.refresh_revocations().await;
    assert_eq!(
        error_code(&client.get_caller_identity().send().await.unwrap_err()),
        "InvalidClientTokenId"
    );
    // Other sessions are untouched.
    session(&server, "ops")
        .await
        .get_caller_identity()
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn role_revocations_cut_sessions_issued_before_including_chained_calls() {
    let dir = tempfile::tempdir().unwrap();
    let toml = config_toml(&format!(
        "sqlite://{}",
        dir.path().join("store.db").display()
    ));
    let server = TestServer::start_custom(ServeLimits::default(), config_from(&toml)).await;
    let old_ops = session(&server, "ops").await;
    let ops2 = session(&server, "ops2").await;
    let now = server.clock.now();
    // "Issued before now": the sessions above were issued a moment ago.
    server.clock.advance(TimeDelta::milliseconds(10));
    let req = RevokeRequest {
        role: Some("ops".into()),
        issued_before: Some("now".into()),
        ..RevokeRequest::default()
    };
    let record = revocation(server.bridge.config(), &req, server.clock.now()).unwrap();
    server.bridge.store().add_revocation(&record).await.unwrap();
    server.bridge.refresh_revocations().await;
    assert_eq!(
        error_code(&old_ops.get_caller_identity().send().await.unwrap_err()),
        "InvalidClientTokenId"
    );
    ops2.get_caller_identity().send().await.unwrap();
    // A chained AssumeRole from a revoked session is refused too.
    assert_eq!(
        error_code(
            &old_ops
                .assume_role()
                .role_arn("arn:aws:iam::123456789012:role/ops2")
                .role_session_name("chain")
                .send()
                .await
                .unwrap_err()
        ),
        "InvalidClientTokenId"
    );
    // Sessions issued after the revocation work.
    server.clock.advance(TimeDelta::seconds(1));
    session(&server, "ops")
        .await
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    // Bad requests are refused before anything is written.
    let none = RevokeRequest::default();
    assert!(revocation(server.bridge.config(), &none, now).is_err());
    let user_key = RevokeRequest {
        access_key_id: Some(crate::common::ADMIN_KEY.into()),
        ..RevokeRequest::default()
    };
    assert!(
        revocation(server.bridge.config(), &user_key, now).is_err(),
        "long-term keys are not revoked this way"
    );
}

#[tokio::test]
async fn an_aws_style_revoke_older_sessions_policy_is_honoured() {
    let now = stsbridge::clock::Clock::now(&stsbridge::clock::SystemClock);
    let cutoff = (now + TimeDelta::minutes(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let deny = format!(
        r#"'''{{"Version":"2012-10-17","Statement":[{{"Sid":"AWSRevokeOlderSessions","Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{{"DateLessThan":{{"aws:TokenIssueTime":"{cutoff}"}}}}}}]}}'''"#
    );
    let toml = config_toml("sqlite::memory:").replacen(
        "name = \"ops\"\n",
        &format!("name = \"ops\"\npolicies = [{deny}]\n"),
        1,
    );
    let server = TestServer::start_custom(ServeLimits::default(), config_from(&toml)).await;
    let revoked = session(&server, "ops").await;
    let err = revoked.get_caller_identity().send().await.unwrap_err();
    assert_eq!(error_code(&err), "AccessDenied");
    // The other role has no such policy.
    session(&server, "ops2")
        .await
        .get_caller_identity()
        .send()
        .await
        .unwrap();
}
