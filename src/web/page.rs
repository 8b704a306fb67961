//! What every page shares: the base path and absolute URLs it links with, template
//! rendering, and the security headers (strict CSP without inline script, no framing, no
//! referrer, no caching).

use askama::Template;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::error::PageError;
use crate::sts::bridge::Bridge;
use crate::sts::browser::urls;

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
