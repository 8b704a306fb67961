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
mod layer;
pub(crate) mod login;
mod oidc_flow;
mod page;
mod roles;
pub mod saml_flow;
mod session;

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::sts::bridge::Bridge;
pub(crate) use layer::page_layer;

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
