//! SP-initiated login: a SAML `AuthnRequest` sent to the IdP with the HTTP-Redirect binding
//! (SAML bindings §3.4).
//!
//! The request is small and fixed: ID, IssueInstant, Destination, our ACS URL and the HTTP-POST
//! binding for the answer, our entity id as Issuer, and `NameIDPolicy AllowCreate="true"` (so an
//! IdP may mint a persistent identifier on first login). Every value is XML-escaped.
//!
//! The binding (§3.4.4.1): the XML is DEFLATE-compressed (raw, RFC 1951, no zlib header),
//! base64-encoded and sent as the `SAMLRequest` query parameter, followed by `RelayState`. A
//! signed request carries no XML signature; instead `SigAlg` is added and `Signature` is the
//! RSA-SHA256 (PKCS#1 v1.5) signature over the exact query octets
//! `SAMLRequest=…&RelayState=…&SigAlg=…`, as URL-encoded here. The IdP verifies those octets
//! as it received them, so this module fixes one encoding (RFC 3986 unreserved characters
//! stay, everything else is `%XX`) and signs what it sends.

use std::io::Write as _;

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use flate2::Compression;
use flate2::write::DeflateEncoder;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Private};
use openssl::sign::Signer;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use quick_xml::escape::escape;

use super::metadata::sso_location;

/// `SigAlg` of a signed request: RSA-SHA256, the one algorithm every IdP accepts.
pub(crate) const SIG_ALG_RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// Longest RelayState the binding allows (bindings §3.4.3: "MUST NOT exceed 80 bytes"); IdPs
/// that enforce it would otherwise fail the login at their end.
pub(crate) const MAX_RELAY_STATE_BYTES: usize = 80;
/// Longest accepted request ID. Ours are 33 characters; the cap keeps a caller's mistake from
/// producing a URL that browsers or IdPs truncate.
const MAX_ID_CHARS: usize = 256;

const NS_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const NS_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const HTTP_POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// What a query value keeps unencoded: RFC 3986 unreserved characters only. Anything looser
/// (`+` for space, `/` left alone) is also valid, but the IdP checks the signature over the
/// octets it received, so one strict spelling is the least surprising.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One AuthnRequest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AuthnRequestSpec<'a> {
    /// The request's ID, which the answer names in `InResponseTo`: use [`new_request_id`].
    pub(crate) id: &'a str,
    /// The SP's entity id.
    pub(crate) issuer: &'a str,
    /// The IdP's SingleSignOnService URL (HTTP-Redirect binding).
    pub(crate) destination: &'a str,
    /// Where the IdP must POST its Response.
    pub(crate) acs_url: &'a str,
    pub(crate) issue_instant: DateTime<Utc>,
    /// Opaque to the IdP, returned with the Response; at most [`MAX_RELAY_STATE_BYTES`].
    pub(crate) relay_state: Option<&'a str>,
}

/// An AuthnRequest without its destination, for [`super::SamlRegistry::authn_request_url`],
/// which takes the destination from the provider's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthnRequestParams<'a> {
    pub id: &'a str,
    pub issuer: &'a str,
    pub acs_url: &'a str,
    pub issue_instant: DateTime<Utc>,
    pub relay_state: Option<&'a str>,
}

impl<'a> AuthnRequestParams<'a> {
    /// The full request, sent to `destination`.
    pub(crate) fn with_destination(&self, destination: &'a str) -> AuthnRequestSpec<'a> {
        AuthnRequestSpec {
            id: self.id,
            issuer: self.issuer,
            destination,
            acs_url: self.acs_url,
            issue_instant: self.issue_instant,
            relay_state: self.relay_state,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthnRequestError {
    #[error("no such SAML provider")]
    NoSuchProvider,
    #[error("the SAML provider's metadata is not available yet")]
    MetadataUnavailable,
    #[error(
        "the SAML provider's metadata has no usable HTTP-Redirect SingleSignOnService \
         (an https URL, or http on a loopback host)"
    )]
    NoSsoEndpoint,
    #[error("AuthnRequest ID must be an XML name of at most {MAX_ID_CHARS} characters")]
    InvalidId,
    #[error(
        "AuthnRequest destination must be an https URL (http on a loopback host) without \
         credentials, fragment, spaces or non-ASCII characters"
    )]
    InvalidDestination,
    #[error("RelayState is longer than {MAX_RELAY_STATE_BYTES} bytes")]
    RelayStateTooLong,
    #[error("AuthnRequest signing key must be RSA")]
    UnsupportedKey,
    #[error("AuthnRequest could not be compressed")]
    Deflate,
    #[error("AuthnRequest could not be signed")]
    Signing,
}

