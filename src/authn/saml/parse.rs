//! Untrusted input → a document we are willing to hand to libxml2/xmlsec (through samael).
//!
//! Runs before any C code sees the bytes, in this order: length cap on the base64 text, strict
//! base64, UTF-8, then one pass ([`scan`]) of the hardened reader in `xml` (which first refuses
//! every markup declaration, `<!DOCTYPE`, `<!ENTITY`, …, by a byte scan) that
//! - rejects anything not well-formed, plus what libxml2's *recover* mode (samael parses with
//!   it) would silently repair: unknown prefixes, undeclared entities, control characters, `<`
//!   in attribute values, non-UTF-8 encoding declarations, a second root, processing
//!   instructions. A document both parsers accept has one reading, so what we count below is
//!   what xmlsec verifies;
//! - refuses encrypted content, and requires exactly one `Assertion` element (counted by
//!   namespace-aware local name, in any namespace) that is a direct child of the root
//!   `samlp:Response`;
//! - pins the signature layout SAML uses (core §5.4): at most one `ds:Signature` directly in the
//!   Response and one directly in the Assertion, each with one `Reference` whose URI is `#` + the
//!   ID of that parent, transforms limited to enveloped-signature and C14N, no `ds:Object`,
//!   `Manifest` or `RetrievalMethod`; and the signature/digest algorithm allow-list;
//! - records the few raw (unsigned) values used to pick samael's configuration and to check the
//!   unsigned Response shell: Destination, Issuer, top-level StatusCode, bearer Recipients and
//!   Audiences. None of them is trusted: the checks that matter run again on samael's verified
//!   output.

use base64::Engine as _;
use quick_xml::events::Event;

use super::error::SamlError;
use super::limits::{MAX_DEPTH, MAX_RESPONSE_CHARS};
use super::xml::{Ns, XmlReader, check_decl, resolve_reference, text};

pub(super) const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const C14N: [&str; 6] = [
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments",
];
/// SignatureMethod URIs always accepted (the same set is configured in samael).
pub(super) const SIGNATURE_ALGORITHMS: [&str; 5] = [
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
];
const DIGEST_ALGORITHMS: [&str; 3] = [
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// Length cap, then base64, then UTF-8.
///
/// ASCII whitespace is skipped: the SAML HTTP-POST binding (bindings §3.5.4) specifies RFC 2045
/// base64, which wraps lines. Otherwise decoding is strict: standard alphabet, canonical
/// padding, no trailing bits.
pub(super) fn decode_response(b64: &str) -> Result<String, SamlError> {
    if b64.len() > MAX_RESPONSE_CHARS {
        return Err(SamlError::TooLarge);
    }
    let compact: Vec<u8> = b64
        .bytes()
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| SamlError::BadBase64)?;
    String::from_utf8(bytes).map_err(|_| SamlError::NotUtf8)
}

/// Unsigned facts from the raw document (see the module doc: hints, never trusted).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct RawFacts {
    pub(super) destination: Option<String>,
    /// The Response's `InResponseTo`. Usable only when `response_signed`: samael then has
    /// verified the Response's enveloped signature, which covers the root's attributes, and
    /// this scan reads the same attribute libxml2 does (see the module doc).
    pub(super) in_response_to: Option<String>,
    /// The Response's own `Issuer` (not the assertion's).
    pub(super) response_issuer: Option<String>,
    /// `Value` of the top-level `StatusCode`.
    pub(super) status_code: Option<String>,
    /// `Recipient`s of bearer `SubjectConfirmationData` in the assertion.
    pub(super) recipients: Vec<String>,
    pub(super) audiences: Vec<String>,
    pub(super) response_signed: bool,
    pub(super) assertion_signed: bool,
}

