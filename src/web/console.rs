//! The credentials page (`/console`): identity, role, expiry with a countdown, the credentials
//! behind a click, export snippets, "open in console", "switch role" and "sign out".

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::sync::Arc;

use super::error::PageError;
use super::page::{absolute, base_path, page};
use super::session;
use crate::sts::bridge::Bridge;
use crate::sts::browser::session::{ActiveRole, WebSession};
use crate::sts::offers::SignedIn;

/// Holds credentials: its Debug shows only which snippet it is.
pub(crate) struct Snippet {
    pub(crate) id: &'static str,
    pub(crate) title: &'static str,
    pub(crate) text: String,
}

impl std::fmt::Debug for Snippet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snippet")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Template)]
#[template(path = "console.html")]
struct ConsolePage {
    base: String,
    account: String,
    who: Option<String>,
    role: String,
    assumed_role: String,
    expires_iso: String,
    expires_text: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    snippets: Vec<Snippet>,
    can_switch: bool,
    csrf: String,
}

/// Export snippets for the shells and files people use. Values are the bridge's own (ASIA key
/// id, base64 secret and token), so they need no quoting beyond plain double quotes.
pub(crate) fn snippets(active: &ActiveRole, endpoint: &str) -> Vec<Snippet> {
    let (id, secret, token) = (
        active.access_key_id.as_str(),
        active.secret_access_key.expose(),
        active.session_token.expose(),
    );
    let expiration = active
        .expiration
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let profile = active
        .role_arn
        .rsplit('/')
        .next()
        .unwrap_or("stsbridge")
        .to_owned();
    let process = serde_json::json!({
        "Version": 1,
        "AccessKeyId": id,
        "SecretAccessKey": secret,
        "SessionToken": token,
        "Expiration": expiration,
    });
    vec![
        Snippet {
            id: "bash",
            title: "bash / zsh",
            text: format!(
                "export AWS_ACCESS_KEY_ID=\"{id}\"\nexport AWS_SECRET_ACCESS_KEY=\"{secret}\"\nexport AWS_SESSION_TOKEN=\"{token}\"\nexport AWS_ENDPOINT_URL_STS=\"{endpoint}\""
            ),
        },
        Snippet {
            id: "fish",
            title: "fish",
            text: format!(
                "set -gx AWS_ACCESS_KEY_ID \"{id}\"\nset -gx AWS_SECRET_ACCESS_KEY \"{secret}\"\nset -gx AWS_SESSION_TOKEN \"{token}\"\nset -gx AWS_ENDPOINT_URL_STS \"{endpoint}\""
            ),
        },
        Snippet {
            id: "powershell",
            title: "PowerShell",
            text: format!(
                "$Env:AWS_ACCESS_KEY_ID=\"{id}\"\n$Env:AWS_SECRET_ACCESS_KEY=\"{secret}\"\n$Env:AWS_SESSION_TOKEN=\"{token}\"\n$Env:AWS_ENDPOINT_URL_STS=\"{endpoint}\""
            ),
        },
        Snippet {
            id: "profile",
            title: "~/.aws/credentials profile",
            text: format!(
                "[{profile}]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\naws_session_token = {token}"
            ),
        },
        Snippet {
            id: "credential-process",
            title: "credential_process output (one JSON line)",
            text: process.to_string(),
        },
    ]
}

/// `GET /console`: the credentials page, or where to go without credentials.
pub(crate) async fn show(
    State(bridge): State<Arc<Bridge>>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let base = base_path(&bridge);
    let Some((_, web)) = session::load(&bridge, &headers).await? else {
        return Ok(Redirect::to(&format!("{base}/")).into_response());
    };
    let Some(active) = web.active.clone() else {
        return Ok(Redirect::to(&format!("{base}/roles")).into_response());
    };
    page(&ConsolePage::new(&bridge, base, &web, &active))
}

impl ConsolePage {
    fn new(bridge: &Bridge, base: String, web: &WebSession, active: &ActiveRole) -> Self {
        let endpoint = bridge
            .config()
            .server
            .public_url
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        Self {
            base,
            account: bridge.config().server.account_id.to_string(),
            who: web.identity.as_ref().map(SignedIn::display_name),
            role: active.role_arn.clone(),
            assumed_role: active.assumed_role_arn.clone(),
            expires_iso: active
                .expiration
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            expires_text: active
                .expiration
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
            access_key_id: active.access_key_id.clone(),
            secret_access_key: active.secret_access_key.expose().to_owned(),
            session_token: active.session_token.expose().to_owned(),
            snippets: snippets(active, &endpoint),
            can_switch: web.identity.is_some(),
            csrf: web.csrf.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// The session behind a POST form, after its CSRF token is checked.
async fn posted_session(
    bridge: &Bridge,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<(String, WebSession), PageError> {
    let (bearer, web) = session::load(bridge, headers).await?.ok_or_else(|| {
        PageError::forbidden("You are not signed in (your session ended). Sign in again.")
    })?;
    web.check_csrf(csrf)?;
    Ok((bearer, web))
}

/// `POST /logout`: ends the server-side session and clears the cookie.
pub(crate) async fn sign_out(
    State(bridge): State<Arc<Bridge>>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    // Without a live session there is nothing to end but a stale cookie.
    if session::load(&bridge, &headers).await?.is_some() {
        let (bearer, _) = posted_session(&bridge, &headers, &form.csrf).await?;
        bridge.end_web_session(&bearer).await?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            session::clear_cookie(&bridge, session::session_cookie_name(&bridge)),
        )],
        Redirect::to(&format!("{}/", base_path(&bridge))),
    )
        .into_response())
}

/// `POST /console/open`: a sign-in token for this session's credentials, then the federation
/// login redirect to the console destination (our own `/console` unless configured).
pub(crate) async fn open_in_console(
    State(bridge): State<Arc<Bridge>>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let (_, web) = posted_session(&bridge, &headers, &form.csrf).await?;
    let active = web
        .active
        .ok_or_else(|| PageError::bad_request("Choose a role first."))?;
    let token = bridge.issue_signin_token(&active, None).await?;
    Ok(Redirect::to(federation_login_url(&bridge, &token)?.as_str()).into_response())
}

/// The federation login that spends `token` on the way to the first console destination.
fn federation_login_url(bridge: &Bridge, token: &str) -> Result<url::Url, PageError> {
    let own_console = absolute(bridge, "/console");
    let destination = bridge
        .config()
        .server
        .console_destinations
        .first()
        .map_or_else(|| own_console.clone(), ToString::to_string);
    url::Url::parse_with_params(
        &absolute(bridge, "/federation"),
        [
            ("Action", "login"),
            ("Issuer", own_console.as_str()),
            ("Destination", destination.as_str()),
            ("SigninToken", token),
        ],
    )
    .map_err(PageError::internal)
}
