//! Which browser endpoints decide something, and so are audited: the page layer records each
//! of their requests through `sts`, with the [`AuditNote`](crate::sts::browser::audit::AuditNote)
//! the handler attached or, for a request refused before its step could say more, the
//! endpoint's name and the error page's code. Page views are not decisions and are not recorded.

use axum::http::Method;

/// The decision an endpoint makes, by method and path (relative to the base path), if it is one.
pub(super) fn deciding_endpoint(method: &Method, path: &str) -> Option<&'static str> {
    match (method.as_str(), path) {
        ("GET", "/oidc/callback") | ("POST", "/saml/acs") => Some("BrowserSignIn"),
        ("POST", "/roles") => Some("ChooseRole"),
        ("POST", "/console/open") => Some("OpenInConsole"),
        ("POST", "/logout") => Some("SignOut"),
        (_, "/federation") => Some("Federation"),
        _ => None,
    }
}