/// The structural pass described in the module doc. `allow_sha1` widens the algorithm
/// allow-list by RSA-SHA1 and SHA-1.
pub(super) fn scan(xml: &str, allow_sha1: bool) -> Result<RawFacts, SamlError> {
    let mut reader = XmlReader::new(xml)?;
    // libxml2 refuses raw control characters; in recover mode it would drop them. Refuse them
    // here so both parsers see the same text.
    if xml
        .bytes()
        .any(|b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
    {
        return Err(SamlError::MalformedXml);
    }
    let mut scan = Scan::new(allow_sha1);
    let mut first = true;
    loop {
        let (ns, event) = reader.next()?;
        match event {
            Event::Decl(decl) if first => check_decl(&decl)?,
            // A late declaration or a processing instruction; and comments and CDATA, which split
            // text nodes (how NameID comment-injection attacks work, and what makes samael's
            // signed-content matcher backtrack). IdPs do not emit them in responses.
            Event::Decl(_) | Event::PI(_) | Event::CData(_) | Event::Comment(_) => {
                return Err(SamlError::MalformedXml);
            }
            Event::DocType(_) => return Err(SamlError::Dtd),
            Event::Start(e) => {
                let attrs = reader.attributes(&e)?;
                scan.open(ns, e.local_name().as_ref(), &attrs)?;
            }
            Event::Empty(e) => {
                let attrs = reader.attributes(&e)?;
                scan.open(ns, e.local_name().as_ref(), &attrs)?;
                scan.close()?;
            }
            Event::End(_) => scan.close()?,
            Event::Text(t) => scan.text(&text(&t)?, true)?,
            Event::GeneralRef(r) => {
                let c = resolve_reference(&r)?;
                scan.text(c.encode_utf8(&mut [0; 4]), false)?;
            }
            Event::Eof => break,
        }
        first = false;
    }
    scan.finish()
}

/// The Response's own `Issuer`: its direct child, which stays outside an EncryptedAssertion,
/// read without judging anything else (so encrypted responses have one too). `Ok(None)` when
/// the Response has none, or more than one. A hint for picking the provider, never trusted:
/// verification checks everything against the provider it picks.
pub(super) fn response_issuer(xml: &str) -> Result<Option<String>, SamlError> {
    let mut reader = XmlReader::new(xml)?;
    // Open elements; whether the open depth-1 element is an Issuer; what it said.
    let mut depth = 0usize;
    let mut in_issuer = false;
    let mut issuers = 0usize;
    let mut issuer = String::new();
    loop {
        let (ns, event) = reader.next()?;
        let (element, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                depth = depth.checked_sub(1).ok_or(SamlError::MalformedXml)?;
                match depth {
                    0 => break,
                    1 => in_issuer = false,
                    _ => {}
                }
                continue;
            }
            Event::Text(t) if in_issuer && depth == 2 => {
                issuer.push_str(&text(&t)?);
                continue;
            }
            Event::GeneralRef(r) if in_issuer && depth == 2 => {
                issuer.push(resolve_reference(&r)?);
                continue;
            }
            Event::Eof => return Err(SamlError::MalformedXml),
            _ => continue,
        };
        let local = element.local_name();
        match depth {
            0 if ns != Ns::Protocol || local.as_ref() != b"Response" => {
                return Err(SamlError::NotAResponse);
            }
            1 if ns == Ns::Assertion && local.as_ref() == b"Issuer" => {
                issuers = issuers.saturating_add(1);
                in_issuer = !empty;
            }
            _ => {}
        }
        if empty {
            if depth == 0 {
                break;
            }
        } else {
            depth = depth.saturating_add(1);
        }
    }
    Ok((issuers == 1).then_some(issuer))
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Response,
    Assertion,
    Signature,
    SignedInfo,
    Reference,
    Transforms,
    Status,
    Subject,
    BearerConfirmation,
    Issuer,
    Audience,
    Other,
}

#[derive(Debug)]
struct Frame {
    kind: Kind,
    /// `ID` of a Response or Assertion: what a signature inside it must reference.
    id: Option<String>,
}

#[derive(Debug, Default)]
struct SignatureState {
    /// The ID the single Reference must point at (`None`: parent has no ID, or is not a
    /// Response/Assertion).
    target: Option<String>,
    signed_infos: usize,
    references: usize,
    methods: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Root {
    NotYet,
    Open,
    Closed,
}

#[derive(Debug)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent findings of one pass, reported afterwards in a fixed order"
)]
struct Scan {
    allow_sha1: bool,
    stack: Vec<Frame>,
    root: Root,
    facts: RawFacts,
    assertions: usize,
    assertion_misplaced: bool,
    encrypted: bool,
    signatures: usize,
    bad_layout: bool,
    bad_algorithm: bool,
    signature: Option<SignatureState>,
    /// Text being collected for an Issuer/Audience.
    text: Option<String>,
}