/// A fresh request ID: `_` and 128 random bits in hex. The leading `_` makes it an XML NCName
/// (xs:ID cannot start with a digit); the randomness makes it unguessable, which matters when
/// the caller uses it to bind the IdP's answer to the browser session that asked.
pub(crate) fn new_request_id() -> String {
    let mut raw = [0u8; 16];
    crate::types::secret::fill_random(&mut raw);
    format!("_{}", hex::encode(raw))
}

/// The URL to redirect the browser to: `spec.destination` with `SAMLRequest`, `RelayState`
/// and, when `signing_key` is given (RSA only), `SigAlg` and `Signature` appended.
pub(crate) fn redirect_url(
    spec: &AuthnRequestSpec<'_>,
    signing_key: Option<&PKey<Private>>,
) -> Result<String, AuthnRequestError> {
    check(spec)?;
    let deflated = deflate(request_xml(spec).as_bytes())?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(deflated);
    let mut query = format!("SAMLRequest={}", utf8_percent_encode(&encoded, QUERY_VALUE));
    if let Some(relay_state) = spec.relay_state {
        query.push_str("&RelayState=");
        query.extend(utf8_percent_encode(relay_state, QUERY_VALUE));
    }
    if let Some(key) = signing_key {
        query.push_str("&SigAlg=");
        query.extend(utf8_percent_encode(SIG_ALG_RSA_SHA256, QUERY_VALUE));
        let signature = sign(key, query.as_bytes())?;
        let signature = base64::engine::general_purpose::STANDARD.encode(signature);
        query.push_str("&Signature=");
        query.extend(utf8_percent_encode(&signature, QUERY_VALUE));
    }
    // The destination's own query parameters stay; the signature covers only ours (§3.4.4.1).
    let separator = match spec.destination.split_once('?') {
        None => "?",
        Some((_, "")) => "",
        Some((_, existing)) if existing.ends_with('&') => "",
        Some(_) => "&",
    };
    Ok(format!("{}{separator}{query}", spec.destination))
}

/// Refuses what would make a request the IdP cannot use or a URL unsafe to redirect to.
fn check(spec: &AuthnRequestSpec<'_>) -> Result<(), AuthnRequestError> {
    if !is_ncname(spec.id) {
        return Err(AuthnRequestError::InvalidId);
    }
    // The destination is used verbatim (in the XML and as the URL prefix), so beyond being an
    // acceptable SSO location it must need no normalising: URL parsers silently drop tabs and
    // line breaks that would otherwise reach a `Location` header.
    if !spec.destination.bytes().all(|b| b.is_ascii_graphic())
        || sso_location(spec.destination).is_none()
    {
        return Err(AuthnRequestError::InvalidDestination);
    }
    if spec
        .relay_state
        .is_some_and(|r| r.len() > MAX_RELAY_STATE_BYTES)
    {
        return Err(AuthnRequestError::RelayStateTooLong);
    }
    Ok(())
}

/// An ASCII NCName: what xs:ID allows, minus the non-ASCII letters no IdP expects.
fn is_ncname(id: &str) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && id.len() <= MAX_ID_CHARS
}

