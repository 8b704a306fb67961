//! The browser side of the bridge (issue 6): sign-in flows, role chooser, console and
//! federation pages. Handlers stay thin and call `sts` like the query API does: the browser
//! never validates an assertion, evaluates a trust policy or mints any other way.
//!
//! Every page gets the same security headers (strict CSP without inline script, no framing,
//! no referrer, no caching) and errors render as one readable page with the request id.

pub mod audit;
pub mod console;
pub mod console_signin;
pub mod error;
pub mod login;
pub mod oidc_flow;
pub mod roles;
pub mod saml_flow;
pub mod session;

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;

use crate::sts::bridge::Bridge;
use crate::telemetry::RequestId;
use error::PageError;

/// The browser routes, relative to the bridge's base path. `GET /` is the STS endpoint's
/// (it shows the login page when no Action is given) and is routed in `app`.
pub fn routes(state: &Arc<Bridge>) -> Router<Arc<Bridge>> {
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
            get(console_signin::endpoint).post(console_signin::endpoint_post),
        )
        .route("/static/style.css", get(style_css))
        .route("/static/app.js", get(app_js))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(state),
            page_layer,
        ))
}

/// The base path pages link with: public_url's path without a trailing slash ("" at the root).
pub fn base_path(state: &Bridge) -> String {
    state
        .config
        .server
        .public_url
        .path()
        .trim_end_matches('/')
        .to_owned()
}

/// An absolute URL of a bridge path, for redirect URIs and the SAML ACS.
pub fn absolute(state: &Bridge, path: &str) -> String {
    format!(
        "{}{path}",
        state
            .config
            .server
            .public_url
            .as_str()
            .trim_end_matches('/')
    )
}

/// The API's per-IP limit of its anonymous federation actions (the same buckets), for the
/// browser endpoints anyone can call that cost real work: an IdP token request
/// (`/oidc/callback`), an RSA signature (`/saml/login`), XML and RSA verification
/// (`/saml/acs`), a store write (`/federation?Action=login`), a sealed cookie (`/oidc/login`).
pub fn admit_ip(state: &Bridge, peer: std::net::IpAddr) -> Result<(), PageError> {
    admit(
        state,
        &state.limiters.per_ip,
        "unauthenticated_per_ip",
        &crate::limits::ip_key(Some(peer)),
    )
}

/// Takes one token of `limiter` (one of `[limits]`, shared with the API) for `key`. A refusal
/// is counted in `stsbridge_throttled_total` under the fixed label `limit` and becomes the
/// 429 page.
pub fn admit(
    state: &Bridge,
    limiter: &crate::limits::RateLimiter,
    limit: &'static str,
    key: &str,
) -> Result<(), PageError> {
    if limiter.admit(key, state.clock.now()) {
        Ok(())
    } else {
        crate::metrics::global().throttled(limit);
        Err(PageError::throttled())
    }
}

/// Renders a template to an HTML response.
pub fn page<T: Template>(template: &T) -> Result<Response, PageError> {
    template
        .render()
        .map(|html| Html(html).into_response())
        .map_err(|e| PageError::internal(format!("template: {e}")))
}

/// Security headers on every page, and [`PageError`]s rendered with the request id.
pub async fn page_layer(State(state): State<Arc<Bridge>>, req: Request, next: Next) -> Response {
    let request_id = RequestId::of(&req);
    let base = base_path(&state);
    let deciding = audit::deciding_endpoint(
        req.method(),
        req.uri()
            .path()
            .strip_prefix(base.as_str())
            .unwrap_or(req.uri().path()),
    );
    let facts = deciding.map(|_| {
        (
            req.extensions()
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|ci| ci.0.ip().to_string()),
            crate::protocol::extract::user_agent(req.headers()),
        )
    });
    let mut response = next.run(req).await;
    if let (Some(name), Some((ip, agent))) = (deciding, facts) {
        let note = response.extensions_mut().remove::<audit::AuditNote>();
        let failure = response.extensions().get::<PageError>().cloned();
        let status = response.status();
        let mut event = match note {
            Some(note) => note.into_event(request_id.as_str()),
            None => crate::audit::AuditEvent::new("signin", name, request_id.as_str()),
        };
        if let Some(err) = failure {
            event.error_code = Some(err.status.as_u16().to_string());
            event.error_message = Some(err.message);
        } else if !status.is_success() && !status.is_redirection() {
            event.error_code = Some(status.as_u16().to_string());
        }
        crate::metrics::global().browser(
            &event.event_name,
            event.error_code.as_deref().unwrap_or("ok"),
        );
        let peer = ip.as_deref().and_then(|i| i.parse().ok());
        let refused = event.error_code.is_some();
        if !refused || state.limiters.audit_refusal(peer, state.clock.now()) {
            event.event_time = state.clock.now();
            event.source_ip_address = ip;
            event.user_agent = agent;
            state.audit.record(event);
        }
    }
    if let Some(err) = response.extensions_mut().remove::<PageError>() {
        let cookies: Vec<HeaderValue> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .cloned()
            .collect();
        response = error::render(
            &err,
            &request_id,
            &base_path(&state),
            &state.config.server.account_id.to_string(),
        );
        for c in cookies {
            response.headers_mut().append(header::SET_COOKIE, c);
        }
    }
    apply_security_headers(&state, &mut response);
    response
}

/// The CSP allows our own script and style only; forms may post to us and, for the console
/// redirect after "open in console", to the configured console destinations.
pub fn apply_security_headers(state: &Bridge, response: &mut Response) {
    let mut form_action = String::from("'self'");
    for d in &state.config.server.console_destinations {
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
