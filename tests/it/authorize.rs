//! The authorization API for resource servers (`POST /authorize`), the signed RevokeSessions
//! admin action, and DecodeAuthorizationMessage, against the real server.

use std::fmt::Write as _;
use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_smithy_runtime_api::client::identity::Identity;
use chrono::TimeDelta;
use serde_json::{Value, json};
use stsbridge::app::ServeLimits;
use stsbridge::authn::sigv4::payload_hash;
use stsbridge::clock::Clock;

use crate::common::idp::{CLIENT_ID, TestIdp};
use crate::common::{
    ADMIN_KEY, ADMIN_SECRET, DEV_KEY, DEV_SECRET, TestServer, config_from, error_code,
    error_message, test_config_toml,
};

/// Keys as a resource server or a client holds them.
#[derive(Clone)]
struct Keys {
    id: String,
    secret: String,
    token: Option<String>,
}

impl Keys {
    fn of(id: &str, secret: &str) -> Self {
        Self {
            id: id.into(),
            secret: secret.into(),
            token: None,
        }
    }

    fn from_sdk(c: &aws_sdk_sts::types::Credentials) -> Self {
        Self {
            id: c.access_key_id().into(),
            secret: c.secret_access_key().into(),
            token: Some(c.session_token().into()),
        }
    }
}

