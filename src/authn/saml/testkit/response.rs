//! SAML Responses as an IdP configured for AWS sends them ([`ResponseSpec`]), and two
//! independent signers: the `xmlsec1` command-line tool and samael's `XmlSec::sign_xml`.

use std::process::Command;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use samael::crypto::{Crypto, CryptoProvider};

use super::idp::{ACCOUNT, ACS_AWS, AUD_AWS, ENTITY_ID, ROLE_ATTR, ROLE_DEV, TestIdp, idp, now};
use super::tool::run;

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// ` name="value"` (escaped), or nothing without a value.
fn optional_attr(name: &str, value: Option<&str>) -> String {
    value
        .map(|v| format!(r#" {name}="{}""#, esc(v)))
        .unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signed {
    Assertion,
    Response,
    Both,
    Nothing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alg {
    Sha256,
    Sha1,
}

/// A SAML Response as an IdP configured for AWS would send it. Defaults are valid now.
#[derive(Debug, Clone)]
pub(crate) struct ResponseSpec {
    pub(crate) response_id: String,
    pub(crate) assertion_id: String,
    pub(crate) issuer: String,
    pub(crate) issue_instant: DateTime<Utc>,
    pub(crate) destination: Option<String>,
    /// The Response's `InResponseTo`.
    pub(crate) response_in_response_to: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) name_id: String,
    pub(crate) name_id_format: Option<String>,
    pub(crate) recipient: String,
    pub(crate) confirmation_not_on_or_after: Option<DateTime<Utc>>,
    /// The bearer SubjectConfirmationData's `InResponseTo`.
    pub(crate) in_response_to: Option<String>,
    pub(crate) conditions: bool,
    pub(crate) not_before: DateTime<Utc>,
    pub(crate) not_on_or_after: DateTime<Utc>,
    pub(crate) audience: Option<String>,
    pub(crate) session_not_on_or_after: DateTime<Utc>,
    pub(crate) attributes: Vec<(String, Option<String>, Vec<String>)>,
    pub(crate) signed: Signed,
    pub(crate) alg: Alg,
    /// Put the signing certificate into KeyInfo.
    pub(crate) key_info: bool,
}

impl ResponseSpec {
    pub(crate) fn new() -> Self {
        let now = now();
        let id = uuid::Uuid::new_v4().simple().to_string();
        Self {
            response_id: format!("_r{id}"),
            assertion_id: format!("_a{id}"),
            issuer: ENTITY_ID.to_owned(),
            issue_instant: now,
            destination: Some(ACS_AWS.to_owned()),
            response_in_response_to: None,
            status: Some("urn:oasis:names:tc:SAML:2.0:status:Success".to_owned()),
            name_id: "alice@example.com".to_owned(),
            name_id_format: Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent".to_owned()),
            recipient: ACS_AWS.to_owned(),
            confirmation_not_on_or_after: Some(now + TimeDelta::minutes(5)),
            in_response_to: None,
            conditions: true,
            not_before: now - TimeDelta::seconds(30),
            not_on_or_after: now + TimeDelta::minutes(10),
            audience: Some(AUD_AWS.to_owned()),
            session_not_on_or_after: now + TimeDelta::hours(8),
            attributes: vec![
                (
                    ROLE_ATTR.to_owned(),
                    None,
                    vec![format!(
                        "{ROLE_DEV},arn:aws:iam::{ACCOUNT}:saml-provider/corp"
                    )],
                ),
                (
                    "https://aws.amazon.com/SAML/Attributes/RoleSessionName".to_owned(),
                    None,
                    vec!["alice".to_owned()],
                ),
                (
                    "https://aws.amazon.com/SAML/Attributes/SessionDuration".to_owned(),
                    None,
                    vec!["3600".to_owned()],
                ),
                (
                    "https://aws.amazon.com/SAML/Attributes/PrincipalTag:Department".to_owned(),
                    None,
                    vec!["Engineering & Ops".to_owned()],
                ),
                (
                    "urn:oid:0.9.2342.19200300100.1.3".to_owned(),
                    Some("mail".to_owned()),
                    vec!["alice@example.com".to_owned()],
                ),
                (
                    "http://schemas.xmlsoap.org/claims/Group".to_owned(),
                    Some("groups".to_owned()),
                    vec!["dev".to_owned(), "oncall".to_owned()],
                ),
            ],
            signed: Signed::Assertion,
            alg: Alg::Sha256,
            key_info: true,
        }
    }

    pub(crate) fn signed(mut self, signed: Signed) -> Self {
        self.signed = signed;
        self
    }

    pub(crate) fn signature_template(&self, reference: &str) -> String {
        let (sig, digest) = match self.alg {
            Alg::Sha256 => (
                "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                "http://www.w3.org/2001/04/xmlenc#sha256",
            ),
            Alg::Sha1 => (
                "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
                "http://www.w3.org/2000/09/xmldsig#sha1",
            ),
        };
        let key_info = if self.key_info {
            "<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>"
        } else {
            ""
        };
        format!(
            r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="{sig}"/><ds:Reference URI="#{reference}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue>{key_info}</ds:Signature>"##
        )
    }

    /// The assertion element, with a signature template if `template`.
    pub(crate) fn assertion_xml(&self, template: bool) -> String {
        let sig = if template {
            self.signature_template(&self.assertion_id)
        } else {
            String::new()
        };
        let format = optional_attr("Format", self.name_id_format.as_deref());
        let confirmation_noa = optional_attr(
            "NotOnOrAfter",
            self.confirmation_not_on_or_after.map(ts).as_deref(),
        );
        let confirmation_irt = optional_attr("InResponseTo", self.in_response_to.as_deref());
        let audience = self
            .audience
            .as_ref()
            .map(|a| {
                format!(
                    "<saml:AudienceRestriction><saml:Audience>{}</saml:Audience></saml:AudienceRestriction>",
                    esc(a)
                )
            })
            .unwrap_or_default();
        let conditions = if self.conditions {
            format!(
                r#"<saml:Conditions NotBefore="{}" NotOnOrAfter="{}">{audience}</saml:Conditions>"#,
                ts(self.not_before),
                ts(self.not_on_or_after)
            )
        } else {
            String::new()
        };
        let attributes = self
            .attributes
            .iter()
            .map(|(name, friendly, values)| {
                let friendly = optional_attr("FriendlyName", friendly.as_deref());
                let values = values
                    .iter()
                    .map(|v| {
                        format!(
                            r#"<saml:AttributeValue xsi:type="xs:string">{}</saml:AttributeValue>"#,
                            esc(v)
                        )
                    })
                    .collect::<Vec<_>>()
                    .concat();
                format!(
                    r#"<saml:Attribute Name="{}"{friendly} NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">{values}</saml:Attribute>"#,
                    esc(name)
                )
            })
            .collect::<Vec<_>>()
            .concat();
        format!(
            r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="{id}" IssueInstant="{instant}" Version="2.0"><saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{issuer}</saml:Issuer>{sig}<saml:Subject><saml:NameID{format}>{name_id}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData{confirmation_irt}{confirmation_noa} Recipient="{recipient}"/></saml:SubjectConfirmation></saml:Subject>{conditions}<saml:AuthnStatement AuthnInstant="{instant}" SessionIndex="{id}" SessionNotOnOrAfter="{session}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{attributes}</saml:AttributeStatement></saml:Assertion>"#,
            id = self.assertion_id,
            instant = ts(self.issue_instant),
            issuer = esc(&self.issuer),
            name_id = esc(&self.name_id),
            recipient = esc(&self.recipient),
            session = ts(self.session_not_on_or_after),
        )
    }

    /// The Response around `assertion` (any XML), with a response signature template if
    /// `template`.
    pub(crate) fn response_xml(&self, assertion: &str, template: bool) -> String {
        let sig = if template {
            self.signature_template(&self.response_id)
        } else {
            String::new()
        };
        let destination = optional_attr("Destination", self.destination.as_deref());
        let in_response_to = optional_attr("InResponseTo", self.response_in_response_to.as_deref());
        let status = self
            .status
            .as_ref()
            .map(|s| {
                format!(
                    r#"<samlp:Status><samlp:StatusCode Value="{}"/></samlp:Status>"#,
                    esc(s)
                )
            })
            .unwrap_or_default();
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{instant}"{destination}{in_response_to}><saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{issuer}</saml:Issuer>{sig}{status}{assertion}</samlp:Response>"#,
            id = self.response_id,
            instant = ts(self.issue_instant),
            issuer = esc(&self.issuer),
        )
    }

    /// The document with every signature template the spec asks for, unsigned.
    pub(crate) fn template(&self) -> String {
        let assertion = self.assertion_xml(matches!(self.signed, Signed::Assertion | Signed::Both));
        self.response_xml(
            &assertion,
            matches!(self.signed, Signed::Response | Signed::Both),
        )
    }

    /// Signed by `idp` with `signer`. Both-signed documents are signed assertion first, then
    /// response (each signer signs the first template in document order, and the response's
    /// comes first).
    pub(crate) fn sign_with(&self, idp: &TestIdp, signer: Signer) -> String {
        let sign = |xml: &str| match signer {
            Signer::Xmlsec1 => sign_xmlsec1(xml, idp),
            Signer::Samael => sign_samael(xml, idp),
        };
        match self.signed {
            Signed::Nothing => self.template(),
            Signed::Assertion | Signed::Response => sign(&self.template()),
            Signed::Both => {
                let inner = sign(&self.response_xml(&self.assertion_xml(true), false));
                let marker = "</saml:Issuer>";
                let at = inner.find(marker).unwrap() + marker.len();
                let with_template = format!(
                    "{}{}{}",
                    &inner[..at],
                    self.signature_template(&self.response_id),
                    &inner[at..]
                );
                sign(&with_template)
            }
        }
    }

    /// Signed by the trusted IdP with the `xmlsec1` CLI.
    pub(crate) fn sign(&self) -> String {
        self.sign_with(idp(), Signer::Xmlsec1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signer {
    Xmlsec1,
    Samael,
}

/// Signs the first `ds:Signature` template with the `xmlsec1` tool: an XML-DSig
/// implementation independent of samael's code (it shares libxmlsec1 underneath, but not the
/// template handling, ID registration or serialisation).
pub(crate) fn sign_xmlsec1(xml: &str, idp: &TestIdp) -> String {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let cert = dir.path().join("cert.pem");
    let input = dir.path().join("in.xml");
    let output = dir.path().join("out.xml");
    std::fs::write(&key, idp.key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    std::fs::write(&cert, idp.cert.to_pem().unwrap()).unwrap();
    std::fs::write(&input, xml).unwrap();
    let mut cmd = Command::new("xmlsec1");
    cmd.arg("--sign")
        .arg("--privkey-pem")
        .arg(format!("{},{}", key.display(), cert.display()))
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
        ])
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:Response",
        ])
        .arg("--output")
        .arg(&output)
        .arg(&input);
    run(&mut cmd, "xmlsec1", "sign SAML responses");
    std::fs::read_to_string(&output).unwrap()
}

/// Signs the first `ds:Signature` template with samael's `XmlSec::sign_xml`.
pub(crate) fn sign_samael(xml: &str, idp: &TestIdp) -> String {
    let der = idp.key.rsa().unwrap().private_key_to_der().unwrap();
    // The key has no certificate attached here, so xmlsec could not fill X509Data; KeyInfo is
    // ignored by the verifier anyway.
    let xml = xml.replace("<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>", "");
    Crypto::sign_xml(xml, &der).unwrap()
}
