//! Browser sign-in with OpenID Connect, as pages: `GET /oidc/login/{provider}` sends the
//! browser to the IdP with a sealed, short-lived, HttpOnly, SameSite=Lax login cookie, and
//! `GET /oidc/callback` hands the IdP's answer and that cookie to the bridge
//! (`sts::browser::oidc`), which checks and verifies everything.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::error::PageError;
use super::roles::signed_in;
use super::session;
use crate::sts::bridge::Bridge;
use crate::sts::browser::oidc::OidcAnswer;

pub(crate) const LOGIN_COOKIE: &str = "stsbridge_login";
/// Its name over https (see [`session::SECURE_SESSION_COOKIE`] for why `__Host-`).
pub(crate) const SECURE_LOGIN_COOKIE: &str = "__Host-stsbridge_login";

/// The login cookie's name for this deployment.
fn login_cookie_name(bridge: &Bridge) -> &'static str {
    session::cookie_name(bridge, LOGIN_COOKIE, SECURE_LOGIN_COOKIE)
}

/// `GET /oidc/login/{provider}`: to the IdP, with state, nonce and an S256 PKCE challenge.
pub(crate) async fn start(
    State(bridge): State<Arc<Bridge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(index): Path<String>,
) -> Result<Response, PageError> {
    bridge.admit_ip(peer.ip())?;
    let login = bridge.start_oidc_sign_in(&index)?;
    let cookie = session::set_cookie(
        &bridge,
        login_cookie_name(&bridge),
        &login.cookie,
        login.max_age.num_seconds(),
    );
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&login.url)).into_response())
}

/// `GET /oidc/callback`: the IdP's answer, for the sign-in this browser's login cookie names.
/// Once the answer matches the cookie, the cookie is cleared whatever happens next: the
/// attempt is over either way.
pub(crate) async fn callback(
    State(bridge): State<Arc<Bridge>>,
    headers: HeaderMap,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(answer): Query<OidcAnswer>,
) -> Result<Response, PageError> {
    // A login cookie and its `state` can be replayed for 10 minutes, and each callback asks
    // the IdP's token endpoint (with our client secret): limited per IP before anything.
    bridge.admit_ip(peer.ip())?;
    let cookie_name = login_cookie_name(&bridge);
    let pending = bridge.pending_oidc_sign_in(session::cookie(&headers, cookie_name), &answer)?;
    let browser = session::sign_in_context(&bridge, &headers, peer);
    let mut response = match bridge.finish_oidc_sign_in(pending, answer, browser).await {
        Ok(done) => signed_in(&bridge, done),
        Err(e) => PageError::from(e).into_response(),
    };
    let clear = session::clear_cookie(&bridge, cookie_name);
    response.headers_mut().append(header::SET_COOKIE, clear);
    Ok(response)
}
