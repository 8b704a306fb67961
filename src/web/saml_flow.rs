//! The bridge as a SAML service provider, as pages: its metadata (`GET /saml/metadata`), which
//! IdP administrators import (entity id, ACS, and the SP certificate when one is configured),
//! SP-initiated sign-in (`GET /saml/login/{provider}`) and the assertion consumer service
//! (`POST /saml/acs`) for SP- and IdP-initiated responses, which the bridge verifies
//! (`sts::browser::saml`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Form;
use axum::extract::{ConnectInfo, FromRequest, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error::PageError;
use super::roles::signed_in;
use super::session;
use crate::config::Config;
use crate::sts::bridge::Bridge;
use crate::sts::browser::urls;

/// The SP's entity id: the metadata URL itself, as the default accepted `Audience` is.
pub fn entity_id(config: &Config) -> String {
    urls::saml_entity_id(config)
}

/// Where IdPs POST their responses.
pub fn acs_url(config: &Config) -> String {
    urls::saml_acs_url(config)
}

/// The SPSSODescriptor document. Every value comes from the validated config; URLs are still
/// escaped for the attribute context.
pub(crate) fn sp_metadata_xml(config: &Config) -> String {
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

pub(crate) async fn sp_metadata(State(bridge): State<Arc<Bridge>>) -> Response {
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
        sp_metadata_xml(bridge.config()),
    )
        .into_response()
}

/// The cookie holding the SP-initiated request this browser waits on (sealed by the bridge).
pub(crate) const SAML_COOKIE: &str = "stsbridge_saml";
/// Its name over https: `__Host-` makes browsers insist on Secure, host-only and `Path=/`, so
/// a sibling subdomain can neither plant nor shadow it (as for the session cookie).
pub(crate) const SECURE_SAML_COOKIE: &str = "__Host-stsbridge_saml";

/// `GET /saml/login/{provider}`: to the IdP with an AuthnRequest over HTTP-Redirect; its ID
/// goes into this browser's sealed request cookie.
pub(crate) async fn start(
    State(bridge): State<Arc<Bridge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(provider): Path<String>,
) -> Result<Response, PageError> {
    // An AuthnRequest may cost an RSA signature: anonymous, so limited per IP first.
    bridge.admit_ip(peer.ip())?;
    let request = bridge.start_saml_sign_in(&provider)?;
    let cookie = request_cookie(&bridge, &request.cookie, request.max_age.num_seconds());
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&request.url)).into_response())
}

/// The IdP POSTs the response cross-site, which SameSite=Lax cookies do not accompany; over
/// https the request cookie is SameSite=None (Secure). Over plain http (loopback development)
/// browsers refuse that, so it stays Lax and works only when the IdP is same-site.
fn request_cookie(bridge: &Bridge, value: &str, max_age: i64) -> HeaderValue {
    if bridge.config().server.public_url.scheme() == "https" {
        HeaderValue::from_str(&format!(
            "{SECURE_SAML_COOKIE}={value}; Path=/; HttpOnly; SameSite=None; Secure; Max-Age={}",
            max_age.max(0)
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
    } else {
        session::set_cookie(bridge, SAML_COOKIE, value, max_age)
    }
}

/// The request cookie's name for this deployment.
fn request_cookie_name(bridge: &Bridge) -> &'static str {
    session::cookie_name(bridge, SAML_COOKIE, SECURE_SAML_COOKIE)
}

#[derive(Debug, Deserialize)]
pub(crate) struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// `POST /saml/acs`: SP- and IdP-initiated responses. Anyone can POST here and what follows
/// costs XML and RSA work, so the API's per-IP limit of its anonymous federation actions (the
/// same buckets) comes first, before the body is read.
pub(crate) async fn acs(
    State(bridge): State<Arc<Bridge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Result<Response, PageError> {
    bridge.admit_ip(peer.ip())?;
    let headers = request.headers().clone();
    let Form(form) = Form::<AcsForm>::from_request(request, &bridge)
        .await
        .map_err(|_| PageError::bad_request("The POST is not a form carrying a SAMLResponse."))?;
    let browser = session::sign_in_context(&bridge, &headers, peer);
    let request = session::cookie(&headers, request_cookie_name(&bridge));
    let relay = form.relay_state.as_deref();
    let done = bridge
        .finish_saml_sign_in(form.saml_response, relay, request, browser)
        .await?;
    let mut response = signed_in(&bridge, done.signed_in);
    if done.request_cookie_spent {
        let clear = request_cookie(&bridge, "", 0);
        response.headers_mut().append(header::SET_COOKIE, clear);
    }
    Ok(response)
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
