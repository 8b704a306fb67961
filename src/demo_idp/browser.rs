//! The demo IdP's browser side (DEMO ONLY, loopback only): an OAuth 2.0 authorization
//! endpoint with a "pick a demo user" page, a token endpoint that enforces PKCE S256, and an
//! IdP-initiated SAML sign-in page. State lives in memory; codes are single-use and expire.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::{DEMO_CLIENT_ID, DemoIdp};

/// The people of the demo: (user, groups, what they can do).
const USERS: [(&str, &str, &str); 2] = [
    (
        "admin",
        "admins",
        "group admins: may choose demo-admin or demo-developer",
    ),
    (
        "developer",
        "developers",
        "group developers: demo-developer only (skips the chooser)",
    ),
];
const TTL: TimeDelta = TimeDelta::minutes(10);
/// Bounds the in-memory maps however many sign-ins are started and abandoned.
const MAX_PENDING: usize = 1000;

#[derive(Debug, Clone)]
struct AuthzRequest {
    redirect_uri: String,
    state: String,
    nonce: Option<String>,
    code_challenge: String,
    /// For SAML sign-ins started by the bridge: the AuthnRequest ID to answer.
    in_response_to: Option<String>,
    expires: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct IssuedCode {
    request: AuthzRequest,
    user: String,
    groups: Vec<String>,
}

#[derive(Debug, Default)]
pub(super) struct Pending {
    requests: Mutex<HashMap<String, AuthzRequest>>,
    codes: Mutex<HashMap<String, IssuedCode>>,
}

fn random() -> String {
    let mut b = [0u8; 24];
    crate::types::secret::fill_random(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// Stores `value` unless the map is full of live entries; `false` then (the caller says so).
fn insert<V>(
    map: &Mutex<HashMap<String, V>>,
    key: String,
    value: V,
    live: impl Fn(&V) -> bool,
) -> bool {
    let mut m = map.lock().unwrap_or_else(PoisonError::into_inner);
    m.retain(|_, v| live(v));
    if m.len() >= MAX_PENDING {
        return false;
    }
    m.insert(key, value);
    true
}

fn busy() -> Response {
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        "too many sign-ins in progress; try again in a few minutes",
    )
}

fn take<V>(map: &Mutex<HashMap<String, V>>, key: &str) -> Option<V> {
    map.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(key)
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, format!("demo IdP: {message}\n")).into_response()
}

/// The refusal for a peer that is not on loopback, if it is not.
fn loopback_only(peer: SocketAddr) -> Option<Response> {
    (!peer.ip().is_loopback()).then(|| {
        refuse(
            StatusCode::FORBIDDEN,
            "the demo IdP signs in loopback clients only",
        )
    })
}

#[derive(Template)]
#[template(path = "demo_login.html")]
struct DemoLogin {
    base: String,
    account: String,
    action: String,
    request: String,
    users: Vec<(String, String)>,
}

fn users() -> Vec<(String, String)> {
    USERS
        .iter()
        .map(|(u, _, what)| ((*u).to_owned(), (*what).to_owned()))
        .collect()
}

fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "page did not render"),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// `GET /demo-idp/authorize`: checks the request like a strict IdP (our client, our redirect
/// URI, PKCE S256 required) and shows the user picker.
pub(super) async fn authorize(
    State(idp): State<Arc<DemoIdp>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
    if let Some(r) = loopback_only(peer) {
        return r;
    }
    let expected_redirect = format!("{}/oidc/callback", idp.bridge_url);
    if q.response_type.as_deref() != Some("code")
        || q.client_id.as_deref() != Some(DEMO_CLIENT_ID)
        || q.redirect_uri.as_deref() != Some(expected_redirect.as_str())
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            "unknown client, response type or redirect_uri",
        );
    }
    let (Some(challenge), Some("S256")) = (q.code_challenge, q.code_challenge_method.as_deref())
    else {
        return refuse(StatusCode::BAD_REQUEST, "PKCE with S256 is required");
    };
    let id = random();
    let now = idp.clock.now();
    let request = AuthzRequest {
        redirect_uri: expected_redirect,
        state: q.state.unwrap_or_default(),
        nonce: q.nonce,
        code_challenge: challenge,
        in_response_to: None,
        expires: now + TTL,
    };
    if !insert(&idp.pending.requests, id.clone(), request, |r| {
        r.expires > now
    }) {
        return busy();
    }
    render(&DemoLogin {
        base: idp.bridge_path(),
        account: idp.account.clone(),
        action: format!("{}/authorize", idp.issuer_path()),
        request: id,
        users: users(),
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct ApproveForm {
    request: String,
    user: String,
}

fn groups_of(user: &str) -> Option<Vec<String>> {
    USERS
        .iter()
        .find(|(u, _, _)| *u == user)
        .map(|(_, g, _)| vec![(*g).to_owned()])
}

/// The pending sign-in a user-picker form answers (spent now), and the picked user's groups.
fn picked(
    idp: &DemoIdp,
    peer: SocketAddr,
    form: &ApproveForm,
    now: DateTime<Utc>,
) -> Result<(AuthzRequest, Vec<String>), Box<Response>> {
    if let Some(r) = loopback_only(peer) {
        return Err(Box::new(r));
    }
    let request = take(&idp.pending.requests, &form.request)
        .filter(|r| r.expires > now)
        .ok_or_else(|| {
            Box::new(refuse(
                StatusCode::BAD_REQUEST,
                "unknown or expired sign-in",
            ))
        })?;
    let groups = groups_of(&form.user)
        .ok_or_else(|| Box::new(refuse(StatusCode::BAD_REQUEST, "no such demo user")))?;
    Ok((request, groups))
}

/// `POST /demo-idp/authorize`: the picked user; back to the bridge with a code. The hidden
/// `request` id is unguessable and single-use, so it doubles as this form's CSRF token.
pub(super) async fn approve(
    State(idp): State<Arc<DemoIdp>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<ApproveForm>,
) -> Response {
    let now = idp.clock.now();
    let (request, groups) = match picked(&idp, peer, &form, now) {
        Ok(found) => found,
        Err(refusal) => return *refusal,
    };
    let code = random();
    let Ok(mut target) = url::Url::parse(&request.redirect_uri) else {
        return refuse(StatusCode::BAD_REQUEST, "bad redirect_uri");
    };
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &request.state);
    let stored = insert(
        &idp.pending.codes,
        code,
        IssuedCode {
            request,
            user: form.user,
            groups,
        },
        |c| c.request.expires > now,
    );
    if !stored {
        return busy();
    }
    Redirect::to(target.as_str()).into_response()
}

#[derive(Debug, Deserialize)]
pub(super) struct TokenRequest {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    code_verifier: Option<String>,
}

fn oauth_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// `POST /demo-idp/oauth/token`: code for ID token, with RFC 7636 S256 verification.
pub(super) async fn token_endpoint(
    State(idp): State<Arc<DemoIdp>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<TokenRequest>,
) -> Response {
    if let Some(r) = loopback_only(peer) {
        return r;
    }
    if form.grant_type.as_deref() != Some("authorization_code") {
        return oauth_error("unsupported_grant_type", "authorization_code only");
    }
    let now = idp.clock.now();
    let Some(issued) = form
        .code
        .as_deref()
        .and_then(|c| take(&idp.pending.codes, c))
        .filter(|c| c.request.expires > now)
    else {
        return oauth_error("invalid_grant", "unknown, used or expired code");
    };
    if form.client_id.as_deref() != Some(DEMO_CLIENT_ID)
        || form.redirect_uri.as_deref() != Some(issued.request.redirect_uri.as_str())
    {
        return oauth_error("invalid_grant", "client or redirect_uri mismatch");
    }
    let Some(verifier) = form.code_verifier else {
        return oauth_error("invalid_grant", "code_verifier is required (PKCE)");
    };
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    let computed = URL_SAFE_NO_PAD.encode(digest.as_ref());
    if !bool::from(
        computed
            .as_bytes()
            .ct_eq(issued.request.code_challenge.as_bytes()),
    ) {
        return oauth_error(
            "invalid_grant",
            "code_verifier does not match the challenge",
        );
    }
    match idp.mint_with_nonce(
        &issued.user,
        &issued.groups,
        issued.request.nonce.as_deref(),
        now,
    ) {
        Ok(id_token) => axum::Json(json!({
            "access_token": random(),
            "token_type": "Bearer",
            "expires_in": 3600,
            "id_token": id_token,
        }))
        .into_response(),
        Err(_) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "signing failed"),
    }
}