/// The AuthnRequest document (no XML declaration: the binding carries UTF-8 bytes).
fn request_xml(spec: &AuthnRequestSpec<'_>) -> String {
    format!(
        r#"<samlp:AuthnRequest xmlns:samlp="{NS_PROTOCOL}" xmlns:saml="{NS_ASSERTION}" ID="{id}" Version="2.0" IssueInstant="{instant}" Destination="{destination}" AssertionConsumerServiceURL="{acs}" ProtocolBinding="{HTTP_POST_BINDING}"><saml:Issuer>{issuer}</saml:Issuer><samlp:NameIDPolicy AllowCreate="true"/></samlp:AuthnRequest>"#,
        id = escape(spec.id),
        instant = spec
            .issue_instant
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        destination = escape(spec.destination),
        acs = escape(spec.acs_url),
        issuer = escape(spec.issuer),
    )
}

/// Raw DEFLATE, as the binding requires (a zlib or gzip wrapper is rejected by IdPs).
fn deflate(data: &[u8]) -> Result<Vec<u8>, AuthnRequestError> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(data)
        .and_then(|()| encoder.finish())
        .map_err(|_| AuthnRequestError::Deflate)
}

/// RSA-SHA256 with PKCS#1 v1.5 padding (OpenSSL's default for RSA keys). The error carries no
/// OpenSSL detail, which could describe the key.
fn sign(key: &PKey<Private>, data: &[u8]) -> Result<Vec<u8>, AuthnRequestError> {
    if key.id() != Id::RSA {
        return Err(AuthnRequestError::UnsupportedKey);
    }
    let mut signer =
        Signer::new(MessageDigest::sha256(), key).map_err(|_| AuthnRequestError::Signing)?;
    signer
        .sign_oneshot_to_vec(data)
        .map_err(|_| AuthnRequestError::Signing)
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use chrono::TimeZone as _;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;
    use openssl::rsa::Rsa;
    use openssl::sign::Verifier;
    use quick_xml::Reader;
    use quick_xml::events::Event;
    use url::Url;

    use super::*;

    const DEST: &str = "https://idp.example.com/sso";

    fn spec<'a>(destination: &'a str, relay_state: Option<&'a str>) -> AuthnRequestSpec<'a> {
        AuthnRequestSpec {
            id: "_0123456789abcdef0123456789abcdef",
            issuer: "https://sts.example.com/saml/metadata",
            destination,
            acs_url: "https://sts.example.com/saml/acs",
            issue_instant: Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap(),
            relay_state,
        }
    }

    fn rsa_key() -> PKey<Private> {
        PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
    }

    /// Our parameters, in order, decoded (the destination's own ones skipped).
    fn params(url: &str) -> Vec<(String, String)> {
        Url::parse(url)
            .unwrap()
            .query_pairs()
            .filter(|(k, _)| matches!(&**k, "SAMLRequest" | "RelayState" | "SigAlg" | "Signature"))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn param(url: &str, name: &str) -> Option<String> {
        params(url)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    fn inflate(url: &str) -> String {
        let b64 = param(url, "SAMLRequest").unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let mut xml = String::new();
        flate2::read::DeflateDecoder::new(raw.as_slice())
            .read_to_string(&mut xml)
            .unwrap();
        xml
    }

    /// The root element's name and attributes (unescaped), and the Issuer's text.
    fn read_request(xml: &str) -> (String, Vec<(String, String)>, String) {
        let mut reader = Reader::from_str(xml);
        let mut root = None;
        let mut issuer = String::new();
        let mut in_issuer = false;
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) if root.is_none() => {
                    let attrs = e
                        .attributes()
                        .map(|a| {
                            let a = a.unwrap();
                            let v = a
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .unwrap()
                                .into_owned();
                            (String::from_utf8(a.key.as_ref().to_vec()).unwrap(), v)
                        })
                        .collect::<Vec<_>>();
                    root = Some((
                        String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
                        attrs,
                    ));
                }
                Event::Start(e) if e.name().as_ref() == b"saml:Issuer" => in_issuer = true,
                Event::Text(t) if in_issuer => issuer.push_str(&t.decode().unwrap()),
                Event::GeneralRef(r) if in_issuer => {
                    issuer.push_str(
                        &quick_xml::escape::unescape(&format!("&{};", r.decode().unwrap()))
                            .unwrap(),
                    );
                }
                Event::End(e) if e.name().as_ref() == b"saml:Issuer" => in_issuer = false,
                Event::Eof => break,
                _ => {}
            }
        }
        let (name, attrs) = root.unwrap();
        (name, attrs, issuer)
    }

    /// Whether the `Signature` parameter verifies with `key` over `octets`.
    fn signature_verifies(url: &str, key: &PKey<Private>, octets: &[u8]) -> bool {
        let signature = base64::engine::general_purpose::STANDARD
            .decode(param(url, "Signature").unwrap())
            .unwrap();
        let public = PKey::public_key_from_pem(&key.public_key_to_pem().unwrap()).unwrap();
        let mut v = Verifier::new(MessageDigest::sha256(), &public).unwrap();
        v.verify_oneshot(&signature, octets).unwrap()
    }

    fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> &'a str {
        &attrs.iter().find(|(k, _)| k == name).unwrap().1
    }

    #[test]
    fn request_xml_round_trips_through_the_binding() {
        let dest = "https://idp.example.com/sso?tenant=a&b=<c>";
        let mut s = spec(dest, None);
        s.issuer = "urn:sp&\"x\"";
        let url = redirect_url(&s, None).unwrap();
        let xml = inflate(&url);
        let (name, attrs, issuer) = read_request(&xml);
        assert_eq!(name, "samlp:AuthnRequest");
        assert_eq!(attr(&attrs, "xmlns:samlp"), NS_PROTOCOL);
        assert_eq!(attr(&attrs, "xmlns:saml"), NS_ASSERTION);
        assert_eq!(attr(&attrs, "ID"), s.id);
        assert_eq!(attr(&attrs, "Version"), "2.0");
        assert_eq!(attr(&attrs, "IssueInstant"), "2026-03-04T05:06:07Z");
        assert_eq!(attr(&attrs, "Destination"), dest);
        assert_eq!(
            attr(&attrs, "AssertionConsumerServiceURL"),
            "https://sts.example.com/saml/acs"
        );
        assert_eq!(attr(&attrs, "ProtocolBinding"), HTTP_POST_BINDING);
        assert_eq!(issuer, "urn:sp&\"x\"");
        // Escaped in the document itself, not just readable back.
        assert!(
            xml.contains(r#"Destination="https://idp.example.com/sso?tenant=a&amp;b=&lt;c&gt;""#),
            "{xml}"
        );
        assert!(
            xml.ends_with(r#"<samlp:NameIDPolicy AllowCreate="true"/></samlp:AuthnRequest>"#),
            "{xml}"
        );
        // Unsigned: nothing but the request.
        assert_eq!(
            params(&url)
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>(),
            ["SAMLRequest"]
        );
    }

    #[test]
    fn request_is_raw_deflate_not_zlib() {
        let url = redirect_url(&spec(DEST, None), None).unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(param(&url, "SAMLRequest").unwrap())
            .unwrap();
        let mut out = Vec::new();
        assert!(
            flate2::read::ZlibDecoder::new(raw.as_slice())
                .read_to_end(&mut out)
                .is_err()
        );
    }

    #[test]
    fn signature_covers_the_exact_query_octets() {
        let key = rsa_key();
        let relay = "back/to?a=1&b=2 +%é#";
        let url = redirect_url(&spec(DEST, Some(relay)), Some(&key)).unwrap();
        let query = url.strip_prefix(&format!("{DEST}?")).unwrap();
        let (signed, _) = query.split_once("&Signature=").unwrap();
        assert!(signed.starts_with("SAMLRequest="), "{signed}");
        let names: Vec<_> = signed
            .split('&')
            .map(|p| p.split_once('=').unwrap().0)
            .collect();
        assert_eq!(names, ["SAMLRequest", "RelayState", "SigAlg"]);
        assert!(
            signed.ends_with(
                "&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256"
            ),
            "{signed}"
        );
        assert_eq!(param(&url, "SigAlg").as_deref(), Some(SIG_ALG_RSA_SHA256));
        assert!(signature_verifies(&url, &key, signed.as_bytes()));
        // Any other octets (here: a less strict encoding) do not verify.
        assert!(!signature_verifies(
            &url,
            &key,
            signed.replace("%2F", "/").as_bytes()
        ));
        assert!(!signature_verifies(&url, &rsa_key(), signed.as_bytes()));
        // The RelayState round-trips through a standard query parser.
        assert_eq!(param(&url, "RelayState").as_deref(), Some(relay));
    }

    #[test]
    fn existing_query_string_is_kept_and_not_signed() {
        let key = rsa_key();
        for (dest, prefix) in [
            (
                "https://idp.example.com/sso?tenant=a&x=1",
                "https://idp.example.com/sso?tenant=a&x=1&SAMLRequest=",
            ),
            (
                "https://idp.example.com/sso?",
                "https://idp.example.com/sso?SAMLRequest=",
            ),
            (
                "https://idp.example.com/sso?a=1&",
                "https://idp.example.com/sso?a=1&SAMLRequest=",
            ),
            // An `&` in the path is not a query.
            (
                "https://idp.example.com/a&b",
                "https://idp.example.com/a&b?SAMLRequest=",
            ),
            (DEST, "https://idp.example.com/sso?SAMLRequest="),
        ] {
            let url = redirect_url(&spec(dest, Some("rs")), Some(&key)).unwrap();
            assert!(url.starts_with(prefix), "{url}");
            // The signature starts at our SAMLRequest: the IdP's own parameters are not in it.
            let ours = url.get(prefix.len() - "SAMLRequest=".len()..).unwrap();
            let (signed, _) = ours.split_once("&Signature=").unwrap();
            assert!(signature_verifies(&url, &key, signed.as_bytes()), "{url}");
            let pairs: Vec<_> = Url::parse(&url)
                .unwrap()
                .query_pairs()
                .map(|(k, _)| k.into_owned())
                .collect();
            assert_eq!(
                pairs.iter().filter(|k| k.as_str() == "Signature").count(),
                1
            );
            assert_eq!(
                read_request(&inflate(&url))
                    .1
                    .iter()
                    .find(|(k, _)| k == "Destination")
                    .unwrap()
                    .1,
                dest
            );
        }
    }

    #[test]
    fn refusals() {
        let key = rsa_key();
        let mut bad_id = spec(DEST, None);
        for id in [
            "",
            "1abc",
            "_a b",
            "_a\"b",
            "_é",
            &"_".repeat(MAX_ID_CHARS + 1),
        ] {
            bad_id.id = id;
            assert_eq!(
                redirect_url(&bad_id, None),
                Err(AuthnRequestError::InvalidId),
                "{id:?}"
            );
        }
        for dest in [
            "http://idp.example.com/sso",
            "https://idp.example.com/sso#x",
            "https://idp.example.com/s\nso",
            "https://idp.example.com/s so",
            " https://idp.example.com/sso",
            "https://idp.example.com/sö",
            "/sso",
        ] {
            assert_eq!(
                redirect_url(&spec(dest, None), None),
                Err(AuthnRequestError::InvalidDestination),
                "{dest:?}"
            );
        }
        assert!(redirect_url(&spec("http://127.0.0.1:8080/sso", None), None).is_ok());
        let long = "r".repeat(MAX_RELAY_STATE_BYTES + 1);
        assert_eq!(
            redirect_url(&spec(DEST, Some(&long)), Some(&key)),
            Err(AuthnRequestError::RelayStateTooLong)
        );
        assert!(
            redirect_url(
                &spec(DEST, Some(&long[..MAX_RELAY_STATE_BYTES])),
                Some(&key)
            )
            .is_ok()
        );
        let ec = EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap())
            .and_then(PKey::from_ec_key)
            .unwrap();
        assert_eq!(
            redirect_url(&spec(DEST, None), Some(&ec)),
            Err(AuthnRequestError::UnsupportedKey)
        );
    }

    #[test]
    fn request_ids_are_fresh_ncnames() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        for id in [&a, &b] {
            assert_eq!(id.len(), 33);
            assert!(id.starts_with('_'));
            assert!(id[1..].bytes().all(|c| c.is_ascii_hexdigit()));
            assert!(is_ncname(id));
        }
    }
}
