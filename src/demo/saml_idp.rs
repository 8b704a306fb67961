//! A minimal SAML 2.0 identity provider: metadata, and signed Responses with AWS's SAML
//! attributes. It backs the demo's SAML IdP (DEMO ONLY, public key in certs/) and the tests'
//! and benchmark's IdPs; the bridge's own SAML verification never uses it.
//!
//! Documents are written from a fixed template with every value XML-escaped, and the Assertion
//! is signed (enveloped, exclusive c14n, RSA-SHA256, SHA-256 digest) with samael's xmlsec
//! binding, because samael's own IdP builder emits SHA-1 digests and no
//! SubjectConfirmationData/NotOnOrAfter (dependencies.md §2.6).

use base64::Engine;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use quick_xml::escape::escape as esc;
use samael::crypto::{Crypto, CryptoProvider};
use zeroize::Zeroizing;

use super::error::DemoError;
use crate::types::secret::fill_random;

/// A signing key, its certificate, and the IdP's entity id.
pub struct SamlIdp {
    entity_id: String,
    /// PKCS#1 DER, as xmlsec's signer wants it.
    key_der: Zeroizing<Vec<u8>>,
    cert_b64: String,
}

impl std::fmt::Debug for SamlIdp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SamlIdp")
            .field("entity_id", &self.entity_id)
            .finish_non_exhaustive()
    }
}

/// What one Response says.
#[derive(Debug, Clone)]
pub struct SamlResponseSpec<'a> {
    pub name_id: &'a str,
    /// The ACS URL (Recipient and Destination).
    pub recipient: &'a str,
    pub audience: &'a str,
    pub role_session_name: &'a str,
    /// `(role ARN, provider ARN)` pairs for AWS's Role attribute.
    pub roles: &'a [(String, String)],
    /// Released as `groups` (FriendlyName `groups`).
    pub groups: &'a [String],
    /// Any other attributes: (Name, FriendlyName, values).
    pub extra_attributes: &'a [(String, Option<String>, Vec<String>)],
    pub now: DateTime<Utc>,
    /// How long the assertion may be presented.
    pub valid_for: TimeDelta,
    /// The AuthnRequest ID this answers (SP-initiated); `None` for IdP-initiated responses.
    pub in_response_to: Option<&'a str>,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A fresh XML ID: 128 random bits, NCName-safe.
fn new_id() -> String {
    let mut raw = [0u8; 16];
    fill_random(&mut raw);
    format!("_{}", hex::encode(raw))
}

impl SamlIdp {
    /// From a PEM private key (PKCS#8 or PKCS#1) and a PEM certificate.
    pub fn from_pem(entity_id: &str, key_pem: &[u8], cert_pem: &[u8]) -> Result<Self, DemoError> {
        let key = openssl::pkey::PKey::private_key_from_pem(key_pem)?;
        let key_der = Zeroizing::new(key.rsa()?.private_key_to_der()?);
        let cert = openssl::x509::X509::from_pem(cert_pem)?;
        let cert_b64 = base64::engine::general_purpose::STANDARD.encode(cert.to_der()?);
        Ok(Self {
            entity_id: entity_id.to_owned(),
            key_der,
            cert_b64,
        })
    }

    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    /// IdP metadata: the entity id and the signing certificate.
    pub fn metadata_xml(&self, sso_url: &str) -> String {
        self.metadata_xml_with_redirect(sso_url, None)
    }

    /// [`Self::metadata_xml`], also naming an HTTP-Redirect SSO endpoint for SP-initiated
    /// sign-in.
    pub fn metadata_xml_with_redirect(&self, sso_url: &str, redirect_sso: Option<&str>) -> String {
        let redirect = redirect_sso
            .map(|u| {
                format!(
                    "\n    <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"{}\"/>",
                    esc(u)
                )
            })
            .unwrap_or_default();
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="false">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{sso}"/>{redirect}
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"#,
            entity = esc(&self.entity_id),
            cert = self.cert_b64,
            sso = esc(sso_url),
        )
    }

    /// A signed Response (assertion-signed), base64-encoded as the POST binding and
    /// AssumeRoleWithSAML carry it.
    pub fn response_b64(&self, spec: &SamlResponseSpec<'_>) -> Result<String, DemoError> {
        let xml = self.response_xml(spec)?;
        Ok(base64::engine::general_purpose::STANDARD.encode(xml))
    }

    /// The signed Response XML.
    pub fn response_xml(&self, s: &SamlResponseSpec<'_>) -> Result<String, DemoError> {
        let (response_id, signed_id) = (new_id(), new_id());
        let issue_instant = ts(s.now);
        let not_before = ts(s.now - TimeDelta::minutes(1));
        let not_after = ts(s.now + s.valid_for);
        let session_end = ts(s.now + TimeDelta::hours(8));
        let attr = |name: &str, friendly: Option<&str>, values: &[String]| {
            let friendly = friendly
                .map(|f| format!(r#" FriendlyName="{}""#, esc(f)))
                .unwrap_or_default();
            let values: String = values.iter().fold(String::new(), |mut out, v| {
                out.push_str("<saml:AttributeValue>");
                out.push_str(&esc(v));
                out.push_str("</saml:AttributeValue>");
                out
            });
            format!(
                r#"<saml:Attribute Name="{}"{friendly}>{values}</saml:Attribute>"#,
                esc(name)
            )
        };
        let roles: Vec<String> = s.roles.iter().map(|(r, p)| format!("{r},{p}")).collect();
        let attributes = [
            attr("https://aws.amazon.com/SAML/Attributes/Role", None, &roles),
            attr(
                "https://aws.amazon.com/SAML/Attributes/RoleSessionName",
                None,
                &[s.role_session_name.to_owned()],
            ),
            attr("urn:oid:1.3.6.1.4.1.5923.1.5.1.1", Some("groups"), s.groups),
            s.extra_attributes
                .iter()
                .map(|(name, friendly, values)| attr(name, friendly.as_deref(), values))
                .collect::<String>(),
        ]
        .concat();
        let signature = format!(
            r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#{signed_id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>"##
        );
        let issuer = esc(&self.entity_id);
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{response_id}" Version="2.0" IssueInstant="{issue_instant}" Destination="{recipient}"{irt}><saml:Issuer>{issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="{signed_id}" Version="2.0" IssueInstant="{issue_instant}"><saml:Issuer>{issuer}</saml:Issuer>{signature}<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{name_id}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{not_after}" Recipient="{recipient}"{irt}/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{not_before}" NotOnOrAfter="{not_after}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{issue_instant}" SessionIndex="{signed_id}" SessionNotOnOrAfter="{session_end}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{attributes}</saml:AttributeStatement></saml:Assertion></samlp:Response>"#,
            recipient = esc(s.recipient),
            irt = s
                .in_response_to
                .map(|id| format!(r#" InResponseTo="{}""#, esc(id)))
                .unwrap_or_default(),
            name_id = esc(s.name_id),
            audience = esc(s.audience),
        );
        Ok(Crypto::sign_xml(xml, &self.key_der)?)
    }
}
