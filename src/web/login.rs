//! The login page (`GET /` without an Action): one button per provider with browser sign-in.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::error::PageError;
use super::page::{apply_security_headers, base_path, page};
use super::session;
use crate::sts::bridge::Bridge;
use crate::telemetry::RequestId;

#[derive(Debug)]
pub(crate) struct ProviderButton {
    /// For element ids (tests, styling): `oidc-0`, `saml-corp`.
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) kind: &'static str,
    pub(crate) href: String,
}

/// Sign-in links shown besides the configured providers, e.g. the demo IdP's IdP-initiated
/// sign-in (it has no SP-initiated endpoint). The application adds them as a request
/// extension; paths are relative to the bridge's base path.
#[derive(Debug, Clone)]
pub(crate) struct ExtraSignIns(pub(crate) Arc<[ExtraSignIn]>);

#[derive(Debug)]
pub(crate) struct ExtraSignIn {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) path: String,
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
pub(crate) fn buttons(bridge: &Bridge, extra: Option<&ExtraSignIns>) -> Vec<ProviderButton> {
    let base = base_path(bridge);
    let oidc = bridge
        .config()
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
    let saml = bridge
        .config()
        .saml_providers
        .iter()
        .filter(|p| bridge.saml_sign_in_available(&p.name))
        .map(|p| ProviderButton {
            id: format!("saml-{}", p.name),
            name: p.display_name.clone(),
            kind: "SAML 2.0",
            href: format!("{base}/saml/login/{}", p.name),
        });
    let extra = extra
        .into_iter()
        .flat_map(|e| e.0.iter())
        .map(|e| ProviderButton {
            id: e.id.to_owned(),
            name: e.name.to_owned(),
            kind: e.kind,
            href: format!("{base}{}", e.path),
        });
    oidc.chain(saml).chain(extra).collect()
}

async fn login_page(
    bridge: &Bridge,
    headers: &HeaderMap,
    extra: Option<&ExtraSignIns>,
) -> Result<Response, PageError> {
    let signed_in_as = session::load(bridge, headers)
        .await?
        .and_then(|(_, s)| s.active.map(|a| a.assumed_role_arn));
    page(&LoginPage {
        base: base_path(bridge),
        account: bridge.config().server.account_id.to_string(),
        providers: buttons(bridge, extra),
        signed_in_as,
    })
}

/// `GET /` from a browser (the application routes API calls on `/` to the STS endpoint).
pub(crate) async fn show(
    State(bridge): State<Arc<Bridge>>,
    extra: Option<Extension<ExtraSignIns>>,
    request_id: RequestId,
    headers: HeaderMap,
) -> Response {
    let extra = extra.map(|Extension(e)| e);
    let mut response = match login_page(&bridge, &headers, extra.as_ref()).await {
        Ok(r) => r,
        Err(e) => super::error::render(
            &e,
            &request_id,
            &base_path(&bridge),
            &bridge.config().server.account_id.to_string(),
        ),
    };
    apply_security_headers(&bridge, &mut response);
    response
}
