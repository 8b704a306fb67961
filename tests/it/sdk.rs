//! The official AWS SDK for Rust against the real server, signing with long-term keys.

use std::time::Duration;

use chrono::TimeDelta;

use crate::common::{
    ACCOUNT, ADMIN_KEY, ADMIN_SECRET, DEV_KEY, DEV_SECRET, TestServer, error_code, error_message,
    gci_error,
};

#[tokio::test]
async fn get_caller_identity_as_config_users_in_any_region() {
    let server = TestServer::start().await;
    for region in ["us-east-1", "eu-west-3", "ap-southeast-7", "cn-north-1"] {
        let out = server
            .client(ADMIN_KEY, ADMIN_SECRET, None, region)
            .get_caller_identity()
            .send()
            .await
            .unwrap();
        assert_eq!(
            out.arn(),
            Some("arn:aws:iam::123456789012:user/admin"),
            "region {region}"
        );
        assert_eq!(out.account(), Some(ACCOUNT));
        assert!(out.user_id().unwrap().starts_with("AIDA"));
        assert_eq!(out.user_id().unwrap().len(), 21);
    }
    // The second user's secret came from an env: reference.
    let dev = server
        .client(DEV_KEY, DEV_SECRET, None, "us-west-2")
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(dev.arn(), Some("arn:aws:iam::123456789012:user/developer"));
    assert_ne!(dev.user_id(), Some(""));
}

#[tokio::test]
async fn wrong_secret_is_signature_does_not_match() {
    let server = TestServer::start().await;
    let wrong = ADMIN_SECRET.replace('0', "1");
    let err = server
        .client(ADMIN_KEY, &wrong, None, "us-east-1")
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "SignatureDoesNotMatch");
    assert!(error_message(&err).starts_with("The request signature we calculated does not match"));
}

#[tokio::test]
async fn unknown_access_key_is_invalid_client_token_id() {
    let server = TestServer::start().await;
    assert_eq!(
        gci_error(&server.client("AKIAUNKNOWNKEY000001", ADMIN_SECRET, None, "us-east-1")).await,
        "InvalidClientTokenId"
    );
    // Not even a key of our shape.
    assert_eq!(
        gci_error(&server.client("AKID", ADMIN_SECRET, None, "us-east-1")).await,
        "InvalidClientTokenId"
    );
}

#[tokio::test]
async fn twenty_minutes_of_skew_either_way_is_rejected_fourteen_is_not() {
    let server = TestServer::start().await;
    let client = server.admin();
    server.clock.advance(TimeDelta::minutes(20));
    let err = client.get_caller_identity().send().await.unwrap_err();
    assert_eq!(error_code(&err), "SignatureDoesNotMatch");
    assert!(
        error_message(&err).starts_with("Signature expired:"),
        "{}",
        error_message(&err)
    );

    server.clock.advance(TimeDelta::minutes(-40));
    let err = client.get_caller_identity().send().await.unwrap_err();
    assert_eq!(error_code(&err), "SignatureDoesNotMatch");
    assert!(
        error_message(&err).starts_with("Signature not yet current:"),
        "{}",
        error_message(&err)
    );

    server.clock.advance(TimeDelta::minutes(34));
    client
        .get_caller_identity()
        .send()
        .await
        .expect("14 minutes of skew is within AWS's 15");
}

#[tokio::test]
async fn validation_errors_use_the_aws_message_format() {
    let server = TestServer::start().await;
    let err = server
        .admin()
        .assume_role()
        .role_arn("arn:aws:iam::123456789012:role/team/reader")
        .role_session_name("a:b")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ValidationError");
    assert_eq!(
        error_message(&err),
        r"1 validation error detected: Value 'a:b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
    );
}

#[tokio::test]
async fn presigned_get_caller_identity_url_works_and_expires() {
    use aws_sigv4::http_request::{
        SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
    };
    use aws_smithy_runtime_api::client::identity::Identity;

    let server = TestServer::start().await;
    let presign = |expires: Duration| {
        let identity: Identity =
            aws_credential_types::Credentials::new(ADMIN_KEY, ADMIN_SECRET, None, None, "t").into();
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
        let now: std::time::SystemTime = stsbridge::clock::Clock::now(server.clock.as_ref()).into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("eu-central-1")
            .name("sts")
            .time(now)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let url = format!(
            "{}/?Action=GetCallerIdentity&Version=2011-06-15",
            server.url()
        );
        let signable =
            SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(&[]))
                .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut req = http::Request::builder().uri(&url).body(()).unwrap();
        instructions.apply_to_request_http1x(&mut req);
        req.uri().to_string()
    };
    let url = presign(Duration::from_mins(1));
    assert!(url.contains("X-Amz-Signature="));
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("<Arn>arn:aws:iam::123456789012:user/admin</Arn>"),
        "{body}"
    );

    // The same URL after its 60 s are up.
    server.clock.advance(TimeDelta::seconds(61));
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 400);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("<Code>RequestExpired</Code>")
    );

    // A tampered presigned URL.
    let url =
        presign(Duration::from_mins(1)).replace("Version=2011-06-15", "Version=2011-06-15&Extra=1");
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 403);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("<Code>SignatureDoesNotMatch</Code>")
    );
}

#[tokio::test]
async fn graceful_shutdown_finishes_cleanly() {
    let server = TestServer::start().await;
    server.admin().get_caller_identity().send().await.unwrap();
    server
        .shutdown()
        .await
        .expect("serve returns Ok after shutdown");
}
