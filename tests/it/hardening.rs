//! Defences that are not about credentials: slow clients, overload, and secrets in logs.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use stsbridge::app::ServeLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{ADMIN_SECRET, TestServer};

/// Opens a connection that declares a body and then stalls after a few bytes.
async fn stalled_request(server: &TestServer) -> tokio::net::TcpStream {
    let mut conn = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nAction=Get",
        server.addr
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn
}

async fn read_response(conn: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn a_client_that_stalls_mid_body_is_cut_off_with_an_sts_error() {
    let server = TestServer::start_with(ServeLimits {
        request_timeout: Duration::from_millis(300),
        ..ServeLimits::default()
    })
    .await;
    let mut conn = stalled_request(&server).await;
    let response = read_response(&mut conn).await;
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(
        response.contains("<Code>RequestTimeout</Code>"),
        "{response}"
    );
    assert!(
        response.to_ascii_lowercase().contains("x-amzn-requestid:"),
        "{response}"
    );
}

#[tokio::test]
async fn overload_is_shed_with_a_retryable_503() {
    let server = TestServer::start_with(ServeLimits {
        request_timeout: Duration::from_secs(2),
        max_in_flight: 1,
        ..ServeLimits::default()
    })
    .await;
    // The stalled request holds the only slot until its timeout.
    let mut held = stalled_request(&server).await;
    // Give the server a moment to start serving the held request (bounded wait, not a sleep on
    // the clock under test).
    let mut shed = None;
    for _ in 0..50 {
        let resp = reqwest::Client::new()
            .post(server.url())
            .body("Action=GetCallerIdentity&Version=2011-06-15")
            .send()
            .await
            .unwrap();
        if resp.status() == 503 {
            shed = Some(resp.text().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let body = shed.expect("a second request was shed while the only slot was taken");
    assert!(
        body.contains("<Type>Receiver</Type><Code>ServiceUnavailable</Code>"),
        "{body}"
    );
    let held_response = read_response(&mut held).await;
    assert!(
        held_response.contains("<Code>RequestTimeout</Code>"),
        "{held_response}"
    );
}

/// Everything `stsbridge` logs, at every level, for the whole test binary.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        let writer = move || SharedWriter(sink.clone());
        let filter = tracing_subscriber::EnvFilter::new("stsbridge=trace");
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(writer)
            .with_ansi(false)
            .try_init()
            .unwrap();
        buf
    })
    .clone()
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for SharedWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_reaches_the_logs() {
    let logs = captured_logs();
    let server = TestServer::start().await;
    let creds = crate::sessions::mint_for(&server);
    let token = creds.session_token.expose().to_owned();
    let session = server.client(
        creds.access_key_id.as_str(),
        creds.secret_access_key.expose(),
        Some(&token),
        "us-east-1",
    );
    let ok = session.get_caller_identity().send().await.unwrap();
    let ok_id = aws_sdk_sts::operation::RequestId::request_id(&ok)
        .unwrap()
        .to_owned();
    // Failures log too: a wrong signature, a tampered token, and a presigned URL's query.
    let wrong_sig = server
        .client(
            creds.access_key_id.as_str(),
            ADMIN_SECRET,
            Some(&token),
            "us-east-1",
        )
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    let wrong_sig_id = aws_sdk_sts::operation::RequestId::request_id(&wrong_sig)
        .unwrap()
        .to_owned();
    server
        .client(
            creds.access_key_id.as_str(),
            creds.secret_access_key.expose(),
            Some(&token[1..]),
            "us-east-1",
        )
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    let query = format!(
        "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Security-Token={token}&X-Amz-Signature=deadbeef"
    );
    reqwest::get(format!("{}/?{query}", server.url()))
        .await
        .unwrap();

    let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    // The capture is shared with concurrent tests: check this test's own requests are in it.
    let own = |id: &str| {
        text.lines()
            .filter(|l| l.contains(id))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let ok_lines = own(&ok_id);
    assert!(
        ok_lines.contains("served") && ok_lines.contains("assumed-role/reader"),
        "principal logged: {ok_lines}"
    );
    let failed_lines = own(&wrong_sig_id);
    assert!(
        failed_lines.contains("SignatureDoesNotMatch"),
        "failure logged: {failed_lines}"
    );
    for secret in [
        token.as_str(),
        &token[10..40],
        creds.secret_access_key.expose(),
        ADMIN_SECRET,
        "deadbeef",
        "Version=2011-06-15&X-Amz",
    ] {
        assert!(
            !text.contains(secret),
            "a secret leaked into the logs: {secret:.12}…"
        );
    }
}

fn limits(header_read_timeout: Duration, max_connections: usize) -> ServeLimits {
    ServeLimits {
        header_read_timeout,
        max_connections,
        ..ServeLimits::default()
    }
}

/// Reads until the server closes the connection; returns what arrived and how long it took.
async fn until_closed(conn: &mut tokio::net::TcpStream) -> (String, Duration) {
    let started = std::time::Instant::now();
    let text = read_response(conn).await;
    (text, started.elapsed())
}

#[tokio::test]
async fn silent_and_trickling_connections_are_closed_at_the_header_timeout() {
    let server = TestServer::start_with(limits(Duration::from_millis(300), 64)).await;
    // Sends nothing at all.
    let mut silent = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (_, waited) = until_closed(&mut silent).await;
    assert!(
        waited < Duration::from_secs(5),
        "silent connection held for {waited:?}"
    );
    // Sends a request line and then one header byte at a time, never finishing the head.
    let mut trickle = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    trickle
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let writer = async {
        for b in b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
            if trickle.write_all(&[*b]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    };
    let cut_off = tokio::time::timeout(Duration::from_secs(5), writer)
        .await
        .unwrap_or(false);
    assert!(
        cut_off,
        "the server kept reading a header trickle past its timeout"
    );
    // The server still serves normal clients.
    server.admin().get_caller_identity().send().await.unwrap();
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed_at_accept() {
    let server = TestServer::start_with(limits(Duration::from_secs(10), 2)).await;
    let a = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let b = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    // Let the accept loop take both before the third arrives.
    let mut third = None;
    for _ in 0..50 {
        let mut c = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let (text, waited) = until_closed(&mut c).await;
        if text.is_empty() && waited < Duration::from_secs(5) {
            third = Some(waited);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        third.is_some(),
        "a third connection was not refused while two were held"
    );
    drop((a, b));
}

#[tokio::test]
async fn unknown_paths_and_methods_get_error_documents() {
    let server = TestServer::start().await;
    let resp = reqwest::get(format!("{}/nope", server.url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.text().await.unwrap().contains("<Code>NotFound</Code>"));
    let resp = reqwest::Client::new()
        .put(server.url())
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("<Code>MethodNotAllowed</Code>")
    );
}

#[tokio::test]
async fn the_api_is_served_under_the_public_url_path() {
    let toml = crate::common::test_config_toml().replace(
        "listen = \"127.0.0.1:0\"",
        "listen = \"127.0.0.1:0\"\npublic_url = \"https://sts.example.com/identity/sts\"",
    );
    let server =
        TestServer::start_custom(ServeLimits::default(), crate::common::config_from(&toml)).await;
    let endpoint = format!("{}/identity/sts/", server.url());
    let client = crate::common::sdk_client(
        &endpoint,
        crate::common::ADMIN_KEY,
        ADMIN_SECRET,
        None,
        "us-east-1",
    );
    let out = client.get_caller_identity().send().await.unwrap();
    assert_eq!(out.arn(), Some("arn:aws:iam::123456789012:user/admin"));
}

#[tokio::test]
async fn cors_answers_configured_origins_only() {
    let toml = crate::common::test_config_toml().replace(
        "listen = \"127.0.0.1:0\"",
        "listen = \"127.0.0.1:0\"\ncors_origins = [\"https://app.example.com\"]",
    );
    let server =
        TestServer::start_custom(ServeLimits::default(), crate::common::config_from(&toml)).await;
    let preflight = |origin: &'static str| {
        reqwest::Client::new()
            .request(reqwest::Method::OPTIONS, server.url())
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,x-amz-date,authorization,x-amz-security-token",
            )
            .send()
    };
    let ok = preflight("https://app.example.com").await.unwrap();
    assert!(ok.status().is_success(), "{}", ok.status());
    let headers = ok.headers();
    assert_eq!(
        headers.get("access-control-allow-origin").unwrap(),
        "https://app.example.com"
    );
    let allowed = headers
        .get("access-control-allow-headers")
        .unwrap()
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("x-amz-security-token") && allowed.contains("authorization"),
        "{allowed}"
    );
    let other = preflight("https://evil.example.com").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // A real request from the allowed origin can read the request id.
    let resp = reqwest::Client::new()
        .post(server.url())
        .header("origin", "https://app.example.com")
        .body("Action=GetCallerIdentity&Version=2011-06-15")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers().get("access-control-allow-origin").unwrap(),
        "https://app.example.com"
    );
    assert!(
        resp.headers()
            .get("access-control-expose-headers")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("x-amzn-requestid")
    );
    // Without cors_origins there are no CORS headers at all.
    let plain = TestServer::start().await;
    let resp = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, plain.url())
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
}
