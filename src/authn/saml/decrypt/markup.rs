//! Reading the XML-Enc markup of the EncryptedAssertion (see the module doc of `decrypt` for the
//! accepted shapes): one EncryptedData, its data algorithm and cipher value, the one
//! EncryptedKey meant for it (inline, named by a RetrievalMethod, the only one, or the one whose
//! ReferenceList names it) with its key transport parameters. Nothing is fetched
//! (`CipherReference` is refused) and nothing is decrypted here.

use base64::Engine as _;

use super::super::limits::{MAX_KEY_CHARS, MAX_LABEL_CHARS, MAX_RESPONSE_CHARS};
use super::super::xml::Ns;
use super::content::DataAlg;
use super::failure::{Failure, refused};
use super::key_transport::{self, KeyTransport};
use super::locate::Node;

const TYPE_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";
const TYPE_ENCRYPTED_KEY: &str = "http://www.w3.org/2001/04/xmlenc#EncryptedKey";

/// The parts of the EncryptedAssertion that decryption needs, base64 already decoded.
pub(super) struct Parts {
    pub(super) alg: DataAlg,
    /// IV, cipher text and (GCM) tag of the EncryptedData.
    pub(super) data: Vec<u8>,
    pub(super) transport: KeyTransport,
    /// The EncryptedKey's cipher text: the wrapped session key.
    pub(super) wrapped_key: Vec<u8>,
}

/// Reads the EncryptedAssertion subtree (see the module doc for the accepted shapes).
pub(super) fn interpret(assertion: &Node) -> Result<Parts, Failure> {
    let mut data = None;
    let mut siblings = Vec::new();
    for child in &assertion.children {
        if child.is(Ns::Xenc, "EncryptedData") && data.is_none() {
            data = Some(child);
        } else if child.is(Ns::Xenc, "EncryptedKey") {
            siblings.push(child);
        } else {
            return Err(refused("unexpected element in EncryptedAssertion"));
        }
    }
    let data = data.ok_or_else(|| refused("no EncryptedData"))?;
    if data.attr("Type").is_some_and(|t| t != TYPE_ELEMENT) {
        return Err(refused("EncryptedData Type is not Element"));
    }
    let (mut method, mut key_info, mut cipher) = (None, None, None);
    for child in &data.children {
        match (child.ns, child.local.as_str()) {
            (Ns::Xenc, "EncryptionMethod") if method.is_none() => method = Some(child),
            (Ns::Dsig, "KeyInfo") if key_info.is_none() => key_info = Some(child),
            (Ns::Xenc, "CipherData") if cipher.is_none() => cipher = Some(child),
            (Ns::Xenc, "EncryptionProperties") => {}
            _ => return Err(refused("unexpected element in EncryptedData")),
        }
    }
    let alg = method
        .and_then(|m| m.attr("Algorithm"))
        .and_then(DataAlg::from_uri)
        .ok_or_else(|| refused("data encryption algorithm missing or not supported"))?;
    let data_b64 = cipher_value(cipher, MAX_RESPONSE_CHARS)?;
    let key = select_key(key_info, &siblings, data.attr("Id"))?;
    let (mut method, mut cipher) = (None, None);
    for child in &key.children {
        match (child.ns, child.local.as_str()) {
            (Ns::Xenc, "EncryptionMethod") if method.is_none() => method = Some(child),
            (Ns::Xenc, "CipherData") if cipher.is_none() => cipher = Some(child),
            (Ns::Dsig, "KeyInfo")
            | (Ns::Xenc, "ReferenceList" | "CarriedKeyName" | "EncryptionProperties") => {}
            _ => return Err(refused("unexpected element in EncryptedKey")),
        }
    }
    let transport = key_transport(method.ok_or_else(|| refused("EncryptedKey without method"))?)?;
    let key_b64 = cipher_value(cipher, MAX_KEY_CHARS)?;
    Ok(Parts {
        alg,
        data: base64(&data_b64)?,
        transport,
        wrapped_key: base64(&key_b64)?,
    })
}

/// The text of `CipherData/CipherValue`, at most `max` characters. `CipherReference` is refused:
/// nothing is fetched.
fn cipher_value(cipher_data: Option<&Node>, max: usize) -> Result<String, Failure> {
    let cipher_data = cipher_data.ok_or_else(|| refused("no CipherData"))?;
    match cipher_data.children.as_slice() {
        [value] if value.is(Ns::Xenc, "CipherValue") && value.children.is_empty() => {
            if value.text.len() > max {
                return Err(refused("CipherValue too long"));
            }
            Ok(value.text.clone())
        }
        _ => Err(refused("CipherData is not one CipherValue")),
    }
}