/// Signs like any AWS SDK would; returns the headers to send (host included).
fn sign_headers(
    keys: &Keys,
    service: &str,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    at: SystemTime,
) -> Vec<(String, String)> {
    let identity: Identity = aws_credential_types::Credentials::new(
        &keys.id,
        &keys.secret,
        keys.token.clone(),
        None,
        "test",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut req = http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(()).unwrap();
    instructions.apply_to_request_http1x(&mut req);
    let host = url::Url::parse(url).unwrap();
    let mut out: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    let authority = match host.port() {
        Some(p) => format!("{}:{p}", host.host_str().unwrap()),
        None => host.host_str().unwrap().to_owned(),
    };
    out.push(("host".into(), authority));
    out
}

fn now(server: &TestServer) -> SystemTime {
    server.clock.now().into()
}

/// The request a client of the "files" service signed, as that service relays it.
fn client_request(
    server: &TestServer,
    keys: &Keys,
    method: &str,
    path: &str,
    body: &[u8],
) -> Value {
    let url = format!("https://files.example.com{path}");
    let headers = sign_headers(keys, "files", method, &url, &[], body, now(server));
    let map: serde_json::Map<String, Value> = headers
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    json!({ "method": method, "path": path, "headers": map, "payload_hash": payload_hash(body) })
}

/// POST /authorize signed by `caller`; returns status and JSON.
async fn ask(server: &TestServer, caller: &Keys, input: &Value) -> (u16, Value) {
    let body = serde_json::to_vec(input).unwrap();
    let url = format!("{}/authorize", server.url());
    let headers = sign_headers(
        caller,
        "sts",
        "POST",
        &url,
        &[("content-type", "application/json")],
        &body,
        now(server),
    );
    let mut req = reqwest::Client::new().post(&url).body(body);
    for (k, v) in headers {
        if k != "host" {
            req = req.header(k, v);
        }
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

fn question(request: &Value, action: &str, resource: &str) -> Value {
    json!({ "request": request, "service": "files", "action": action, "resource": resource })
}

/// A signed STS query call the SDK does not know (stsbridge's RevokeSessions).
async fn raw_sts(server: &TestServer, caller: &Keys, form: &str) -> (u16, String) {
    let url = format!("{}/", server.url());
    let ct = "application/x-www-form-urlencoded";
    let headers = sign_headers(
        caller,
        "sts",
        "POST",
        &url,
        &[("content-type", ct)],
        form.as_bytes(),
        now(server),
    );
    let mut req = reqwest::Client::new().post(&url).body(form.to_owned());
    for (k, v) in headers {
        if k != "host" {
            req = req.header(k, v);
        }
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

fn admin() -> Keys {
    Keys::of(ADMIN_KEY, ADMIN_SECRET)
}

fn developer() -> Keys {
    Keys::of(DEV_KEY, DEV_SECRET)
}

const OBJECT: &str = "arn:aws:files:::bucket/report.csv";

fn config_toml(idp: Option<&TestIdp>) -> String {
    let trust = r#"'''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}'''"#;
    let files = r#"'''{"Version":"2012-10-17","Statement":[{"Sid":"FilesInBucket","Effect":"Allow","Action":"files:*","Resource":"arn:aws:files:::bucket/*"},{"Sid":"NoDeletes","Effect":"Deny","Action":"files:DeleteObject","Resource":"*"},{"Sid":"Chain","Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}'''"#;
    let mut toml = format!(
        "{}\n[[roles]]\nname = \"files-rw\"\ntrust_policy = {trust}\npolicies = [{files}]\n\n[[roles]]\nname = \"files-rw2\"\ntrust_policy = {trust}\npolicies = [{files}]\n",
        test_config_toml()
    );
    if let Some(idp) = idp {
        let arn = idp.provider_arn();
        let p = idp.prefix();
        let _ = write!(
            toml,
            r#"
[[oidc_providers]]
url = "{issuer}"
client_ids = ["{CLIENT_ID}"]

[[roles]]
name = "web-files"
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{arn}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{p}:aud":"{CLIENT_ID}"}}}}}}]}}'''
policies = [{files}]
"#,
            issuer = idp.issuer,
        );
    }
    toml
}

async fn assume(server: &TestServer, role: &str, policy: Option<&str>) -> Keys {
    let out = server
        .admin()
        .assume_role()
        .role_arn(format!("arn:aws:iam::123456789012:role/{role}"))
        .role_session_name("worker")
        .set_policy(policy.map(str::to_owned))
        .send()
        .await
        .unwrap();
    Keys::from_sdk(out.credentials().unwrap())
}

#[tokio::test]
async fn a_resource_server_learns_who_signed_and_what_they_may_do() {
    let server =
        TestServer::start_custom(ServeLimits::default(), config_from(&config_toml(None))).await;
    let full = assume(&server, "files-rw", None).await;
    let get = client_request(&server, &full, "GET", "/bucket/report.csv?v=2", b"");
    let (status, a) = ask(
        &server,
        &admin(),
        &question(&get, "files:GetObject", OBJECT),
    )
    .await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["allowed"], true, "{a}");
    assert_eq!(a["decision"], "Allow");
    assert_eq!(a["statement"], "FilesInBucket");
    assert_eq!(
        a["principal"]["arn"],
        "arn:aws:sts::123456789012:assumed-role/files-rw/worker"
    );
    assert_eq!(a["principal"]["type"], "AssumedRole");
    assert_eq!(a["principal"]["account"], "123456789012");

    // The explicit deny wins, and names its statement.
    let (_, a) = ask(
        &server,
        &admin(),
        &question(&get, "files:DeleteObject", OBJECT),
    )
    .await;
    assert_eq!(
        (&a["allowed"], &a["decision"], &a["statement"]),
        (&json!(false), &json!("ExplicitDeny"), &json!("NoDeletes"))
    );
    // Outside the bucket: nothing applies.
    let (_, a) = ask(
        &server,
        &admin(),
        &question(&get, "files:GetObject", "arn:aws:files:::other/x"),
    )
    .await;
    assert_eq!(
        (&a["allowed"], &a["decision"]),
        (&json!(false), &json!("ImplicitDeny"))
    );

    // A session policy cuts the role's permissions down to reads.
    let reads = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"files:Get*","Resource":"*"}]}"#;
    let narrow = assume(&server, "files-rw", Some(reads)).await;
    let body = b"new contents";
    let put = client_request(&server, &narrow, "PUT", "/bucket/report.csv", body);
    let (_, a) = ask(
        &server,
        &admin(),
        &question(&put, "files:PutObject", OBJECT),
    )
    .await;
    assert_eq!(
        (&a["allowed"], &a["decision"]),
        (&json!(false), &json!("ImplicitDeny")),
        "{a}"
    );
    let get = client_request(&server, &narrow, "GET", "/bucket/report.csv", b"");
    let (_, a) = ask(
        &server,
        &admin(),
        &question(&get, "files:GetObject", OBJECT),
    )
    .await;
    assert_eq!(a["allowed"], true, "{a}");
    // The full session may write.
    let put = client_request(&server, &full, "PUT", "/bucket/report.csv", body);
    let (_, a) = ask(
        &server,
        &admin(),
        &question(&put, "files:PutObject", OBJECT),
    )
    .await;
    assert_eq!(a["allowed"], true, "{a}");

    // A long-term user's own request is decided by its own policies.
    let by_admin = client_request(&server, &admin(), "GET", "/bucket/report.csv", b"");
    let (_, a) = ask(
        &server,
        &admin(),
        &question(&by_admin, "files:GetObject", OBJECT),
    )
    .await;
    assert_eq!(
        (&a["allowed"], &a["principal"]["type"]),
        (&json!(true), &json!("User"))
    );
}

#[tokio::test]
async fn a_request_changed_after_signing_or_too_old_is_not_authenticated() {
    let server =
        TestServer::start_custom(ServeLimits::default(), config_from(&config_toml(None))).await;
    let full = assume(&server, "files-rw", None).await;
    let put = client_request(&server, &full, "PUT", "/bucket/report.csv", b"new contents");
    // A request changed after signing (path, body hash) or claimed for another service.
    let mut moved = put.clone();
    moved["path"] = json!("/bucket/other.csv");
    let mut rehashed = put.clone();
    rehashed["payload_hash"] = json!(payload_hash(b"other contents"));
    for (name, q) in [
        ("moved", question(&moved, "files:PutObject", OBJECT)),
        ("rehashed", question(&rehashed, "files:PutObject", OBJECT)),
    ] {
        let (status, a) = ask(&server, &admin(), &q).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(
            (&a["allowed"], &a["decision"], &a["error"]["code"]),
            (
                &json!(false),
                &json!("NotAuthenticated"),
                &json!("SignatureDoesNotMatch")
            ),
            "{name}: {a}"
        );
    }
    let mut other_service = question(&put, "files:PutObject", OBJECT);
    other_service["service"] = json!("s3");
    let (_, a) = ask(&server, &admin(), &other_service).await;
    assert_eq!(a["allowed"], false, "{a}");
    assert_eq!(a["decision"], "NotAuthenticated");

    // Signatures are good for 15 minutes, as AWS.
    let late = client_request(&server, &full, "GET", "/bucket/report.csv", b"");
    server.clock.advance(TimeDelta::minutes(16));
    let (_, a) = ask(
        &server,
        &admin(),
        &question(&late, "files:GetObject", OBJECT),
    )
    .await;
    assert_eq!(
        (&a["allowed"], &a["error"]["code"]),
        (&json!(false), &json!("SignatureDoesNotMatch")),
        "{a}"
    );
}

#[tokio::test]
async fn only_allowed_callers_may_ask_and_bad_input_is_refused() {
    let server =
        TestServer::start_custom(ServeLimits::default(), config_from(&config_toml(None))).await;
    let full = assume(&server, "files-rw", None).await;
    let get = client_request(&server, &full, "GET", "/bucket/report.csv", b"");
    let good = question(&get, "files:GetObject", OBJECT);

    // The developer user has no stsbridge:Authorize: no answer about the client at all.
    let (status, a) = ask(&server, &developer(), &good).await;
    assert_eq!(
        (status, &a["error"]["code"]),
        (403, &json!("AccessDenied")),
        "{a}"
    );
    // Unsigned.
    let resp = reqwest::Client::new()
        .post(format!("{}/authorize", server.url()))
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let a: Value = resp.json().await.unwrap();
    assert_eq!(a["error"]["code"], "MissingAuthenticationToken");

    let mut bad_cases = vec![
        ("not an object", json!("x")),
        ("unknown field", {
            let mut q = good.clone();
            q["extra"] = json!(1);
            q
        }),
        ("bad action", question(&get, "GetObject", OBJECT)),
        ("empty resource", question(&get, "files:GetObject", "")),
    ];
    for (field, value) in [
        ("method", json!("G E T")),
        ("path", json!("bucket/no-slash")),
        ("path", json!("/bucket/./report.csv")),
        ("path", json!("/other/../bucket/report.csv")),
        ("path", json!("//bucket/report.csv")),
        ("payload_hash", json!("ABC")),
        ("headers", json!({ "bad header": "x" })),
    ] {
        let mut req = get.clone();
        req[field] = value;
        bad_cases.push((field, question(&req, "files:GetObject", OBJECT)));
    }
    for (name, q) in bad_cases {
        let (status, a) = ask(&server, &admin(), &q).await;
        assert_eq!(
            (status, &a["error"]["code"]),
            (400, &json!("ValidationError")),
            "{name}: {a}"
        );
    }
    let resp = reqwest::get(format!("{}/authorize", server.url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
}

fn revoke_form(fields: &[(&str, &str)]) -> String {
    let mut form = String::from("Action=RevokeSessions&Version=2011-06-15");
    for (k, v) in fields {
        let _ = write!(form, "&{k}={}", urlencoding(v));
    }
    form
}

fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn web_session(server: &TestServer, idp: &TestIdp, sub: &str) -> Keys {
    let out = server
        .admin_unsigned()
        .assume_role_with_web_identity()
        .role_arn("arn:aws:iam::123456789012:role/web-files")
        .role_session_name(sub)
        .web_identity_token(idp.token(sub))
        .send()
        .await
        .unwrap();
    Keys::from_sdk(out.credentials().unwrap())
}

/// Both checks a revoked session must fail: GetCallerIdentity and /authorize.
async fn works(server: &TestServer, keys: &Keys) -> bool {
    let client = server.client(&keys.id, &keys.secret, keys.token.as_deref(), "us-east-1");
    let gci = client.get_caller_identity().send().await;
    let get = client_request(server, keys, "GET", "/bucket/report.csv", b"");
    let (_, a) = ask(server, &admin(), &question(&get, "files:GetObject", OBJECT)).await;
    match (gci, a["allowed"].as_bool().unwrap()) {
        (Ok(_), true) => true,
        (Err(e), false) => {
            assert_eq!(error_code(&e), "InvalidClientTokenId");
            assert_eq!(a["error"]["code"], "InvalidClientTokenId", "{a}");
            false
        }
        (gci, allowed) => panic!("GetCallerIdentity {gci:?} but /authorize allowed={allowed}"),
    }
}

/// RevokeSessions signed by the admin.
pub(crate) async fn revoke(server: &TestServer, fields: &[(&str, &str)]) -> (u16, String) {
    raw_sts(server, &admin(), &revoke_form(fields)).await
}

/// A session chained (AssumeRole) from `keys` into `role`.
async fn chain_from(server: &TestServer, keys: &Keys, role: &str) -> Keys {
    let client = server.client(&keys.id, &keys.secret, keys.token.as_deref(), "us-east-1");
    let out = client
        .assume_role()
        .role_arn(format!("arn:aws:iam::123456789012:role/{role}"))
        .role_session_name("chained")
        .send()
        .await
        .unwrap();
    Keys::from_sdk(out.credentials().unwrap())
}

#[tokio::test]
async fn every_revocation_kind_through_the_admin_action_cuts_sts_and_authorize() {
    let idp = TestIdp::start().await;
    let server = TestServer::start_custom(
        ServeLimits::default(),
        config_from(&config_toml(Some(&idp))),
    )
    .await;
    let by_key = assume(&server, "files-rw", None).await;
    let same_role = assume(&server, "files-rw", None).await;
    let other_role = assume(&server, "files-rw2", None).await;
    let alice = web_session(&server, &idp, "user-alice").await;
    let bob = web_session(&server, &idp, "user-bob").await;
    for k in [&by_key, &same_role, &other_role, &alice, &bob] {
        assert!(works(&server, k).await);
    }

    // Callers without stsbridge:RevokeSessions, and requests naming nothing, change nothing.
    let form = revoke_form(&[("AccessKeyId", &by_key.id)]);
    let (status, body) = raw_sts(&server, &developer(), &form).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    let (status, body) = revoke(&server, &[]).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("<Code>InvalidParameterValue</Code>"),
        "{body}"
    );
    let (status, _) = revoke(&server, &[("Role", "no-such-role")]).await;
    assert_eq!(status, 400);
    assert!(works(&server, &by_key).await);

    // A session chained from by_key before the revocation falls with it.
    let chained = chain_from(&server, &by_key, "files-rw2").await;
    assert!(works(&server, &chained).await);
    // By access key: that session only.
    let (status, body) = revoke(
        &server,
        &[("AccessKeyId", &by_key.id), ("Reason", "laptop lost")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<RevokeSessionsResponse"), "{body}");
    assert!(
        body.contains(&by_key.id) && body.contains("laptop lost"),
        "{body}"
    );
    assert!(!works(&server, &by_key).await);
    assert!(
        !works(&server, &chained).await,
        "sessions chained from a revoked key go too"
    );
    assert!(works(&server, &same_role).await);

    // By role, sessions issued before now: files-rw, not files-rw2; new sessions work.
    server.clock.advance(TimeDelta::seconds(1));
    let (status, body) = revoke(&server, &[("Role", "files-rw"), ("IssuedBefore", "now")]).await;
    assert_eq!(status, 200, "{body}");
    assert!(!works(&server, &same_role).await);
    assert!(works(&server, &other_role).await);
    server.clock.advance(TimeDelta::seconds(1));
    assert!(works(&server, &assume(&server, "files-rw", None).await).await);

    // By provider and subject: alice, not bob.
    let (status, body) = revoke(
        &server,
        &[("Provider", &idp.issuer), ("Subject", "user-alice")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(!works(&server, &alice).await);
    assert!(works(&server, &bob).await);
    // Alice's old ID token (issued before the revocation) cannot be swapped again; a new
    // sign-in at the IdP can.
    let err = server
        .admin_unsigned()
        .assume_role_with_web_identity()
        .role_arn("arn:aws:iam::123456789012:role/web-files")
        .role_session_name("again")
        .web_identity_token(idp.token("user-alice"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "AccessDenied");
    let mut fresh = idp.claims("user-alice");
    fresh["iat"] = json!(server.clock.now().timestamp() + 1);
    let out = server
        .admin_unsigned()
        .assume_role_with_web_identity()
        .role_arn("arn:aws:iam::123456789012:role/web-files")
        .role_session_name("again")
        .web_identity_token(idp.sign(crate::common::idp::Key::Rsa, &fresh))
        .send()
        .await
        .unwrap();
    server.clock.advance(TimeDelta::seconds(2));
    assert!(works(&server, &Keys::from_sdk(out.credentials().unwrap())).await);

    // By provider: everyone who came through it before now.
    server.clock.advance(TimeDelta::seconds(1));
    let (status, body) = revoke(&server, &[("Provider", &idp.provider_arn())]).await;
    assert_eq!(status, 200, "{body}");
    assert!(!works(&server, &bob).await);
    assert!(works(&server, &other_role).await);
}

#[tokio::test]
async fn access_denied_carries_a_message_only_permitted_callers_can_decode() {
    let server =
        TestServer::start_custom(ServeLimits::default(), config_from(&config_toml(None))).await;
    let dev = server.client(DEV_KEY, DEV_SECRET, None, "us-east-1");
    // The developer has no identity policy: its own permissions refuse sts:AssumeRole.
    let err = dev
        .assume_role()
        .role_arn("arn:aws:iam::123456789012:role/files-rw")
        .role_session_name("try")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "AccessDenied");
    let message = error_message(&err);
    let encoded = message
        .split("Encoded authorization failure message: ")
        .nth(1)
        .unwrap_or_else(|| panic!("no encoded message in {message}"))
        .to_owned();
    // Nothing about policies is readable without decoding.
    assert!(!message.contains("permissions"), "{message}");

    let decoded = server
        .admin()
        .decode_authorization_message()
        .encoded_message(&encoded)
        .send()
        .await
        .unwrap();
    let d: Value = serde_json::from_str(decoded.decoded_message().unwrap()).unwrap();
    assert_eq!(d["allowed"], false);
    assert_eq!(d["context"]["action"], "sts:AssumeRole");
    assert_eq!(
        d["context"]["resource"],
        "arn:aws:iam::123456789012:role/files-rw"
    );
    assert_eq!(
        d["context"]["principal"]["arn"],
        "arn:aws:iam::123456789012:user/developer"
    );
    let reason = d["reason"].as_str().unwrap();
    assert!(reason.contains("implicit deny"), "{reason}");
    assert_eq!(d["explicitDeny"], false);

    // The developer may not decode (no sts:DecodeAuthorizationMessage), even its own message.
    let err = dev
        .decode_authorization_message()
        .encoded_message(&encoded)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "AccessDenied");
    // Forged or altered messages.
    let mut altered = encoded.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    for bad in [
        "x".to_owned(),
        String::from_utf8(altered).unwrap(),
        "A".repeat(10_241),
    ] {
        let err = server
            .admin()
            .decode_authorization_message()
            .encoded_message(&bad)
            .send()
            .await
            .unwrap_err();
        let code = error_code(&err);
        assert!(
            code == "InvalidAuthorizationMessageException" || code == "ValidationError",
            "{code}"
        );
    }
}

#[tokio::test]
async fn an_aws_style_revoke_older_sessions_policy_denies_through_authorize() {
    let cutoff =
        (server_now() + TimeDelta::minutes(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let deny = format!(
        r#"'''{{"Version":"2012-10-17","Statement":[{{"Sid":"AWSRevokeOlderSessions","Effect":"Deny","Action":"*","Resource":"*","Condition":{{"DateLessThan":{{"aws:TokenIssueTime":"{cutoff}"}}}}}}]}}'''"#
    );
    // files-rw2 gets the deny next to its allow; files-rw keeps only the allow.
    let base = config_toml(None);
    let at = base.find("name = \"files-rw2\"").unwrap();
    let (head, tail) = base.split_at(at);
    let toml = format!(
        "{head}{}",
        tail.replacen("policies = [", &format!("policies = [{deny}, "), 1)
    );
    let server = TestServer::start_custom(ServeLimits::default(), config_from(&toml)).await;
    let old = assume(&server, "files-rw2", None).await;
    let get = client_request(&server, &old, "GET", "/bucket/report.csv", b"");
    let (status, a) = ask(
        &server,
        &admin(),
        &question(&get, "files:GetObject", OBJECT),
    )
    .await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(
        (&a["allowed"], &a["decision"], &a["statement"]),
        (
            &json!(false),
            &json!("ExplicitDeny"),
            &json!("AWSRevokeOlderSessions")
        ),
        "{a}"
    );
    // Its STS calls are refused too; the sealed message says a Deny statement decided.
    let client = server.client(&old.id, &old.secret, old.token.as_deref(), "us-east-1");
    let err = client.get_caller_identity().send().await.unwrap_err();
    assert_eq!(error_code(&err), "AccessDenied");
    let encoded = error_message(&err)
        .split("Encoded authorization failure message: ")
        .nth(1)
        .unwrap()
        .to_owned();
    let decoded = server
        .admin()
        .decode_authorization_message()
        .encoded_message(encoded)
        .send()
        .await
        .unwrap();
    let d: Value = serde_json::from_str(decoded.decoded_message().unwrap()).unwrap();
    assert_eq!(d["explicitDeny"], true, "{d}");
    assert!(
        d["reason"]
            .as_str()
            .unwrap()
            .contains("AWSRevokeOlderSessions"),
        "{d}"
    );
    let fine = assume(&server, "files-rw", None).await;
    let get = client_request(&server, &fine, "GET", "/bucket/report.csv", b"");
    let (_, a) = ask(
        &server,
        &admin(),
        &question(&get, "files:GetObject", OBJECT),
    )
    .await;
    assert_eq!(a["allowed"], true, "{a}");
}

fn server_now() -> chrono::DateTime<chrono::Utc> {
    stsbridge::clock::SystemClock.now()
}
