//! How the demo IdP's endpoints answer: a rendered page, or a one-line plain-text refusal.
//! And the [`Loopback`] guard every sign-in endpoint takes: the demo's keys are public, so
//! only a peer on this machine may sign in, whatever the listen address.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};

pub(super) fn refuse(status: StatusCode, message: &str) -> Response {
    (status, format!("demo IdP: {message}\n")).into_response()
}

/// Extracted from a request whose peer is on loopback; any other peer is refused (403) before
/// the handler runs.
#[derive(Debug)]
pub(super) struct Loopback;

impl<S: Send + Sync> FromRequestParts<S> for Loopback {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ConnectInfo(peer) = ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if peer.ip().is_loopback() {
            Ok(Self)
        } else {
            Err(refuse(
                StatusCode::FORBIDDEN,
                "the demo IdP signs in loopback clients only",
            ))
        }
    }
}

pub(super) fn busy() -> Response {
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        "too many sign-ins in progress; try again in a few minutes",
    )
}

pub(super) fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "page did not render"),
    }
}
