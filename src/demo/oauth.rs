//! The demo IdP's OAuth 2.0 authorization-code flow for the bridge's browser login (DEMO ONLY,
//! loopback only): an authorization endpoint that checks the request like a strict IdP and
//! shows the user picker, and a token endpoint that enforces PKCE S256 before it mints.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::idp::{DEMO_CLIENT_ID, DemoIdp};
use super::page::{Loopback, busy, refuse};
use super::pending::{AuthzRequest, IssuedCode, SignIn, unguessable};
use super::picker::{self, PickedForm};

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
    _: Loopback,
    State(idp): State<Arc<DemoIdp>>,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
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
    let request = AuthzRequest {
        redirect_uri: expected_redirect,
        state: q.state.unwrap_or_default(),
        nonce: q.nonce,
        code_challenge: challenge,
    };
    picker::show(&idp, SignIn::Oidc(request), "/authorize")
}

/// `POST /demo-idp/authorize`: the picked user; back to the bridge with a code.
pub(super) async fn approve(
    _: Loopback,
    State(idp): State<Arc<DemoIdp>>,
    Form(form): Form<PickedForm>,
) -> Response {
    let now = idp.clock.now();
    let (request, expires, groups) = match picker::picked(&idp, &form, now) {
        Ok((SignIn::Oidc(request), expires, groups)) => (request, expires, groups),
        Ok((SignIn::Saml { .. }, ..)) => {
            return refuse(StatusCode::BAD_REQUEST, "unknown or expired sign-in");
        }
        Err(refusal) => return *refusal,
    };
    let Ok(mut target) = url::Url::parse(&request.redirect_uri) else {
        return refuse(StatusCode::BAD_REQUEST, "bad redirect_uri");
    };
    let state = request.state.clone();
    let grant = IssuedCode {
        request,
        user: form.user,
        groups,
    };
    let Some(code) = idp.pending.issue_code(grant, expires, now) else {
        return busy();
    };
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &state);
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
    _: Loopback,
    State(idp): State<Arc<DemoIdp>>,
    Form(form): Form<TokenRequest>,
) -> Response {
    if form.grant_type.as_deref() != Some("authorization_code") {
        return oauth_error("unsupported_grant_type", "authorization_code only");
    }
    let now = idp.clock.now();
    let Some(issued) = form
        .code
        .as_deref()
        .and_then(|c| idp.pending.redeem(c, now))
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
    match idp.mint(
        &issued.user,
        &issued.groups,
        issued.request.nonce.as_deref(),
        now,
    ) {
        Ok(id_token) => axum::Json(json!({
            "access_token": unguessable(),
            "token_type": "Bearer",
            "expires_in": 3600,
            "id_token": id_token,
        }))
        .into_response(),
        Err(_) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "signing failed"),
    }
}
