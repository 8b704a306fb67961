//! Browser sign-in at the HTTP level: OIDC code + PKCE against the test IdP, the role chooser,
//! the credentials page, sign-out, the console federation endpoint and the SAML ACS, with the
//! attacks each step must refuse (state/nonce mismatch, code injection, missing or expired
//! login cookie, CSRF-less POSTs, replayed assertions, open redirects).

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use chrono::TimeDelta;
use stsbridge::clock::Clock as _;

use crate::common::idp::{CLIENT_ID, CLIENT_SECRET, TestIdp};
use crate::common::web::{Page, WebClient};
use crate::common::{
    ACCOUNT, ADMIN_KEY, ADMIN_SECRET, TestServer, config_from, sdk_client, test_config_toml,
};

/// The bridge with the test IdP as a browser-login provider, two roles for group `dev` and
/// one (`admins-only`) no rule offers to the test user.
fn oidc_config(addr: SocketAddr, idp: &TestIdp, secret: bool) -> stsbridge::config::Config {
    oidc_config_with(addr, idp, secret, "")
}

/// [`oidc_config`] with more TOML appended (`{ISSUER}`, `{PROVIDER}` and `{PREFIX}` filled in).
pub(crate) fn oidc_config_with(
    addr: SocketAddr,
    idp: &TestIdp,
    secret: bool,
    extra: &str,
) -> stsbridge::config::Config {
    let prefix = idp.prefix();
    let provider = idp.provider_arn();
    let trust = format!(
        r#"'''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],"Condition":{{"StringEquals":{{"{prefix}:aud":"{CLIENT_ID}"}}}}}}]}}'''"#
    );
    let secret_line = if secret {
        format!("login_client_secret = \"{CLIENT_SECRET}\"")
    } else {
        String::new()
    };
    let toml = test_config_toml().replace(
        "listen = \"127.0.0.1:0\"",
        &format!("listen = \"127.0.0.1:0\"\npublic_url = \"http://{addr}\""),
    ) + &format!(
        r#"
[[oidc_providers]]
url = "{issuer}"
client_ids = ["{CLIENT_ID}"]
display_name = "Test IdP"
login_client_id = "{CLIENT_ID}"
{secret_line}

[[roles]]
name = "dev"
max_session_duration = 7200
trust_policy = {trust}

[[roles]]
name = "ops"
trust_policy = {trust}

[[roles]]
name = "admins-only"
trust_policy = {trust}

[[rules]]
provider = "{issuer}"
when = [ {{ claim = "groups", op = "contains", value = "dev" }} ]
roles = ["dev", "ops"]

[[rules]]
provider = "{issuer}"
when = [ {{ claim = "groups", op = "contains", value = "admins" }} ]
roles = ["admins-only"]
"#,
        issuer = idp.issuer
    ) + &extra
        .replace("{ISSUER}", &idp.issuer)
        .replace("{PROVIDER}", &provider)
        .replace("{PREFIX}", prefix);
    config_from(&toml)
}

pub(crate) async fn oidc_server(secret: bool) -> (TestServer, TestIdp) {
    let idp = TestIdp::start().await;
    let server = TestServer::start_bound(|addr| oidc_config(addr, &idp, secret)).await;
    wait_for_login_endpoints(&server, &idp).await;
    (server, idp)
}

