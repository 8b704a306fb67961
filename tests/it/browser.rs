//! Browser sign-in in real headless Chromium (Debian's `chromium` + `chromedriver`): the demo
//! flow end to end, OIDC against the test IdP, SAML IdP-initiated POST, the role chooser with
//! two roles, copy-button snippets whose key works with the SDK, federation login to an allowed
//! destination and refusal of a foreign one, a cross-site POST without CSRF token, and a
//! replayed ACS POST. Screenshots land in `target/browser-artifacts/` (or
//! `$STSBRIDGE_ARTIFACTS`); the README's come from here.

use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use axum::response::Html;
use axum::routing::get;

use crate::common::browser::Browser;
use crate::common::{TestServer, sdk_client};
use crate::web::{oidc_server, role};

const WAIT: Duration = Duration::from_secs(10);

/// `KEY="value"` lines of an export snippet.
fn exported(snippet: &str, name: &str) -> Option<String> {
    let prefix = format!("export {name}=\"");
    snippet
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim_end_matches('"').to_owned())
}

/// The error page's message, after waiting for it.
async fn error_message(browser: &Browser) -> Result<String> {
    browser.wait_for("#error-message", WAIT).await?.text().await
}

#[tokio::test]
async fn demo_flow_end_to_end() -> Result<()> {
    let (server, _creds) = TestServer::start_demo().await;
    let base = server.url();
    let Some(browser) = Browser::launch().await? else {
        return Ok(());
    };
    browser.goto(&format!("{base}/")).await?;
    browser.wait_for("#login-oidc-0", WAIT).await?;
    browser.screenshot("login").await?;
    browser.find("#login-oidc-0").await?.click().await?;

    // The demo IdP's page: pick `admin` (the first choice), sign in.
    browser.wait_for("#demo-sign-in", WAIT).await?;
    browser.find("#user-admin").await?.click().await?;
    browser.find("#demo-sign-in").await?.click().await?;

    // The chooser offers both demo roles, each with why.
    browser.wait_for("#get-credentials", WAIT).await?;
    let offered = browser.find_all("input[name=role]").await?;
    ensure!(
        offered.len() == 2,
        "two roles offered, got {}",
        offered.len()
    );
    let page = browser.page_source().await?;
    ensure!(
        page.contains("rule #1: groups contains"),
        "why is shown: {page}"
    );
    browser.screenshot("roles").await?;
    browser.find("#role-1").await?.click().await?;
    browser.find("#get-credentials").await?.click().await?;

    // The credentials page: hidden until revealed; the copy button copies the snippet.
    browser.wait_for("#reveal", WAIT).await?;
    ensure!(
        browser
            .find("#role")
            .await?
            .text()
            .await?
            .ends_with("role/demo-admin")
    );
    browser.screenshot("console").await?;
    ensure!(
        browser
            .find("#access-key-id")
            .await?
            .text()
            .await?
            .is_empty(),
        "credentials stay hidden until asked for"
    );
    browser.find("#reveal summary").await?.click().await?;
    let key = browser.find("#access-key-id").await?.text().await?;
    ensure!(key.starts_with("ASIA"), "{key}");
    browser.find("#copy-bash").await?.click().await?;
    let snippet = browser.find("#snippet-bash").await?.text().await?;
    let copied = browser
        .find("#snippet-bash")
        .await?
        .attr("data-copied")
        .await?;
    ensure!(
        copied.is_some(),
        "the copy button ran its script (CSP allows our file)"
    );
    let status = browser.find("#copy-status").await?.text().await?;
    ensure!(!status.is_empty(), "the page says what the copy did");
    browser.screenshot("console-revealed").await?;

    // What the snippet holds is a working key.
    let (id, secret, token) = (
        exported(&snippet, "AWS_ACCESS_KEY_ID").context("key id in the snippet")?,
        exported(&snippet, "AWS_SECRET_ACCESS_KEY").context("secret in the snippet")?,
        exported(&snippet, "AWS_SESSION_TOKEN").context("token in the snippet")?,
    );
    ensure!(id == key);
    let me = sdk_client(&base, &id, &secret, Some(&token), "us-east-1")
        .get_caller_identity()
        .send()
        .await?;
    ensure!(
        me.arn()
            .is_some_and(|a| a.contains(":assumed-role/demo-admin/")),
        "{:?}",
        me.arn()
    );

    // The countdown ticks (our script runs under the CSP).
    let countdown = browser.find("#countdown").await?.text().await?;
    ensure!(countdown.contains("left"), "{countdown}");

    // Sign out ends the session.
    browser.find("#sign-out").await?.click().await?;
    browser.wait_for("#main h1", WAIT).await?;
    browser.goto(&format!("{base}/console")).await?;
    ensure!(browser.current_url().await? == format!("{base}/"));
    browser.quit().await
}

#[tokio::test]
async fn oidc_against_the_test_idp() -> Result<()> {
    let (server, _idp) = oidc_server(false).await;
    let base = server.url();
    let Some(browser) = Browser::launch().await? else {
        return Ok(());
    };
    browser.goto(&format!("{base}/")).await?;
    browser
        .wait_for("#login-oidc-0", WAIT)
        .await?
        .click()
        .await?;
    browser.wait_for("#get-credentials", WAIT).await?;
    // Two roles; take the second.
    ensure!(browser.find_all("input[name=role]").await?.len() == 2);
    browser.find("#role-2").await?.click().await?;
    browser.find("#get-credentials").await?.click().await?;
    browser.wait_for("#reveal", WAIT).await?;
    let shown = browser.find("#role").await?.text().await?;
    ensure!(shown == role("ops"), "{shown}");
    let cookies = browser.cookies().await?;
    let session = cookies
        .iter()
        .find(|c| c["name"] == "stsbridge_session")
        .context("session cookie")?;
    ensure!(session["httpOnly"] == true, "{session}");
    ensure!(session["sameSite"] == "Lax", "{session}");
    ensure!(
        !cookies.iter().any(|c| c["name"] == "stsbridge_login"),
        "the login cookie is gone after the callback"
    );
    browser.quit().await
}

