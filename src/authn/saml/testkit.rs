//! Test fixtures: IdP keys generated at test time (nothing on disk but temp files), realistic
//! AWS-style SAML Responses, and two independent signers: the `xmlsec1` command-line tool and
//! samael's `XmlSec::sign_xml`. Encrypted assertions come from `xmlsec1 --encrypt` (and the
//! `openssl` tool where `xmlsec1` 1.2 lacks the algorithm).

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509, X509NameBuilder};
use samael::crypto::{Crypto, CryptoProvider};
use zeroize::Zeroizing;

use crate::clock::{Clock, SystemClock};
use crate::config::{SamlMetadataSource, SamlProvider};
use crate::types::Secret;

pub(super) const ENTITY_ID: &str = "https://idp.example.com/saml";
pub(super) const ACS_AWS: &str = "https://signin.aws.amazon.com/saml";
pub(super) const ACS_OWN: &str = "https://sts.example.com/saml/acs";
pub(super) const AUD_AWS: &str = "urn:amazon:webservices";
pub(super) const AUD_OWN: &str = "https://sts.example.com/saml/metadata";
pub(super) const ACCOUNT: &str = "123456789012";
pub(super) const ROLE_DEV: &str = "arn:aws:iam::123456789012:role/Dev";
pub(super) const ROLE_ATTR: &str = "https://aws.amazon.com/SAML/Attributes/Role";
/// The HTTP-Redirect SingleSignOnService of [`metadata_xml`].
pub(super) const SSO_REDIRECT: &str = "https://idp.example.com/sso/redirect";

pub(super) fn now() -> DateTime<Utc> {
    SystemClock.now()
}

/// An IdP signing key and its self-signed certificate.
pub(super) struct TestIdp {
    pub(super) key: PKey<Private>,
    pub(super) cert: X509,
}

impl TestIdp {
    pub(super) fn rsa(bits: u32, cn: &str) -> Self {
        let key = PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap();
        let cert = self_signed(&key, cn);
        Self { key, cert }
    }

    pub(super) fn cert_b64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.cert.to_der().unwrap())
    }
}

fn self_signed(key: &PKey<Private>, cn: &str) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let serial = BigNum::from_u32(7).unwrap().to_asn1_integer().unwrap();
    b.set_serial_number(&serial).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(365).unwrap())
        .unwrap();
    b.sign(key, MessageDigest::sha256()).unwrap();
    b.build()
}

/// The IdP every test trusts.
pub(super) fn idp() -> &'static TestIdp {
    static IDP: OnceLock<TestIdp> = OnceLock::new();
    IDP.get_or_init(|| TestIdp::rsa(2048, "test IdP"))
}

/// The IdP's next key (certificate rollover).
pub(super) fn idp_next() -> &'static TestIdp {
    static IDP: OnceLock<TestIdp> = OnceLock::new();
    IDP.get_or_init(|| TestIdp::rsa(2048, "test IdP, next key"))
}

/// Someone else's key, used to forge responses that name our IdP.
pub(super) fn attacker() -> &'static TestIdp {
    static IDP: OnceLock<TestIdp> = OnceLock::new();
    IDP.get_or_init(|| TestIdp::rsa(2048, "test IdP"))
}

pub(super) fn metadata_xml(entity_id: &str, idps: &[&TestIdp]) -> String {
    let keys = idps
        .iter()
        .map(|i| {
            format!(
                r#"<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
                i.cert_b64()
            )
        })
        .collect::<Vec<_>>()
        .concat();
    format!(
        r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    {keys}
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{SSO_REDIRECT}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#
    )
}

pub(super) fn provider(name: &str, metadata: SamlMetadataSource, allow_sha1: bool) -> SamlProvider {
    SamlProvider {
        name: name.to_owned(),
        arn: format!("arn:aws:iam::{ACCOUNT}:saml-provider/{name}"),
        metadata,
        display_name: name.to_owned(),
        audiences: vec![AUD_AWS.to_owned(), AUD_OWN.to_owned()],
        acs_urls: vec![ACS_AWS.to_owned(), ACS_OWN.to_owned()],
        allow_sha1,
        clock_skew_s: 60,
    }
}