/// Login endpoints come from discovery, fetched in the background at start.
pub(crate) async fn wait_for_login_endpoints(server: &TestServer, idp: &TestIdp) {
    for _ in 0..100 {
        if server.bridge.oidc().login_endpoints(&idp.issuer).is_some() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("login endpoints were not discovered");
}

pub(crate) fn role(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

/// Runs the sign-in up to the IdP's answer and returns the callback URL it sends the browser
/// to (the login cookie is in `c`).
pub(crate) async fn callback_url(server: &TestServer, c: &mut WebClient) -> String {
    let start = c.get(&format!("{}/oidc/login/0", server.url())).await;
    assert_eq!(start.status, 303, "{}", start.body);
    let to_idp = start.location.unwrap();
    assert!(to_idp.contains("code_challenge_method=S256"), "{to_idp}");
    assert!(to_idp.contains("nonce="), "{to_idp}");
    assert!(c.cookies.contains_key("stsbridge_login"));
    let at_idp = c.get(&to_idp).await;
    at_idp.location.expect("the IdP redirects back")
}

pub(crate) fn assert_error_page(page: &Page, status: u16, needle: &str) {
    assert_eq!(page.status.as_u16(), status, "{}", page.body);
    let message = page.by_id("error-message").unwrap_or_default();
    assert!(message.contains(needle), "{message}");
    let request_id = page.by_id("request-id").unwrap_or_default();
    assert_eq!(
        Some(request_id.as_str()),
        page.headers
            .get("x-amzn-requestid")
            .and_then(|v| v.to_str().ok())
    );
}

/// Signs in through the test IdP and returns the role chooser page.
pub(crate) async fn sign_in(server: &TestServer, c: &mut WebClient) -> Page {
    let callback = callback_url(server, c).await;
    let page = c.follow(&server.url(), &callback).await;
    assert!(
        !c.cookies.contains_key("stsbridge_login"),
        "login cookie is cleared"
    );
    assert!(c.cookies.contains_key("stsbridge_session"));
    page
}

#[tokio::test]
async fn oidc_sign_in_choose_a_role_and_use_the_credentials() {
    let (server, _idp) = oidc_server(false).await;
    let mut c = WebClient::new();
    let login = c.get(&format!("{}/", server.url())).await;
    assert_eq!(login.status, 200);
    assert!(
        login.body.contains("href=\"/oidc/login/0\""),
        "{}",
        login.body
    );
    assert!(login.body.contains("Test IdP"));
    let csp = login.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(login.headers["x-frame-options"], "DENY");
    assert_eq!(login.headers["referrer-policy"], "no-referrer");

    let roles = sign_in(&server, &mut c).await;
    assert_eq!(roles.status, 200, "{}", roles.body);
    assert!(roles.body.contains(&role("dev")) && roles.body.contains(&role("ops")));
    assert!(
        !roles.body.contains(&role("admins-only")),
        "not offered: no rule lists it"
    );
    assert!(
        roles.body.contains("rule #1: groups contains"),
        "{}",
        roles.body
    );
    let csrf = roles.input("csrf").unwrap();

    refuses_forged_or_unoffered_choices(&server, &mut c, &csrf).await;

    let chosen = c
        .post(
            &format!("{}/roles", server.url()),
            &[("csrf", &csrf), ("role", &role("dev")), ("duration", "900")],
        )
        .await;
    assert_eq!(chosen.status, 303, "{}", chosen.body);
    assert_eq!(chosen.location.as_deref(), Some("/console"));
    let cookie = chosen.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        cookie.contains("Max-Age=900") || cookie.contains("Max-Age=899"),
        "{cookie}"
    );

    let console = c.get(&format!("{}/console", server.url())).await;
    assert_eq!(console.status, 200);
    assert_eq!(console.headers["cache-control"], "no-store");
    let key = console.by_id("access-key-id").unwrap();
    let secret = console.by_id("secret-access-key").unwrap();
    let token = console.by_id("session-token").unwrap();
    assert!(key.starts_with("ASIA"), "{key}");
    let bash = console.by_id("snippet-bash").unwrap();
    assert!(bash.contains(&format!("export AWS_ACCESS_KEY_ID=\"{key}\"")));
    assert!(bash.contains(&format!("AWS_ENDPOINT_URL_STS=\"{}\"", server.url())));
    let process: serde_json::Value =
        serde_json::from_str(&console.by_id("snippet-credential-process").unwrap()).unwrap();
    assert_eq!(process["Version"], 1);
    assert_eq!(process["SessionToken"], token.as_str());

    let me = sdk_client(&server.url(), &key, &secret, Some(&token), "us-east-1")
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/dev/browser-user@test.invalid").as_str())
    );

    // Sign-out needs the token too, then ends the session everywhere.
    let csrf = console.input("csrf").unwrap();
    let no_token = c.post(&format!("{}/logout", server.url()), &[]).await;
    assert_error_page(&no_token, 403, "CSRF");
    let out = c
        .post(&format!("{}/logout", server.url()), &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, 303);
    assert!(!c.cookies.contains_key("stsbridge_session"));
    let after = c.get(&format!("{}/console", server.url())).await;
    assert_eq!(after.location.as_deref(), Some("/"));
}

