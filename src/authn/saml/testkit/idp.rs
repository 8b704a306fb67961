//! Who the tests trust: the IdP and SP key pairs (generated at test time), the IdP's metadata,
//! providers and registries built on them, and the fixed names responses use.

use std::path::PathBuf;
use std::sync::OnceLock;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509, X509NameBuilder};

use crate::authn::saml::SamlRegistry;
use crate::clock::{Clock, SystemClock};
use crate::config::{SamlMetadataSource, SamlProvider};
use crate::types::Secret;

pub(crate) const ENTITY_ID: &str = "https://idp.example.com/saml";
pub(crate) const ACS_AWS: &str = "https://signin.aws.amazon.com/saml";
pub(crate) const ACS_OWN: &str = "https://sts.example.com/saml/acs";
pub(crate) const AUD_AWS: &str = "urn:amazon:webservices";
pub(crate) const AUD_OWN: &str = "https://sts.example.com/saml/metadata";
pub(crate) const ACCOUNT: &str = "123456789012";
pub(crate) const ROLE_DEV: &str = "arn:aws:iam::123456789012:role/Dev";
pub(crate) const ROLE_ATTR: &str = "https://aws.amazon.com/SAML/Attributes/Role";
/// The HTTP-Redirect SingleSignOnService of [`metadata_xml`].
pub(crate) const SSO_REDIRECT: &str = "https://idp.example.com/sso/redirect";

pub(crate) fn now() -> DateTime<Utc> {
    SystemClock.now()
}

/// An IdP signing key and its self-signed certificate.
pub(crate) struct TestIdp {
    pub(crate) key: PKey<Private>,
    pub(crate) cert: X509,
}

impl TestIdp {
    pub(crate) fn rsa(bits: u32, cn: &str) -> Self {
        let key = PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap();
        let cert = self_signed(&key, cn);
        Self { key, cert }
    }

    pub(crate) fn cert_b64(&self) -> String {
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
pub(crate) fn idp() -> &'static TestIdp {
    static IDP: OnceLock<TestIdp> = OnceLock::new();
    IDP.get_or_init(|| TestIdp::rsa(2048, "test IdP"))
}

/// The IdP's next key (certificate rollover).
pub(crate) fn idp_next() -> &'static TestIdp {
    static IDP: OnceLock<TestIdp> = OnceLock::new();
    IDP.get_or_init(|| TestIdp::rsa(2048, "test IdP, next key"))
}

/// Someone else's key, used to forge responses that name our IdP.
pub(crate) fn attacker() -> &'static TestIdp {
    static IDP: OnceLock<TestIdp> = OnceLock::new();
    IDP.get_or_init(|| TestIdp::rsa(2048, "test IdP"))
}

pub(crate) fn metadata_xml(entity_id: &str, idps: &[&TestIdp]) -> String {
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

pub(crate) fn provider(name: &str, metadata: SamlMetadataSource, allow_sha1: bool) -> SamlProvider {
    SamlProvider {
        name: name.to_owned(),
        arn: format!("arn:aws:iam::{ACCOUNT}:saml-provider/{name}")
            .parse()
            .unwrap(),
        metadata,
        display_name: name.to_owned(),
        audiences: vec![AUD_AWS.to_owned(), AUD_OWN.to_owned()],
        acs_urls: vec![ACS_AWS.to_owned(), ACS_OWN.to_owned()],
        allow_sha1,
        clock_skew_s: 60,
    }
}

pub(crate) fn file_source(xml: String) -> SamlMetadataSource {
    SamlMetadataSource::File {
        path: PathBuf::from("idp-metadata.xml"),
        xml,
    }
}

/// `corp` (SHA-256 and up) and `legacy` (SHA-1 allowed), both trusting [`idp`].
pub(crate) fn registry() -> SamlRegistry {
    let md = metadata_xml(ENTITY_ID, &[idp()]);
    let providers = [
        provider("corp", file_source(md.clone()), false),
        provider("legacy", file_source(md), true),
    ];
    SamlRegistry::new(&providers, None, reqwest::Client::new()).unwrap()
}

pub(crate) fn b64(xml: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(xml)
}

/// `doc` with `insert` put in after its first `at` characters: how the never-panics properties
/// mangle a valid document.
pub(crate) fn splice(doc: &str, at: usize, insert: &str) -> String {
    doc.chars()
        .take(at)
        .chain(insert.chars())
        .chain(doc.chars().skip(at))
        .collect()
}

/// The SP's own key pair: what encrypted assertions are encrypted to.
pub(crate) fn sp() -> &'static TestIdp {
    static SP: OnceLock<TestIdp> = OnceLock::new();
    SP.get_or_init(|| TestIdp::rsa(2048, "test SP"))
}

/// `key`'s private key as `[server] saml_sp_key_file` would hold it (PKCS#8 PEM).
pub(crate) fn key_pem(key: &TestIdp) -> Secret {
    Secret::new(String::from_utf8(key.key.private_key_to_pem_pkcs8().unwrap()).unwrap())
}

/// Like [`registry`], decrypting with `sp_key`.
pub(crate) fn registry_with_sp_key(sp_key: Option<&Secret>) -> SamlRegistry {
    let md = metadata_xml(ENTITY_ID, &[idp()]);
    let providers = [provider("corp", file_source(md), false)];
    SamlRegistry::new(&providers, sp_key, reqwest::Client::new()).unwrap()
}
