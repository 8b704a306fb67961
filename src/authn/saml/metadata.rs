//! IdP metadata (`EntityDescriptor`): the entity id that assertions must name as Issuer and the
//! signing certificates that must have signed them.
//!
//! Metadata without a signing certificate is refused outright: an SP that has no key to check
//! against would otherwise accept unsigned responses (samael does exactly that). DTDs are
//! refused too, so entity expansion never happens.
//!
//! The IdP's HTTP-Redirect `SingleSignOnService` is read too, for SP-initiated login. It is
//! optional: a provider without a usable one still serves IdP-initiated login and
//! AssumeRoleWithSAML, so a missing or refused endpoint is never an error here.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use url::{Host, Url};

/// The binding of the SingleSignOnService we send AuthnRequests to.
pub(crate) const HTTP_REDIRECT_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

/// What the bridge needs from IdP metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdpMetadata {
    pub(crate) entity_id: String,
    /// DER-encoded X.509 certificates usable for signing (`use="signing"` or no `use`).
    pub(crate) signing_certs: Vec<Vec<u8>>,
    /// The `Location` of the IdP's first HTTP-Redirect `SingleSignOnService`, when it is an
    /// acceptable redirect target (see [`sso_location`]); `None` otherwise.
    pub(crate) sso_redirect_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MetadataError {
    #[error("metadata is not well-formed XML: {0}")]
    Xml(String),
    #[error("metadata must not contain a DOCTYPE")]
    Dtd,
    #[error("metadata has no EntityDescriptor with an entityID")]
    NoEntityId,
    #[error("metadata has no IDPSSODescriptor")]
    NoIdpDescriptor,
    #[error("metadata has no signing certificate: responses could not be verified")]
    NoSigningCert,
    #[error("a signing certificate is not valid base64")]
    BadCertificate,
    #[error("metadata nests deeper than {MAX_DEPTH} elements")]
    TooDeep,
    #[error("metadata describes more than one entity; give the IdP's own EntityDescriptor")]
    MultipleEntities,
}

const MAX_DEPTH: usize = 64;

fn local_name(e: &BytesStart<'_>) -> Vec<u8> {
    e.local_name().as_ref().to_vec()
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(std::borrow::Cow::into_owned)
        })
}

/// A SingleSignOnService `Location` we are willing to send browsers to: an absolute `https://`
/// URL, or `http://` on a loopback host (an IdP on the operator's own machine, for tests and
/// demos). The browser carries the AuthnRequest there, so plain HTTP elsewhere would expose it
/// and the RelayState to the network. URLs with user info (credentials in metadata) or a
/// fragment (our query would land inside it) are refused too. The URL comes back in its
/// normalised form: ASCII only, no whitespace, so it is safe in a `Location` header.
pub(crate) fn sso_location(location: &str) -> Option<String> {
    let url = Url::parse(location).ok()?;
    let loopback = match url.host()? {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    };
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => loopback,
        _ => false,
    };
    let plain = url.username().is_empty() && url.password().is_none() && url.fragment().is_none();
    (scheme_ok && plain).then(|| url.into())
}

