//! The console-style federation endpoint (`/federation`), as AWS's sign-in endpoint works:
//! - `Action=getSigninToken&Session={"sessionId","sessionKey","sessionToken"}` (optional
//!   `SessionDuration`, 900..43200) turns valid temporary credentials into a single-use sign-in
//!   token that lives 15 minutes: `{"SigninToken": "…"}`;
//! - `Action=login&Issuer=…&Destination=…&SigninToken=…` spends the token, opens a browser
//!   session holding those credentials, and redirects to `Destination`, but only when it is on
//!   `[server] console_destinations` (default: the bridge's own `/console`), so the endpoint
//!   is never an open redirect.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::error::PageError;
use super::session::{self, ActiveRole, WebSession, random_token};
use crate::authn::authenticate_session_credentials;
use crate::seal::{SessionPrincipal, web_state};
use crate::sts::bridge::Bridge;
use crate::types::Secret;

const NAMESPACE: &str = "signin-token";
const SEAL_KIND: &str = "signin-token";
/// A sign-in token is good for one use within this time.
pub const SIGNIN_TOKEN_TTL: TimeDelta = TimeDelta::minutes(15);
/// The `[limits]` bucket getSigninToken shares with signed API calls, and its label in
/// `stsbridge_throttled_total`.
const PER_ACCESS_KEY_LIMIT: &str = "per_access_key";
/// `Session` JSON larger than this is refused before parsing.
const MAX_SESSION_JSON: usize = 8 * 1024;

#[derive(Debug, Serialize, Deserialize)]
struct PendingSignin {
    active: ActiveRole,
    /// How long the console session may last (`SessionDuration`), capped by the credentials.
    session_until: DateTime<Utc>,
}

fn storage_id(token: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes()).as_ref())
}

/// Stores a single-use sign-in token for `active` and returns it.
pub async fn issue_signin_token(
    state: &Bridge,
    active: &ActiveRole,
    session_duration: Option<u32>,
) -> Result<String, PageError> {
    let now = state.clock.now();
    let wanted = now + TimeDelta::seconds(i64::from(session_duration.unwrap_or(43_200)));
    let pending = PendingSignin {
        active: active.clone(),
        session_until: wanted.min(active.expiration),
    };
    let token = random_token();
    let id = storage_id(&token);
    let sealed =
        web_state::seal(&state.keyring, SEAL_KIND, &id, &pending).map_err(PageError::internal)?;
    let expires = (now + SIGNIN_TOKEN_TTL).min(active.expiration);
    state
        .store
        .put_state(NAMESPACE, &id, &sealed, expires)
        .await?;
    Ok(token)
}

/// A JSON error for the token call (an API for scripts, not a page).
fn json_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "Error": message }))).into_response()
}

/// AWS's `Session` parameter; the field names are AWS's.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_field_names)]
struct SessionJson {
    session_id: String,
    session_key: String,
    session_token: String,
}

pub async fn endpoint(
    State(state): State<Arc<Bridge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    dispatch(&state, peer.ip(), &headers, &params).await
}

pub async fn endpoint_post(
    State(state): State<Arc<Bridge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(params): Form<BTreeMap<String, String>>,
) -> Response {
    dispatch(&state, peer.ip(), &headers, &params).await
}

async fn dispatch(
    state: &Bridge,
    peer: IpAddr,
    headers: &HeaderMap,
    p: &BTreeMap<String, String>,
) -> Response {
    match p.get("Action").map(String::as_str) {
        Some("getSigninToken") => get_signin_token(state, p).await,
        Some("login") => match login(state, peer, headers, p).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        },
        _ => PageError::bad_request("Action must be getSigninToken or login.").into_response(),
    }
}