/// The one EncryptedKey for this EncryptedData: inside its KeyInfo, or a sibling named by a
/// RetrievalMethod, or the only sibling, or the only sibling whose ReferenceList names it.
fn select_key<'a>(
    key_info: Option<&'a Node>,
    siblings: &[&'a Node],
    data_id: Option<&str>,
) -> Result<&'a Node, Failure> {
    let mut inline = Vec::new();
    let mut retrieval = Vec::new();
    for child in key_info.iter().flat_map(|k| &k.children) {
        if child.is(Ns::Xenc, "EncryptedKey") {
            inline.push(child);
        } else if child.is(Ns::Dsig, "RetrievalMethod") {
            retrieval.push(child);
        }
    }
    let by_id = |id: &str| {
        let mut matching = siblings.iter().filter(|k| k.attr("Id") == Some(id));
        match (matching.next(), matching.next()) {
            (Some(key), None) => Ok(*key),
            _ => Err(refused(
                "RetrievalMethod does not name exactly one EncryptedKey",
            )),
        }
    };
    match (inline.as_slice(), retrieval.as_slice()) {
        ([key], []) => Ok(key),
        ([], [method]) => {
            if method.attr("Type").is_some_and(|t| t != TYPE_ENCRYPTED_KEY) {
                return Err(refused("RetrievalMethod Type is not EncryptedKey"));
            }
            let id = method
                .attr("URI")
                .and_then(|u| u.strip_prefix('#'))
                .ok_or_else(|| refused("RetrievalMethod URI is not a same-document reference"))?;
            by_id(id)
        }
        ([], []) => {
            if let [key] = siblings {
                return Ok(key);
            }
            let data_ref = data_id.map(|id| format!("#{id}"));
            let mut naming = siblings.iter().filter(|k| {
                k.children
                    .iter()
                    .filter(|c| c.is(Ns::Xenc, "ReferenceList"))
                    .flat_map(|l| &l.children)
                    .any(|r| {
                        r.is(Ns::Xenc, "DataReference")
                            && data_ref.is_some()
                            && r.attr("URI") == data_ref.as_deref()
                    })
            });
            match (naming.next(), naming.next()) {
                (Some(key), None) => Ok(*key),
                _ => Err(refused("no single EncryptedKey for the EncryptedData")),
            }
        }
        _ => Err(refused("more than one key reference in KeyInfo")),
    }
}

/// The EncryptedKey's `EncryptionMethod` and its parameters (see `key_transport` for what is
/// accepted).
fn key_transport(method: &Node) -> Result<KeyTransport, Failure> {
    let mut transport = KeyTransport::for_algorithm(method.attr("Algorithm"))?;
    let (mut seen_digest, mut seen_mgf) = (false, false);
    for child in &method.children {
        match (child.ns, child.local.as_str()) {
            (Ns::Dsig, "DigestMethod") if !seen_digest => {
                seen_digest = true;
                transport.digest = child
                    .attr("Algorithm")
                    .and_then(key_transport::digest)
                    .ok_or_else(|| refused("OAEP digest not supported"))?;
            }
            (Ns::Xenc11, "MGF") if transport.xmlenc11 && !seen_mgf => {
                seen_mgf = true;
                transport.mgf1 = child
                    .attr("Algorithm")
                    .and_then(key_transport::mgf)
                    .ok_or_else(|| refused("OAEP MGF not supported"))?;
            }
            (Ns::Xenc, "OAEPparams") if transport.label.is_none() => {
                if child.text.len() > MAX_LABEL_CHARS {
                    return Err(refused("OAEPparams too long"));
                }
                transport.label = Some(base64(&child.text)?);
            }
            (Ns::Xenc, "KeySize") => {}
            _ => return Err(refused("unexpected element in the key EncryptionMethod")),
        }
    }
    Ok(transport)
}

/// Base64 as XML-Enc writes it: line breaks and spaces allowed, otherwise strict.
fn base64(text: &str) -> Result<Vec<u8>, Failure> {
    let compact: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| refused("CipherValue is not base64"))
}