/// The chooser's POST refuses a missing or wrong CSRF token, and a role it did not offer.
async fn refuses_forged_or_unoffered_choices(server: &TestServer, c: &mut WebClient, csrf: &str) {
    // A POST without the session's CSRF token changes nothing.
    let refused = c
        .post(
            &format!("{}/roles", server.url()),
            &[("role", &role("dev"))],
        )
        .await;
    assert_error_page(&refused, 403, "CSRF");
    let wrong = c
        .post(
            &format!("{}/roles", server.url()),
            &[("csrf", "forged"), ("role", &role("dev"))],
        )
        .await;
    assert_error_page(&wrong, 403, "CSRF");
    // A role that is not offered is refused even with the token.
    let not_offered = c
        .post(
            &format!("{}/roles", server.url()),
            &[("csrf", csrf), ("role", &role("admins-only"))],
        )
        .await;
    assert_error_page(&not_offered, 403, "not offered");
}

#[tokio::test]
async fn the_credentials_page_is_only_for_its_own_session() {
    let (server, _idp) = oidc_server(false).await;
    let mut c = WebClient::new();
    sign_in(&server, &mut c).await;
    let mut stranger = WebClient::new();
    stranger
        .cookies
        .insert("stsbridge_session".into(), "guessed-value".into());
    let page = stranger.get(&format!("{}/console", server.url())).await;
    assert_eq!(page.location.as_deref(), Some("/"));
    let roles = stranger.get(&format!("{}/roles", server.url())).await;
    assert_eq!(roles.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn a_state_mismatch_is_refused() {
    let (server, _idp) = oidc_server(false).await;
    let mut c = WebClient::new();
    let callback = callback_url(&server, &mut c).await;
    let mut url = url::Url::parse(&callback).unwrap();
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    url.query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", "attacker-state");
    let page = c.get(url.as_str()).await;
    assert_error_page(&page, 400, "state mismatch");
    assert!(!c.cookies.contains_key("stsbridge_session"));
}

#[tokio::test]
async fn a_token_with_another_nonce_is_refused() {
    let (server, idp) = oidc_server(false).await;
    idp.knobs().wrong_nonce.store(true, Ordering::SeqCst);
    let mut c = WebClient::new();
    let callback = callback_url(&server, &mut c).await;
    let page = c.get(&callback).await;
    assert_error_page(&page, 400, "nonce");
    assert!(!c.cookies.contains_key("stsbridge_session"));
}

#[tokio::test]
async fn a_callback_without_the_login_cookie_is_refused() {
    let (server, _idp) = oidc_server(false).await;
    let mut c = WebClient::new();
    let callback = callback_url(&server, &mut c).await;
    // Another browser (an attacker's link) has no login cookie, hence no PKCE verifier.
    let mut other = WebClient::new();
    let page = other.get(&callback).await;
    assert_error_page(&page, 400, "no login cookie");
    // A forged cookie does not open.
    other.cookies.insert(
        "stsbridge_login".into(),
        "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
    );
    let page = other.get(&callback).await;
    assert_error_page(&page, 400, "no login cookie");
}

#[tokio::test]
async fn an_expired_login_cookie_is_refused() {
    let (server, _idp) = oidc_server(false).await;
    let mut c = WebClient::new();
    let callback = callback_url(&server, &mut c).await;
    server.clock.advance(TimeDelta::minutes(11));
    let page = c.get(&callback).await;
    assert_error_page(&page, 400, "expired");
}

#[tokio::test]
async fn a_code_from_another_sign_in_fails_pkce() {
    let (server, _idp) = oidc_server(false).await;
    let mut victim = WebClient::new();
    let victim_callback = callback_url(&server, &mut victim).await;
    let mut attacker = WebClient::new();
    let attacker_callback = callback_url(&server, &mut attacker).await;
    // The attacker's code, injected into the victim's callback with the victim's state: the
    // IdP refuses the exchange, because the victim's verifier does not match the challenge.
    let state_of = |u: &str| {
        url::Url::parse(u)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned()
    };
    let code_of = |u: &str| {
        url::Url::parse(u)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned()
    };
    let mut injected = url::Url::parse(&victim_callback).unwrap();
    injected
        .query_pairs_mut()
        .clear()
        .append_pair("code", &code_of(&attacker_callback))
        .append_pair("state", &state_of(&victim_callback));
    let page = victim.get(injected.as_str()).await;
    assert_error_page(&page, 403, "code exchange failed");
    assert!(!victim.cookies.contains_key("stsbridge_session"));
}

fn query_value(u: &str, name: &str) -> String {
    url::Url::parse(u)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .unwrap()
        .1
        .into_owned()
}

#[tokio::test]
async fn an_idp_error_is_shown_with_the_request_id() {
    let (server, _idp) = oidc_server(false).await;
    let mut c = WebClient::new();
    let callback = callback_url(&server, &mut c).await;
    let state = query_value(&callback, "state");
    // Without this sign-in's state, the text is not shown and the sign-in goes on.
    let forged = c
        .get(&format!(
            "{}/oidc/callback?error=locked&error_description=Call%20evil.example",
            server.url()
        ))
        .await;
    assert_error_page(&forged, 400, "state mismatch");
    assert!(!forged.body.contains("evil.example"));
    assert!(
        c.cookies.contains_key("stsbridge_login"),
        "the sign-in is not aborted"
    );
    let page = c
        .get(&format!(
            "{}/oidc/callback?state={state}&error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            server.url()
        ))
        .await;
    assert_error_page(&page, 403, "access_denied");
    assert!(
        !page.body.contains("<script>alert"),
        "escaped: {}",
        page.body
    );
    assert!(!c.cookies.contains_key("stsbridge_login"));
}

#[tokio::test]
async fn an_answer_naming_another_issuer_is_refused() {
    let (server, _idp) = oidc_server(false).await;
    let mut c = WebClient::new();
    let callback = callback_url(&server, &mut c).await;
    let page = c
        .get(&format!("{callback}&iss=https%3A%2F%2Fevil.example"))
        .await;
    assert_error_page(&page, 400, "another identity provider");
}

#[tokio::test]
async fn source_ip_conditions_decide_the_offer_as_they_decide_the_grant() {
    let idp = TestIdp::start().await;
    let extra = r#"
[[roles]]
name = "office"
trust_policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"{PROVIDER}"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}]}'''

[[roles]]
name = "elsewhere"
trust_policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"{PROVIDER}"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"NotIpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}]}'''

