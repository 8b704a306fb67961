//! A request answered before its body was read (413 for an oversized body) must not break the
//! client's next request on the same keep-alive connection: the bridge reads a bounded
//! remainder so the connection stays usable, or says `Connection: close` when it will not.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::TestServer;

/// Oversized form bodies: over the API's 256 KiB limit, within what the bridge drains. The
/// chunked one is larger because the bridge reads a chunked body up to the limit before it
/// refuses, and hyper by itself discards a small remainder it already buffered.
const OVERSIZED: usize = 270 * 1024;
const OVERSIZED_CHUNKED: usize = 700 * 1024;

fn form_body(len: usize) -> Vec<u8> {
    let mut body = b"Action=GetCallerIdentity&Version=2011-06-15&Pad=".to_vec();
    body.resize(len, b'a');
    body
}

/// One response read off a raw connection: status line, lowercased headers, body.
#[derive(Debug)]
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads exactly one response (Content-Length framed, as the bridge sends them); what follows
/// it stays in `buf`.
async fn read_one<R: AsyncRead + Unpin>(conn: &mut R, buf: &mut Vec<u8>) -> RawResponse {
    let deadline = Duration::from_secs(10);
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 8192];
        let n = tokio::time::timeout(deadline, conn.read(&mut chunk))
            .await
            .expect("response head in time")
            .expect("read");
        assert!(n > 0, "connection closed before a response head");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    while buf.len() < head_end + len {
        let mut chunk = [0u8; 8192];
        let n = tokio::time::timeout(deadline, conn.read(&mut chunk))
            .await
            .expect("response body in time")
            .expect("read");
        assert!(n > 0, "connection closed inside a response body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).into_owned();
    buf.drain(..head_end + len);
    RawResponse {
        status,
        headers,
        body,
    }
}

fn post_head(server: &TestServer, framing: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n{framing}\r\n\r\n",
        server.addr
    )
}

/// An oversized body, then an STS call and a health check on the same connection.
async fn oversized_then_valid_on_one_connection(server: &TestServer, chunked: bool) {
    let mut conn = TcpStream::connect(server.addr).await.unwrap();
    let body = form_body(if chunked {
        OVERSIZED_CHUNKED
    } else {
        OVERSIZED
    });
    let mut request = if chunked {
        let mut r = post_head(server, "Transfer-Encoding: chunked").into_bytes();
        for chunk in body.chunks(16 * 1024) {
            r.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            r.extend_from_slice(chunk);
            r.extend_from_slice(b"\r\n");
        }
        r.extend_from_slice(b"0\r\n\r\n");
        r
    } else {
        let mut r = post_head(server, &format!("Content-Length: {}", body.len())).into_bytes();
        r.extend_from_slice(&body);
        r
    };
    // The next requests go right behind the first, as a pipelining or pooled client's would.
    let valid = b"Action=GetCallerIdentity&Version=2011-06-15";
    request.extend_from_slice(
        post_head(server, &format!("Content-Length: {}", valid.len())).as_bytes(),
    );
    request.extend_from_slice(valid);
    request.extend_from_slice(
        format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr).as_bytes(),
    );
    // Written concurrently: the bridge answers the first request before reading its body.
    let (mut read_half, mut write_half) = conn.split();
    let write = async {
        write_half.write_all(&request).await.unwrap();
    };
    let read = async {
        let mut buf = Vec::new();
        let mut responses = Vec::new();
        for _ in 0..3 {
            responses.push(read_one(&mut read_half, &mut buf).await);
        }
        responses
    };
    let ((), responses) = tokio::join!(write, read);
    let [too_large, refused, health] = <[RawResponse; 3]>::try_from(responses).unwrap();
    assert_eq!(too_large.status, 413, "{too_large:?}");
    assert!(
        too_large
            .body
            .contains("<Code>RequestEntityTooLarge</Code>"),
        "{too_large:?}"
    );
    assert_eq!(
        too_large.header("connection"),
        None,
        "a body within the drain bound keeps the connection"
    );
    assert_eq!(refused.status, 403, "the next call is parsed: {refused:?}");
    assert!(
        refused
            .body
            .contains("<Code>MissingAuthenticationToken</Code>"),
        "{refused:?}"
    );
    assert_eq!(health.status, 200);
    assert_eq!(health.body, "ok");
    drop(conn);
}

#[tokio::test]
async fn a_declared_length_oversized_body_keeps_the_connection() {
    let server = TestServer::start().await;
    oversized_then_valid_on_one_connection(&server, false).await;
}

#[tokio::test]
async fn a_chunked_oversized_body_keeps_the_connection() {
    let server = TestServer::start().await;
    oversized_then_valid_on_one_connection(&server, true).await;
}

#[tokio::test]
async fn a_body_too_large_to_drain_is_answered_with_connection_close() {
    let server = TestServer::start().await;
    let mut conn = TcpStream::connect(server.addr).await.unwrap();
    // Declares 8 MiB and sends none of it: the bridge refuses at once and will not wait.
    conn.write_all(post_head(&server, "Content-Length: 8388608").as_bytes())
        .await
        .unwrap();
    let mut buf = Vec::new();
    let response = read_one(&mut conn, &mut buf).await;
    assert_eq!(response.status, 413, "{response:?}");
    assert_eq!(response.header("connection"), Some("close"), "{response:?}");
}
