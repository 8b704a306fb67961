//! Browser sign-in with OpenID Connect: authorization code + PKCE (S256), with the openidconnect
//! crate for the protocol steps. `state`, `nonce` and the PKCE verifier travel in a short-lived,
//! sealed (encrypted and authenticated), HttpOnly, SameSite=Lax cookie, so no server state is
//! needed before the IdP answers. The ID token the IdP returns is verified by the very
//! validator AssumeRoleWithWebIdentity uses, with its per-subject limit
//! ([`crate::sts::web_identity::verify_web_identity_token`]).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, TimeDelta, Utc};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient};
use openidconnect::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, JsonWebKeySet, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse as _, TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use subtle::ConstantTimeEq;

use super::error::PageError;
use super::roles::after_sign_in;
use super::{absolute, session};
use crate::authn::oidc::LoginEndpoints;
use crate::config::OidcProvider;
use crate::seal::web_state;
use crate::sts::bridge::Bridge;
use crate::sts::error::ServiceError;
use crate::sts::offers::SignedIn;
use crate::sts::web_identity::verify_web_identity_token;

pub const LOGIN_COOKIE: &str = "stsbridge_login";
/// Its name over https (see [`session::SECURE_SESSION_COOKIE`] for why `__Host-`).
pub const SECURE_LOGIN_COOKIE: &str = "__Host-stsbridge_login";
const SEAL_KIND: &str = "oidc-login";
/// Time allowed at the IdP between leaving and coming back.
pub const LOGIN_TTL: TimeDelta = TimeDelta::minutes(10);

/// What the login cookie carries (sealed).
#[derive(Debug, Serialize, Deserialize)]
struct PendingLogin {
    issuer: String,
    state: String,
    nonce: String,
    pkce_verifier: String,
    expires_at: DateTime<Utc>,
}

/// The login cookie's name for this deployment.
fn login_cookie_name(state: &Bridge) -> &'static str {
    session::cookie_name(state, LOGIN_COOKIE, SECURE_LOGIN_COOKIE)
}

fn provider<'a>(state: &'a Bridge, index: &str) -> Result<(usize, &'a OidcProvider), PageError> {
    index
        .parse::<usize>()
        .ok()
        .and_then(|i| state.config.oidc_providers.get(i).map(|p| (i, p)))
        .filter(|(_, p)| p.login_client_id.is_some())
        .ok_or_else(|| PageError::not_found("There is no such sign-in provider."))
}

fn endpoints(state: &Bridge, p: &OidcProvider) -> Result<LoginEndpoints, PageError> {
    state.oidc.login_endpoints(&p.issuer).ok_or_else(|| {
        PageError::unavailable(format!(
            "login endpoints of {} are not known yet (discovery pending or failed)",
            p.issuer
        ))
    })
}

fn redirect_uri(state: &Bridge) -> Result<RedirectUrl, PageError> {
    RedirectUrl::new(absolute(state, "/oidc/callback")).map_err(PageError::internal)
}

/// `GET /oidc/login/{provider}`: to the IdP, with state, nonce and an S256 PKCE challenge.
pub async fn start(
    State(state): State<Arc<Bridge>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    Path(index): Path<String>,
) -> Result<Response, PageError> {
    super::admit_ip(&state, peer.ip())?;
    let (_, p) = provider(&state, &index)?;
    let ends = endpoints(&state, p)?;
    let client_id = p.login_client_id.clone().unwrap_or_default();
    let issuer = IssuerUrl::new(p.issuer.clone()).map_err(PageError::internal)?;
    let client = CoreClient::new(ClientId::new(client_id), issuer, JsonWebKeySet::default())
        .set_auth_uri(AuthUrl::from_url(ends.authorization))
        .set_redirect_uri(redirect_uri(&state)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in p.scopes.iter().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, csrf, nonce) = request.set_pkce_challenge(challenge).url();
    let now = state.clock.now();
    let pending = PendingLogin {
        issuer: p.issuer.clone(),
        state: csrf.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        expires_at: now + LOGIN_TTL,
    };
    let sealed =
        web_state::seal(&state.keyring, SEAL_KIND, "", &pending).map_err(PageError::internal)?;
    let cookie = session::set_cookie(
        &state,
        login_cookie_name(&state),
        &sealed,
        LOGIN_TTL.num_seconds(),
    );
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(url.as_str())).into_response())
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    /// RFC 9207 authorization-response issuer, when the IdP sends it.
    iss: Option<String>,
}

/// Bounds what an IdP error may put on our page.
fn short(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(300).collect()
}

