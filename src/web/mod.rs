//! The browser side of the bridge: sign-in flows, role chooser, console and federation pages.
//! Handlers parse the request, call one method of the bridge (`sts::browser`) and render its
//! outcome, as the query API does: the browser side never validates a token or an assertion,
//! evaluates a trust policy, mints, seals or stores anything itself.
//!
//! Every page gets the same security headers (strict CSP without inline script, no framing,
//! no referrer, no caching) and errors render as one readable page with the request id.

mod audit;
mod console;
mod console_signin;
mod error;
pub(crate) mod login;
mod oidc_flow;
mod roles;
pub mod saml_flow;
mod session;

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;

use crate::sts::bridge::Bridge;
use crate::sts::browser::audit::{AuditNote, BrowserDecision};
use crate::sts::browser::urls;
use crate::telemetry::RequestId;
use error::PageError;

/// The browser routes, relative to the bridge's base path. `GET /` is the STS endpoint's
/// (it shows the login page when no Action is given) and is routed in `app`.
pub(crate) fn routes(bridge: &Arc<Bridge>) -> Router<Arc<Bridge>> {
    Router::new()
        .route("/oidc/login/{provider}", get(oidc_flow::start))
        .route("/oidc/callback", get(oidc_flow::callback))
        .route("/saml/metadata", get(saml_flow::sp_metadata))
        .route("/saml/login/{provider}", get(saml_flow::start))
        .route("/saml/acs", post(saml_flow::acs))
        .route("/roles", get(roles::show).post(roles::choose))
        .route("/console", get(console::show))
        .route("/console/open", post(console::open_in_console))
        .route("/logout", post(console::sign_out))
        .route(
            "/federation",
            get(console_signin::endpoint).post(console_signin::endpoint),
        )
        .route("/static/style.css", get(style_css))
        .route("/static/app.js", get(app_js))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(bridge),
            page_layer,
        ))
}

/// The base path pages link with: public_url's path without a trailing slash ("" at the root).
pub(crate) fn base_path(bridge: &Bridge) -> String {
    bridge
        .config()
        .server
        .public_url
        .path()
        .trim_end_matches('/')
        .to_owned()
}

/// An absolute URL of a bridge path, for redirects that leave through `/federation`.
pub(crate) fn absolute(bridge: &Bridge, path: &str) -> String {
    urls::absolute(bridge.config(), path)
}

/// Renders a template to an HTML response.
pub(crate) fn page<T: Template>(template: &T) -> Result<Response, PageError> {
    template
        .render()
        .map(|html| Html(html).into_response())
        .map_err(|e| PageError::internal(format!("template: {e}")))
}

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
) -> Option<(&'static str, Option<std::net::IpAddr>, Option<String>)> {
    let base = base_path(bridge);
    let path = req.uri().path();
    let name = audit::deciding_endpoint(
        req.method(),
        path.strip_prefix(base.as_str()).unwrap_or(path),
    )?;
    let ip = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|ci| ci.0.ip());
    Some((
        name,
        ip,
        crate::protocol::extract::user_agent(req.headers()),
    ))
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

/// The CSP allows our own script and style only; forms may post to us and, for the console
/// redirect after "open in console", to the configured console destinations.
pub(crate) fn apply_security_headers(bridge: &Bridge, response: &mut Response) {
    let mut form_action = String::from("'self'");
    for d in &bridge.config().server.console_destinations {
        form_action.push(' ');
        form_action.push_str(&d.origin().ascii_serialization());
    }
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    );
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages show identities and credentials: never kept by browsers or proxies.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

async fn style_css() -> Response {
    static_file(
        "text/css; charset=utf-8",
        include_str!("../../static/style.css"),
    )
}

async fn app_js() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/app.js"),
    )
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}
