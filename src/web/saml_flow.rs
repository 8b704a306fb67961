//! The bridge as a SAML service provider: its metadata (`GET /saml/metadata`), which IdP
//! administrators import (entity id, ACS, and the SP certificate when one is configured),
//! SP-initiated sign-in (`GET /saml/login/{provider}`) and the assertion consumer service
//! (`POST /saml/acs`) for SP- and IdP-initiated responses.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::error::PageError;
use super::roles::after_sign_in;
use crate::app::AppState;
use crate::authn::saml::authn_request::{self, AuthnRequestParams};
use crate::config::Config;
use crate::mint::web_state;
use crate::sts::error::ServiceError;
use crate::sts::offers::SignedIn;
use crate::sts::saml::verify_saml_response;
use crate::types::Secret;

/// The SP's entity id: the metadata URL itself, as the default accepted `Audience` is.
pub fn entity_id(config: &Config) -> String {
    format!("{}/saml/metadata", base(config))
}

/// Where IdPs POST their responses.
pub fn acs_url(config: &Config) -> String {
    format!("{}/saml/acs", base(config))
}

fn base(config: &Config) -> String {
    config
        .server
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}

/// The SPSSODescriptor document. Every value comes from the validated config; URLs are still
/// escaped for the attribute context.
pub fn sp_metadata_xml(config: &Config) -> String {
    let cert = config.server.saml_sp_cert_pem.as_deref().map(pem_body);
    let keys = cert
        .map(|c| {
            let key_info = format!(
                "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
            );
            format!(
                "    <md:KeyDescriptor use=\"signing\">{key_info}</md:KeyDescriptor>\n    <md:KeyDescriptor use=\"encryption\">{key_info}</md:KeyDescriptor>\n"
            )
        })
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity}">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="{signed}" WantAssertionsSigned="true">
{keys}    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{acs}" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"#,
        entity = attr(&entity_id(config)),
        signed = config.server.saml_sp_key_pem.is_some(),
        acs = attr(&acs_url(config)),
    )
}

/// The base64 body of a PEM block, on one line (metadata wants the bare DER base64).
fn pem_body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect()
}

fn attr(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

pub async fn sp_metadata(State(state): State<AppState>) -> Response {
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/samlmetadata+xml"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        sp_metadata_xml(&state.config),
    )
        .into_response()
}

/// Pending SP-initiated requests, by AuthnRequest ID, so the ACS can check `InResponseTo`.
const REQUEST_NAMESPACE: &str = "saml-request";
const REQUEST_SEAL_KIND: &str = "saml-request";
/// Time allowed at the IdP for an SP-initiated sign-in.
const REQUEST_TTL: TimeDelta = TimeDelta::minutes(10);
/// A SAMLResponse form field larger than this is refused before decoding (the API's bound).
const MAX_RESPONSE_B64: usize = 256 * 1024;

#[derive(Debug, Serialize, Deserialize)]
struct PendingRequest {
    provider: String,
}

/// `GET /saml/login/{provider}`: an AuthnRequest over HTTP-Redirect (signed when the SP has a
/// key); its ID is remembered in the store so the response must answer exactly this request.
pub async fn start(
    State(state): State<AppState>,
    Path(provider): Path<String>,
) -> Result<Response, PageError> {
    let p = state
        .config
        .saml_providers
        .iter()
        .find(|p| p.name == provider)
        .ok_or_else(|| PageError::not_found("There is no such sign-in provider."))?;
    let id = authn_request::new_request_id();
    let now = state.clock.now();
    let entity = entity_id(&state.config);
    let acs = acs_url(&state.config);
    let url = state
        .saml
        .authn_request_url(
            &p.name,
            &AuthnRequestParams {
                id: &id,
                issuer: &entity,
                acs_url: &acs,
                issue_instant: now,
                relay_state: None,
            },
        )
        .map_err(|e| PageError::unavailable(format!("SAML login for {}: {e}", p.name)))?;
    let pending = PendingRequest {
        provider: p.name.clone(),
    };
    let sealed = web_state::seal(&state.keyring, REQUEST_SEAL_KIND, &id, &pending)
        .map_err(PageError::internal)?;
    state
        .store
        .put_state(REQUEST_NAMESPACE, &id, &sealed, now + REQUEST_TTL)
        .await?;
    Ok(Redirect::to(&url).into_response())
}

#[derive(Debug, Deserialize)]
pub struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// `POST /saml/acs`: SP- and IdP-initiated responses, through AssumeRoleWithSAML's validator and
/// replay cache. A response to one of our requests must answer a pending one (spent here);
/// an unsolicited (IdP-initiated) one must not claim to answer anything.
pub async fn acs(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<AcsForm>,
) -> Result<Response, PageError> {
    let b64 = form
        .saml_response
        .filter(|r| !r.is_empty())
        .ok_or_else(|| PageError::bad_request("The POST carries no SAMLResponse."))?;
    if b64.len() > MAX_RESPONSE_B64 {
        return Err(PageError::bad_request("The SAMLResponse is too large."));
    }
    // RelayState may only send the browser to an allow-listed place; we never need it to.
    if let Some(relay) = form.relay_state.as_deref().filter(|r| !r.is_empty()) {
        let ok = url::Url::parse(relay)
            .is_ok_and(|u| super::federation::destination_allowed(&state, &u));
        if !ok {
            return Err(PageError::bad_request(
                "RelayState names a destination this bridge does not send browsers to.",
            ));
        }
    }
    let now = state.clock.now();
    let secret = Secret::new(b64);
    let mut last_error = None;
    let mut verified = None;
    for provider in state.saml.candidates_for_response(secret.expose()) {
        match verify_saml_response(&state.saml, state.store.as_ref(), &provider, &secret, now).await
        {
            Ok(v) => {
                verified = Some(v);
                break;
            }
            Err(e) => last_error = Some(e),
        }
    }
    let verified = match (verified, last_error) {
        (Some(v), _) => v,
        (None, Some(ServiceError::Store(e))) => return Err(PageError::unavailable(e)),
        (None, Some(e)) => {
            return Err(PageError::forbidden(format!(
                "The SAML response was refused: {e}"
            )));
        }
        (None, None) => {
            return Err(PageError::forbidden(
                "No SAML provider configured here trusts the issuer of this response.",
            ));
        }
    };
    if let Some(request_id) = &verified.in_response_to {
        let pending = state
            .store
            .take_state(REQUEST_NAMESPACE, request_id, now)
            .await?
            .and_then(|s| {
                web_state::open::<PendingRequest>(&state.keyring, REQUEST_SEAL_KIND, request_id, &s)
                    .ok()
            });
        match pending {
            Some(p) if p.provider == verified.provider => {}
            _ => {
                return Err(PageError::forbidden(
                    "This SAML response answers a sign-in request this bridge did not make, or one already answered or expired.",
                ));
            }
        }
    }
    let hard_end = verified.session_not_on_or_after;
    after_sign_in(&state, SignedIn::Saml(verified), hard_end, peer.ip()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_bodies_lose_armour_and_whitespace() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\r\nAbC=\n-----END CERTIFICATE-----\n";
        assert_eq!(pem_body(pem), "MIIBAbC=");
    }
}
