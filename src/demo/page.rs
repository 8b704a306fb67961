//! How the demo IdP's browser endpoints answer: a rendered page, or a one-line plain-text
//! refusal. Every one of them serves loopback peers only (the demo's keys are public).

use std::net::SocketAddr;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub(super) fn refuse(status: StatusCode, message: &str) -> Response {
    (status, format!("demo IdP: {message}\n")).into_response()
}

/// The refusal for a peer that is not on loopback, if it is not.
pub(super) fn loopback_only(peer: SocketAddr) -> Option<Response> {
    (!peer.ip().is_loopback()).then(|| {
        refuse(
            StatusCode::FORBIDDEN,
            "the demo IdP signs in loopback clients only",
        )
    })
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