[[rules]]
provider = "{ISSUER}"
when = [ { claim = "groups", op = "contains", value = "dev" } ]
roles = ["office", "elsewhere"]
"#;
    let server = TestServer::start_bound(|addr| oidc_config_with(addr, &idp, false, extra)).await;
    wait_for_login_endpoints(&server, &idp).await;
    let mut c = WebClient::new();
    let roles = sign_in(&server, &mut c).await;
    assert!(roles.body.contains(&role("office")), "{}", roles.body);
    assert!(!roles.body.contains(&role("elsewhere")));
    let csrf = roles.input("csrf").unwrap();
    let chosen = c
        .post(
            &format!("{}/roles", server.url()),
            &[("csrf", &csrf), ("role", &role("office"))],
        )
        .await;
    assert_eq!(
        chosen.location.as_deref(),
        Some("/console"),
        "{}",
        chosen.body
    );
}

#[tokio::test]
async fn a_confidential_client_sends_its_secret() {
    let (server, idp) = oidc_server(true).await;
    idp.knobs().require_secret.store(true, Ordering::SeqCst);
    let mut c = WebClient::new();
    let roles = sign_in(&server, &mut c).await;
    assert_eq!(roles.status, 200, "{}", roles.body);
    assert_eq!(idp.knobs().secret_seen.load(Ordering::SeqCst), 1);
}

/// Signs in, picks `dev`, and returns the console page.
pub(crate) async fn console_page(server: &TestServer, c: &mut WebClient) -> Page {
    let roles = sign_in(server, c).await;
    let csrf = roles.input("csrf").unwrap();
    c.post(
        &format!("{}/roles", server.url()),
        &[("csrf", &csrf), ("role", &role("dev"))],
    )
    .await;
    c.get(&format!("{}/console", server.url())).await
}

