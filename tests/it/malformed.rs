//! Raw HTTP for input no SDK would send: each gets a correct `ErrorResponse`, never a 5xx.

use crate::common::TestServer;

struct Reply {
    status: u16,
    request_id: String,
    body: String,
}

async fn post(
    server: &TestServer,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Reply {
    let mut req = reqwest::Client::new().post(server.url()).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    reply(req.send().await.unwrap()).await
}

async fn get(server: &TestServer, path_and_query: &str) -> Reply {
    reply(
        reqwest::get(format!("{}{path_and_query}", server.url()))
            .await
            .unwrap(),
    )
    .await
}

async fn reply(resp: reqwest::Response) -> Reply {
    let status = resp.status().as_u16();
    let request_id = resp
        .headers()
        .get("x-amzn-requestid")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = resp.text().await.unwrap();
    if status != 200 {
        assert_eq!(ct.as_deref(), Some("text/xml"), "errors are XML: {body}");
    }
    Reply {
        status,
        request_id,
        body,
    }
}

const FORM: Option<&str> = Some("application/x-www-form-urlencoded; charset=utf-8");

/// Asserts the reply is a well-formed ErrorResponse with this code and status, whose RequestId
/// matches the header.
fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(r.body.starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"), "{}", r.body);
    assert!(
        r.body.contains(&format!("<Code>{code}</Code>")),
        "{}",
        r.body
    );
    assert_eq!(
        uuid::Uuid::parse_str(&r.request_id).map(|_| ()),
        Ok(()),
        "request id header is a UUID"
    );
    assert!(
        r.body.ends_with(&format!(
            "<RequestId>{}</RequestId></ErrorResponse>",
            r.request_id
        )),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn unknown_action() {
    let server = TestServer::start().await;
    let r = post(&server, FORM, "Action=DeleteEverything&Version=2011-06-15").await;
    assert_error(&r, 400, "InvalidAction");
    assert!(
        r.body
            .contains("Could not find operation DeleteEverything for version 2011-06-15")
    );
    // Hostile text in the action name comes back escaped, not as markup.
    let r = post(&server, FORM, "Action=%3Cx%3E%26&Version=2011-06-15").await;
    assert_error(&r, 400, "InvalidAction");
    assert!(
        r.body.contains("operation &lt;x&gt;&amp; for"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn missing_action_and_version() {
    let server = TestServer::start().await;
    assert_error(
        &post(&server, FORM, "Action=GetCallerIdentity").await,
        400,
        "MissingParameter",
    );
    assert_error(
        &post(&server, FORM, "Version=2011-06-15").await,
        400,
        "MissingAction",
    );
    assert_error(
        &get(&server, "/?Version=2011-06-15").await,
        400,
        "MissingAction",
    );
    assert_error(
        &post(&server, FORM, "Action=GetCallerIdentity&Version=1999-01-01").await,
        400,
        "InvalidAction",
    );
}

#[tokio::test]
async fn oversized_body_declared_or_streamed() {
    let server = TestServer::start().await;
    let big = format!(
        "Action=GetCallerIdentity&Version=2011-06-15&Pad={}",
        "a".repeat(300 * 1024)
    );
    assert_error(
        &post(&server, FORM, big.clone()).await,
        413,
        "RequestEntityTooLarge",
    );
    // Chunked, with no Content-Length to refuse up front.
    let stream = futures_stream(big.as_bytes());
    assert_error(
        &post(&server, FORM, reqwest::Body::wrap_stream(stream)).await,
        413,
        "RequestEntityTooLarge",
    );
}

fn futures_stream(
    bytes: &[u8],
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(16 * 1024).map(|c| Ok(c.to_vec())).collect();
    tokio_stream::iter(chunks)
}

#[tokio::test]
async fn duplicate_parameters() {
    let server = TestServer::start().await;
    let r = post(
        &server,
        FORM,
        "Action=GetCallerIdentity&Version=2011-06-15&Action=AssumeRole",
    )
    .await;
    assert_error(&r, 400, "InvalidParameterValue");
    assert!(
        r.body
            .contains("The parameter Action is given more than once.")
    );
    // Split across query string and body.
    let resp = reqwest::Client::new()
        .post(format!("{}/?Action=GetCallerIdentity", server.url()))
        .header("content-type", FORM.unwrap())
        .body("Action=GetCallerIdentity&Version=2011-06-15")
        .send()
        .await
        .unwrap();
    assert_error(&reply(resp).await, 400, "InvalidParameterValue");
}

#[tokio::test]
async fn non_utf8_and_bad_escapes() {
    let server = TestServer::start().await;
    // Raw invalid UTF-8 bytes in the body.
    let mut body = b"Action=GetCallerIdentity&Version=2011-06-15&X=".to_vec();
    body.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    assert_error(
        &post(&server, FORM, body).await,
        400,
        "InvalidParameterValue",
    );
    // Percent-encoded invalid UTF-8, and a broken escape.
    assert_error(
        &post(
            &server,
            FORM,
            "Action=GetCallerIdentity&Version=2011-06-15&X=%C3%28",
        )
        .await,
        400,
        "InvalidParameterValue",
    );
    assert_error(
        &post(
            &server,
            FORM,
            "Action=GetCallerIdentity&Version=2011-06-15&X=%G1",
        )
        .await,
        400,
        "InvalidParameterValue",
    );
    assert_error(
        &get(
            &server,
            "/?Action=GetCallerIdentity&Version=2011-06-15&X=%FF",
        )
        .await,
        400,
        "InvalidParameterValue",
    );
}

#[tokio::test]
async fn wrong_content_type_and_missing_or_broken_auth() {
    let server = TestServer::start().await;
    assert_error(
        &post(
            &server,
            Some("application/json"),
            r#"{"Action":"GetCallerIdentity"}"#,
        )
        .await,
        400,
        "InvalidParameterValue",
    );
    // A signed action without any signature.
    assert_error(
        &post(&server, FORM, "Action=GetCallerIdentity&Version=2011-06-15").await,
        403,
        "MissingAuthenticationToken",
    );
    // A garbled Authorization header.
    let resp = reqwest::Client::new()
        .post(server.url())
        .header("content-type", FORM.unwrap())
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIATESTADMIN0000001/20260101",
        )
        .header("x-amz-date", "20260101T000000Z")
        .body("Action=GetCallerIdentity&Version=2011-06-15")
        .send()
        .await
        .unwrap();
    assert_error(&reply(resp).await, 400, "IncompleteSignature");
    let resp = reqwest::Client::new()
        .post(server.url())
        .header("content-type", FORM.unwrap())
        .header("authorization", "AWS3 nonsense")
        .body("Action=GetCallerIdentity&Version=2011-06-15")
        .send()
        .await
        .unwrap();
    assert_error(&reply(resp).await, 400, "IncompleteSignature");
}

#[tokio::test]
async fn a_garbage_authorization_message_is_a_client_error_not_a_5xx() {
    let server = TestServer::start().await;
    let err = server
        .admin()
        .decode_authorization_message()
        .encoded_message("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        crate::common::error_code(&err),
        "InvalidAuthorizationMessageException"
    );
}

#[tokio::test]
async fn health_endpoints() {
    let server = TestServer::start().await;
    for path in ["/healthz", "/readyz"] {
        let resp = reqwest::get(format!("{}{path}", server.url()))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert!(resp.headers().contains_key("x-amzn-requestid"));
    }
}