/// Parses IdP metadata text.
pub(crate) fn parse_idp_metadata(xml: &str) -> Result<IdpMetadata, MetadataError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut entity_id = None;
    let mut entities = 0usize;
    let mut in_idp = false;
    let mut seen_idp = false;
    // `Some(true)`: inside a KeyDescriptor usable for signing.
    let mut key_use: Option<bool> = None;
    let mut in_cert = false;
    let mut cert_text = String::new();
    let mut certs = Vec::new();
    // Only the first HTTP-Redirect service counts, usable or not: the IdP lists its preferred
    // endpoint first, and silently falling back to a later one would hide a broken first entry.
    let mut sso_redirect = FirstRedirectSso::default();
    loop {
        match reader
            .read_event()
            .map_err(|e| MetadataError::Xml(e.to_string()))?
        {
            Event::DocType(_) => return Err(MetadataError::Dtd),
            Event::Start(e) => {
                let name = local_name(&e);
                match name.as_slice() {
                    b"EntityDescriptor" => {
                        entities = entities.saturating_add(1);
                        entity_id = attr(&e, b"entityID");
                    }
                    b"IDPSSODescriptor" => {
                        in_idp = true;
                        seen_idp = true;
                    }
                    b"KeyDescriptor" if in_idp => {
                        key_use = Some(attr(&e, b"use").is_none_or(|u| u == "signing"));
                    }
                    b"X509Certificate" if key_use == Some(true) => {
                        in_cert = true;
                        cert_text.clear();
                    }
                    b"SingleSignOnService" if in_idp => sso_redirect.note(&e),
                    _ => {}
                }
                stack.push(name);
                if stack.len() > MAX_DEPTH {
                    return Err(MetadataError::TooDeep);
                }
            }
            Event::Empty(e) => match local_name(&e).as_slice() {
                b"EntityDescriptor" => {
                    entities = entities.saturating_add(1);
                    entity_id = attr(&e, b"entityID");
                }
                b"SingleSignOnService" if in_idp => sso_redirect.note(&e),
                _ => {}
            },
            Event::Text(t) if in_cert => {
                cert_text.push_str(&t.decode().map_err(|e| MetadataError::Xml(e.to_string()))?);
            }
            Event::End(_) => match stack.pop().as_deref() {
                Some(b"IDPSSODescriptor") => in_idp = false,
                Some(b"KeyDescriptor") => key_use = None,
                Some(b"X509Certificate") if in_cert => {
                    in_cert = false;
                    let compact: String =
                        cert_text.chars().filter(|c| !c.is_whitespace()).collect();
                    let der =
                        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, compact)
                            .map_err(|_| MetadataError::BadCertificate)?;
                    certs.push(der);
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    // An aggregate (EntitiesDescriptor) would mix several IdPs' keys under one entity id.
    if entities > 1 {
        return Err(MetadataError::MultipleEntities);
    }
    let entity_id = entity_id
        .filter(|e| !e.is_empty())
        .ok_or(MetadataError::NoEntityId)?;
    if !seen_idp {
        return Err(MetadataError::NoIdpDescriptor);
    }
    if certs.is_empty() {
        return Err(MetadataError::NoSigningCert);
    }
    Ok(IdpMetadata {
        entity_id,
        signing_certs: certs,
        sso_redirect_url: sso_redirect.url,
    })
}

/// The first HTTP-Redirect SingleSignOnService seen, and its Location if acceptable.
#[derive(Debug, Default)]
struct FirstRedirectSso {
    seen: bool,
    url: Option<String>,
}

impl FirstRedirectSso {
    fn note(&mut self, e: &BytesStart<'_>) {
        if !self.seen && attr(e, b"Binding").as_deref() == Some(HTTP_REDIRECT_BINDING) {
            self.seen = true;
            self.url = attr(e, b"Location").as_deref().and_then(sso_location);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com/saml">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>AAAA</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
      TUlJQ2VqQ0NB
    </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#;

    #[test]
    fn reads_entity_id_and_signing_certs_only() {
        let md = parse_idp_metadata(GOOD).unwrap();
        assert_eq!(md.entity_id, "https://idp.example.com/saml");
        assert_eq!(md.signing_certs, vec![b"MIICejCCA".to_vec()]);
        assert_eq!(
            md.sso_redirect_url.as_deref(),
            Some("https://idp.example.com/sso")
        );
    }

    fn with_sso(services: &str) -> String {
        GOOD.replace(
            r#"<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>"#,
            services,
        )
    }

    fn redirect(location: &str) -> String {
        format!(
            r#"<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{location}"/>"#
        )
    }

    #[test]
    fn sso_redirect_url_is_the_first_redirect_binding() {
        let post = r#"<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/post"/>"#;
        let services = format!(
            "{post}{}{}",
            redirect("https://idp.example.com/first?x=1&amp;y=2"),
            redirect("https://idp.example.com/second")
        );
        let md = parse_idp_metadata(&with_sso(&services)).unwrap();
        assert_eq!(
            md.sso_redirect_url.as_deref(),
            Some("https://idp.example.com/first?x=1&y=2")
        );
        // Written as a start/end pair rather than an empty element.
        let open = with_sso(&format!(
            r#"{post}<md:SingleSignOnService Binding="{HTTP_REDIRECT_BINDING}" Location="https://idp.example.com/open"></md:SingleSignOnService>"#
        ));
        assert_eq!(
            parse_idp_metadata(&open)
                .unwrap()
                .sso_redirect_url
                .as_deref(),
            Some("https://idp.example.com/open")
        );
        // Only POST, or none at all: no endpoint, and the metadata is still fine.
        assert_eq!(
            parse_idp_metadata(&with_sso(post))
                .unwrap()
                .sso_redirect_url,
            None
        );
        assert_eq!(
            parse_idp_metadata(&with_sso("")).unwrap().sso_redirect_url,
            None
        );
        // Outside the IDPSSODescriptor it does not count.
        let outside = with_sso("").replace(
            "</md:EntityDescriptor>",
            &format!(
                "{}</md:EntityDescriptor>",
                redirect("https://idp.example.com/x")
            ),
        );
        assert_eq!(parse_idp_metadata(&outside).unwrap().sso_redirect_url, None);
    }

    #[test]
    fn sso_redirect_url_must_be_https_or_loopback_http() {
        for (location, expected) in [
            (
                "https://idp.example.com/sso",
                Some("https://idp.example.com/sso"),
            ),
            ("https://IDP.example.com", Some("https://idp.example.com/")),
            (
                "http://127.0.0.1:8080/sso",
                Some("http://127.0.0.1:8080/sso"),
            ),
            ("http://localhost/sso", Some("http://localhost/sso")),
            ("http://[::1]:9000/sso", Some("http://[::1]:9000/sso")),
            ("http://idp.example.com/sso", None),
            ("http://10.0.0.1/sso", None),
            ("ftp://idp.example.com/sso", None),
            ("javascript:alert(1)", None),
            ("/relative/sso", None),
            ("", None),
            ("https://user:pw@idp.example.com/sso", None),
            ("https://idp.example.com/sso#frag", None),
        ] {
            assert_eq!(sso_location(location).as_deref(), expected, "{location}");
        }
        // A refused first endpoint is not replaced by a later one, and is not fatal.
        let services = format!(
            "{}{}",
            redirect("http://idp.example.com/sso"),
            redirect("https://idp.example.com/sso")
        );
        let md = parse_idp_metadata(&with_sso(&services)).unwrap();
        assert_eq!(md.sso_redirect_url, None);
        assert_eq!(md.entity_id, "https://idp.example.com/saml");
        let no_location = with_sso(&format!(
            r#"<md:SingleSignOnService Binding="{HTTP_REDIRECT_BINDING}"/>"#
        ));
        assert_eq!(
            parse_idp_metadata(&no_location).unwrap().sso_redirect_url,
            None
        );
    }

    #[test]
    fn refuses_metadata_that_cannot_verify() {
        let no_signing = GOOD.replace("use=\"signing\"", "use=\"encryption\"");
        assert_eq!(
            parse_idp_metadata(&no_signing),
            Err(MetadataError::NoSigningCert)
        );
        let dtd = format!("<!DOCTYPE x [<!ENTITY a \"b\">]>{GOOD}")
            .replace("<?xml version=\"1.0\"?>", "");
        assert_eq!(parse_idp_metadata(&dtd), Err(MetadataError::Dtd));
        assert_eq!(
            parse_idp_metadata(&GOOD.replace("entityID=\"https://idp.example.com/saml\"", "")),
            Err(MetadataError::NoEntityId)
        );
        assert!(matches!(
            parse_idp_metadata("<a><b></a>"),
            Err(MetadataError::Xml(_))
        ));
        assert_eq!(
            parse_idp_metadata(&GOOD.replace("TUlJQ2VqQ0NB", "!!")),
            Err(MetadataError::BadCertificate)
        );
        let body = GOOD.replace("<?xml version=\"1.0\"?>", "");
        let aggregate = format!(
            "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\">{body}{}</md:EntitiesDescriptor>",
            body.replace(
                "https://idp.example.com/saml",
                "https://other.example.com/saml"
            )
        );
        assert_eq!(
            parse_idp_metadata(&aggregate),
            Err(MetadataError::MultipleEntities)
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_or_mangled_input(text in "\\PC{0,400}", cut in 0usize..2000) {
            let _ = parse_idp_metadata(&text);
            let mangled: String = GOOD.chars().take(cut).chain(text.chars()).collect();
            let _ = parse_idp_metadata(&mangled);
        }
    }
}
