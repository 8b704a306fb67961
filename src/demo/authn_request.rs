//! Reads the AuthnRequest the bridge sends the demo SAML IdP over HTTP-Redirect (base64 of
//! DEFLATE of XML): only its ID and ACS URL, bounded before and after inflating. Untrusted
//! input from the browser's query string, so the fuzz target `authn_request` drives it.

use std::io::Read as _;

use base64::Engine as _;
use quick_xml::events::Event;

/// At most this much base64, and this much XML once inflated.
const MAX_ENCODED: usize = 16 * 1024;
const MAX_INFLATED: u64 = 64 * 1024;

/// The request's ID and its AssertionConsumerServiceURL, if it is a readable AuthnRequest.
pub(crate) fn read_authn_request(b64: &str) -> Option<(String, Option<String>)> {
    if b64.len() > MAX_ENCODED {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(raw.as_slice())
        .take(MAX_INFLATED)
        .read_to_string(&mut xml)
        .ok()?;
    let mut reader = quick_xml::Reader::from_str(&xml);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"AuthnRequest" => {
                let get = |name: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == name)
                        .and_then(|a| String::from_utf8(a.value.to_vec()).ok())
                };
                return Some((get(b"ID")?, get(b"AssertionConsumerServiceURL")));
            }
            Event::DocType(_) | Event::Eof => return None,
            _ => {}
        }
    }
}
