//! The demo SAML IdP's browser sign-in (DEMO ONLY, loopback only): the user picker, reached
//! IdP-initiated or with the bridge's AuthnRequest, and a page that posts the signed
//! SAMLResponse to the bridge's ACS (a plain form, no script needed).

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::authn_request::read_authn_request;
use super::idp::DemoIdp;
use super::page::{Loopback, refuse, render};
use super::pending::SignIn;
use super::picker::{self, PickedForm};

/// `GET /demo-idp/saml/login`: the user picker for an IdP-initiated SAML sign-in.
pub(super) async fn saml_login(_: Loopback, State(idp): State<Arc<DemoIdp>>) -> Response {
    let sign_in = SignIn::Saml {
        in_response_to: None,
    };
    picker::show(&idp, sign_in, "/saml/login")
}

#[derive(Debug, Deserialize)]
pub(super) struct SsoQuery {
    #[serde(rename = "SAMLRequest")]
    saml_request: Option<String>,
}

/// `GET /demo-idp/saml/sso`: an AuthnRequest over HTTP-Redirect (SP-initiated). The request
/// must name the bridge's ACS; its ID is answered in the response's InResponseTo.
pub(super) async fn saml_sso(
    _: Loopback,
    State(idp): State<Arc<DemoIdp>>,
    Query(q): Query<SsoQuery>,
) -> Response {
    let Some((id, acs)) = q.saml_request.as_deref().and_then(read_authn_request) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "SAMLRequest is not a readable AuthnRequest",
        );
    };
    if acs.is_some_and(|a| a != format!("{}/saml/acs", idp.bridge_url)) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "AssertionConsumerServiceURL is not the bridge's",
        );
    }
    let sign_in = SignIn::Saml {
        in_response_to: Some(id),
    };
    picker::show(&idp, sign_in, "/saml/login")
}

#[derive(Template)]
#[template(path = "saml_post.html")]
struct SamlPost {
    base: String,
    account: String,
    user: String,
    acs: String,
    response: String,
    relay_state: Option<String>,
}

/// `POST /demo-idp/saml/login`: a signed SAMLResponse for the picked user, in a form the
/// person submits to the bridge's ACS.
pub(super) async fn saml_approve(
    _: Loopback,
    State(idp): State<Arc<DemoIdp>>,
    Form(form): Form<PickedForm>,
) -> Response {
    let now = idp.clock.now();
    let (in_response_to, groups) = match picker::picked(&idp, &form, now) {
        Ok((SignIn::Saml { in_response_to }, _, groups)) => (in_response_to, groups),
        Ok((SignIn::Oidc(_), ..)) => {
            return refuse(StatusCode::BAD_REQUEST, "unknown or expired sign-in");
        }
        Err(refusal) => return *refusal,
    };
    match idp.saml_response_to(&form.user, &groups, in_response_to.as_deref(), now) {
        Ok(response) => render(&SamlPost {
            base: idp.bridge_path(),
            account: idp.account.clone(),
            user: form.user,
            acs: format!("{}/saml/acs", idp.bridge_path()),
            response,
            relay_state: None,
        }),
        Err(_) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "signing failed"),
    }
}
