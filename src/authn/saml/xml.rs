//! The one quick-xml reader for every pass over untrusted SAML XML: the structural scan and the
//! Issuer hint in `parse`, and decryption's reading of the EncryptedAssertion and of its
//! plaintext. One constructor, so every pass refuses the same things and sees the same
//! document:
//! - every markup declaration (`<!DOCTYPE`, `<!ENTITY`, …), by a byte scan before parsing;
//! - comments checked, end names matched, no unmatched ends or dangling `&`, empty elements kept
//!   as such;
//! - element namespaces resolved, an unknown prefix refused (libxml2 would keep the element
//!   with a namespace error);
//! - attributes checked for syntax, duplicates, unknown prefixes, `<` and non-XML characters,
//!   and bounded in number ([`MAX_ATTRIBUTES`]);
//! - only the predefined entities and character references.
//!
//! Reader failures are [`SamlError::MalformedXml`] (a DTD, [`SamlError::Dtd`]); each pass maps
//! them on as it reports errors.

use std::borrow::Cow;

use quick_xml::NsReader;
use quick_xml::events::{BytesDecl, BytesRef, BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;

use super::error::SamlError;
use super::limits::MAX_ATTRIBUTES;

const NS_PROTOCOL: &[u8] = b"urn:oasis:names:tc:SAML:2.0:protocol";
const NS_ASSERTION: &[u8] = b"urn:oasis:names:tc:SAML:2.0:assertion";
const NS_DSIG: &[u8] = b"http://www.w3.org/2000/09/xmldsig#";
const NS_XENC: &[u8] = b"http://www.w3.org/2001/04/xmlenc#";
const NS_XENC11: &[u8] = b"http://www.w3.org/2009/xmlenc11#";

/// The namespaces SAML passes tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ns {
    Protocol,
    Assertion,
    Dsig,
    Xenc,
    Xenc11,
    /// Bound to any other namespace.
    Other,
    /// No namespace (no prefix, no default namespace); also what non-element events carry.
    None,
}

/// A hardened, namespace-aware reader over one untrusted document (see the module doc).
#[derive(Debug)]
pub(super) struct XmlReader<'a> {
    reader: NsReader<&'a [u8]>,
}

impl<'a> XmlReader<'a> {
    /// Refuses markup declarations, then starts reading `xml`.
    pub(super) fn new(xml: &'a str) -> Result<Self, SamlError> {
        refuse_declarations(xml)?;
        let mut reader = NsReader::from_str(xml);
        let config = reader.config_mut();
        config.check_comments = true;
        config.check_end_names = true;
        config.allow_unmatched_ends = false;
        config.allow_dangling_amp = false;
        config.expand_empty_elements = false;
        Ok(Self { reader })
    }

    /// The next event and, for elements, their namespace.
    pub(super) fn next(&mut self) -> Result<(Ns, Event<'a>), SamlError> {
        let (resolved, event) = self
            .reader
            .read_resolved_event()
            .map_err(|_| SamlError::MalformedXml)?;
        let ns = namespace(&resolved)?;
        refuse_doctype(event).map(|event| (ns, event))
    }

    /// The next event without resolving its name, for a fragment whose prefixes are declared
    /// by the document it will be put into (a decrypted Assertion).
    pub(super) fn next_unresolved(&mut self) -> Result<Event<'a>, SamlError> {
        let event = self
            .reader
            .read_event()
            .map_err(|_| SamlError::MalformedXml)?;
        refuse_doctype(event)
    }

    /// The byte offset after the last event read.
    pub(super) fn position(&self) -> Result<usize, SamlError> {
        usize::try_from(self.reader.buffer_position()).map_err(|_| SamlError::MalformedXml)
    }

    /// Checks every attribute of `e` (syntax, duplicates, prefixes, values, count) and returns
    /// the unprefixed ones, which are all SAML, XML-DSig and XML-Enc use.
    pub(super) fn attributes(
        &self,
        e: &BytesStart<'_>,
    ) -> Result<Vec<(String, String)>, SamlError> {
        let mut out = Vec::new();
        for (index, attr) in e.attributes().with_checks(true).enumerate() {
            if index >= MAX_ATTRIBUTES {
                return Err(SamlError::MalformedXml);
            }
            let attr = attr.map_err(|_| SamlError::MalformedXml)?;
            if attr.value.contains(&b'<') {
                return Err(SamlError::MalformedXml);
            }
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|_| SamlError::MalformedXml)?;
            if value.chars().any(|c| !is_xml_char(c)) {
                return Err(SamlError::MalformedXml);
            }
            if attr.key.as_namespace_binding().is_some() {
                continue;
            }
            let (ns, local) = self.reader.resolver().resolve_attribute(attr.key);
            match ns {
                ResolveResult::Unknown(_) => return Err(SamlError::MalformedXml),
                // libxml2 would register `xml:id`, and its `ID` lookup ignores prefixes: an ID
                // we do not see could then be what a Reference resolves to.
                ResolveResult::Bound(_) if local.as_ref().eq_ignore_ascii_case(b"id") => {
                    return Err(SamlError::MalformedXml);
                }
                ResolveResult::Bound(_) => {}
                ResolveResult::Unbound => {
                    let name =
                        std::str::from_utf8(local.as_ref()).map_err(|_| SamlError::MalformedXml)?;
                    out.push((name.to_owned(), value.into_owned()));
                }
            }
        }
        Ok(out)
    }
}