async fn get_signin_token(state: &Bridge, p: &BTreeMap<String, String>) -> Response {
    let Some(session_text) = p.get("Session") else {
        return json_error(StatusCode::BAD_REQUEST, "Session is required.");
    };
    if session_text.len() > MAX_SESSION_JSON {
        return json_error(StatusCode::BAD_REQUEST, "Session is too large.");
    }
    let Ok(creds) = serde_json::from_str::<SessionJson>(session_text) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "Session must be JSON with sessionId, sessionKey and sessionToken.",
        );
    };
    let duration = match p.get("SessionDuration") {
        None => None,
        Some(text) => match text.parse::<u32>() {
            Ok(d) if (900..=43_200).contains(&d) => Some(d),
            _ => {
                return json_error(
                    StatusCode::BAD_REQUEST,
                    "SessionDuration must be a number of seconds from 900 to 43200.",
                );
            }
        },
    };
    let now = state.clock.now();
    let claims = match authenticate_session_credentials(
        &state.config,
        &state.keyring,
        &state.revocations,
        &creds.session_id,
        &creds.session_key,
        &creds.session_token,
        now,
    ) {
        Ok(c) => c,
        Err(e) => {
            tracing::info!(error = %e, "getSigninToken refused");
            return json_error(
                StatusCode::FORBIDDEN,
                "The session credentials are not valid temporary credentials of this bridge.",
            );
        }
    };
    // The API's per-access-key limit (the same bucket as signed calls with these credentials),
    // once they verified, as the API applies it: checking it before would let anyone who
    // knows a key id (not a secret) drain its owner's bucket. What a failed attempt costs
    // is one AES-GCM open and a constant-time compare, no store work; what the bucket guards
    // is the store write of a sign-in token.
    if !state
        .limiters
        .per_access_key
        .admit(claims.access_key_id.as_str(), now)
    {
        crate::metrics::global().throttled(PER_ACCESS_KEY_LIMIT);
        let mut response = json_error(StatusCode::TOO_MANY_REQUESTS, "Rate exceeded");
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("1"),
        );
        return response;
    }
    let active = ActiveRole {
        role_arn: match &claims.principal {
            SessionPrincipal::AssumedRole { role_arn, .. } => role_arn.to_string(),
            other => other.arn(),
        },
        assumed_role_arn: claims.principal.arn(),
        access_key_id: creds.session_id,
        secret_access_key: Secret::new(creds.session_key),
        session_token: Secret::new(creds.session_token),
        expiration: claims.expires_at,
    };
    let mut note = super::audit::AuditNote::new("GetSigninToken").issued(&active);
    note.principal = Some(active.assumed_role_arn.clone());
    match issue_signin_token(state, &active, duration).await {
        Ok(token) => {
            let mut response =
                axum::Json(serde_json::json!({ "SigninToken": token })).into_response();
            response.extensions_mut().insert(note);
            response
        }
        Err(e) => e.into_response(),
    }
}

/// Whether `destination` is on the allow-list: same origin as an allowed URL and under its
/// path. With no list configured, only the bridge's own `/console` is allowed.
pub fn destination_allowed(state: &Bridge, destination: &Url) -> bool {
    let own = Url::parse(&super::absolute(state, "/console")).ok();
    let allowed: Vec<Url> = if state.config.server.console_destinations.is_empty() {
        own.into_iter().collect()
    } else {
        state.config.server.console_destinations.clone()
    };
    allowed.iter().any(|a| {
        a.origin() == destination.origin()
            && destination.username().is_empty()
            && destination.password().is_none()
            && path_under(destination.path(), a.path())
    })
}

fn path_under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
        || prefix.is_empty()
}

async fn login(
    state: &Bridge,
    peer: IpAddr,
    headers: &HeaderMap,
    p: &BTreeMap<String, String>,
) -> Result<Response, PageError> {
    // Anyone can present a sign-in token and each try is a store write: per IP first.
    super::admit_ip(state, peer)?;
    let destination = p
        .get("Destination")
        .and_then(|d| Url::parse(d).ok())
        .ok_or_else(|| PageError::bad_request("Destination must be an absolute URL."))?;
    if !destination_allowed(state, &destination) {
        return Err(PageError::forbidden(
            "That Destination is not on this bridge's list of console destinations.",
        ));
    }
    let token = p
        .get("SigninToken")
        .filter(|t| !t.is_empty() && t.len() <= 256)
        .ok_or_else(|| PageError::bad_request("SigninToken is required."))?;
    let now = state.clock.now();
    let id = storage_id(token);
    let sealed = state
        .store
        .take_state(NAMESPACE, &id, now)
        .await?
        .ok_or_else(|| {
            PageError::forbidden(
                "This sign-in token is unknown, already used or expired (they last 15 minutes and work once).",
            )
        })?;
    let pending: PendingSignin = web_state::open(&state.keyring, SEAL_KIND, &id, &sealed)
        .map_err(|_| PageError::forbidden("This sign-in token is not valid."))?;
    if pending.active.expiration <= now {
        return Err(PageError::forbidden("These credentials have expired."));
    }
    // "Open in console" from the bridge's own credentials page: this browser already holds
    // these very credentials; keep its session (and its sign-in, for "switch role").
    let note = super::audit::AuditNote::new("FederationLogin").issued(&pending.active);
    let existing = session::load(state, headers).await?;
    if let Some((_, web)) = &existing
        && web
            .active
            .as_ref()
            .is_some_and(|a| a.access_key_id == pending.active.access_key_id)
    {
        let mut response = axum::response::Redirect::to(destination.as_str()).into_response();
        response.extensions_mut().insert(note);
        return Ok(response);
    }
    if let Some((old, _)) = existing {
        session::destroy(state, &old).await?;
    }
    let mut web = WebSession::with_credentials(pending.active, now);
    web.signed_in_until = web.signed_in_until.min(pending.session_until);
    let cookie = session::create(state, &web).await?;
    let mut response = super::roles::see_other(destination.as_str(), cookie);
    response.extensions_mut().insert(note);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::path_under;

    #[test]
    fn paths_are_matched_by_segment() {
        assert!(path_under("/console", "/console"));
        assert!(path_under("/console/x", "/console"));
        assert!(!path_under("/consolex", "/console"));
        assert!(path_under("/anything", "/"));
    }
}
