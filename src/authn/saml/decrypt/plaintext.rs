//! The decrypted bytes → the Assertion they must be, ready to take the EncryptedAssertion's
//! place in the document: UTF-8, no markup declaration, one root element named `Assertion`.
//! Read by the hardened reader without resolving names: the fragment's prefixes may be
//! declared by the Response it goes back into, which `parse::scan` then reads as a whole.

use quick_xml::events::Event;

use super::super::error::SamlError;
use super::super::xml::{XmlReader, check_decl, text};
use super::failure::Cause;

/// The decrypted text → the Assertion element's text: UTF-8, no markup declaration, one root
/// element named `Assertion` with only whitespace (and an XML declaration first) around it.
/// Its namespace and everything inside are checked by `parse::scan` on the whole document.
pub(super) fn assertion_fragment(plaintext: &[u8]) -> Result<&str, Cause> {
    let plain = std::str::from_utf8(plaintext).map_err(|_| Cause::NotUtf8)?;
    let mut reader = XmlReader::new(plain).map_err(Cause::Plaintext)?;
    let malformed = || Cause::Plaintext(SamlError::MalformedXml);
    let mut depth = 0usize;
    let mut root: Option<(usize, Option<usize>)> = None;
    let mut first = true;
    loop {
        let before = reader.position().map_err(Cause::Plaintext)?;
        let event = reader.next_unresolved().map_err(|_| malformed())?;
        let after = reader.position().map_err(Cause::Plaintext)?;
        if depth > 0 {
            match event {
                Event::Start(_) => depth = depth.saturating_add(1),
                Event::End(_) => {
                    depth = depth.saturating_sub(1);
                    if depth == 0
                        && let Some((_, end)) = root.as_mut()
                    {
                        *end = Some(after);
                    }
                }
                Event::Eof => return Err(malformed()),
                _ => {}
            }
            first = false;
            continue;
        }
        match event {
            Event::Eof => break,
            Event::Decl(decl) if first => check_decl(&decl).map_err(Cause::Plaintext)?,
            Event::Comment(_) => {}
            Event::Text(t) if only_whitespace(&text(&t).map_err(Cause::Plaintext)?) => {}
            Event::Start(e) if root.is_none() => {
                check_root_name(e.local_name().as_ref())?;
                root = Some((before, None));
                depth = 1;
            }
            Event::Empty(e) if root.is_none() => {
                check_root_name(e.local_name().as_ref())?;
                root = Some((before, Some(after)));
            }
            Event::Start(_) | Event::Empty(_) => {
                return Err(Cause::Plaintext(SamlError::AssertionCount));
            }
            _ => return Err(malformed()),
        }
        first = false;
    }
    match root {
        Some((start, Some(end))) => plain.get(start..end).ok_or_else(malformed),
        Some(_) => Err(malformed()),
        None => Err(Cause::Plaintext(SamlError::AssertionCount)),
    }
}

fn check_root_name(local: &[u8]) -> Result<(), Cause> {
    if local == b"Assertion" {
        Ok(())
    } else {
        Err(Cause::Plaintext(SamlError::AssertionCount))
    }
}

fn only_whitespace(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}
