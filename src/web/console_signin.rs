//! The console-style federation endpoint (`/federation`), as AWS's sign-in endpoint answers:
//! - `Action=getSigninToken&Session={"sessionId","sessionKey","sessionToken"}` (optional
//!   `SessionDuration`, 900..43200) answers `{"SigninToken": "…"}`, or a JSON error: it is an
//!   API for scripts, not a page;
//! - `Action=login&Issuer=…&Destination=…&SigninToken=…` spends the token and redirects to
//!   `Destination`.
//!
//! The bridge decides both (`sts::browser::console`); this file parses and renders.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::TimeDelta;
use url::Url;

use super::error::PageError;
use super::roles::see_other;
use super::session;
use crate::sts::bridge::Bridge;
use crate::sts::browser::BrowserError;
use crate::sts::browser::console::{ConsoleCredentials, ConsoleLogin};

/// `Session` JSON larger than this is refused before parsing.
const MAX_SESSION_JSON: usize = 8 * 1024;
/// AWS's bounds of `SessionDuration`, in seconds.
const SESSION_DURATION_S: std::ops::RangeInclusive<i64> = 900..=43_200;

/// A JSON error for the token call.
fn json_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "Error": message }))).into_response()
}

/// `GET` or `POST /federation`: the parameters come from the query of a GET and the form body
/// of a POST (axum's `Form` reads both).
pub(crate) async fn endpoint(
    State(bridge): State<Arc<Bridge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(params): Form<BTreeMap<String, String>>,
) -> Response {
    dispatch(&bridge, peer.ip(), &headers, &params).await
}

async fn dispatch(
    bridge: &Bridge,
    peer: IpAddr,
    headers: &HeaderMap,
    p: &BTreeMap<String, String>,
) -> Response {
    match p.get("Action").map(String::as_str) {
        Some("getSigninToken") => get_signin_token(bridge, p).await,
        Some("login") => match login(bridge, peer, headers, p).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        },
        _ => PageError::bad_request("Action must be getSigninToken or login.").into_response(),
    }
}

/// getSigninToken's parameters, or the message of a 400.
fn token_request(
    p: &BTreeMap<String, String>,
) -> Result<(ConsoleCredentials, Option<TimeDelta>), &'static str> {
    let session_text = p.get("Session").ok_or("Session is required.")?;
    if session_text.len() > MAX_SESSION_JSON {
        return Err("Session is too large.");
    }
    let credentials = serde_json::from_str(session_text)
        .map_err(|_| "Session must be JSON with sessionId, sessionKey and sessionToken.")?;
    let duration = match p.get("SessionDuration") {
        None => None,
        Some(text) => Some(
            text.parse::<u32>()
                .ok()
                .map(i64::from)
                .filter(|d| SESSION_DURATION_S.contains(d))
                .map(TimeDelta::seconds)
                .ok_or("SessionDuration must be a number of seconds from 900 to 43200.")?,
        ),
    };
    Ok((credentials, duration))
}

async fn get_signin_token(bridge: &Bridge, p: &BTreeMap<String, String>) -> Response {
    let (credentials, duration) = match token_request(p) {
        Ok(request) => request,
        Err(message) => return json_error(StatusCode::BAD_REQUEST, message),
    };
    match bridge.get_signin_token(credentials, duration).await {
        Ok((token, note)) => {
            let mut response =
                axum::Json(serde_json::json!({ "SigninToken": token })).into_response();
            response.extensions_mut().insert(note);
            response
        }
        Err(e @ BrowserError::InvalidSessionCredentials) => {
            json_error(StatusCode::FORBIDDEN, &e.to_string())
        }
        Err(e @ BrowserError::Throttled) => {
            let mut response = json_error(StatusCode::TOO_MANY_REQUESTS, &e.to_string());
            // The buckets hold one second's worth of requests.
            let retry = HeaderValue::from_static("1");
            response.headers_mut().insert(header::RETRY_AFTER, retry);
            response
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

async fn login(
    bridge: &Bridge,
    peer: IpAddr,
    headers: &HeaderMap,
    p: &BTreeMap<String, String>,
) -> Result<Response, PageError> {
    // Anyone can present a sign-in token and each try is a store write: per IP first.
    bridge.admit_ip(peer)?;
    let destination = p
        .get("Destination")
        .and_then(|d| Url::parse(d).ok())
        .ok_or_else(|| PageError::bad_request("Destination must be an absolute URL."))?;
    let token = p.get("SigninToken").map(String::as_str);
    let (login, note) = bridge
        .console_login(&destination, token, session::bearer(bridge, headers))
        .await?;
    let mut response = match login {
        ConsoleLogin::Kept => Redirect::to(destination.as_str()).into_response(),
        ConsoleLogin::Opened(saved) => see_other(
            destination.as_str(),
            session::session_cookie(bridge, &saved),
        ),
    };
    response.extensions_mut().insert(note);
    Ok(response)
}
