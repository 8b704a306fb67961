//! The bridge as a SAML service provider: its metadata (`GET /saml/metadata`), which IdP
//! administrators import (entity id, ACS, and the SP certificate when one is configured),
//! SP-initiated sign-in (`GET /saml/login/{provider}`) and the assertion consumer service
//! (`POST /saml/acs`) for SP- and IdP-initiated responses.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Form;
use axum::extract::{ConnectInfo, FromRequest, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::error::PageError;
use super::roles::after_sign_in;
use super::session;
use crate::authn::saml::Candidates;
use crate::authn::saml::authn_request::{self, AuthnRequestError, AuthnRequestParams};
use crate::config::Config;
use crate::seal::web_state;
use crate::sts::bridge::Bridge;
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

pub async fn sp_metadata(State(state): State<Arc<Bridge>>) -> Response {
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

/// The SP-initiated request this browser is waiting on, in a sealed cookie: the ACS accepts a
/// response to one of our requests only in the browser that made it (no login CSRF), and
/// nothing is written anywhere for a request nobody completes.
pub const SAML_COOKIE: &str = "stsbridge_saml";
/// Its name over https: `__Host-` makes browsers insist on Secure, host-only and `Path=/`, so
/// a sibling subdomain can neither plant nor shadow it (as for the session cookie).
pub const SECURE_SAML_COOKIE: &str = "__Host-stsbridge_saml";
const REQUEST_SEAL_KIND: &str = "saml-request";
/// Time allowed at the IdP for an SP-initiated sign-in.
const REQUEST_TTL: TimeDelta = TimeDelta::minutes(10);
/// A SAMLResponse form field larger than this is refused before decoding (the API's bound).
const MAX_RESPONSE_B64: usize = 256 * 1024;

#[derive(Debug, Serialize, Deserialize)]
struct PendingRequest {
    request_id: String,
    provider: String,
    expires_at: DateTime<Utc>,
}

/// `GET /saml/login/{provider}`: an AuthnRequest over HTTP-Redirect (signed when the SP has a
/// key); its ID goes into this browser's sealed request cookie.
pub async fn start(
    State(state): State<Arc<Bridge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(provider): Path<String>,
) -> Result<Response, PageError> {
    // An AuthnRequest may cost an RSA signature: anonymous, so limited per IP first.
    super::admit_ip(&state, peer.ip())?;
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
        .map_err(|e| match e {
            AuthnRequestError::NoSsoEndpoint | AuthnRequestError::NoSuchProvider => {
                PageError::not_found(
                    "This provider has no sign-in endpoint for browsers; sign in from your identity provider's portal instead.",
                )
            }
            other => PageError::unavailable(format!("SAML login for {}: {other}", p.name)),
        })?;
    let pending = PendingRequest {
        request_id: id,
        provider: p.name.clone(),
        expires_at: now + REQUEST_TTL,
    };
    let sealed = web_state::seal(&state.keyring, REQUEST_SEAL_KIND, "", &pending)
        .map_err(PageError::internal)?;
    let cookie = request_cookie(&state, &sealed, REQUEST_TTL.num_seconds());
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&url)).into_response())
}

