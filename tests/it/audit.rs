//! The audit trail: a line per decision with the expected fields, in the file sink and in the
//! store (read back by `stsbridge audit`), and never a secret, token or assertion.

use std::time::Duration;

use stsbridge::app::ServeLimits;

use crate::common::web::WebClient;
use crate::common::{
    ACCOUNT, ADMIN_SECRET, DEV_KEY, TestServer, config_from, error_code, test_config_toml,
};
use crate::web::{console_page, oidc_server};

/// Waits until the writer has written at least `n` events.
async fn written(server: &TestServer, n: u64) {
    for _ in 0..200 {
        if server.bridge.audit_written() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "only {} audit events were written, expected {n}",
        server.bridge.audit_written()
    );
}

fn events(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("every audit line is one JSON object"))
        .collect()
}

/// `stsbridge audit --since 1h --subject WHO` against the config's store.
fn audit_cli(dir: &std::path::Path, toml: &str, who: &str) -> Vec<serde_json::Value> {
    std::fs::write(dir.join("cfg.toml"), toml).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stsbridge"))
        .args(["audit", "--since", "1h", "--subject", who, "--config"])
        .arg(dir.join("cfg.toml"))
        .env(
            "STSBRIDGE_TEST_DEV_SECRET",
            "test/DEVELOPER/secret/do+not+use+000000",
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    events(&String::from_utf8(out.stdout).unwrap())
}

#[tokio::test]
async fn issuance_and_denials_are_audited_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let db = dir.path().join("store.db");
    let toml = test_config_toml().replace(
        "url = \"sqlite::memory:\"",
        &format!("url = \"sqlite://{}\"", db.display()),
    ) + &format!("\n[audit]\nfile = \"{}\"\n", log.display());
    let server = TestServer::start_custom(ServeLimits::default(), config_from(&toml)).await;
    let role = format!("arn:aws:iam::{ACCOUNT}:role/team/reader");

    let issued = server
        .admin()
        .assume_role()
        .role_arn(&role)
        .role_session_name("audited")
        .send()
        .await
        .unwrap();
    let creds = issued.credentials().unwrap();
    // A denial: the developer's keys with a wrong secret never reach an action.
    let forged = server.client(DEV_KEY, &"x".repeat(40), None, "us-east-1");
    assert_eq!(
        error_code(
            &forged
                .assume_role()
                .role_arn(&role)
                .role_session_name("x")
                .send()
                .await
                .unwrap_err()
        ),
        "SignatureDoesNotMatch"
    );
    // And one refused by a policy: a role that does not trust the caller's account.
    let nowhere = format!("arn:aws:iam::{ACCOUNT}:role/missing");
    let err = server
        .admin()
        .assume_role()
        .role_arn(&nowhere)
        .role_session_name("denied")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "AccessDenied");
    // Read-only calls are not decisions.
    server.admin().get_caller_identity().send().await.unwrap();
    written(&server, 3).await;

    let text = std::fs::read_to_string(&log).unwrap();
    let all = events(&text);
    assert_eq!(all.len(), 3, "{text}");
    let ok = all
        .iter()
        .find(|e| e["eventName"] == "AssumeRole" && e["errorCode"].is_null())
        .expect("the issuance");
    assert_eq!(ok["eventSource"], "sts");
    assert_eq!(
        ok["principal"],
        format!("arn:aws:iam::{ACCOUNT}:user/admin")
    );
    assert_eq!(ok["role"], role.as_str());
    assert_eq!(ok["sessionName"], "audited");
    assert_eq!(ok["accessKeyId"], creds.access_key_id());
    assert_eq!(
        ok["issuedArn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/reader/audited")
    );
    assert_eq!(ok["sourceIPAddress"], "127.0.0.1");
    assert!(
        ok["userAgent"].as_str().unwrap().contains("aws-sdk-rust"),
        "{ok}"
    );
    assert!(ok["requestId"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(ok["eventTime"].as_str().is_some());
    let forged_event = all
        .iter()
        .find(|e| e["errorCode"] == "SignatureDoesNotMatch")
        .expect("the forged signature");
    assert_eq!(forged_event["eventName"], "AssumeRole");
    let denied = all
        .iter()
        .find(|e| e["errorCode"] == "AccessDenied")
        .expect("the denial");
    assert!(
        denied["matched"]
            .as_str()
            .is_some_and(|m| m.contains("not configured")),
        "the deciding check is recorded: {denied}"
    );
    assert!(denied["accessKeyId"].is_null());

    // Nothing secret anywhere in the log.
    for secret in [
        creds.secret_access_key(),
        creds.session_token(),
        ADMIN_SECRET,
    ] {
        assert!(!text.contains(secret), "the audit log holds a secret");
    }
    assert!(!text.contains("Encoded authorization failure message"));

    // The store keeps the same events; `stsbridge audit` prints them.
    let printed = audit_cli(
        dir.path(),
        &toml,
        &format!("arn:aws:sts::{ACCOUNT}:assumed-role/reader/audited"),
    );
    assert_eq!(printed.len(), 1, "--subject filters to the issued session");
    assert_eq!(printed[0]["accessKeyId"], creds.access_key_id());
}

#[tokio::test]
async fn browser_sign_in_and_role_choice_are_audited() {
    let (server, _idp) = oidc_server(false).await;
    let mut c = WebClient::new();
    let page = console_page(&server, &mut c).await;
    let key = page.by_id("access-key-id").unwrap();
    let secret = page.by_id("secret-access-key").unwrap();
    let token = page.by_id("session-token").unwrap();
    written(&server, 2).await;
    let now = stsbridge::clock::Clock::now(server.clock.as_ref());
    let stored = server
        .bridge
        .store()
        .list_audit_events(now - chrono::TimeDelta::hours(1), None, 100, now)
        .await
        .unwrap();
    let all: Vec<serde_json::Value> = stored
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    let sign_in = all
        .iter()
        .find(|e| e["eventName"] == "BrowserSignIn")
        .expect("sign-in event");
    assert_eq!(sign_in["eventSource"], "signin");
    assert_eq!(sign_in["subject"], "browser-user");
    assert!(sign_in["errorCode"].is_null(), "{sign_in}");
    let chosen = all
        .iter()
        .find(|e| e["eventName"] == "ChooseRole")
        .expect("role choice event");
    assert_eq!(chosen["accessKeyId"], key.as_str());
    assert_eq!(chosen["role"], crate::web::role("dev"));
    assert!(
        chosen["matched"].as_str().unwrap().contains("rule #1"),
        "{chosen}"
    );
    let joined = stored.join("\n");
    assert!(!joined.contains(&secret) && !joined.contains(&token));

    // A refused sign-in is recorded too.
    let mut other = WebClient::new();
    other
        .get(&format!("{}/oidc/callback?state=x&code=y", server.url()))
        .await;
    written(&server, 3).await;
    let stored = server
        .bridge
        .store()
        .list_audit_events(now - chrono::TimeDelta::hours(1), None, 100, now)
        .await
        .unwrap();
    assert!(
        stored
            .iter()
            .any(|e| e.contains("\"BrowserSignIn\"") && e.contains("\"errorCode\":\"400\"")),
        "{stored:?}"
    );
}

#[tokio::test]
async fn a_flood_of_refused_requests_cannot_fill_the_audit_store() {
    let toml = test_config_toml() + "\n[limits]\nunauthenticated_per_ip_per_s = 3\n";
    let server = TestServer::start_custom(ServeLimits::default(), config_from(&toml)).await;
    let http = reqwest::Client::new();
    for _ in 0..10 {
        let resp = http
            .get(format!(
                "{}/?Action=GetCallerIdentity&Version=2011-06-15",
                server.url()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "each is still refused");
    }
    // The clock does not move: the bucket holds three, so three refusals are recorded.
    written(&server, 3).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.bridge.audit_written(), 3);
    server.clock.advance(chrono::TimeDelta::seconds(1));
    http.get(format!(
        "{}/?Action=GetCallerIdentity&Version=2011-06-15",
        server.url()
    ))
    .send()
    .await
    .unwrap();
    written(&server, 4).await;
}