async fn signin_token(
    server: &TestServer,
    session: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let resp = reqwest::Client::new()
        .get(format!("{}/federation", server.url()))
        .query(&[
            ("Action", "getSigninToken"),
            ("Session", &session.to_string()),
        ])
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn federation_turns_credentials_into_a_console_session_once() {
    let (server, _idp) = oidc_server(false).await;
    let mut c = WebClient::new();
    let page = console_page(&server, &mut c).await;
    let key = page.by_id("access-key-id").unwrap();
    let secret = page.by_id("secret-access-key").unwrap();
    let token = page.by_id("session-token").unwrap();
    let session =
        serde_json::json!({"sessionId": key, "sessionKey": secret, "sessionToken": token});

    // Bad inputs: wrong secret, long-term keys, bad duration, no JSON.
    let mut wrong = session.clone();
    wrong["sessionKey"] = "x".repeat(40).into();
    assert_eq!(signin_token(&server, &wrong).await.0, 403);
    let long_term = serde_json::json!({"sessionId": ADMIN_KEY, "sessionKey": ADMIN_SECRET, "sessionToken": token});
    assert_eq!(signin_token(&server, &long_term).await.0, 403);
    let resp = reqwest::Client::new()
        .get(format!("{}/federation", server.url()))
        .query(&[
            ("Action", "getSigninToken"),
            ("Session", &session.to_string()),
            ("SessionDuration", "60"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = reqwest::Client::new()
        .get(format!(
            "{}/federation?Action=getSigninToken&Session=nope",
            server.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    let (status, body) = signin_token(&server, &session).await;
    assert_eq!(status, 200, "{body}");
    let signin = body["SigninToken"].as_str().unwrap().to_owned();

    // A foreign destination is an open redirect: refused, and the token is not spent.
    let mut browser = WebClient::new();
    let login = |dest: &str| {
        let mut u = url::Url::parse(&format!("{}/federation", server.url())).unwrap();
        u.query_pairs_mut()
            .append_pair("Action", "login")
            .append_pair("Issuer", "https://issuer.example")
            .append_pair("Destination", dest)
            .append_pair("SigninToken", &signin);
        u.to_string()
    };
    for foreign in [
        "https://evil.example/console".to_owned(),
        format!("{}/consolex", server.url()),
        "javascript:alert(1)".to_owned(),
        format!("http://user@{}/console", server.addr),
    ] {
        let page = browser.get(&login(&foreign)).await;
        assert!(
            page.status == 403 || page.status == 400,
            "{foreign}: {}",
            page.status
        );
        assert!(page.location.is_none(), "{foreign}");
    }
    let own = format!("{}/console", server.url());
    let ok = browser.get(&login(&own)).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.location.as_deref(), Some(own.as_str()));
    let there = browser.get(&own).await;
    assert_eq!(there.by_id("access-key-id").as_deref(), Some(key.as_str()));
    assert!(
        there.by_id("switch-role").is_none(),
        "no identity to switch with"
    );

    // Single use.
    let again = WebClient::new().get(&login(&own)).await;
    assert_error_page(&again, 403, "already used");
}

#[tokio::test]
async fn open_in_console_uses_the_federation_flow() {
    let (server, _idp) = oidc_server(false).await;
    let mut c = WebClient::new();
    let page = console_page(&server, &mut c).await;
    let csrf = page.input("csrf").unwrap();
    let refused = c.post(&format!("{}/console/open", server.url()), &[]).await;
    assert_error_page(&refused, 403, "CSRF");
    let open = c
        .post(
            &format!("{}/console/open", server.url()),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(open.status, 303);
    let federation = open.location.unwrap();
    assert!(federation.contains("Action=login") && federation.contains("SigninToken="));
    // In the same browser the session (and its sign-in, for "switch role") is kept.
    let mut same = WebClient::new();
    same.cookies = c.cookies.clone();
    let kept = same.follow(&server.url(), &federation).await;
    assert!(kept.by_id("switch-role").is_some(), "{}", kept.body);
    assert_eq!(same.cookies, c.cookies, "no new session cookie");
    // Elsewhere it opens a session holding the same credentials. A fresh token: single use.
    let open = c
        .post(
            &format!("{}/console/open", server.url()),
            &[("csrf", &csrf)],
        )
        .await;
    let federation = open.location.unwrap();
    let mut elsewhere = WebClient::new();
    let landed = elsewhere.follow(&server.url(), &federation).await;
    assert_eq!(
        landed.by_id("access-key-id"),
        page.by_id("access-key-id"),
        "the console session holds the same credentials"
    );
}

#[tokio::test]
async fn saml_idp_initiated_sign_in_and_replay() {
    let (server, _creds) = TestServer::start_demo().await;
    let base = server.url();
    let mut c = WebClient::new();
    let picker = c.get(&format!("{base}/demo-idp/saml/login")).await;
    let request = picker.input("request").unwrap();
    let post_page = c
        .post(
            &format!("{base}/demo-idp/saml/login"),
            &[("request", &request), ("user", "admin")],
        )
        .await;
    let response = post_page.input("SAMLResponse").unwrap();
    let acs = c
        .post(&format!("{base}/saml/acs"), &[("SAMLResponse", &response)])
        .await;
    assert_eq!(acs.status, 303, "{}", acs.body);
    assert_eq!(acs.location.as_deref(), Some("/roles"));
    let roles = c.get(&format!("{base}/roles")).await;
    assert!(
        roles.body.contains("Role attribute lists it"),
        "{}",
        roles.body
    );
    assert!(roles.body.contains("role/demo-admin") && roles.body.contains("role/demo-developer"));

    let replay = WebClient::new()
        .post(&format!("{base}/saml/acs"), &[("SAMLResponse", &response)])
        .await;
    assert_error_page(&replay, 403, "already been used");

    // RelayState may only name an allow-listed destination.
    let idp = server.demo_idp.clone().unwrap();
    let fresh = idp
        .saml_response("developer", &["developers".to_owned()], server.clock.now())
        .unwrap();
    let relayed = WebClient::new()
        .post(
            &format!("{base}/saml/acs"),
            &[
                ("SAMLResponse", &fresh),
                ("RelayState", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(relayed.status, 303, "{}", relayed.body);
    assert_eq!(
        relayed.location.as_deref(),
        Some("/console"),
        "a foreign RelayState is ignored"
    );
    let empty = WebClient::new()
        .post(&format!("{base}/saml/acs"), &[])
        .await;
    assert_error_page(&empty, 400, "no SAMLResponse");
    let garbage = WebClient::new()
        .post(&format!("{base}/saml/acs"), &[("SAMLResponse", "PHhtbD4=")])
        .await;
    assert_eq!(garbage.status, 403, "{}", garbage.body);
}

#[tokio::test]
async fn saml_sp_initiated_checks_in_response_to() {
    let (server, _creds) = TestServer::start_demo().await;
    let base = server.url();
    let mut c = WebClient::new();
    let login = c.get(&format!("{base}/")).await;
    assert!(
        login.body.contains("href=\"/saml/login/demo-saml\""),
        "{}",
        login.body
    );
    let start = c.get(&format!("{base}/saml/login/demo-saml")).await;
    assert_eq!(start.status, 303);
    let picker = c.get(&start.location.unwrap()).await;
    let request = picker.input("request").unwrap();
    let post_page = c
        .post(
            &format!("{base}/demo-idp/saml/login"),
            &[("request", &request), ("user", "developer")],
        )
        .await;
    let response = post_page.input("SAMLResponse").unwrap();
    // One role (developer): straight to the credentials.
    let acs = c
        .post(&format!("{base}/saml/acs"), &[("SAMLResponse", &response)])
        .await;
    assert_eq!(acs.location.as_deref(), Some("/console"), "{}", acs.body);
    let console = c.get(&format!("{base}/console")).await;
    assert!(console.body.contains("role/demo-developer"));

    // A response claiming to answer a request we never made is refused.
    let idp = server.demo_idp.clone().unwrap();
    let unsolicited = idp
        .saml_response_to(
            "admin",
            &["admins".to_owned()],
            Some("_never-sent"),
            server.clock.now(),
        )
        .unwrap();
    let page = WebClient::new()
        .post(
            &format!("{base}/saml/acs"),
            &[("SAMLResponse", &unsolicited)],
        )
        .await;
    assert_error_page(&page, 403, "did not make");
}

#[tokio::test]
async fn demo_oidc_user_with_one_role_skips_the_chooser() {
    let (server, _creds) = TestServer::start_demo().await;
    let base = server.url();
    let mut c = WebClient::new();
    let to_idp = c
        .get(&format!("{base}/oidc/login/0"))
        .await
        .location
        .unwrap();
    let picker = c.get(&to_idp).await;
    let request = picker.input("request").unwrap();
    let back = c
        .post(
            &format!("{base}/demo-idp/authorize"),
            &[("request", &request), ("user", "developer")],
        )
        .await;
    let landed = c.follow(&base, &back.location.unwrap()).await;
    assert!(
        landed.body.contains("role/demo-developer"),
        "{}",
        landed.body
    );
    assert!(landed.by_id("access-key-id").unwrap().starts_with("ASIA"));
}

#[tokio::test]
async fn an_identity_without_roles_sees_the_claims_the_rules_saw() {
    let idp = TestIdp::start().await;
    let server = TestServer::start_bound(|addr| {
        // Only the admins rule: the test user (group dev) matches nothing.
        let mut toml_config = oidc_config(addr, &idp, false);
        toml_config.rules.remove(0);
        toml_config
    })
    .await;
    wait_for_login_endpoints(&server, &idp).await;
    let mut c = WebClient::new();
    let page = sign_in(&server, &mut c).await;
    assert!(page.body.contains("No role for you"), "{}", page.body);
    assert!(page.body.contains("<code>groups</code>"), "{}", page.body);
    assert!(!page.body.contains("<code>nonce</code>"));
}
