//! The demo IdP's endpoints for programs and shells: OIDC discovery, the JWKS, the SAML
//! metadata, and two sign-in endpoints that answer a typed-in user and groups with a signed ID
//! token or SAMLResponse as plain text, so `TOKEN=$(curl -s -d user=alice …)` works.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::error::DemoError;
use super::idp::DemoIdp;
use super::page::Loopback;

pub(super) async fn discovery(State(idp): State<Arc<DemoIdp>>) -> Response {
    axum::Json(json!({
        "issuer": idp.issuer(),
        "jwks_uri": format!("{}/jwks", idp.issuer()),
        "token_endpoint": format!("{}/token", idp.issuer()),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
    .into_response()
}

pub(super) async fn jwks(State(idp): State<Arc<DemoIdp>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        idp.jwks_json().to_owned(),
    )
        .into_response()
}

pub(super) async fn saml_metadata(State(idp): State<Arc<DemoIdp>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        idp.saml_metadata_xml(),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub(super) struct SignInForm {
    user: String,
    /// Comma-separated.
    #[serde(default)]
    groups: String,
}

/// `POST /demo-idp/token` with `user=alice&groups=admins,dev`: the ID token as plain text.
pub(super) async fn token(
    _: Loopback,
    State(idp): State<Arc<DemoIdp>>,
    Form(form): Form<SignInForm>,
) -> Response {
    signed_text(&form, |user, groups| {
        idp.mint(user, groups, None, idp.clock.now())
    })
}

/// `POST /demo-idp/saml/response` with `user=alice&groups=admins`: a signed, base64 SAMLResponse
/// as plain text, for `aws sts assume-role-with-saml --saml-assertion "$SAML"`.
pub(super) async fn saml_response(
    _: Loopback,
    State(idp): State<Arc<DemoIdp>>,
    Form(form): Form<SignInForm>,
) -> Response {
    signed_text(&form, |user, groups| {
        idp.saml_response(user, groups, idp.clock.now())
    })
}

/// Both sign-in endpoints: user and group names from a small alphabet (they end up in tokens,
/// session names and tags), then what `sign` makes, as plain text.
fn signed_text(
    form: &SignInForm,
    sign: impl FnOnce(&str, &[String]) -> Result<String, DemoError>,
) -> Response {
    let name_ok = |s: &str| {
        (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b))
    };
    let groups: Vec<String> = form
        .groups
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .collect();
    if !name_ok(&form.user) || groups.len() > 20 || !groups.iter().all(|g| name_ok(g)) {
        return (
            StatusCode::BAD_REQUEST,
            "user and groups are 1-64 characters of A-Z a-z 0-9 . _ @ -\n",
        )
            .into_response();
    }
    match sign(&form.user, &groups) {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain")], text).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "demo IdP could not sign");
            (StatusCode::INTERNAL_SERVER_ERROR, "signing failed\n").into_response()
        }
    }
}