#[tokio::test]
async fn saml_idp_initiated_post_and_replay() -> Result<()> {
    let (server, _creds) = TestServer::start_demo().await;
    let base = server.url();
    let Some(browser) = Browser::launch().await? else {
        return Ok(());
    };
    browser.goto(&format!("{base}/demo-idp/saml/login")).await?;
    browser
        .wait_for("#demo-sign-in", WAIT)
        .await?
        .click()
        .await?;
    let posted = browser
        .wait_for("input[name=SAMLResponse]", WAIT)
        .await?
        .attr("value")
        .await?
        .context("SAMLResponse")?;
    browser.find("#saml-continue").await?.click().await?;
    browser.wait_for("#get-credentials", WAIT).await?;
    let page = browser.page_source().await?;
    ensure!(page.contains("Role attribute lists it"), "{page}");
    ensure!(browser.find_all("input[name=role]").await?.len() == 2);

    // The same response posted again, as an attacker replaying a captured form would.
    browser.goto(&format!("{base}/demo-idp/saml/login")).await?;
    browser
        .execute(
            "const f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];\
             const i = document.createElement('input'); i.name = 'SAMLResponse'; i.value = arguments[1];\
             f.appendChild(i); document.body.appendChild(f); f.submit();",
            vec![format!("{base}/saml/acs").into(), posted.into()],
        )
        .await?;
    let message = error_message(&browser).await?;
    ensure!(message.contains("already been used"), "{message}");
    browser.screenshot("saml-replay-refused").await?;
    browser.quit().await
}

#[tokio::test]
async fn federation_login_allowed_and_foreign_destination_refused() -> Result<()> {
    let (server, _idp) = oidc_server(false).await;
    let base = server.url();
    let Some(browser) = Browser::launch().await? else {
        return Ok(());
    };
    browser.goto(&format!("{base}/oidc/login/0")).await?;
    browser
        .wait_for("#get-credentials", WAIT)
        .await?
        .click()
        .await?;
    browser.wait_for("#open-console", WAIT).await?;
    browser.find("#reveal summary").await?.click().await?;
    let key = browser.find("#access-key-id").await?.text().await?;
    let secret = browser.find("#secret-access-key").await?.text().await?;
    let token = browser.find("#session-token").await?.text().await?;

    // "Open in console": getSigninToken + login, landing on the allowed destination.
    browser.find("#open-console").await?.click().await?;
    browser.wait_for("#reveal", WAIT).await?;
    ensure!(browser.current_url().await? == format!("{base}/console"));

    // A sign-in token sent to a foreign destination: refused, no redirect.
    let session =
        serde_json::json!({"sessionId": key, "sessionKey": secret, "sessionToken": token});
    let answer: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/federation"))
        .query(&[
            ("Action", "getSigninToken"),
            ("Session", &session.to_string()),
        ])
        .send()
        .await?
        .json()
        .await?;
    let signin = answer["SigninToken"].as_str().context("SigninToken")?;
    let mut evil = url::Url::parse(&format!("{base}/federation"))?;
    evil.query_pairs_mut()
        .append_pair("Action", "login")
        .append_pair("Destination", "https://evil.example/steal")
        .append_pair("SigninToken", signin);
    browser.goto(evil.as_str()).await?;
    let message = error_message(&browser).await?;
    ensure!(message.contains("not on this bridge's list"), "{message}");
    ensure!(browser.current_url().await?.starts_with(&base));
    browser
        .screenshot("federation-open-redirect-refused")
        .await?;
    browser.quit().await
}

#[tokio::test]
async fn a_cross_site_post_without_csrf_token_is_refused() -> Result<()> {
    let (server, _idp) = oidc_server(false).await;
    let base = server.url();
    // The attacker's page, on another origin, posts a role choice to the bridge.
    let attacker = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let attacker_url = format!("http://{}/", attacker.local_addr()?);
    let form = format!(
        r#"<!DOCTYPE html><form method="post" action="{base}/roles"><input name="role" value="{}"><button id="go">win a prize</button></form>"#,
        role("dev")
    );
    tokio::spawn(async move {
        let app = axum::Router::new().route("/", get(move || async move { Html(form) }));
        axum::serve(attacker, app).await
    });

    let Some(browser) = Browser::launch().await? else {
        return Ok(());
    };
    browser.goto(&format!("{base}/oidc/login/0")).await?;
    browser.wait_for("#get-credentials", WAIT).await?;
    browser.goto(&attacker_url).await?;
    browser.wait_for("#go", WAIT).await?.click().await?;
    let message = error_message(&browser).await?;
    ensure!(
        message.contains("CSRF")
            || message.contains("not signed in")
            || message.contains("sign-in has ended"),
        "{message}"
    );
    // The victim's session is untouched: still at the chooser, no credentials issued.
    browser.goto(&format!("{base}/console")).await?;
    browser.wait_for("#get-credentials", WAIT).await?;
    ensure!(browser.current_url().await? == format!("{base}/roles"));
    browser.quit().await
}