/// `GET /oidc/callback`: checks state against the cookie, exchanges the code with the PKCE
/// verifier (and the client secret for confidential clients), verifies the ID token and its
/// nonce, then opens the browser session.
///
/// Nothing the query says is believed or shown before the cookie's `state` matches: a forged
/// link to the callback neither puts its text on our page nor ends a sign-in in progress.
pub async fn callback(
    State(state): State<Arc<Bridge>>,
    headers: HeaderMap,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, PageError> {
    // A login cookie and its `state` can be replayed for 10 minutes, and each callback asks
    // the IdP's token endpoint (with our client secret): limited per IP before anything.
    super::admit_ip(&state, peer.ip())?;
    let pending = matching_login(&state, &headers, &q)?;
    let clear = session::clear_cookie(&state, login_cookie_name(&state));
    let mut response = match finish(&state, &headers, q, pending, peer.ip()).await {
        Ok(response) => response,
        // The login attempt is over either way: drop its cookie with the error page.
        Err(e) => e.into_response(),
    };
    response.headers_mut().append(header::SET_COOKIE, clear);
    Ok(response)
}

/// The login cookie, if present, sealed by us, unexpired, and for the `state` in the query.
fn matching_login(
    state: &Bridge,
    headers: &HeaderMap,
    q: &CallbackQuery,
) -> Result<PendingLogin, PageError> {
    let pending: PendingLogin = session::cookie(headers, login_cookie_name(state))
        .and_then(|c| web_state::open(&state.keyring, SEAL_KIND, "", c).ok())
        .ok_or_else(|| {
            PageError::bad_request(
                "This sign-in has no login cookie (it expired, or it was started in another browser). Start again from the sign-in page.",
            )
        })?;
    if pending.expires_at <= state.clock.now() {
        return Err(PageError::bad_request(
            "This sign-in took longer than 10 minutes and expired. Start again from the sign-in page.",
        ));
    }
    let returned_state = q.state.as_deref().unwrap_or_default();
    if !bool::from(returned_state.as_bytes().ct_eq(pending.state.as_bytes())) {
        return Err(PageError::bad_request(
            "The sign-in answer does not belong to this browser's sign-in (state mismatch). Start again from the sign-in page.",
        ));
    }
    Ok(pending)
}

async fn finish(
    state: &Bridge,
    headers: &HeaderMap,
    q: CallbackQuery,
    pending: PendingLogin,
    ip: std::net::IpAddr,
) -> Result<Response, PageError> {
    // RFC 9207: an IdP that names itself must be the one this sign-in went to (mix-up).
    if q.iss.as_deref().is_some_and(|iss| iss != pending.issuer) {
        return Err(PageError::bad_request(
            "The answer comes from another identity provider than this sign-in went to.",
        ));
    }
    if let Some(error) = &q.error {
        let description = q
            .error_description
            .as_deref()
            .map(short)
            .unwrap_or_default();
        return Err(PageError::idp_refused(format!(
            "The identity provider answered \"{}\"{}{description}",
            short(error),
            if description.is_empty() { "" } else { ": " }
        )));
    }
    let now = state.clock.now();
    let code = q
        .code
        .filter(|c| !c.is_empty() && c.len() <= 4096)
        .ok_or_else(|| {
            PageError::bad_request("The identity provider sent no authorization code.")
        })?;
    let p = state
        .config
        .oidc_providers
        .iter()
        .find(|p| p.issuer == pending.issuer && p.login_client_id.is_some())
        .ok_or_else(|| PageError::bad_request("This sign-in provider is no longer configured."))?;
    let id_token = exchange(state, p, code, pending.pkce_verifier).await?;
    // The API's validator and per-subject limit (counted there as `per_subject`).
    let verified = verify_web_identity_token(
        &state.oidc,
        &id_token,
        Some(&state.limiters.per_subject),
        now,
    )
    .await
    .map_err(|e| match e {
        ServiceError::Throttled => PageError::throttled(),
        other => PageError::idp(format!("The ID token was refused: {other}")),
    })?;
    // OIDC Core 3.1.3.7: `aud` must contain our client id (the API's validator accepts any
    // configured client, and prefers `azp`).
    let login_client = p.login_client_id.as_deref().unwrap_or_default();
    let aud_has_us = match verified.claims.get("aud") {
        Some(serde_json::Value::String(a)) => a == login_client,
        Some(serde_json::Value::Array(list)) => list.iter().any(|a| a == login_client),
        _ => false,
    };
    if verified.issuer != p.issuer || verified.audience != login_client || !aud_has_us {
        return Err(PageError::idp(
            "The ID token was issued for another provider or client.",
        ));
    }
    let nonce_ok = verified
        .claims
        .get("nonce")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|n| bool::from(n.as_bytes().ct_eq(pending.nonce.as_bytes())));
    if !nonce_ok {
        return Err(PageError::bad_request(
            "The ID token does not carry this sign-in's nonce (a replayed or injected token).",
        ));
    }
    after_sign_in(state, headers, SignedIn::Oidc(verified), None, ip).await
}

/// The code exchange at the token endpoint; returns the raw ID token (verified by the caller).
async fn exchange(
    state: &Bridge,
    p: &OidcProvider,
    code: String,
    verifier: String,
) -> Result<String, PageError> {
    let ends = endpoints(state, p)?;
    let issuer = IssuerUrl::new(p.issuer.clone()).map_err(PageError::internal)?;
    let mut client = CoreClient::new(
        ClientId::new(p.login_client_id.clone().unwrap_or_default()),
        issuer,
        JsonWebKeySet::default(),
    )
    .set_token_uri(TokenUrl::from_url(ends.token))
    .set_redirect_uri(redirect_uri(state)?);
    if let Some(secret) = &p.login_client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
    }
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&state.http)
        .await
        .map_err(|e| match e {
            // The IdP looked at the code and said no (wrong verifier, used code): bad input,
            // not an outage.
            openidconnect::RequestTokenError::ServerResponse(refusal) => {
                PageError::idp_refused(format!(
                    "The code exchange failed: the identity provider answered {}",
                    short(&refusal.to_string())
                ))
            }
            other => PageError::idp(format!(
                "The code exchange failed: {}",
                short(&other.to_string())
            )),
        })?;
    response
        .id_token()
        .map(ToString::to_string)
        .ok_or_else(|| PageError::idp("The token endpoint returned no ID token."))
}