#[derive(Template)]
#[template(path = "saml_post.html")]
struct SamlPost {
    base: String,
    account: String,
    user: String,
    acs: String,
    response: String,
    relay_state: Option<String>,
}

/// `GET /demo-idp/saml/login`: the user picker for an IdP-initiated SAML sign-in.
pub(super) async fn saml_login(
    State(idp): State<Arc<DemoIdp>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    if let Some(r) = loopback_only(peer) {
        return r;
    }
    saml_picker(&idp, None)
}

#[derive(Debug, Deserialize)]
pub(super) struct SsoQuery {
    #[serde(rename = "SAMLRequest")]
    saml_request: Option<String>,
}

/// `GET /demo-idp/saml/sso`: an AuthnRequest over HTTP-Redirect (SP-initiated). The request
/// must name the bridge's ACS; its ID is answered in the response's InResponseTo.
pub(super) async fn saml_sso(
    State(idp): State<Arc<DemoIdp>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<SsoQuery>,
) -> Response {
    if let Some(r) = loopback_only(peer) {
        return r;
    }
    let Some((id, acs)) = q.saml_request.as_deref().and_then(read_authn_request) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "SAMLRequest is not a readable AuthnRequest",
        );
    };
    if acs.is_some_and(|a| a != format!("{}/saml/acs", idp.bridge_url)) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "AssertionConsumerServiceURL is not the bridge's",
        );
    }
    saml_picker(&idp, Some(id))
}