/// A DOCTYPE cannot get past [`refuse_declarations`]; refused here too, as a DTD.
fn refuse_doctype(event: Event<'_>) -> Result<Event<'_>, SamlError> {
    match event {
        Event::DocType(_) => Err(SamlError::Dtd),
        event => Ok(event),
    }
}

fn namespace(resolved: &ResolveResult<'_>) -> Result<Ns, SamlError> {
    match resolved {
        ResolveResult::Bound(ns) => Ok(match ns.as_ref() {
            NS_PROTOCOL => Ns::Protocol,
            NS_ASSERTION => Ns::Assertion,
            NS_DSIG => Ns::Dsig,
            NS_XENC => Ns::Xenc,
            NS_XENC11 => Ns::Xenc11,
            _ => Ns::Other,
        }),
        ResolveResult::Unbound => Ok(Ns::None),
        // libxml2 would keep such an element with a namespace error; we refuse.
        ResolveResult::Unknown(_) => Err(SamlError::MalformedXml),
    }
}

/// Refuses every markup declaration. Any `<!` must open a comment or a CDATA section; nothing
/// else (`<!DOCTYPE`, `<!ENTITY`, `<!doctype`, `<!ELEMENT`…) can appear in a SAML message. This
/// looks at every occurrence, inside comments and CDATA too, so no parser's idea of context can
/// hide a declaration from it; the price is refusing a comment that contains `<!x`.
pub(super) fn refuse_declarations(xml: &str) -> Result<(), SamlError> {
    for (at, _) in xml.match_indices("<!") {
        let after = xml.get(at.saturating_add(2)..).unwrap_or_default();
        if !(after.starts_with("--") || after.starts_with("[CDATA[")) {
            return Err(SamlError::Dtd);
        }
    }
    Ok(())
}

/// Character data, unescaped.
pub(super) fn text<'t>(t: &'t BytesText<'_>) -> Result<Cow<'t, str>, SamlError> {
    t.decode().map_err(|_| SamlError::MalformedXml)
}

/// `version="1.0"`, and no encoding other than UTF-8: the bytes were checked as UTF-8 and
/// libxml2 must not decode them any other way (UTF-7 and friends can hide markup).
pub(super) fn check_decl(decl: &BytesDecl<'_>) -> Result<(), SamlError> {
    let version = decl.version().map_err(|_| SamlError::MalformedXml)?;
    if version.as_ref() != b"1.0" {
        return Err(SamlError::MalformedXml);
    }
    if let Some(encoding) = decl.encoding() {
        let encoding = encoding.map_err(|_| SamlError::MalformedXml)?;
        if !encoding.eq_ignore_ascii_case(b"utf-8") {
            return Err(SamlError::MalformedXml);
        }
    }
    Ok(())
}

/// The predefined entities and character references; anything else is undeclared (there is
/// no DTD), which libxml2's recover mode would drop silently.
pub(super) fn resolve_reference(r: &BytesRef<'_>) -> Result<char, SamlError> {
    let c = if r.is_char_ref() {
        r.resolve_char_ref().ok().flatten()
    } else {
        let name: &[u8] = r;
        match name {
            b"lt" => Some('<'),
            b"gt" => Some('>'),
            b"amp" => Some('&'),
            b"apos" => Some('\''),
            b"quot" => Some('"'),
            _ => None,
        }
    };
    c.filter(|&c| is_xml_char(c)).ok_or(SamlError::MalformedXml)
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}
