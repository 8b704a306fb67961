//! The `stsbridge` binary itself: check-config and the demo's loopback-only rule.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stsbridge"))
}

#[test]
fn check_config_accepts_a_valid_file_and_names_key_paths_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, crate::common::test_config_toml()).unwrap();
    let out = bin()
        .arg("check-config")
        .arg(&good)
        .env(
            "STSBRIDGE_TEST_DEV_SECRET",
            "test/DEVELOPER/secret/000000000000",
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("OK (2 users, 1 roles"));

    // Same file without the env var its secret refers to, plus a typo'd key.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        crate::common::test_config_toml().replace("account_id", "acount_id"),
    )
    .unwrap();
    let out = bin()
        .arg("check-config")
        .arg(&bad)
        .env_remove("STSBRIDGE_TEST_DEV_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("server"), "{stderr}");
    assert!(stderr.contains("acount_id"), "{stderr}");

    let bad = dir.path().join("bad2.toml");
    std::fs::write(&bad, crate::common::test_config_toml()).unwrap();
    let out = bin()
        .arg("check-config")
        .arg(&bad)
        .env_remove("STSBRIDGE_TEST_DEV_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "users[1].secret_access_key: environment variable STSBRIDGE_TEST_DEV_SECRET is not set"
        ),
        "{stderr}"
    );
}

#[test]
fn user_errors_print_no_backtrace_even_with_rust_backtrace_set() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        crate::common::test_config_toml().replace("account_id", "acount_id"),
    )
    .unwrap();
    let missing = dir.path().join("missing.toml");
    for args in [
        vec!["check-config".to_owned(), bad.display().to_string()],
        vec![
            "serve".to_owned(),
            "--config".to_owned(),
            bad.display().to_string(),
        ],
        vec!["check-config".to_owned(), missing.display().to_string()],
    ] {
        let out = bin()
            .args(&args)
            .env("RUST_BACKTRACE", "1")
            .env("RUST_LIB_BACKTRACE", "1")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("Error: "), "{args:?}: {stderr}");
        for trace in [
            "Stack backtrace",
            "stack backtrace",
            "anyhow::",
            "at src/",
            "  0: ",
        ] {
            assert!(
                !stderr.contains(trace),
                "{args:?} printed a trace: {stderr}"
            );
        }
    }
}

#[test]
fn demo_refuses_a_non_loopback_address() {
    let out = bin()
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}

#[test]
fn rules_explain_says_why_a_role_is_or_is_not_granted() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let toml = format!(
        r#"{}
[[oidc_providers]]
url = "https://idp.example.com"
client_ids = ["app"]

[[roles]]
name = "ops"
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Sid":"Idp","Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::123456789012:oidc-provider/idp.example.com"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"idp.example.com:aud":"app"}}}}}}]}}'''

[[rules]]
provider = "https://idp.example.com"
when = [ {{ claim = "groups", op = "contains", value = "ops" }} ]
roles = ["ops"]
"#,
        crate::common::test_config_toml()
    );
    std::fs::write(&config, toml).unwrap();
    let claims = dir.path().join("claims.json");
    let run = |claims_json: &str| {
        std::fs::write(&claims, claims_json).unwrap();
        let out = bin()
            .args([
                "rules",
                "explain",
                "--provider",
                "https://idp.example.com",
                "--config",
            ])
            .arg(&config)
            .arg("--claims")
            .arg(&claims)
            .env(
                "STSBRIDGE_TEST_DEV_SECRET",
                "test/DEVELOPER/secret/000000000000",
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let granted = run(r#"{"sub":"u1","aud":"app","groups":["ops"]}"#);
    assert!(granted.contains("rules[0]  MATCHED"), "{granted}");
    assert!(
        granted.contains(r#"groups contains "ops" (matched "ops")"#),
        "which op matched which value: {granted}"
    );
    // One group sent as a string is a one-element list: `contains` is equality.
    let one_string = run(r#"{"sub":"u1","aud":"app","groups":"devops"}"#);
    assert!(
        one_string.contains("claim groups fails contains \"ops\""),
        "{one_string}"
    );
    assert!(granted.contains("role/ops  => CAN ASSUME"), "{granted}");
    assert!(
        granted.contains("statement 0 (Idp) Allow: applies"),
        "{granted}"
    );
    let refused = run(r#"{"sub":"u1","aud":"other","groups":["dev"]}"#);
    assert!(
        refused.contains("claim groups fails contains \"ops\""),
        "{refused}"
    );
    assert!(refused.contains("role/ops  => denied"), "{refused}");
    assert!(
        refused.contains("condition key idp.example.com:aud"),
        "{refused}"
    );
}

/// The demo server as a child process on an ephemeral port; returns it and its base URL.
fn spawn_demo() -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = bin()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let banner = lines.next().unwrap().unwrap();
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

#[tokio::test]
async fn libxmlsec_stderr_is_summarised_not_flooded() {
    use base64::Engine;
    let (mut child, url) = spawn_demo();
    let client = reqwest::Client::new();
    let good = client
        .post(format!("{url}/demo-idp/saml/response"))
        .form(&[("user", "alice")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let xml = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(good)
            .unwrap(),
    )
    .unwrap();
    let forged =
        base64::engine::general_purpose::STANDARD.encode(xml.replacen(">alice<", ">mallory<", 1));
    let mut refused = 0;
    for _ in 0..40 {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("Action", "AssumeRoleWithSAML")
            .append_pair("Version", "2011-06-15")
            .append_pair("RoleArn", "arn:aws:iam::000000000000:role/demo-developer")
            .append_pair(
                "PrincipalArn",
                "arn:aws:iam::000000000000:saml-provider/demo-saml",
            )
            .append_pair("SAMLAssertion", &forged)
            .finish();
        let resp = client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        if resp.status() == 400 {
            refused += 1;
        }
    }
    assert_eq!(refused, 40, "every forged response is refused");
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("func=xmlSec").count(),
        0,
        "raw xmlsec lines leaked: {stderr}"
    );
    let summaries = stderr.matches("libxmlsec1/libxml2 wrote").count();
    assert!(
        (1..=2).contains(&summaries),
        "expected one summary line, got {summaries}: {stderr}"
    );
}

#[test]
fn the_two_replica_example_config_checks_clean() {
    let out = bin()
        .arg("check-config")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/replica.toml"))
        .env(
            "STSBRIDGE_DATABASE_URL",
            "postgres://stsbridge:example@db.internal/stsbridge",
        )
        .env("GOOGLE_CLIENT_SECRET", "example-secret")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Log lines are plain text when stderr is not a terminal (a pipe, a file, journald): no ANSI
/// colour codes for log shippers to choke on. The request line arrives through the log
/// writer thread while the server runs.
#[tokio::test]
async fn log_lines_to_a_pipe_carry_no_colour_codes() {
    use std::io::BufRead;
    let (mut child, url) = spawn_demo();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let status = reqwest::get(format!("{url}/healthz"))
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    let mut seen = Vec::new();
    let served = loop {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no request log line; stderr so far: {seen:?}"));
        let is_request = line.contains("served") && line.contains("/healthz");
        seen.push(line);
        if is_request {
            break seen.last().cloned().unwrap();
        }
    };
    child.kill().unwrap();
    let _ = child.wait();
    assert!(served.contains("status=200"), "{served}");
    for line in &seen {
        assert!(!line.contains('\u{1b}'), "colour codes in {line:?}");
    }
}