/// Inflates and reads an HTTP-Redirect AuthnRequest: its ID and ACS URL. Bounded: 16 KB of
/// base64, 64 KB inflated.
pub(crate) fn read_authn_request(b64: &str) -> Option<(String, Option<String>)> {
    use std::io::Read as _;
    if b64.len() > 16 * 1024 {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(raw.as_slice())
        .take(64 * 1024)
        .read_to_string(&mut xml)
        .ok()?;
    let mut reader = quick_xml::Reader::from_str(&xml);
    loop {
        match reader.read_event().ok()? {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if e.local_name().as_ref() == b"AuthnRequest" =>
            {
                let get = |name: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == name)
                        .and_then(|a| String::from_utf8(a.value.to_vec()).ok())
                };
                return Some((get(b"ID")?, get(b"AssertionConsumerServiceURL")));
            }
            quick_xml::events::Event::DocType(_) | quick_xml::events::Event::Eof => return None,
            _ => {}
        }
    }
}

fn saml_picker(idp: &DemoIdp, in_response_to: Option<String>) -> Response {
    let id = random();
    let now = idp.clock.now();
    let marker = AuthzRequest {
        redirect_uri: String::new(),
        state: String::new(),
        nonce: None,
        code_challenge: String::new(),
        in_response_to,
        expires: now + TTL,
    };
    if !insert(&idp.pending.requests, id.clone(), marker, |r| {
        r.expires > now
    }) {
        return busy();
    }
    render(&DemoLogin {
        base: idp.bridge_path(),
        account: idp.account.clone(),
        action: format!("{}/saml/login", idp.issuer_path()),
        request: id,
        users: users(),
    })
}

/// `POST /demo-idp/saml/login`: a signed SAMLResponse for the picked user, in a form the
/// person submits to the bridge's ACS (no script needed).
pub(super) async fn saml_approve(
    State(idp): State<Arc<DemoIdp>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<ApproveForm>,
) -> Response {
    let now = idp.clock.now();
    let (request, groups) = match picked(&idp, peer, &form, now) {
        Ok(found) => found,
        Err(refusal) => return *refusal,
    };
    match idp.saml_response_to(&form.user, &groups, request.in_response_to.as_deref(), now) {
        Ok(response) => render(&SamlPost {
            base: idp.bridge_path(),
            account: idp.account.clone(),
            user: form.user,
            acs: format!("{}/saml/acs", idp.bridge_path()),
            response,
            relay_state: None,
        }),
        Err(_) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "signing failed"),
    }
}
