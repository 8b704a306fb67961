//! The headless-Chromium harness itself: it reaches our server, screenshots, and drives a page
//! (click, typing, a form post, cookies) whose script is a separate file, as our CSP will demand.

use std::time::{Duration, Instant};

use axum::Router;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};

use crate::common::TestServer;
use crate::common::browser::{Browser, running};

#[tokio::test]
async fn chromium_loads_our_server_and_takes_a_screenshot() -> anyhow::Result<()> {
    let server = TestServer::start().await;
    let started = Instant::now();
    let Some(browser) = Browser::launch().await? else {
        return Ok(());
    };
    let launched = started.elapsed();
    let started = Instant::now();
    browser.goto(&format!("{}/healthz", server.url())).await?;
    let navigated = started.elapsed();
    assert_eq!(
        browser.current_url().await?,
        format!("{}/healthz", server.url())
    );
    let source = browser.page_source().await?;
    assert!(source.contains(">ok<"), "{source}");

    // Chromium downloads application/samlmetadata+xml rather than rendering it; a same-origin
    // fetch from the page reads it (a returned promise is awaited).
    let xml = browser
        .execute(
            "return fetch('/saml/metadata').then(r => r.text());",
            vec![],
        )
        .await?;
    assert!(
        xml.as_str().is_some_and(|x| x.contains("entityID=")),
        "{xml}"
    );

    let png = browser.screenshot("browser_smoke-healthz").await?;
    let bytes = std::fs::read(&png)?;
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", png.display());

    let started = Instant::now();
    browser.quit().await?;
    let quit = started.elapsed();
    eprintln!("browser timings: launch {launched:?}, goto {navigated:?}, quit {quit:?}");
    Ok(())
}

const PAGE: &str = r#"<!doctype html>
<html><head><title>harness page</title></head><body>
<p id="greeting">waiting</p>
<button id="go" type="button">Go</button>
<form method="post" action="/submit">
  <input id="user" name="user" autocomplete="off">
  <button id="send" type="submit">Send</button>
</form>
<script src="/app.js"></script>
</body></html>"#;

const SCRIPT: &str = "document.getElementById('go').addEventListener('click', () => {
  document.getElementById('greeting').textContent = 'clicked';
});";

/// A page, its script, and a form target that sets a cookie; no inline script is allowed.
async fn static_site() -> String {
    let csp = [("content-security-policy", "default-src 'self'")];
    let app = Router::new()
        .route("/", get(move || async move { (csp, Html(PAGE)) }))
        .route(
            "/app.js",
            get(|| async { ([("content-type", "text/javascript")], SCRIPT) }),
        )
        .route(
            "/submit",
            post(
                |axum::Form(form): axum::Form<std::collections::HashMap<String, String>>| async move {
                    let user = form.get("user").cloned().unwrap_or_default();
                    if !user.chars().all(|c| c.is_ascii_alphanumeric()) {
                        return http::StatusCode::BAD_REQUEST.into_response();
                    }
                    let cookie = format!("seen={user}; Path=/; HttpOnly; SameSite=Lax");
                    let body = format!("<title>done</title><p id=\"result\">hello {user}</p>");
                    ([("set-cookie", cookie)], Html(body)).into_response()
                },
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn chromium_clicks_types_submits_and_keeps_cookies() -> anyhow::Result<()> {
    let site = static_site().await;
    let Some(browser) = Browser::launch().await? else {
        return Ok(());
    };
    browser.goto(&format!("{site}/")).await?;
    assert_eq!(browser.title().await?, "harness page");

    // The external script ran (CSP allows 'self') and its handler answers a real click.
    let greeting = browser.find("#greeting").await?;
    assert_eq!(greeting.text().await?, "waiting");
    browser.find("#go").await?.click().await?;
    assert_eq!(greeting.text().await?, "clicked");
    assert_eq!(browser.find_all("button").await?.len(), 2);

    let user = browser.find("#user").await?;
    assert_eq!(user.attr("name").await?.as_deref(), Some("user"));
    assert_eq!(user.attr("placeholder").await?, None);
    user.send_keys("mallory").await?;
    user.clear().await?;
    user.send_keys("alice").await?;
    assert_eq!(user.property("value").await?, "alice");
    let via_script = browser
        .execute(
            "return arguments[0].value.toUpperCase();",
            vec![user.as_arg()],
        )
        .await?;
    assert_eq!(via_script, "ALICE");

    browser.find("#send").await?.click().await?;
    let result = browser.wait_for("#result", Duration::from_secs(10)).await?;
    assert_eq!(result.text().await?, "hello alice");
    assert_eq!(browser.current_url().await?, format!("{site}/submit"));

    let cookies = browser.cookies().await?;
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert_eq!(cookies[0]["name"], "seen");
    assert_eq!(cookies[0]["value"], "alice");
    assert_eq!(cookies[0]["httpOnly"], true);
    browser.delete_cookies().await?;
    assert!(browser.cookies().await?.is_empty());

    // Errors name the command and carry the driver's message.
    let err = browser.find("#absent").await.unwrap_err().to_string();
    assert!(
        err.contains("/element") && err.contains("no such element"),
        "{err}"
    );
    let err = browser
        .wait_for("#absent", Duration::from_millis(200))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("#absent") && err.contains("/submit"), "{err}");

    browser.quit().await
}

#[tokio::test]
async fn dropping_a_browser_kills_its_processes_and_removes_its_profile() -> anyhow::Result<()> {
    let site = static_site().await;
    let Some(browser) = Browser::launch().await? else {
        return Ok(());
    };
    browser.goto(&format!("{site}/")).await?;
    let (processes, profile) = browser.footprint();
    assert!(
        processes.len() > 2,
        "chromedriver, chromium, helpers: {processes:?}"
    );
    assert!(profile.is_dir());
    drop(browser); // as when a test panics before quit
    let left: Vec<_> = processes.into_iter().filter(|&p| running(p)).collect();
    assert!(left.is_empty(), "still running: {left:?}");
    assert!(!profile.exists(), "{}", profile.display());
    Ok(())
}
