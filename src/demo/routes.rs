//! Where each demo IdP endpoint lives under [`DEMO_IDP_PATH`]: the one table `app` merges into
//! the bridge's router (with the bridge's page headers) when the demo runs.

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use super::idp::{DEMO_IDP_PATH, DemoIdp};
use super::{endpoints, oauth, saml_pages};

impl DemoIdp {
    /// Discovery, JWKS, the token and SAML endpoints a shell drives, and the browser sign-ins.
    pub(crate) fn routes<S: Clone + Send + Sync + 'static>(self: Arc<Self>) -> Router<S> {
        let at = |path: &str| format!("{DEMO_IDP_PATH}{path}");
        Router::new()
            .route(
                &at("/.well-known/openid-configuration"),
                get(endpoints::discovery),
            )
            .route(&at("/jwks"), get(endpoints::jwks))
            .route(&at("/token"), post(endpoints::token))
            .route(&at("/saml/metadata"), get(endpoints::saml_metadata))
            .route(&at("/saml/response"), post(endpoints::saml_response))
            .route(
                &at("/authorize"),
                get(oauth::authorize).post(oauth::approve),
            )
            .route(&at("/oauth/token"), post(oauth::token_endpoint))
            .route(&at("/saml/sso"), get(saml_pages::saml_sso))
            .route(
                &at("/saml/login"),
                get(saml_pages::saml_login).post(saml_pages::saml_approve),
            )
            .with_state(self)
    }
}
