//! The bridge as a SAML service provider. For now its metadata (`GET /saml/metadata`), which
//! IdP administrators import to configure the bridge: entity id, ACS, and the SP certificate
//! when one is configured (for signed AuthnRequests and encrypted assertions).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::config::Config;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_bodies_lose_armour_and_whitespace() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\r\nAbC=\n-----END CERTIFICATE-----\n";
        assert_eq!(pem_body(pem), "MIIBAbC=");
    }
}
