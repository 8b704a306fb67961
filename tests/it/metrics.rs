//! `GET /metrics`: Prometheus text whose counters move with what the bridge does. The registry
//! is process-wide and tests run in parallel, so checks compare before and after (≥).

use crate::common::{ACCOUNT, TestServer, error_code};

/// The value of one series, 0 when it does not exist yet.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .map_or(0.0, |v| v.parse().unwrap())
}

async fn scrape(server: &TestServer) -> String {
    let resp = reqwest::get(format!("{}/metrics", server.url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    resp.text().await.unwrap()
}

#[tokio::test]
async fn counters_and_histograms_move() {
    let server = TestServer::start().await;
    let role = format!("arn:aws:iam::{ACCOUNT}:role/team/reader");
    let ok = r#"stsbridge_requests_total{action="AssumeRole",outcome="ok"}"#;
    let denied = r#"stsbridge_requests_total{action="AssumeRole",outcome="AccessDenied"}"#;
    let issued = format!(r#"stsbridge_credentials_issued_total{{role="{role}",provider="iam"}}"#);
    let latency = r#"stsbridge_request_duration_seconds_count{action="AssumeRole"}"#;
    let before = scrape(&server).await;

    server
        .admin()
        .assume_role()
        .role_arn(&role)
        .role_session_name("metered")
        .send()
        .await
        .unwrap();
    let err = server
        .admin()
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/missing"))
        .role_session_name("metered")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "AccessDenied");

    let after = scrape(&server).await;
    assert!(value(&after, ok) >= value(&before, ok) + 1.0, "{after}");
    assert!(value(&after, denied) >= value(&before, denied) + 1.0);
    assert!(value(&after, &issued) >= value(&before, &issued) + 1.0);
    assert!(value(&after, latency) >= value(&before, latency) + 2.0);
    // The store is timed (the revocation list is read at start).
    assert!(
        after.contains(r#"stsbridge_store_operation_duration_seconds_count{operation="list_revocations",result="ok"}"#),
        "{after}"
    );
    for family in [
        "# TYPE stsbridge_requests_total counter",
        "# TYPE stsbridge_request_duration_seconds histogram",
        "# TYPE stsbridge_revocations_active gauge",
        "# TYPE stsbridge_audit_events_dropped_total counter",
    ] {
        assert!(after.contains(family), "{family}");
    }
}