pub(super) fn file_source(xml: String) -> SamlMetadataSource {
    SamlMetadataSource::File {
        path: PathBuf::from("idp-metadata.xml"),
        xml,
    }
}

/// `corp` (SHA-256 and up) and `legacy` (SHA-1 allowed), both trusting [`idp`].
pub(super) fn registry() -> super::SamlRegistry {
    let md = metadata_xml(ENTITY_ID, &[idp()]);
    let providers = [
        provider("corp", file_source(md.clone()), false),
        provider("legacy", file_source(md), true),
    ];
    super::SamlRegistry::new(&providers, None, reqwest::Client::new()).unwrap()
}

pub(super) fn b64(xml: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(xml)
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Signed {
    Assertion,
    Response,
    Both,
    Nothing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Alg {
    Sha256,
    Sha1,
}

/// A SAML Response as an IdP configured for AWS would send it. Defaults are valid now.
#[derive(Debug, Clone)]
pub(super) struct ResponseSpec {
    pub(super) response_id: String,
    pub(super) assertion_id: String,
    pub(super) issuer: String,
    pub(super) issue_instant: DateTime<Utc>,
    pub(super) destination: Option<String>,
    /// The Response's `InResponseTo`.
    pub(super) response_in_response_to: Option<String>,
    pub(super) status: Option<String>,
    pub(super) name_id: String,
    pub(super) name_id_format: Option<String>,
    pub(super) recipient: String,
    pub(super) confirmation_not_on_or_after: Option<DateTime<Utc>>,
    /// The bearer SubjectConfirmationData's `InResponseTo`.
    pub(super) in_response_to: Option<String>,
    pub(super) conditions: bool,
    pub(super) not_before: DateTime<Utc>,
    pub(super) not_on_or_after: DateTime<Utc>,
    pub(super) audience: Option<String>,
    pub(super) session_not_on_or_after: DateTime<Utc>,
    pub(super) attributes: Vec<(String, Option<String>, Vec<String>)>,
    pub(super) signed: Signed,
    pub(super) alg: Alg,
    /// Put the signing certificate into KeyInfo.
    pub(super) key_info: bool,
}

impl ResponseSpec {
    pub(super) fn new() -> Self {
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

    pub(super) fn signed(mut self, signed: Signed) -> Self {
        self.signed = signed;
        self
    }

    pub(super) fn signature_template(&self, reference: &str) -> String {
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
    pub(super) fn assertion_xml(&self, template: bool) -> String {
        let sig = if template {
            self.signature_template(&self.assertion_id)
        } else {
            String::new()
        };
        let format = self
            .name_id_format
            .as_ref()
            .map(|f| format!(r#" Format="{}""#, esc(f)))
            .unwrap_or_default();
        let confirmation_noa = self
            .confirmation_not_on_or_after
            .map(|t| format!(r#" NotOnOrAfter="{}""#, ts(t)))
            .unwrap_or_default();
        let confirmation_irt = self
            .in_response_to
            .as_ref()
            .map(|r| format!(r#" InResponseTo="{}""#, esc(r)))
            .unwrap_or_default();
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
                let friendly = friendly
                    .as_ref()
                    .map(|f| format!(r#" FriendlyName="{}""#, esc(f)))
                    .unwrap_or_default();
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
    pub(super) fn response_xml(&self, assertion: &str, template: bool) -> String {
        let sig = if template {
            self.signature_template(&self.response_id)
        } else {
            String::new()
        };
        let destination = self
            .destination
            .as_ref()
            .map(|d| format!(r#" Destination="{}""#, esc(d)))
            .unwrap_or_default();
        let in_response_to = self
            .response_in_response_to
            .as_ref()
            .map(|r| format!(r#" InResponseTo="{}""#, esc(r)))
            .unwrap_or_default();
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
    pub(super) fn template(&self) -> String {
        let assertion = self.assertion_xml(matches!(self.signed, Signed::Assertion | Signed::Both));
        self.response_xml(
            &assertion,
            matches!(self.signed, Signed::Response | Signed::Both),
        )
    }

    /// Signed by `idp` with `signer`. Both-signed documents are signed assertion first, then
    /// response (each signer signs the first template in document order, and the response's
    /// comes first).
    pub(super) fn sign_with(&self, idp: &TestIdp, signer: Signer) -> String {
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
    pub(super) fn sign(&self) -> String {
        self.sign_with(idp(), Signer::Xmlsec1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Signer {
    Xmlsec1,
    Samael,
}

/// Signs the first `ds:Signature` template with the `xmlsec1` tool: an XML-DSig
/// implementation independent of samael's code (it shares libxmlsec1 underneath, but not the
/// template handling, ID registration or serialisation).
pub(super) fn sign_xmlsec1(xml: &str, idp: &TestIdp) -> String {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let cert = dir.path().join("cert.pem");
    let input = dir.path().join("in.xml");
    let output = dir.path().join("out.xml");
    std::fs::write(&key, idp.key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    std::fs::write(&cert, idp.cert.to_pem().unwrap()).unwrap();
    std::fs::write(&input, xml).unwrap();
    let result = Command::new("xmlsec1")
        .arg("--sign")
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
        .arg(&input)
        .output();
    let out = match result {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "these tests sign SAML responses with the `xmlsec1` command-line tool, which is not \
             installed: apt-get install xmlsec1 (scripts/deps.sh lists it)"
        ),
        Err(e) => panic!("cannot run xmlsec1: {e}"),
    };
    assert!(
        out.status.success(),
        "xmlsec1 --sign failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&output).unwrap()
}

/// Signs the first `ds:Signature` template with samael's `XmlSec::sign_xml`.
pub(super) fn sign_samael(xml: &str, idp: &TestIdp) -> String {
    let der = idp.key.rsa().unwrap().private_key_to_der().unwrap();
    // The key has no certificate attached here, so xmlsec could not fill X509Data; KeyInfo is
    // ignored by the verifier anyway.
    let xml = xml.replace("<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>", "");
    Crypto::sign_xml(xml, &der).unwrap()
}

/// The SP's own key pair: what encrypted assertions are encrypted to.
pub(super) fn sp() -> &'static TestIdp {
    static SP: OnceLock<TestIdp> = OnceLock::new();
    SP.get_or_init(|| TestIdp::rsa(2048, "test SP"))
}

/// `key`'s private key as `[server] saml_sp_key_file` would hold it (PKCS#8 PEM).
pub(super) fn key_pem(key: &TestIdp) -> Secret {
    Secret::new(String::from_utf8(key.key.private_key_to_pem_pkcs8().unwrap()).unwrap())
}

/// Like [`registry`], decrypting with `sp_key`.
pub(super) fn registry_with_sp_key(sp_key: Option<&Secret>) -> super::SamlRegistry {
    let md = metadata_xml(ENTITY_ID, &[idp()]);
    let providers = [provider("corp", file_source(md), false)];
    super::SamlRegistry::new(&providers, sp_key, reqwest::Client::new()).unwrap()
}

/// Data encryption of an EncryptedAssertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DataEnc {
    Aes128Cbc,
    Aes192Cbc,
    Aes256Cbc,
    Aes128Gcm,
    Aes256Gcm,
}

impl DataEnc {
    pub(super) fn uri(self) -> &'static str {
        match self {
            Self::Aes128Cbc => "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
            Self::Aes192Cbc => "http://www.w3.org/2001/04/xmlenc#aes192-cbc",
            Self::Aes256Cbc => "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
            Self::Aes128Gcm => "http://www.w3.org/2009/xmlenc11#aes128-gcm",
            Self::Aes256Gcm => "http://www.w3.org/2009/xmlenc11#aes256-gcm",
        }
    }

    fn bits(self) -> usize {
        match self {
            Self::Aes128Cbc | Self::Aes128Gcm => 128,
            Self::Aes192Cbc => 192,
            Self::Aes256Cbc | Self::Aes256Gcm => 256,
        }
    }
}

/// Key transport of an EncryptedAssertion's session key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyEnc {
    /// `xmlenc#rsa-oaep-mgf1p` with an explicit SHA-1 DigestMethod, by `xmlsec1`.
    OaepMgf1p,
    /// `xmlenc#rsa-1_5`, by `xmlsec1`.
    Rsa15,
    /// `xmlenc11#rsa-oaep` with a SHA-256 DigestMethod and MGF1-SHA-256 (`xenc11:MGF`) or, if
    /// `mgf_sha256` is false, the default MGF1-SHA-1. `xmlsec1` 1.2 has no xmlenc11 OAEP, so
    /// the key is wrapped by the `openssl pkeyutl` tool and the data encrypted by `xmlsec1`.
    Oaep11Sha256 { mgf_sha256: bool },
}

/// Where the EncryptedKey goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyPlace {
    /// Inside `EncryptedData/ds:KeyInfo` (AD FS, Entra ID).
    Inline,
    /// Next to the EncryptedData, named by a `ds:RetrievalMethod` (Shibboleth).
    SiblingRetrieval,
    /// Next to the EncryptedData, no KeyInfo at all.
    SiblingOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Encryption {
    pub(super) data: DataEnc,
    pub(super) key: KeyEnc,
    pub(super) place: KeyPlace,
}

const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";

/// What `xmlsec1 --encrypt` encrypts.
#[derive(Debug, Clone, Copy)]
pub(super) enum Plaintext<'a> {
    /// The first `saml:Assertion` of this document (`--xml-data`, the node re-serialised by
    /// libxml2); the result is the document with the assertion replaced by an
    /// EncryptedAssertion.
    AssertionOf(&'a str),
    /// These bytes (`--binary-data`); the result is the `saml:EncryptedAssertion` element.
    Bytes(&'a [u8]),
}

/// Encrypts for `recipient`'s certificate with the `xmlsec1` tool (and, for xmlenc11 OAEP, the
/// `openssl` tool): an XML-Enc implementation independent of ours.
pub(super) fn encrypt_xmlsec1(
    plain: Plaintext<'_>,
    recipient: &TestIdp,
    enc: Encryption,
) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    std::fs::write(path("cert.pem"), recipient.cert.to_pem().unwrap()).unwrap();
    let key_template = match enc.key {
        KeyEnc::OaepMgf1p => format!(
            r#"<ds:KeyInfo><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="{XENC}rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="{DSIG}sha1"/></xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>"#
        ),
        KeyEnc::Rsa15 => format!(
            r#"<ds:KeyInfo><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="{XENC}rsa-1_5"/><xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>"#
        ),
        KeyEnc::Oaep11Sha256 { .. } => {
            "<ds:KeyInfo><ds:KeyName>session</ds:KeyName></ds:KeyInfo>".to_owned()
        }
    };
    let template = format!(
        r#"<xenc:EncryptedData xmlns:xenc="{XENC}" xmlns:ds="{DSIG}" Id="_ed1" Type="{XENC}Element"><xenc:EncryptionMethod Algorithm="{}"/>{key_template}<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>"#,
        enc.data.uri()
    );
    std::fs::write(path("template.xml"), &template).unwrap();
    let mut cmd = Command::new("xmlsec1");
    cmd.arg("--encrypt");
    let session_key = Zeroizing::new(random_bytes(enc.data.bits() / 8));
    if matches!(enc.key, KeyEnc::Oaep11Sha256 { .. }) {
        std::fs::write(path("session.bin"), &*session_key).unwrap();
        cmd.arg("--aeskey:session").arg(path("session.bin"));
    } else {
        cmd.arg("--pubkey-cert-pem")
            .arg(path("cert.pem"))
            .args(["--session-key", &format!("aes-{}", enc.data.bits())]);
    }
    match plain {
        Plaintext::AssertionOf(doc) => {
            let start = doc.find("<saml:Assertion").unwrap();
            let end = doc.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
            let wrapped = format!(
                "{}<saml:EncryptedAssertion>{}</saml:EncryptedAssertion>{}",
                &doc[..start],
                &doc[start..end],
                &doc[end..]
            );
            std::fs::write(path("data.xml"), wrapped).unwrap();
            cmd.arg("--xml-data").arg(path("data.xml")).args([
                "--node-name",
                "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            ]);
        }
        Plaintext::Bytes(bytes) => {
            std::fs::write(path("data.bin"), bytes).unwrap();
            cmd.arg("--binary-data").arg(path("data.bin"));
        }
    }
    let out = cmd
        .arg("--output")
        .arg(path("out.xml"))
        .arg(path("template.xml"))
        .output()
        .expect("the `xmlsec1` tool (apt-get install xmlsec1)");
    assert!(
        out.status.success(),
        "xmlsec1 --encrypt failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut xml = std::fs::read_to_string(path("out.xml")).unwrap();
    if let Plaintext::Bytes(_) = plain {
        let start = xml.find("<xenc:EncryptedData").unwrap();
        xml = format!(
            "<saml:EncryptedAssertion>{}</saml:EncryptedAssertion>",
            xml[start..].trim_end()
        );
    }
    if let KeyEnc::Oaep11Sha256 { mgf_sha256 } = enc.key {
        let wrapped = openssl_oaep_sha256(&path("cert.pem"), &session_key, mgf_sha256, dir.path());
        let mgf = if mgf_sha256 {
            r#"<xenc11:MGF xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/>"#
        } else {
            ""
        };
        let key = format!(
            r#"<ds:KeyInfo><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#rsa-oaep"><ds:DigestMethod Algorithm="{XENC}sha256"/>{mgf}</xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>"#,
            base64::engine::general_purpose::STANDARD.encode(wrapped)
        );
        let key_name = "<ds:KeyInfo><ds:KeyName>session</ds:KeyName></ds:KeyInfo>";
        assert!(xml.contains(key_name), "{xml}");
        xml = xml.replace(key_name, &key);
    }
    place_key(&xml, enc.place)
}

/// Moves the inline EncryptedKey next to the EncryptedData, as `place` says.
fn place_key(xml: &str, place: KeyPlace) -> String {
    if place == KeyPlace::Inline {
        return xml.to_owned();
    }
    let start = xml.find("<xenc:EncryptedKey>").unwrap();
    let end = xml.find("</xenc:EncryptedKey>").unwrap() + "</xenc:EncryptedKey>".len();
    let key = &xml[start..end];
    let (reference, id) = match place {
        KeyPlace::SiblingRetrieval => (
            format!(
                r##"<ds:KeyInfo><ds:RetrievalMethod Type="{XENC}EncryptedKey" URI="#_ek1"/></ds:KeyInfo>"##
            ),
            r#" Id="_ek1""#,
        ),
        _ => (String::new(), ""),
    };
    let sibling = key.replacen(
        "<xenc:EncryptedKey>",
        &format!(r#"<xenc:EncryptedKey xmlns:xenc="{XENC}" xmlns:ds="{DSIG}"{id}>"#),
        1,
    );
    let without = format!("{}{}", &xml[..start], &xml[end..]).replacen(
        "<ds:KeyInfo></ds:KeyInfo>",
        &reference,
        1,
    );
    without.replacen(
        "</xenc:EncryptedData>",
        &format!("</xenc:EncryptedData>{sibling}"),
        1,
    )
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    openssl::rand::rand_bytes(&mut buf).unwrap();
    buf
}

/// RSA-OAEP (SHA-256 digest; MGF1 with SHA-256 or SHA-1) by the `openssl pkeyutl` tool.
fn openssl_oaep_sha256(
    cert: &std::path::Path,
    key: &[u8],
    mgf_sha256: bool,
    dir: &std::path::Path,
) -> Vec<u8> {
    let input = dir.join("session.raw");
    let output = dir.join("session.wrapped");
    std::fs::write(&input, key).unwrap();
    let out = Command::new("openssl")
        .args(["pkeyutl", "-encrypt", "-certin", "-inkey"])
        .arg(cert)
        .arg("-in")
        .arg(&input)
        .arg("-out")
        .arg(&output)
        .args([
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
        ])
        .args([
            "-pkeyopt",
            if mgf_sha256 {
                "rsa_mgf1_md:sha256"
            } else {
                "rsa_mgf1_md:sha1"
            },
        ])
        .output()
        .expect("the `openssl` tool");
    assert!(
        out.status.success(),
        "openssl pkeyutl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&output).unwrap()
}
