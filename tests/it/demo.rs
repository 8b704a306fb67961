//! The embedded demo, end to end: what its start-up banner tells a newcomer to run.

use crate::common::{TestServer, error_code};

async fn demo_token(server: &TestServer, form: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/demo-idp/token", server.url()))
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_banner_commands_work_as_printed() {
    let (server, credentials) = TestServer::start_demo().await;
    // 1. The signed call with the generated admin keys.
    let admin = &credentials[0];
    let me = server
        .client(
            admin.access_key_id.as_str(),
            admin.secret_access_key.expose(),
            None,
            "us-east-1",
        )
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.arn(), Some("arn:aws:iam::000000000000:user/admin"));

    // 2. TOKEN=$(curl -s -d user=alice -d groups=admins …/demo-idp/token)
    let resp = demo_token(&server, &[("user", "alice"), ("groups", "admins")]).await;
    assert_eq!(resp.status(), 200);
    let token = resp.text().await.unwrap();
    // 3. aws sts assume-role-with-web-identity --role-arn …:role/demo-admin --role-session-name alice
    let out = server
        .admin_unsigned()
        .assume_role_with_web_identity()
        .role_arn("arn:aws:iam::000000000000:role/demo-admin")
        .role_session_name("alice")
        .web_identity_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.assumed_role_user().unwrap().arn(),
        "arn:aws:sts::000000000000:assumed-role/demo-admin/alice"
    );
    assert_eq!(out.subject_from_web_identity_token(), Some("demo|alice"));
}

#[tokio::test]
async fn demo_rules_give_admins_and_everyone_else_different_roles() {
    let (server, _) = TestServer::start_demo().await;
    let bob = demo_token(&server, &[("user", "bob")])
        .await
        .text()
        .await
        .unwrap();
    let assume = |role: &'static str| {
        server
            .admin_unsigned()
            .assume_role_with_web_identity()
            .role_arn(format!("arn:aws:iam::000000000000:role/{role}"))
            .role_session_name("bob")
            .web_identity_token(bob.clone())
            .send()
    };
    let err = assume("demo-admin").await.unwrap_err();
    assert_eq!(error_code(&err), "AccessDenied");
    assume("demo-developer").await.unwrap();
}

#[tokio::test]
async fn the_demo_idp_publishes_discovery_and_keys_and_checks_input() {
    let (server, _) = TestServer::start_demo().await;
    let discovery: serde_json::Value = reqwest::get(format!(
        "{}/demo-idp/.well-known/openid-configuration",
        server.url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(discovery["issuer"], format!("{}/demo-idp", server.url()));
    let jwks: serde_json::Value = reqwest::get(discovery["jwks_uri"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert!(
        jwks["keys"][0].get("d").is_none(),
        "only the public key is published"
    );
    for bad in [
        vec![("user", "")],
        vec![("user", "a b")],
        vec![("user", "ok"), ("groups", "<script>")],
        vec![],
    ] {
        let status = demo_token(&server, &bad).await.status();
        assert!(status == 400 || status == 422, "{bad:?}: {status}");
    }
}

#[tokio::test]
async fn the_demo_saml_idp_signs_in_through_assume_role_with_saml() {
    let (server, _) = TestServer::start_demo().await;
    let saml = |form: &'static [(&'static str, &'static str)]| {
        let url = format!("{}/demo-idp/saml/response", server.url());
        async move {
            reqwest::Client::new()
                .post(url)
                .form(form)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let assume = |role: &'static str, assertion: String| {
        server
            .admin_unsigned()
            .assume_role_with_saml()
            .role_arn(format!("arn:aws:iam::000000000000:role/{role}"))
            .principal_arn("arn:aws:iam::000000000000:saml-provider/demo-saml")
            .saml_assertion(assertion)
            .send()
    };
    let alice = saml(&[("user", "alice"), ("groups", "admins")]).await;
    let out = assume("demo-admin", alice).await.unwrap();
    assert_eq!(
        out.assumed_role_user().unwrap().arn(),
        "arn:aws:sts::000000000000:assumed-role/demo-admin/alice"
    );
    assert_eq!(out.subject(), Some("alice@demo.invalid"));
    // Bob's assertion lists only demo-developer.
    let bob = saml(&[("user", "bob")]).await;
    let err = assume("demo-admin", bob.clone()).await.unwrap_err();
    assert_eq!(error_code(&err), "AccessDenied");
    assume("demo-developer", saml(&[("user", "bob")]).await)
        .await
        .unwrap();
    // The metadata the bridge trusts is published too.
    let metadata = reqwest::get(format!("{}/demo-idp/saml/metadata", server.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metadata.contains("X509Certificate") && !metadata.contains("PRIVATE"));
}