impl Scan {
    fn new(allow_sha1: bool) -> Self {
        Self {
            allow_sha1,
            stack: Vec::new(),
            root: Root::NotYet,
            facts: RawFacts::default(),
            assertions: 0,
            assertion_misplaced: false,
            encrypted: false,
            signatures: 0,
            bad_layout: false,
            bad_algorithm: false,
            signature: None,
            text: None,
        }
    }

    fn signature_algorithm_ok(&self, alg: Option<&str>) -> bool {
        alg.is_some_and(|a| SIGNATURE_ALGORITHMS.contains(&a) || (self.allow_sha1 && a == RSA_SHA1))
    }

    fn digest_algorithm_ok(&self, alg: Option<&str>) -> bool {
        alg.is_some_and(|a| DIGEST_ALGORITHMS.contains(&a) || (self.allow_sha1 && a == SHA1))
    }

    fn in_assertion(&self) -> bool {
        self.stack.iter().any(|f| f.kind == Kind::Assertion)
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one match over the element kinds reads best in one place"
    )]
    fn open(&mut self, ns: Ns, local: &[u8], attrs: &[(String, String)]) -> Result<(), SamlError> {
        if local.contains(&b':') || self.root == Root::Closed {
            return Err(SamlError::MalformedXml);
        }
        let depth = self.stack.len();
        if depth >= MAX_DEPTH {
            return Err(SamlError::MalformedXml);
        }
        let parent = self.stack.last().map(|f| f.kind);
        let parent_id = self.stack.last().and_then(|f| f.id.clone());
        let mut id = None;
        let kind = match (ns, local) {
            (_, b"Response") if depth == 0 => {
                if ns != Ns::Protocol {
                    return Err(SamlError::NotAResponse);
                }
                self.root = Root::Open;
                self.facts.destination = attr(attrs, "Destination").map(str::to_owned);
                self.facts.in_response_to = attr(attrs, "InResponseTo").map(str::to_owned);
                id = attr(attrs, "ID").map(str::to_owned);
                Kind::Response
            }
            _ if depth == 0 => return Err(SamlError::NotAResponse),
            (_, b"EncryptedAssertion" | b"EncryptedID" | b"EncryptedAttribute") => {
                self.encrypted = true;
                Kind::Other
            }
            (_, b"Assertion") => {
                self.assertions = self.assertions.saturating_add(1);
                if !(ns == Ns::Assertion && depth == 1) {
                    self.assertion_misplaced = true;
                }
                id = attr(attrs, "ID").map(str::to_owned);
                Kind::Assertion
            }
            (Ns::Dsig, b"Signature") => {
                self.signatures = self.signatures.saturating_add(1);
                let slot = match (parent, depth) {
                    (Some(Kind::Response), 1) => Some(&mut self.facts.response_signed),
                    (Some(Kind::Assertion), 2) => Some(&mut self.facts.assertion_signed),
                    _ => None,
                };
                match slot {
                    Some(seen) if !*seen => *seen = true,
                    _ => self.bad_layout = true,
                }
                if self.signature.is_some() {
                    self.bad_layout = true;
                }
                self.signature = Some(SignatureState {
                    target: parent_id,
                    ..SignatureState::default()
                });
                Kind::Signature
            }
            (Ns::Dsig, b"SignedInfo") => {
                self.expect_parent(parent, Kind::Signature);
                if let Some(s) = self.signature.as_mut() {
                    s.signed_infos = s.signed_infos.saturating_add(1);
                }
                Kind::SignedInfo
            }
            (Ns::Dsig, b"CanonicalizationMethod") => {
                self.expect_parent(parent, Kind::SignedInfo);
                if !attr(attrs, "Algorithm").is_some_and(|a| C14N.contains(&a)) {
                    self.bad_layout = true;
                }
                Kind::Other
            }
            (Ns::Dsig, b"SignatureMethod") => {
                self.expect_parent(parent, Kind::SignedInfo);
                if !self.signature_algorithm_ok(attr(attrs, "Algorithm")) {
                    self.bad_algorithm = true;
                }
                if let Some(s) = self.signature.as_mut() {
                    s.methods = s.methods.saturating_add(1);
                }
                Kind::Other
            }
            (Ns::Dsig, b"Reference") => {
                self.expect_parent(parent, Kind::SignedInfo);
                let uri = attr(attrs, "URI");
                match self.signature.as_mut() {
                    Some(s) => {
                        s.references = s.references.saturating_add(1);
                        let points_at_parent =
                            match (uri.and_then(|u| u.strip_prefix('#')), &s.target) {
                                (Some(u), Some(t)) => u == t,
                                _ => false,
                            };
                        if !points_at_parent {
                            self.bad_layout = true;
                        }
                    }
                    None => self.bad_layout = true,
                }
                Kind::Reference
            }
            (Ns::Dsig, b"Transforms") => {
                self.expect_parent(parent, Kind::Reference);
                Kind::Transforms
            }
            (Ns::Dsig, b"Transform") => {
                self.expect_parent(parent, Kind::Transforms);
                if !attr(attrs, "Algorithm").is_some_and(|a| a == ENVELOPED || C14N.contains(&a)) {
                    self.bad_layout = true;
                }
                Kind::Other
            }
            (Ns::Dsig, b"DigestMethod") => {
                self.expect_parent(parent, Kind::Reference);
                if !self.digest_algorithm_ok(attr(attrs, "Algorithm")) {
                    self.bad_algorithm = true;
                }
                Kind::Other
            }
            // A second Response anywhere is a wrapper (XSW1/2 shapes); the ds: elements are
            // places to hide a copy of signed content, or to make xmlsec fetch something.
            (_, b"Response")
            | (
                Ns::Dsig,
                b"Object" | b"Manifest" | b"RetrievalMethod" | b"SignatureProperties" | b"XPath",
            ) => {
                self.bad_layout = true;
                Kind::Other
            }
            (Ns::Protocol, b"Status") if depth == 1 => Kind::Status,
            (Ns::Protocol, b"StatusCode") if parent == Some(Kind::Status) => {
                if self.facts.status_code.is_none() {
                    self.facts.status_code =
                        Some(attr(attrs, "Value").unwrap_or_default().to_owned());
                }
                Kind::Other
            }
            (Ns::Assertion, b"Issuer") if depth == 1 => {
                self.text = Some(String::new());
                Kind::Issuer
            }
            (Ns::Assertion, b"Subject") if parent == Some(Kind::Assertion) => Kind::Subject,
            (Ns::Assertion, b"SubjectConfirmation") if parent == Some(Kind::Subject) => {
                if attr(attrs, "Method") == Some(BEARER) {
                    Kind::BearerConfirmation
                } else {
                    Kind::Other
                }
            }
            (Ns::Assertion, b"SubjectConfirmationData")
                if parent == Some(Kind::BearerConfirmation) =>
            {
                if let Some(r) = attr(attrs, "Recipient") {
                    self.facts.recipients.push(r.to_owned());
                }
                Kind::Other
            }
            (Ns::Assertion, b"Audience") if self.in_assertion() => {
                self.text = Some(String::new());
                Kind::Audience
            }
            _ => Kind::Other,
        };
        self.stack.push(Frame { kind, id });
        Ok(())
    }

    fn expect_parent(&mut self, parent: Option<Kind>, expected: Kind) {
        if parent != Some(expected) {
            self.bad_layout = true;
        }
    }

    fn close(&mut self) -> Result<(), SamlError> {
        let frame = self.stack.pop().ok_or(SamlError::MalformedXml)?;
        match frame.kind {
            Kind::Response => self.root = Root::Closed,
            Kind::Issuer => self.facts.response_issuer = self.text.take(),
            Kind::Audience => {
                if let Some(text) = self.text.take() {
                    self.facts.audiences.push(text);
                }
            }
            Kind::Signature => {
                let s = self.signature.take().unwrap_or_default();
                if (s.signed_infos, s.references, s.methods) != (1, 1, 1) {
                    self.bad_layout = true;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Character data. Outside the root only whitespace is allowed (and no CDATA or references).
    fn text(&mut self, text: &str, plain: bool) -> Result<(), SamlError> {
        let Some(top) = self.stack.last() else {
            if plain
                && text
                    .bytes()
                    .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            {
                return Ok(());
            }
            return Err(SamlError::MalformedXml);
        };
        if matches!(top.kind, Kind::Issuer | Kind::Audience)
            && let Some(buf) = self.text.as_mut()
        {
            buf.push_str(text);
        }
        Ok(())
    }

    /// The verdict, in the documented order of checks.
    fn finish(self) -> Result<RawFacts, SamlError> {
        if self.root != Root::Closed || !self.stack.is_empty() {
            return Err(SamlError::MalformedXml);
        }
        if self.encrypted {
            return Err(SamlError::EncryptedAssertion);
        }
        if self.assertions != 1 {
            return Err(SamlError::AssertionCount);
        }
        if self.signatures == 0 {
            return Err(SamlError::Unsigned);
        }
        if self.assertion_misplaced || self.bad_layout {
            return Err(SamlError::SignatureLayout);
        }
        if self.bad_algorithm {
            return Err(SamlError::DisallowedAlgorithm);
        }
        Ok(self.facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authn::saml::limits::MAX_ATTRIBUTES;
    use crate::authn::saml::testkit::splice;
    use crate::authn::saml::xml::refuse_declarations;

    const SIG: &str = r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#a1"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>x</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>x</ds:SignatureValue></ds:Signature>"##;

    fn doc(assertion_body: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="r1" InResponseTo="_req&amp;1" Destination="https://acs.test/a?x=1&amp;y=2"><saml:Issuer>https://idp.test</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="a1"><saml:Issuer>https://idp.test</saml:Issuer>{assertion_body}<saml:Subject><saml:NameID>n</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData Recipient="https://acs.test/r"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions><saml:AudienceRestriction><saml:Audience>urn:a&amp;b&#x43;</saml:Audience></saml:AudienceRestriction></saml:Conditions></saml:Assertion></samlp:Response>"#
        )
    }

    #[test]
    fn collects_raw_facts() {
        let facts = scan(&doc(SIG), false).unwrap();
        assert_eq!(
            facts,
            RawFacts {
                destination: Some("https://acs.test/a?x=1&y=2".into()),
                in_response_to: Some("_req&1".into()),
                response_issuer: Some("https://idp.test".into()),
                status_code: Some("urn:oasis:names:tc:SAML:2.0:status:Success".into()),
                recipients: vec!["https://acs.test/r".into()],
                audiences: vec!["urn:a&bC".into()],
                response_signed: false,
                assertion_signed: true,
            }
        );
    }

    #[test]
    fn structural_refusals() {
        // Comments and CDATA anywhere are refused (comment injection, matcher backtracking).
        assert_eq!(
            scan(
                &doc(SIG).replace("<saml:NameID>n", "<saml:NameID>n<!-- x -->"),
                false
            ),
            Err(SamlError::MalformedXml)
        );
        assert_eq!(
            scan(
                &doc(SIG).replace("<saml:NameID>n", "<saml:NameID><![CDATA[n]]>"),
                false
            ),
            Err(SamlError::MalformedXml)
        );
        let cases: Vec<(String, SamlError)> = vec![
            (doc(""), SamlError::Unsigned),
            (doc(&SIG.replace("#a1", "#r1")), SamlError::SignatureLayout),
            (
                doc(&SIG.replace("URI=\"#a1\"", "URI=\"\"")),
                SamlError::SignatureLayout,
            ),
            (doc(&format!("{SIG}{SIG}")), SamlError::SignatureLayout),
            (
                doc(&SIG.replace("</ds:SignatureValue>", "</ds:SignatureValue><ds:Object/>")),
                SamlError::SignatureLayout,
            ),
            (
                doc(&SIG.replace(
                    "http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>",
                    "http://www.w3.org/TR/1999/REC-xslt-19991116\"/></ds:Transforms>",
                )),
                SamlError::SignatureLayout,
            ),
            (
                doc(&SIG.replace(
                    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
                )),
                SamlError::DisallowedAlgorithm,
            ),
            (
                doc(&SIG.replace(
                    "http://www.w3.org/2001/04/xmlenc#sha256",
                    "http://www.w3.org/2000/09/xmldsig#sha1",
                )),
                SamlError::DisallowedAlgorithm,
            ),
            (
                doc(SIG).replace(
                    "<saml:Assertion ID=\"a1\">",
                    "<saml:Assertion ID=\"a1\"><saml:Assertion/>",
                ),
                SamlError::AssertionCount,
            ),
            (
                doc(SIG).replace(
                    "</samlp:Response>",
                    "<x:Assertion xmlns:x=\"urn:x\"/></samlp:Response>",
                ),
                SamlError::AssertionCount,
            ),
            (
                doc(SIG).replace(
                    "</samlp:Response>",
                    "<saml:EncryptedAssertion/></samlp:Response>",
                ),
                SamlError::EncryptedAssertion,
            ),
        ];
        for (i, (xml, expected)) in cases.into_iter().enumerate() {
            assert_eq!(scan(&xml, false), Err(expected), "case {i}");
        }
        // SHA-1 passes the scan once the provider allows it.
        let sha1 = doc(&SIG
            .replace(
                "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            )
            .replace(
                "http://www.w3.org/2001/04/xmlenc#sha256",
                "http://www.w3.org/2000/09/xmldsig#sha1",
            ));
        assert_eq!(scan(&sha1, false), Err(SamlError::DisallowedAlgorithm));
        assert!(scan(&sha1, true).is_ok());
    }

    #[test]
    fn ambiguous_or_malformed_xml_is_refused() {
        assert_eq!(
            scan(
                &doc(SIG).replace("samlp:Response", "samlp:LogoutResponse"),
                false
            ),
            Err(SamlError::NotAResponse)
        );
        let edits = [
            ("<saml:Subject>", "<p:Subject>"),
            ("<saml:Subject>", "<saml:Subject>&ent;"),
            ("encoding=\"UTF-8\"", "encoding=\"UTF-7\""),
            ("ID=\"r1\"", "ID=\"r1\" ID=\"r2\""),
            ("ID=\"r1\"", "ID=\"r<1\""),
            ("<saml:NameID>n", "<saml:NameID>\u{1}n"),
            ("<saml:NameID>n", "<saml:NameID>n<!-- c -- d -->"),
            ("</samlp:Response>", ""),
            ("<saml:Subject>", "<saml:Subject xml:id=\"a1\">"),
            ("<saml:Subject>", "<saml:Subject saml:ID=\"a1\">"),
        ];
        let malformed = edits
            .iter()
            .map(|&(from, to)| doc(SIG).replace(from, to))
            .chain([
                format!("{}<x/>", doc(SIG)),
                format!("{}<?pi x?>", doc(SIG)),
                String::new(),
            ]);
        for (i, xml) in malformed.enumerate() {
            assert_eq!(scan(&xml, false), Err(SamlError::MalformedXml), "case {i}");
        }
    }

    /// Found while fuzzing (`fuzz/regressions/saml_response/many-attributes`): thousands of
    /// attributes on one element made the duplicate check quadratic. Refused at the bound, in
    /// time independent of how many follow.
    #[test]
    fn attribute_count_is_bounded() {
        use std::fmt::Write as _;
        let attrs = |n: usize| -> String {
            (0..n).fold(String::new(), |mut out, i| {
                write!(out, " a{i}=\"{i}\"").unwrap();
                out
            })
        };
        let at_bound = doc(SIG).replace(
            "<saml:Subject>",
            &format!("<saml:Subject{}>", attrs(MAX_ATTRIBUTES)),
        );
        assert!(scan(&at_bound, false).is_ok());
        let over = doc(SIG).replace(
            "<saml:Subject>",
            &format!("<saml:Subject{}>", attrs(MAX_ATTRIBUTES + 1)),
        );
        assert_eq!(scan(&over, false), Err(SamlError::MalformedXml));
        // Namespace declarations count too, on the root as anywhere.
        let xmlns = (0..MAX_ATTRIBUTES).fold(String::new(), |mut out, i| {
            write!(out, " xmlns:p{i}=\"urn:p:{i}\"").unwrap();
            out
        });
        let declared =
            doc(SIG).replacen("<samlp:Response ", &format!("<samlp:Response{xmlns} "), 1);
        assert_eq!(scan(&declared, false), Err(SamlError::MalformedXml));
        let huge = doc(SIG).replace("<saml:Subject>", &format!("<saml:Subject{}>", attrs(5_000)));
        let started = std::time::Instant::now();
        assert_eq!(scan(&huge, false), Err(SamlError::MalformedXml));
        assert!(started.elapsed() < std::time::Duration::from_millis(500));
    }

    #[test]
    fn the_response_issuer_is_read_around_encrypted_content() {
        const OPEN: &str = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">"#;
        let doc = |inner: &str| format!("{OPEN}{inner}</samlp:Response>");
        let encrypted = "<saml:EncryptedAssertion><x:EncryptedData xmlns:x=\"urn:x\"><saml:Issuer>inner</saml:Issuer></x:EncryptedData></saml:EncryptedAssertion>";
        let cases = [
            (
                doc(&format!(
                    "<saml:Issuer>https://a.test</saml:Issuer>{encrypted}"
                )),
                Ok(Some("https://a.test")),
            ),
            (
                doc("<saml:Issuer>a&amp;b</saml:Issuer><samlp:Status/>"),
                Ok(Some("a&b")),
            ),
            // Only the Response's own: an Issuer deeper down (the assertion's) is no hint.
            (doc(encrypted), Ok(None)),
            (
                doc("<saml:Assertion><saml:Issuer>x</saml:Issuer></saml:Assertion>"),
                Ok(None),
            ),
            // Two are ambiguous; one in another namespace is not an Issuer.
            (
                doc("<saml:Issuer>a</saml:Issuer><saml:Issuer>b</saml:Issuer>"),
                Ok(None),
            ),
            (doc("<Issuer xmlns=\"urn:other\">a</Issuer>"), Ok(None)),
            (
                "<saml:Issuer xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\">a</saml:Issuer>"
                    .to_owned(),
                Err(SamlError::NotAResponse),
            ),
            (format!("<!DOCTYPE r>{}", doc("")), Err(SamlError::Dtd)),
            (
                doc("<saml:Issuer>a</saml:Issuer>").replace("</samlp:Response>", ""),
                Err(SamlError::MalformedXml),
            ),
        ];
        for (i, (xml, expected)) in cases.into_iter().enumerate() {
            assert_eq!(
                response_issuer(&xml).as_ref().map(Option::as_deref),
                expected.as_ref().map(|e| *e),
                "case {i}"
            );
        }
    }

    #[test]
    fn declarations_are_refused_whatever_their_spelling() {
        for xml in [
            "<!DOCTYPE r><r/>",
            "<!doctype r><r/>",
            "<r><!ENTITY x 'y'></r>",
            "<r><!-- ok --><![CDATA[ok]]><! DOCTYPE></r>",
            "<!-- <!DOCTYPE x> --><r/>",
        ] {
            assert_eq!(refuse_declarations(xml), Err(SamlError::Dtd), "{xml}");
        }
        assert_eq!(
            refuse_declarations("<r><!-- c --><![CDATA[x]]></r>"),
            Ok(())
        );
    }

    #[test]
    fn base64_is_strict_apart_from_line_breaks() {
        assert_eq!(decode_response("PHIvPg==").as_deref(), Ok("<r/>"));
        assert_eq!(decode_response("PHIv\r\nPg==\n").as_deref(), Ok("<r/>"));
        for bad in [
            "PHIvPg",
            "PHIvPg=",
            "PHIv-g==",
            "PHIvPh==",
            "P HIvPg===",
            "%%%%",
        ] {
            assert_eq!(decode_response(bad), Err(SamlError::BadBase64), "{bad}");
        }
        assert_eq!(decode_response("/w=="), Err(SamlError::NotUtf8));
        let long = "A".repeat(MAX_RESPONSE_CHARS + 1);
        assert_eq!(decode_response(&long), Err(SamlError::TooLarge));
    }

    proptest::proptest! {
        #[test]
        fn scan_never_panics(text in "\\PC{0,300}", cut in 0usize..2000, sha1 in proptest::bool::ANY) {
            let _ = scan(&text, sha1);
            let base = doc(SIG);
            let mangled = splice(&base, cut, &text);
            let _ = scan(&mangled, sha1);
        }
    }
}
