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

/// A form POST to the STS endpoint, SigV4-signed with the admin's keys (aws-sigv4), carrying
/// parameters no SDK would send for the action.
async fn signed_post(
    server: &TestServer,
    http: &reqwest::Client,
    params: &[(&str, &str)],
) -> reqwest::Response {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_smithy_runtime_api::client::identity::Identity;

    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let identity: Identity = aws_credential_types::Credentials::new(
        crate::common::ADMIN_KEY,
        crate::common::ADMIN_SECRET,
        None,
        None,
        "t",
    )
    .into();
    let now: std::time::SystemTime = stsbridge::clock::Clock::now(server.clock.as_ref()).into();
    let signing = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sts")
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let url = format!("{}/", server.url());
    let headers = [("content-type", "application/x-www-form-urlencoded")];
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &signing).unwrap().into_parts();
    let mut req = http::Request::builder()
        .method("POST")
        .uri(&url)
        .header(headers[0].0, headers[0].1)
        .body(())
        .unwrap();
    instructions.apply_to_request_http1x(&mut req);
    let mut builder = http.post(&url).body(body);
    for (name, value) in req.headers() {
        builder = builder.header(name, value);
    }
    builder.send().await.unwrap()
}

#[tokio::test]
async fn request_parameters_never_become_metric_labels_or_audit_providers() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let toml = crate::common::test_config_toml()
        + &format!(
            "\n[audit]\nfile = \"{}\"\n[limits]\nper_access_key_per_s = 100000\n",
            log.display()
        );
    let server = TestServer::start_custom(
        stsbridge::app::ServeLimits::default(),
        crate::common::config_from(&toml),
    )
    .await;
    let role = format!("arn:aws:iam::{ACCOUNT}:role/team/reader");
    let http = reqwest::Client::new();
    let marker = "flood-7f3a";
    for i in 0..1000 {
        // AssumeRole ignores PrincipalArn and ProviderId; they used to become the issuance
        // metric's provider label and the audit event's provider.
        let principal = format!("arn:aws:iam::{ACCOUNT}:saml-provider/{marker}-{i}");
        let provider = format!("{marker}-p{i}.example.com");
        let session = format!("s{i}");
        let resp = signed_post(
            &server,
            &http,
            &[
                ("Action", "AssumeRole"),
                ("Version", "2011-06-15"),
                ("RoleArn", &role),
                ("RoleSessionName", &session),
                ("PrincipalArn", &principal),
                ("ProviderId", &provider),
            ],
        )
        .await;
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    }
    let after = scrape(&server).await;
    assert!(
        !after.contains(marker),
        "a request parameter became a metric label"
    );
    let issued = format!(r#"stsbridge_credentials_issued_total{{role="{role}",provider="iam"}}"#);
    assert!(value(&after, &issued) >= 1000.0, "{after}");

    assert!(
        server
            .bridge
            .flush_audit(std::time::Duration::from_secs(10))
            .await
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let assume: Vec<_> = events
        .iter()
        .filter(|e| e["eventName"] == "AssumeRole")
        .collect();
    assert_eq!(assume.len(), 1000, "every issuance is audited");
    assert!(
        !text.contains(marker),
        "a request parameter reached the audit trail"
    );
    assert!(
        assume
            .iter()
            .all(|e| e.get("provider").is_none_or(serde_json::Value::is_null))
    );
    assert!(assume.iter().all(|e| e["role"] == role.as_str()));
}
