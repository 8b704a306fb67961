//! `[limits]`: Throttling as AWS returns it, per access key, per source IP and per federated
//! subject, and recovery once the bucket refills (the server's clock is stepped, not waited on).

use chrono::TimeDelta;
use stsbridge::app::ServeLimits;

use crate::common::idp::TestIdp;
use crate::common::{ACCOUNT, TestServer, config_from, error_code, error_message};

async fn server(idp: &TestIdp) -> TestServer {
    let toml = crate::web_identity::config_toml(idp)
        + "\n[limits]\nper_access_key_per_s = 2\nunauthenticated_per_ip_per_s = 3\nper_subject_per_s = 1\n";
    TestServer::start_custom(ServeLimits::default(), config_from(&toml)).await
}

#[tokio::test]
async fn signed_calls_are_throttled_per_access_key_and_recover() {
    let idp = TestIdp::start().await;
    let server = server(&idp).await;
    let admin = server.admin();
    admin.get_caller_identity().send().await.unwrap();
    admin.get_caller_identity().send().await.unwrap();
    let err = admin.get_caller_identity().send().await.unwrap_err();
    assert_eq!(error_code(&err), "Throttling");
    assert_eq!(error_message(&err), "Rate exceeded");
    // Another key has its own bucket.
    server
        .client(
            crate::common::DEV_KEY,
            crate::common::DEV_SECRET,
            None,
            "us-east-1",
        )
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    server.clock.advance(TimeDelta::milliseconds(500));
    admin.get_caller_identity().send().await.unwrap();
    let metrics = reqwest::get(format!("{}/metrics", server.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("stsbridge_throttled_total{limit=\"per_access_key\"}"),
        "{metrics}"
    );
}

#[tokio::test]
async fn federation_is_throttled_per_ip_and_per_subject() {
    let idp = TestIdp::start().await;
    let server = server(&idp).await;
    let role = format!("arn:aws:iam::{ACCOUNT}:role/web-reader");
    let call = |token: String| {
        let client = server.admin_unsigned();
        let role = role.clone();
        async move {
            client
                .assume_role_with_web_identity()
                .role_arn(role)
                .role_session_name("limited")
                .web_identity_token(token)
                .send()
                .await
        }
    };
    // One per second per subject: the second call for user-a is throttled, user-b is not.
    call(idp.token("user-a")).await.unwrap();
    let err = call(idp.token("user-a")).await.unwrap_err();
    assert_eq!(error_code(&err), "Throttling");
    call(idp.token("user-b")).await.unwrap();
    // Three per second per source IP for these anonymous actions: the fourth is refused
    // before its token is even looked at.
    let err = call("not-even-a-jwt".to_owned()).await.unwrap_err();
    assert_eq!(error_code(&err), "Throttling");
    server.clock.advance(TimeDelta::seconds(1));
    call(idp.token("user-a")).await.unwrap();
}