/// The IdP POSTs the response cross-site, which SameSite=Lax cookies do not accompany; over
/// https the request cookie is SameSite=None (Secure). Over plain http (loopback development)
/// browsers refuse that, so it stays Lax and works only when the IdP is same-site.
fn request_cookie(state: &Bridge, value: &str, max_age: i64) -> HeaderValue {
    if state.config.server.public_url.scheme() == "https" {
        HeaderValue::from_str(&format!(
            "{SECURE_SAML_COOKIE}={value}; Path=/; HttpOnly; SameSite=None; Secure; Max-Age={}",
            max_age.max(0)
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
    } else {
        session::set_cookie(state, SAML_COOKIE, value, max_age)
    }
}

/// The request cookie's name for this deployment.
fn request_cookie_name(state: &Bridge) -> &'static str {
    session::cookie_name(state, SAML_COOKIE, SECURE_SAML_COOKIE)
}

#[derive(Debug, Deserialize)]
pub struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// `POST /saml/acs`: SP- and IdP-initiated responses, through AssumeRoleWithSAML's validator and
/// replay cache. A response to one of our requests must answer the request this browser made
/// (its sealed cookie); an unsolicited (IdP-initiated) one must not claim to answer anything.
///
/// Anyone can POST here and what follows costs XML and RSA work, so the API's per-IP limit of
/// its anonymous federation actions (the same buckets) comes first, before the body is read;
/// the per-subject limit follows verification, inside the shared validator.
pub async fn acs(
    State(state): State<Arc<Bridge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Result<Response, PageError> {
    super::admit_ip(&state, peer.ip())?;
    let headers = request.headers().clone();
    let Form(form) = Form::<AcsForm>::from_request(request, &state)
        .await
        .map_err(|_| PageError::bad_request("The POST is not a form carrying a SAMLResponse."))?;
    let b64 = form
        .saml_response
        .filter(|r| !r.is_empty())
        .ok_or_else(|| PageError::bad_request("The POST carries no SAMLResponse."))?;
    if b64.len() > MAX_RESPONSE_B64 {
        return Err(PageError::bad_request("The SAMLResponse is too large."));
    }
    let now = state.clock.now();
    let pending: Option<PendingRequest> = session::cookie(&headers, request_cookie_name(&state))
        .and_then(|c| web_state::open(&state.keyring, REQUEST_SEAL_KIND, "", c).ok())
        .filter(|p: &PendingRequest| p.expires_at > now);
    let secret = Secret::new(b64);
    let verified = verify_for_its_provider(&state, &secret, pending.as_ref(), now).await?;
    if let Some(request_id) = &verified.in_response_to {
        let answers_ours = pending
            .as_ref()
            .is_some_and(|p| &p.request_id == request_id && p.provider == verified.provider);
        if !answers_ours {
            return Err(PageError::forbidden(
                "This SAML response answers a sign-in request this browser did not make, or one that expired.",
            ));
        }
    }
    let hard_end = verified.session_not_on_or_after;
    let mut response = after_sign_in(
        &state,
        &headers,
        SignedIn::Saml(verified),
        hard_end,
        peer.ip(),
    )
    .await?;
    if pending.is_some() {
        response
            .headers_mut()
            .append(header::SET_COOKIE, request_cookie(&state, "", 0));
    }
    // RelayState is the IdP's to echo; the bridge follows it only to an allow-listed place.
    if let Some(relay) = form.relay_state.as_deref().filter(|r| !r.is_empty()) {
        let allowed = url::Url::parse(relay)
            .ok()
            .filter(|u| super::console_signin::destination_allowed(&state, u));
        match allowed {
            Some(target)
                if response
                    .headers()
                    .get(header::LOCATION)
                    .is_some_and(|l| l.to_str().is_ok_and(|l| l.ends_with("/console"))) =>
            {
                if let Ok(v) = HeaderValue::from_str(target.as_str()) {
                    response.headers_mut().insert(header::LOCATION, v);
                }
            }
            Some(_) => {}
            None => tracing::info!("ignoring a RelayState that is not an allowed destination"),
        }
    }
    Ok(response)
}

/// Verifies the response against the provider its own `Issuer` names (the Response's, which
/// is outside an EncryptedAssertion): one provider, or the few that share that IdP (the
/// request's provider first). A Response naming no Issuer is tried only when exactly one
/// provider is configured or when it answers this browser's own request (its sealed cookie
/// names the provider), so an anonymous POST costs at most the configured IdP's share of XML
/// and RSA work, never one try per provider.
async fn verify_for_its_provider(
    state: &Bridge,
    response: &Secret,
    pending: Option<&PendingRequest>,
    now: DateTime<Utc>,
) -> Result<crate::authn::saml::VerifiedAssertion, PageError> {
    let mut candidates = match state.saml.candidates_for_response(response.expose()) {
        Candidates::Named(names) => names,
        // The Issuer is optional in a Response; for an answer to our own request the provider
        // is the one this browser's sealed request cookie names (sealed by us, so not the
        // sender's claim), and only that one is tried.
        Candidates::NoIssuer if pending.is_some() => pending
            .map(|p| vec![p.provider.clone()])
            .unwrap_or_default(),
        Candidates::NoIssuer => {
            return Err(PageError::bad_request(
                "The SAML response names no Issuer of its own, and several SAML providers are configured here, so the bridge cannot tell which one sent it. The identity provider must put its Issuer in the Response (outside the assertion).",
            ));
        }
        Candidates::Unreadable(e) => {
            return Err(PageError::bad_request(format!(
                "The SAML response was refused: {e}"
            )));
        }
    };
    if let Some(p) = pending
        && let Some(at) = candidates.iter().position(|c| c == &p.provider)
    {
        let first = candidates.remove(at);
        candidates.insert(0, first);
    }
    let mut last_error = None;
    for provider in candidates {
        match verify_saml_response(
            &state.saml,
            state.store.as_ref(),
            &provider,
            response,
            Some(&state.limiters.per_subject),
            now,
        )
        .await
        {
            Ok(v) => return Ok(v),
            // Counted by the validator (`per_subject`); the assertion is not spent.
            Err(ServiceError::Throttled) => return Err(PageError::throttled()),
            Err(e) => last_error = Some(e),
        }
    }
    Err(match last_error {
        Some(ServiceError::Store(e)) => PageError::unavailable(e),
        Some(e) => PageError::forbidden(format!("The SAML response was refused: {e}")),
        None => PageError::forbidden(
            "No SAML provider configured here trusts the issuer of this response.",
        ),
    })
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
