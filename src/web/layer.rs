//! The layer around every page: security headers, the audit record of each request to a
//! deciding endpoint (through `sts`), and [`PageError`]s rendered as the error page with the
//! request id.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use super::audit::deciding_endpoint;
use super::error::{self, PageError};
use super::page::{apply_security_headers, base_path};
use crate::sts::bridge::Bridge;
use crate::sts::browser::audit::{AuditNote, BrowserDecision};
use crate::telemetry::{RequestId, user_agent};

/// Security headers on every page, the audit record of every deciding endpoint, and
/// [`PageError`]s rendered with the request id.
pub(crate) async fn page_layer(
    State(bridge): State<Arc<Bridge>>,
    req: Request,
    next: Next,
) -> Response {
    let request_id = RequestId::of(&req);
    let facts = decision_facts(&bridge, &req);
    let mut response = next.run(req).await;
    if let Some((name, source_ip, user_agent)) = facts {
        let decision = BrowserDecision {
            name,
            note: response.extensions_mut().remove::<AuditNote>(),
            request_id: request_id.as_str(),
            source_ip,
            user_agent,
            refusal: refusal(&response),
        };
        bridge.record_browser_decision(decision);
    }
    if let Some(err) = response.extensions_mut().remove::<PageError>() {
        response = error_page(&bridge, &err, &request_id, &response);
    }
    apply_security_headers(&bridge, &mut response);
    response
}

/// For a request to a deciding endpoint: its decision's name, the caller's address and user
/// agent (read now: the request is gone once the handler has run).
fn decision_facts(
    bridge: &Bridge,
    req: &Request,
) -> Option<(&'static str, Option<IpAddr>, Option<String>)> {
    let base = base_path(bridge);
    let path = req.uri().path();
    let name = deciding_endpoint(
        req.method(),
        path.strip_prefix(base.as_str()).unwrap_or(path),
    )?;
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip());
    Some((name, ip, user_agent(req.headers())))
}

/// How a page ended, for the audit trail: its status and, for an error page, its message;
/// `None` when it succeeded (a redirect is a success).
fn refusal(response: &Response) -> Option<(u16, Option<String>)> {
    let status = response.status();
    match response.extensions().get::<PageError>() {
        Some(err) => Some((err.status.as_u16(), Some(err.message.clone()))),
        None if !status.is_success() && !status.is_redirection() => Some((status.as_u16(), None)),
        None => None,
    }
}

/// The error page for `err`, keeping the cookies the handler set (a sign-in that failed
/// still clears its login cookie).
fn error_page(
    bridge: &Bridge,
    err: &PageError,
    request_id: &RequestId,
    response: &Response,
) -> Response {
    let mut page = error::render(
        err,
        request_id,
        &base_path(bridge),
        &bridge.config().server.account_id.to_string(),
    );
    for c in response.headers().get_all(header::SET_COOKIE) {
        page.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    page
}
