//! The login page (`GET /` without an Action): one button per provider with browser sign-in.

use askama::Template;
use axum::http::HeaderMap;
use axum::response::Response;

use super::error::PageError;
use super::{base_path, page, session};
use crate::app::AppState;

#[derive(Debug)]
pub struct ProviderButton {
    /// For element ids (tests, styling): `oidc-0`, `saml-corp`.
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub href: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    base: String,
    account: String,
    providers: Vec<ProviderButton>,
    signed_in_as: Option<String>,
}

/// Providers a browser can sign in with: OIDC ones with a `login_client_id`, and SAML ones
/// (SP-initiated when their metadata names an SSO endpoint).
pub fn buttons(state: &AppState) -> Vec<ProviderButton> {
    let base = base_path(state);
    let oidc = state
        .config
        .oidc_providers
        .iter()
        .enumerate()
        .filter(|(_, p)| p.login_client_id.is_some())
        .map(|(i, p)| ProviderButton {
            id: format!("oidc-{i}"),
            name: p.display_name.clone(),
            kind: "OpenID Connect",
            href: format!("{base}/oidc/login/{i}"),
        });
    let saml = state
        .config
        .saml_providers
        .iter()
        .filter(|p| state.saml.sso_redirect_url(&p.name).is_some())
        .map(|p| ProviderButton {
            id: format!("saml-{}", p.name),
            name: p.display_name.clone(),
            kind: "SAML 2.0",
            href: format!("{base}/saml/login/{}", p.name),
        });
    let all = oidc.chain(saml);
    // The demo SAML IdP has no redirect SSO endpoint: it signs in IdP-initiated.
    #[cfg(feature = "demo")]
    let all = all.chain(state.demo_idp.as_ref().map(|_| ProviderButton {
        id: "demo-saml".to_owned(),
        name: "Demo SAML IdP, IdP-initiated (DEMO ONLY)".to_owned(),
        kind: "SAML 2.0",
        href: format!("{base}{}/saml/login", crate::demo::DEMO_IDP_PATH),
    }));
    all.collect()
}

pub async fn login_page(state: &AppState, headers: &HeaderMap) -> Result<Response, PageError> {
    let signed_in_as = session::load(state, headers)
        .await?
        .and_then(|(_, s)| s.active.map(|a| a.assumed_role_arn));
    page(&LoginPage {
        base: base_path(state),
        account: state.config.server.account_id.to_string(),
        providers: buttons(state),
        signed_in_as,
    })
}

/// `GET /`: the login page for a browser (no query, no signature), else the STS endpoint.
pub async fn root_get(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
) -> Response {
    use axum::handler::Handler as _;
    // A browser opening the bridge sends neither a signature nor a query; anything else is
    // an API call (and gets the API's errors, MissingAction included).
    let is_api = req
        .headers()
        .contains_key(axum::http::header::AUTHORIZATION)
        || req.uri().query().is_some_and(|q| !q.is_empty());
    if is_api {
        return crate::protocol::handlers::sts_endpoint
            .call(req, state)
            .await;
    }
    let request_id = crate::telemetry::RequestId::of(&req);
    let mut response = match login_page(&state, req.headers()).await {
        Ok(r) => r,
        Err(e) => super::error::render(
            &e,
            &request_id,
            &base_path(&state),
            &state.config.server.account_id.to_string(),
        ),
    };
    super::apply_security_headers(&state, &mut response);
    response
}
