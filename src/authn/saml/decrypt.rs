//! `EncryptedAssertion` (XML Encryption 1.0/1.1) → the plain `saml:Assertion`, decrypted with
//! the SP key (`[server] saml_sp_key_file`), before the normal validation runs.
//!
//! **What is accepted.** The "sign the assertion, then encrypt it" form that Entra ID, AD FS,
//! Shibboleth and Keycloak send: an *unsigned* Response holding exactly one
//! `saml:EncryptedAssertion` (a direct child of the Response) and no plain Assertion. Inside it,
//! one `xenc:EncryptedData` (`Type` absent or `#Element`) with
//! - data encryption `xmlenc#aes128-cbc`, `xmlenc#aes256-cbc`, `xmlenc11#aes128-gcm` or
//!   `xmlenc11#aes256-gcm` (CBC: 16-byte IV first, XML-Enc padding, i.e. only the last byte,
//!   the pad length 1..=16, is checked; GCM: 12-byte IV first, 16-byte tag last);
//! - one `xenc:EncryptedKey`, either inside `EncryptedData/ds:KeyInfo`, or next to the
//!   `EncryptedData` (named by a `ds:RetrievalMethod URI="#id"`, or the only one, or the one
//!   whose `ReferenceList` names the `EncryptedData`), with key transport `xmlenc#rsa-oaep-mgf1p`
//!   (MGF1-SHA1) or `xmlenc11#rsa-oaep` (MGF per `xenc11:MGF`, default MGF1-SHA1); the OAEP digest
//!   is `ds:DigestMethod` (SHA-1 by default; SHA-1/256/384/512) and `xenc:OAEPparams` is the OAEP
//!   label. The unwrapped key must have the length the data algorithm needs.
//!
//! The decrypted text must be UTF-8 holding exactly one element named `Assertion` (an XML
//! declaration and surrounding whitespace are dropped), with no markup declaration (the same
//! `<!` rule as for the outer document). It replaces the whole `EncryptedAssertion` element and
//! the result goes through the unchanged pipeline (`parse::scan`, samael, our checks), so the
//! assertion's own signature by the IdP's metadata key is required: encryption to our public key
//! proves nothing about the sender, since anyone can encrypt to it.
//!
//! **What is refused, as [`SamlError::EncryptedAssertion`]** (or `AssertionCount`), decided from
//! the document as sent: no SP key configured; `rsa-1_5` key transport (PKCS#1 v1.5,
//! Bleichenbacher's oracle, and it must never be tried on the same RSA key as OAEP); any other
//! algorithm (AES-192, 3DES, key wrap, key agreement); `CipherReference` (fetching); ambiguous or
//! missing keys; `EncryptedID`/`EncryptedAttribute`; an EncryptedAssertion anywhere but directly
//! in the Response; and a **signed Response** around an EncryptedAssertion. The last one would
//! need the Response signature verified over the ciphertext before decrypting and then the
//! decrypted assertion checked without it; samael cannot verify one and evaluate the other, and
//! IdPs that sign the Response also sign the assertion only on request, so it is refused (the
//! IdP can sign the assertion instead, which is the common setup anyway).
//!
//! **No oracle.** Every failure that depends on the key or on the decrypted bytes (RSA-OAEP,
//! key length, CBC padding, GCM tag, UTF-8, the plaintext checks) is one error,
//! [`SamlError::DECRYPTION_FAILED`], and so is every refusal of the decrypted content before
//! its signature has verified (`verify` maps those): AES-CBC is not authenticated, and an
//! attacker who can tell "bad padding" from "not XML" from "bad signature" can decrypt a
//! captured assertion block by block (Jager & Somorovsky, "How To Break XML Encryption", 2011),
//! and can also reuse an AES-GCM-encrypted key under CBC. A failed RSA-OAEP unwrap continues with
//! a random key, so it costs the same AES work as a wrong padding. The detail is logged at debug
//! level only. What remains is timing (an early parse failure returns sooner than a signature
//! check); IdPs that can should use AES-GCM.

use std::fmt;

use base64::Engine as _;
use openssl::md::{Md, MdRef};
use openssl::pkey::{Id, PKey, Private};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
use openssl::symm::{self, Cipher, Crypter, Mode};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, Reader};
use zeroize::Zeroizing;

use super::error::SamlError;
use super::parse::{self, MAX_RESPONSE_CHARS};
use crate::types::Secret;

const NS_XENC: &[u8] = b"http://www.w3.org/2001/04/xmlenc#";
const NS_XENC11: &[u8] = b"http://www.w3.org/2009/xmlenc11#";
const NS_DSIG: &[u8] = b"http://www.w3.org/2000/09/xmldsig#";
const NS_ASSERTION: &[u8] = b"urn:oasis:names:tc:SAML:2.0:assertion";

const TYPE_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";
const TYPE_ENCRYPTED_KEY: &str = "http://www.w3.org/2001/04/xmlenc#EncryptedKey";
const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
const RSA_OAEP_11: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
const RSA_1_5: &str = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";

/// Smallest accepted SP key.
const MIN_RSA_BITS: u32 = 2048;
/// Longest accepted `CipherValue` of an EncryptedKey, in characters (an RSA-8192 block is 1,368
/// base64 characters, plus line breaks).
const MAX_KEY_CHARS: usize = 2_048;
/// Longest accepted `OAEPparams`, in characters.
const MAX_LABEL_CHARS: usize = 256;
/// Deepest nesting kept inside the EncryptedAssertion (real ones nest 6 deep); also bounds the
/// recursion of dropping the tree.
const MAX_TREE_DEPTH: usize = 12;
const AES_BLOCK: usize = 16;
const GCM_IV: usize = 12;
const GCM_TAG: usize = 16;

/// The SP private key, parsed once when the registry is built. Never printed.
pub(super) struct SpKey {
    key: PKey<Private>,
}

impl fmt::Debug for SpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpKey(<redacted>)")
    }
}

impl SpKey {
    /// An unencrypted PEM private key (PKCS#8 or PKCS#1), RSA of at least 2048 bits: the only
    /// key transport accepted is RSA-OAEP. The error text never includes key material.
    pub(super) fn from_pem(pem: &Secret) -> Result<Self, String> {
        // A passphrase callback that supplies nothing: OpenSSL's default would prompt on the
        // terminal for an encrypted key.
        let key = PKey::private_key_from_pem_callback(pem.expose().as_bytes(), |_| Ok(0))
            .map_err(|_| "not a readable, unencrypted PEM private key".to_owned())?;
        if key.id() != Id::RSA {
            return Err(
                "encrypted assertions use RSA-OAEP key transport, so the SP key must be RSA".into(),
            );
        }
        if key.bits() < MIN_RSA_BITS {
            return Err(format!(
                "RSA key of {} bits; at least {MIN_RSA_BITS} required",
                key.bits()
            ));
        }
        Ok(Self { key })
    }

    /// The key itself, for signing AuthnRequests: the SP metadata publishes one certificate
    /// for both uses, so the same key signs and decrypts.
    pub(super) fn private_key(&self) -> &PKey<Private> {
        &self.key
    }
}

/// Why decryption did not produce a document. Tests look at it; clients never do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Failure {
    /// Decided from the document as sent (structure, algorithms, configuration): reported as is.
    Refused(SamlError, &'static str),
    /// Depends on the key or on decrypted bytes: reported only as
    /// [`SamlError::DECRYPTION_FAILED`].
    Decryption(Cause),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Cause {
    /// RSA-OAEP failed, or gave a key of the wrong length.
    KeyTransport,
    /// Wrong ciphertext length, or (GCM) the tag did not verify.
    Cipher,
    /// CBC: the last byte is not a pad length of 1..=16.
    Padding,
    NotUtf8,
    /// The plaintext is not one Assertion element without markup declarations.
    Plaintext(SamlError),
    /// The random source failed.
    Random,
}

impl Failure {
    fn into_error(self) -> SamlError {
        match self {
            Self::Refused(e, reason) => {
                tracing::debug!(error = %e, reason, "SAML EncryptedAssertion refused");
                e
            }
            Self::Decryption(cause) => {
                tracing::debug!(?cause, "SAML EncryptedAssertion could not be decrypted");
                SamlError::DECRYPTION_FAILED
            }
        }
    }
}

fn refused(reason: &'static str) -> Failure {
    Failure::Refused(SamlError::EncryptedAssertion, reason)
}

/// The refusal of decrypted content before its signature verified, as the one generic error
/// (see the module doc). The real reason goes to the debug log.
pub(super) fn conceal(error: &SamlError) -> SamlError {
    tracing::debug!(%error, "decrypted SAML assertion refused before its signature verified");
    SamlError::DECRYPTION_FAILED
}

/// `xml` (well-formed, a `samlp:Response`, found to hold encrypted content by `parse::scan`)
/// with its EncryptedAssertion replaced by the decrypted Assertion.
pub(super) fn decrypt_response(xml: &str, key: Option<&SpKey>) -> Result<String, SamlError> {
    let Some(key) = key else {
        return Err(refused("no SP key configured (server.saml_sp_key_file)").into_error());
    };
    decrypt_document(xml, key).map_err(Failure::into_error)
}

/// [`decrypt_response`] with the detailed failure.
pub(super) fn decrypt_document(xml: &str, key: &SpKey) -> Result<String, Failure> {
    let located = locate(xml)?;
    let parts = interpret(&located.tree)?;
    let plaintext = decrypt_parts(&parts, key)?;
    let assertion = assertion_fragment(&plaintext).map_err(Failure::Decryption)?;
    let (Some(before), Some(after)) = (xml.get(..located.start), xml.get(located.end..)) else {
        return Err(Failure::Refused(SamlError::MalformedXml, "element offsets"));
    };
    let mut out = String::with_capacity(before.len() + assertion.len() + after.len());
    out.push_str(before);
    out.push_str(assertion);
    out.push_str(after);
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Xenc,
    Xenc11,
    Dsig,
    Assertion,
    Other,
}

/// One element of the EncryptedAssertion subtree: what is needed to read XML-Enc markup.
#[derive(Debug)]
struct Node {
    ns: Ns,
    local: String,
    /// Unprefixed attributes.
    attrs: Vec<(String, String)>,
    /// Character data directly inside (references resolved).
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn is(&self, ns: Ns, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
}

/// The EncryptedAssertion: where it is in the text, and its content.
#[derive(Debug)]
struct Located {
    start: usize,
    end: usize,
    tree: Node,
}

/// What the outer pass saw besides the EncryptedAssertion.
#[derive(Debug, Default)]
struct Outer {
    encrypted_assertions: usize,
    misplaced: bool,
    other_encrypted: bool,
    assertions: usize,
    response_signed: bool,
}

fn namespace(resolved: &ResolveResult<'_>) -> Result<Ns, Failure> {
    match resolved {
        ResolveResult::Bound(ns) => Ok(match ns.as_ref() {
            NS_XENC => Ns::Xenc,
            NS_XENC11 => Ns::Xenc11,
            NS_DSIG => Ns::Dsig,
            NS_ASSERTION => Ns::Assertion,
            _ => Ns::Other,
        }),
        ResolveResult::Unbound => Ok(Ns::Other),
        ResolveResult::Unknown(_) => Err(Failure::Refused(SamlError::MalformedXml, "prefix")),
    }
}

fn offset(position: u64) -> Result<usize, Failure> {
    usize::try_from(position).map_err(|_| Failure::Refused(SamlError::MalformedXml, "offset"))
}

/// One pass over the outer document: finds the EncryptedAssertion, builds its subtree, and
/// checks the surroundings (see the module doc).
fn locate(xml: &str) -> Result<Located, Failure> {
    let malformed = || Failure::Refused(SamlError::MalformedXml, "outer document");
    let mut reader = NsReader::from_str(xml);
    parse::harden(reader.config_mut());
    let mut state = Locator::default();
    loop {
        let before = offset(reader.buffer_position())?;
        let (resolved, event) = reader.read_resolved_event().map_err(|_| malformed())?;
        let (element, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                state.close(offset(reader.buffer_position())?);
                continue;
            }
            Event::Text(t) => {
                state.text(&t.decode().map_err(|_| malformed())?);
                continue;
            }
            Event::GeneralRef(r) => {
                let c =
                    parse::resolve_reference(&r).map_err(|e| Failure::Refused(e, "reference"))?;
                state.text(c.encode_utf8(&mut [0; 4]));
                continue;
            }
            Event::Eof => break,
            // Comments are skipped; CDATA, PIs and declarations cannot be in XML-Enc markup
            // (and `parse::scan` has refused the latter two already).
            Event::Comment(_) | Event::Decl(_) => continue,
            Event::CData(_) | Event::PI(_) | Event::DocType(_) => {
                return Err(refused("CDATA or processing instruction"));
            }
        };
        let local = std::str::from_utf8(element.local_name().as_ref())
            .map_err(|_| Failure::Refused(SamlError::MalformedXml, "name"))?
            .to_owned();
        let node = Node {
            ns: namespace(&resolved)?,
            local,
            attrs: parse::attributes(&reader, &element)
                .map_err(|e| Failure::Refused(e, "attribute"))?,
            text: String::new(),
            children: Vec::new(),
        };
        state.open(node, before)?;
        if empty {
            state.close(offset(reader.buffer_position())?);
        }
    }
    check_outer(&state.outer)?;
    state.found.ok_or_else(|| refused("no EncryptedAssertion"))
}

/// The state of [`locate`]'s pass.
#[derive(Debug, Default)]
struct Locator {
    outer: Outer,
    /// Open elements of the whole document.
    depth: usize,
    /// Open elements of the EncryptedAssertion being read; empty outside it.
    open: Vec<Node>,
    /// Where the EncryptedAssertion being read starts.
    start: usize,
    found: Option<Located>,
}

impl Locator {
    fn open(&mut self, node: Node, before: usize) -> Result<(), Failure> {
        let depth = self.depth;
        self.depth = depth.saturating_add(1);
        if self.open.is_empty() {
            let outer = &mut self.outer;
            match node.local.as_str() {
                "EncryptedAssertion" => {
                    outer.encrypted_assertions = outer.encrypted_assertions.saturating_add(1);
                    if depth != 1 || node.ns != Ns::Assertion {
                        outer.misplaced = true;
                    } else if self.found.is_none() {
                        self.start = before;
                        self.open.push(node);
                    }
                }
                "EncryptedID" | "EncryptedAttribute" | "EncryptedKey" | "EncryptedData" => {
                    outer.other_encrypted = true;
                }
                "Assertion" => outer.assertions = outer.assertions.saturating_add(1),
                "Signature" if depth == 1 && node.ns == Ns::Dsig => outer.response_signed = true,
                _ => {}
            }
            return Ok(());
        }
        if self.open.len() >= MAX_TREE_DEPTH {
            return Err(refused("EncryptedAssertion nests too deep"));
        }
        self.open.push(node);
        Ok(())
    }

    /// Closes the innermost element, which ends at `end`.
    fn close(&mut self, end: usize) {
        self.depth = self.depth.saturating_sub(1);
        let Some(node) = self.open.pop() else {
            return;
        };
        match self.open.last_mut() {
            Some(parent) => parent.children.push(node),
            None => {
                self.found.get_or_insert(Located {
                    start: self.start,
                    end,
                    tree: node,
                });
            }
        }
    }

    fn text(&mut self, text: &str) {
        if let Some(node) = self.open.last_mut() {
            node.text.push_str(text);
        }
    }
}

fn check_outer(outer: &Outer) -> Result<(), Failure> {
    if outer.assertions > 0 || outer.encrypted_assertions > 1 {
        return Err(Failure::Refused(
            SamlError::AssertionCount,
            "more than one (Encrypted)Assertion",
        ));
    }
    if outer.misplaced {
        return Err(refused("EncryptedAssertion not directly in the Response"));
    }
    if outer.other_encrypted {
        return Err(refused(
            "EncryptedID, EncryptedAttribute or stray XML-Enc markup",
        ));
    }
    if outer.response_signed {
        return Err(refused("signed Response around an EncryptedAssertion"));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataAlg {
    Aes128Cbc,
    Aes256Cbc,
    Aes128Gcm,
    Aes256Gcm,
}

impl DataAlg {
    fn from_uri(uri: &str) -> Option<Self> {
        Some(match uri {
            "http://www.w3.org/2001/04/xmlenc#aes128-cbc" => Self::Aes128Cbc,
            "http://www.w3.org/2001/04/xmlenc#aes256-cbc" => Self::Aes256Cbc,
            "http://www.w3.org/2009/xmlenc11#aes128-gcm" => Self::Aes128Gcm,
            "http://www.w3.org/2009/xmlenc11#aes256-gcm" => Self::Aes256Gcm,
            _ => return None,
        })
    }

    fn key_len(self) -> usize {
        match self {
            Self::Aes128Cbc | Self::Aes128Gcm => 16,
            Self::Aes256Cbc | Self::Aes256Gcm => 32,
        }
    }
}

/// RSA-OAEP parameters.
struct KeyTransport {
    digest: &'static MdRef,
    mgf1: &'static MdRef,
    label: Option<Vec<u8>>,
}

/// The parts of the EncryptedAssertion that decryption needs, still encoded.
struct Parts {
    alg: DataAlg,
    data_b64: String,
    transport: KeyTransport,
    key_b64: String,
}

fn only_whitespace(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Reads the EncryptedAssertion subtree (see the module doc for the accepted shapes).
fn interpret(assertion: &Node) -> Result<Parts, Failure> {
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
        data_b64,
        transport,
        key_b64,
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

fn digest(uri: &str) -> Option<&'static MdRef> {
    Some(match uri {
        "http://www.w3.org/2000/09/xmldsig#sha1" => Md::sha1(),
        "http://www.w3.org/2001/04/xmlenc#sha256" => Md::sha256(),
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => Md::sha384(),
        "http://www.w3.org/2001/04/xmlenc#sha512" => Md::sha512(),
        _ => return None,
    })
}

fn mgf(uri: &str) -> Option<&'static MdRef> {
    Some(match uri {
        "http://www.w3.org/2009/xmlenc11#mgf1sha1" => Md::sha1(),
        "http://www.w3.org/2009/xmlenc11#mgf1sha256" => Md::sha256(),
        "http://www.w3.org/2009/xmlenc11#mgf1sha384" => Md::sha384(),
        "http://www.w3.org/2009/xmlenc11#mgf1sha512" => Md::sha512(),
        _ => return None,
    })
}

/// The EncryptedKey's `EncryptionMethod`: RSA-OAEP only.
fn key_transport(method: &Node) -> Result<KeyTransport, Failure> {
    let xmlenc11 = match method.attr("Algorithm") {
        Some(RSA_OAEP_MGF1P) => false,
        Some(RSA_OAEP_11) => true,
        Some(RSA_1_5) => {
            return Err(refused(
                "rsa-1_5 key transport (PKCS#1 v1.5, Bleichenbacher) is refused",
            ));
        }
        _ => return Err(refused("key transport algorithm missing or not supported")),
    };
    let mut transport = KeyTransport {
        digest: Md::sha1(),
        mgf1: Md::sha1(),
        label: None,
    };
    let (mut seen_digest, mut seen_mgf) = (false, false);
    for child in &method.children {
        match (child.ns, child.local.as_str()) {
            (Ns::Dsig, "DigestMethod") if !seen_digest => {
                seen_digest = true;
                transport.digest = child
                    .attr("Algorithm")
                    .and_then(digest)
                    .ok_or_else(|| refused("OAEP digest not supported"))?;
            }
            (Ns::Xenc11, "MGF") if xmlenc11 && !seen_mgf => {
                seen_mgf = true;
                transport.mgf1 = child
                    .attr("Algorithm")
                    .and_then(mgf)
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

/// RSA-OAEP unwrap, then AES. The AES step runs even when the unwrap failed (with a random key),
/// so that a wrong RSA block and a wrong CBC padding take the same path.
fn decrypt_parts(parts: &Parts, key: &SpKey) -> Result<Vec<u8>, Failure> {
    let data = base64(&parts.data_b64)?;
    let wrapped = base64(&parts.key_b64)?;
    let unwrapped = unwrap_key(key, &parts.transport, &wrapped)
        .ok()
        .filter(|k| k.len() == parts.alg.key_len());
    let key_ok = unwrapped.is_some();
    let session = if let Some(k) = unwrapped {
        k
    } else {
        let mut k = Zeroizing::new(vec![0u8; parts.alg.key_len()]);
        openssl::rand::rand_bytes(&mut k).map_err(|_| Failure::Decryption(Cause::Random))?;
        k
    };
    let plaintext = symmetric(parts.alg, &session, &data);
    if !key_ok {
        return Err(Failure::Decryption(Cause::KeyTransport));
    }
    plaintext.map_err(Failure::Decryption)
}

fn unwrap_key(
    key: &SpKey,
    transport: &KeyTransport,
    wrapped: &[u8],
) -> Result<Zeroizing<Vec<u8>>, openssl::error::ErrorStack> {
    let mut ctx = PkeyCtx::new(&key.key)?;
    ctx.decrypt_init()?;
    ctx.set_rsa_padding(Padding::PKCS1_OAEP)?;
    ctx.set_rsa_oaep_md(transport.digest)?;
    ctx.set_rsa_mgf1_md(transport.mgf1)?;
    if let Some(label) = &transport.label {
        ctx.set_rsa_oaep_label(label)?;
    }
    let mut out = Zeroizing::new(Vec::new());
    ctx.decrypt_to_vec(wrapped, &mut out)?;
    Ok(out)
}

/// AES-CBC (IV first, XML-Enc padding) or AES-GCM (IV first, tag last).
fn symmetric(alg: DataAlg, key: &[u8], data: &[u8]) -> Result<Vec<u8>, Cause> {
    match alg {
        DataAlg::Aes128Cbc | DataAlg::Aes256Cbc => {
            let cipher = if alg == DataAlg::Aes128Cbc {
                Cipher::aes_128_cbc()
            } else {
                Cipher::aes_256_cbc()
            };
            let (iv, body) = data.split_at_checked(AES_BLOCK).ok_or(Cause::Cipher)?;
            if body.is_empty() || body.len() % AES_BLOCK != 0 {
                return Err(Cause::Cipher);
            }
            let mut crypter =
                Crypter::new(cipher, Mode::Decrypt, key, Some(iv)).map_err(|_| Cause::Cipher)?;
            crypter.pad(false);
            let mut out = vec![0u8; body.len() + AES_BLOCK];
            let n = crypter.update(body, &mut out).map_err(|_| Cause::Cipher)?;
            let rest = out.get_mut(n..).ok_or(Cause::Cipher)?;
            let m = crypter.finalize(rest).map_err(|_| Cause::Cipher)?;
            out.truncate(n.saturating_add(m));
            // XML-Enc padding: the last byte is the pad length; the others are arbitrary.
            let pad = usize::from(*out.last().ok_or(Cause::Padding)?);
            if pad == 0 || pad > AES_BLOCK || pad > out.len() {
                return Err(Cause::Padding);
            }
            out.truncate(out.len() - pad);
            Ok(out)
        }
        DataAlg::Aes128Gcm | DataAlg::Aes256Gcm => {
            let cipher = if alg == DataAlg::Aes128Gcm {
                Cipher::aes_128_gcm()
            } else {
                Cipher::aes_256_gcm()
            };
            let (iv, rest) = data.split_at_checked(GCM_IV).ok_or(Cause::Cipher)?;
            let body_len = rest.len().checked_sub(GCM_TAG).ok_or(Cause::Cipher)?;
            let (body, tag) = rest.split_at_checked(body_len).ok_or(Cause::Cipher)?;
            symm::decrypt_aead(cipher, key, Some(iv), &[], body, tag).map_err(|_| Cause::Cipher)
        }
    }
}

/// The decrypted text → the Assertion element's text: UTF-8, no markup declaration, one root
/// element named `Assertion` with only whitespace (and an XML declaration first) around it.
/// Its namespace and everything inside are checked by `parse::scan` on the whole document.
fn assertion_fragment(plaintext: &[u8]) -> Result<&str, Cause> {
    let text = std::str::from_utf8(plaintext).map_err(|_| Cause::NotUtf8)?;
    parse::refuse_declarations(text).map_err(Cause::Plaintext)?;
    let malformed = || Cause::Plaintext(SamlError::MalformedXml);
    let mut reader = Reader::from_str(text);
    parse::harden(reader.config_mut());
    let mut depth = 0usize;
    let mut root: Option<(usize, Option<usize>)> = None;
    let mut first = true;
    loop {
        let before = usize::try_from(reader.buffer_position()).map_err(|_| malformed())?;
        let event = reader.read_event().map_err(|_| malformed())?;
        let after = usize::try_from(reader.buffer_position()).map_err(|_| malformed())?;
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
            Event::Decl(decl) if first => parse::check_decl(&decl).map_err(Cause::Plaintext)?,
            Event::Comment(_) => {}
            Event::Text(t) if only_whitespace(&t.decode().map_err(|_| malformed())?) => {}
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
        Some((start, Some(end))) => text.get(start..end).ok_or_else(malformed),
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

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::super::testkit::*;
    use super::super::{SamlRegistry, VerifiedAssertion};
    use super::*;

    fn sp_key() -> &'static SpKey {
        static KEY: OnceLock<SpKey> = OnceLock::new();
        KEY.get_or_init(|| SpKey::from_pem(&key_pem(sp())).unwrap())
    }

    /// `corp`, trusting the test IdP, decrypting with the test SP key.
    fn sp_registry() -> &'static SamlRegistry {
        static REGISTRY: OnceLock<SamlRegistry> = OnceLock::new();
        REGISTRY.get_or_init(|| registry_with_sp_key(Some(&key_pem(sp()))))
    }

    fn verify(xml: &str) -> Result<VerifiedAssertion, SamlError> {
        sp_registry().verify("corp", &b64(xml), now())
    }

    fn enc(data: DataEnc, key: KeyEnc, place: KeyPlace) -> Encryption {
        Encryption { data, key, place }
    }

    const MGF1P: KeyEnc = KeyEnc::OaepMgf1p;
    const OAEP11: KeyEnc = KeyEnc::Oaep11Sha256 { mgf_sha256: true };
    const OAEP11_MGF_SHA1: KeyEnc = KeyEnc::Oaep11Sha256 { mgf_sha256: false };

    /// A fresh assertion-signed response (xmlsec1), its assertion encrypted for the SP.
    fn encrypted(enc: Encryption) -> (ResponseSpec, String) {
        let spec = ResponseSpec::new();
        let xml = encrypt_xmlsec1(Plaintext::AssertionOf(&spec.sign()), sp(), enc);
        (spec, xml)
    }

    fn assert_signed_values(spec: &ResponseSpec, v: &VerifiedAssertion) {
        assert_eq!(v.assertion_id, spec.assertion_id);
        assert_eq!(v.issuer, ENTITY_ID);
        assert_eq!(v.name_id, "alice@example.com");
        assert_eq!(v.recipient, ACS_AWS);
        assert_eq!(v.audiences, [AUD_AWS]);
        assert_eq!(
            v.attribute_values(ROLE_ATTR).collect::<Vec<_>>(),
            [format!(
                "{ROLE_DEV},arn:aws:iam::{ACCOUNT}:saml-provider/corp"
            )]
        );
        assert_eq!(
            v.attribute_values("https://aws.amazon.com/SAML/Attributes/PrincipalTag:Department")
                .collect::<Vec<_>>(),
            ["Engineering & Ops"]
        );
    }

    #[test]
    fn sign_then_encrypt_with_every_supported_algorithm_and_key_placement() {
        use DataEnc::*;
        use KeyPlace::*;
        let cases = [
            enc(Aes128Cbc, MGF1P, Inline),
            enc(Aes256Cbc, MGF1P, Inline),
            enc(Aes128Gcm, MGF1P, Inline),
            enc(Aes256Gcm, MGF1P, Inline),
            enc(Aes128Cbc, OAEP11, Inline),
            enc(Aes256Cbc, OAEP11_MGF_SHA1, Inline),
            enc(Aes128Gcm, OAEP11, SiblingRetrieval),
            enc(Aes256Gcm, OAEP11, Inline),
            enc(Aes256Cbc, MGF1P, SiblingRetrieval),
            enc(Aes256Gcm, MGF1P, SiblingOnly),
            enc(Aes128Cbc, OAEP11_MGF_SHA1, SiblingOnly),
        ];
        for case in cases {
            let (spec, xml) = encrypted(case);
            assert!(xml.contains("EncryptedAssertion") && !xml.contains("alice@example.com"));
            assert!(xml.contains(case.data.uri()), "{case:?}");
            let shape_ok = match case.key {
                KeyEnc::Oaep11Sha256 { mgf_sha256 } => {
                    xml.contains("xmlenc11#rsa-oaep\"") && xml.contains("mgf1sha256") == mgf_sha256
                }
                _ => xml.contains("xmlenc#rsa-oaep-mgf1p"),
            } && match case.place {
                Inline => xml.contains("<ds:KeyInfo><xenc:EncryptedKey>"),
                SiblingRetrieval => {
                    xml.contains("RetrievalMethod")
                        && xml.contains("</xenc:EncryptedData><xenc:EncryptedKey")
                }
                SiblingOnly => {
                    !xml.contains("KeyInfo><xenc")
                        && xml.contains("</xenc:EncryptedData><xenc:EncryptedKey")
                }
            };
            assert!(shape_ok, "{case:?}: {xml}");
            let v = verify(&xml).unwrap_or_else(|e| panic!("{case:?}: {e}\n{xml}"));
            assert_signed_values(&spec, &v);
            // A single use, as for plain assertions (the caller's replay cache keys on it).
            assert_eq!(v.assertion_id, spec.assertion_id);
        }
    }

    #[test]
    fn entra_style_default_namespace_and_xml_declaration_in_plaintext() {
        let (spec, xml) = encrypted(enc(DataEnc::Aes256Cbc, MGF1P, KeyPlace::Inline));
        let default_ns = xml
            .replace(
                "<saml:EncryptedAssertion>",
                r#"<EncryptedAssertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion">"#,
            )
            .replace("</saml:EncryptedAssertion>", "</EncryptedAssertion>");
        assert_ne!(default_ns, xml);
        assert_signed_values(&spec, &verify(&default_ns).unwrap());

        // Plaintext given as bytes: an XML declaration and whitespace around the element.
        let spec = ResponseSpec::new();
        let signed = spec.sign();
        let start = signed.find("<saml:Assertion").unwrap();
        let end = signed.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
        let plain = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n",
            &signed[start..end]
        );
        let ea = encrypt_xmlsec1(
            Plaintext::Bytes(plain.as_bytes()),
            sp(),
            enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::Inline),
        );
        let xml = spec.response_xml(&ea, false);
        assert_signed_values(&spec, &verify(&xml).unwrap());
    }

    #[test]
    fn encrypted_but_unsigned_assertion_is_refused() {
        let spec = ResponseSpec::new().signed(Signed::Nothing);
        let xml = encrypt_xmlsec1(
            Plaintext::AssertionOf(&spec.sign()),
            sp(),
            enc(DataEnc::Aes256Gcm, MGF1P, KeyPlace::Inline),
        );
        assert_eq!(verify(&xml).unwrap_err(), SamlError::DECRYPTION_FAILED);
        // Decryption itself worked; what refused it is the "signature required" rule, reported
        // as the generic error because it judged decrypted content.
        let doc = decrypt_document(&xml, sp_key()).unwrap();
        assert!(doc.contains("alice@example.com") && !doc.contains("EncryptedAssertion"));
        assert_eq!(parse::scan(&doc, false), Err(SamlError::Unsigned));

        // Signed by someone else, then encrypted to us (anyone can): the signature decides.
        let forged = encrypt_xmlsec1(
            Plaintext::AssertionOf(&ResponseSpec::new().sign_with(attacker(), Signer::Xmlsec1)),
            sp(),
            enc(DataEnc::Aes128Cbc, MGF1P, KeyPlace::Inline),
        );
        assert_eq!(verify(&forged).unwrap_err(), SamlError::DECRYPTION_FAILED);
    }

    #[test]
    fn rsa_1_5_and_other_algorithms_are_refused() {
        let (_, xml) = encrypted(enc(DataEnc::Aes128Cbc, KeyEnc::Rsa15, KeyPlace::Inline));
        assert!(xml.contains("xmlenc#rsa-1_5"));
        assert_eq!(verify(&xml).unwrap_err(), SamlError::EncryptedAssertion);
        assert!(matches!(
            decrypt_document(&xml, sp_key()),
            Err(Failure::Refused(SamlError::EncryptedAssertion, reason)) if reason.contains("rsa-1_5")
        ));

        let (_, xml) = encrypted(enc(DataEnc::Aes192Cbc, MGF1P, KeyPlace::Inline));
        assert_eq!(verify(&xml).unwrap_err(), SamlError::EncryptedAssertion);

        // An unknown OAEP digest, a CipherReference, an EncryptedData of type Content.
        let (_, xml) = encrypted(enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::Inline));
        for (from, to) in [
            (
                "http://www.w3.org/2000/09/xmldsig#sha1",
                "http://www.w3.org/2001/04/xmldsig-more#md5",
            ),
            (
                "http://www.w3.org/2001/04/xmlenc#Element",
                "http://www.w3.org/2001/04/xmlenc#Content",
            ),
        ] {
            let changed = xml.replace(from, to);
            assert_ne!(changed, xml);
            assert_eq!(
                verify(&changed).unwrap_err(),
                SamlError::EncryptedAssertion,
                "{to}"
            );
        }
        let start = xml.rfind("<xenc:CipherValue>").unwrap();
        let end = xml.rfind("</xenc:CipherValue>").unwrap() + "</xenc:CipherValue>".len();
        let reference = format!(
            r#"{}<xenc:CipherReference URI="http://169.254.169.254/"/>{}"#,
            &xml[..start],
            &xml[end..]
        );
        assert_eq!(
            verify(&reference).unwrap_err(),
            SamlError::EncryptedAssertion
        );
    }

    /// The document with one byte of the EncryptedData's cipher text flipped.
    fn flip(xml: &str, index: impl Fn(usize) -> usize) -> String {
        let open = xml.rfind("<xenc:CipherValue>").unwrap() + "<xenc:CipherValue>".len();
        let close = xml.rfind("</xenc:CipherValue>").unwrap();
        let engine = base64::engine::general_purpose::STANDARD;
        let mut bytes = engine
            .decode(xml[open..close].replace(['\n', '\r'], ""))
            .unwrap();
        let at = index(bytes.len());
        bytes[at] ^= 0x01;
        format!("{}{}{}", &xml[..open], engine.encode(bytes), &xml[close..])
    }

    #[test]
    fn flipped_cipher_text_is_one_generic_error() {
        for data in [
            DataEnc::Aes128Cbc,
            DataEnc::Aes256Cbc,
            DataEnc::Aes128Gcm,
            DataEnc::Aes256Gcm,
        ] {
            let (_, xml) = encrypted(enc(data, MGF1P, KeyPlace::Inline));
            // IV, the first, a middle and the last byte (CBC: padding; GCM: tag).
            let positions: [&dyn Fn(usize) -> usize; 4] = [&|_| 0, &|_| 16, &|n| n / 2, &|n| n - 1];
            for (i, at) in positions.into_iter().enumerate() {
                let tampered = flip(&xml, at);
                assert_eq!(
                    verify(&tampered).unwrap_err(),
                    SamlError::DECRYPTION_FAILED,
                    "{data:?} position {i}"
                );
                if matches!(data, DataEnc::Aes128Gcm | DataEnc::Aes256Gcm) {
                    assert_eq!(
                        decrypt_document(&tampered, sp_key()).unwrap_err(),
                        Failure::Decryption(Cause::Cipher)
                    );
                }
            }
        }
    }

    #[test]
    fn wrong_sp_key_and_wrong_key_length_fail_generically() {
        let spec = ResponseSpec::new();
        for data in [DataEnc::Aes128Cbc, DataEnc::Aes256Gcm] {
            let xml = encrypt_xmlsec1(
                Plaintext::AssertionOf(&spec.sign()),
                attacker(),
                enc(data, MGF1P, KeyPlace::Inline),
            );
            assert_eq!(verify(&xml).unwrap_err(), SamlError::DECRYPTION_FAILED);
            assert_eq!(
                decrypt_document(&xml, sp_key()).unwrap_err(),
                Failure::Decryption(Cause::KeyTransport)
            );
        }
        // A 128-bit session key presented as AES-256; and OAEP with the wrong digest.
        let (_, xml) = encrypted(enc(DataEnc::Aes128Cbc, MGF1P, KeyPlace::Inline));
        let relabelled = xml.replace(DataEnc::Aes128Cbc.uri(), DataEnc::Aes256Cbc.uri());
        assert_eq!(
            decrypt_document(&relabelled, sp_key()).unwrap_err(),
            Failure::Decryption(Cause::KeyTransport)
        );
        assert_eq!(
            verify(&relabelled).unwrap_err(),
            SamlError::DECRYPTION_FAILED
        );
        let wrong_digest = xml.replace(
            "http://www.w3.org/2000/09/xmldsig#sha1",
            "http://www.w3.org/2001/04/xmlenc#sha256",
        );
        assert_eq!(
            verify(&wrong_digest).unwrap_err(),
            SamlError::DECRYPTION_FAILED
        );
        // The MGF named in xenc11:MGF is the one used.
        let (_, xml) = encrypted(enc(DataEnc::Aes256Gcm, OAEP11, KeyPlace::Inline));
        let wrong_mgf = xml.replace("#mgf1sha256", "#mgf1sha1");
        assert_ne!(wrong_mgf, xml);
        assert_eq!(
            decrypt_document(&wrong_mgf, sp_key()).unwrap_err(),
            Failure::Decryption(Cause::KeyTransport)
        );
    }

    #[test]
    fn key_references_must_be_unambiguous() {
        let (_, xml) = encrypted(enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::SiblingRetrieval));
        let dangling = xml.replace(r##"URI="#_ek1""##, r##"URI="#_other""##);
        let external = xml.replace(r##"URI="#_ek1""##, r#"URI="http://169.254.169.254/k""#);
        let ek_start = xml.find("<xenc:EncryptedKey ").unwrap();
        let ek_end = xml.rfind("</xenc:EncryptedKey>").unwrap() + "</xenc:EncryptedKey>".len();
        let duplicated = format!("{}{}", &xml[..ek_end], &xml[ek_start..]);
        for doc in [dangling, external, duplicated] {
            assert_eq!(verify(&doc).unwrap_err(), SamlError::EncryptedAssertion);
        }
        let (_, xml) = encrypted(enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::SiblingOnly));
        let ek_start = xml.find("<xenc:EncryptedKey ").unwrap();
        let ek_end = xml.rfind("</xenc:EncryptedKey>").unwrap() + "</xenc:EncryptedKey>".len();
        let two_unnamed = format!("{}{}", &xml[..ek_end], &xml[ek_start..]);
        assert_eq!(
            verify(&two_unnamed).unwrap_err(),
            SamlError::EncryptedAssertion
        );
        // ... unless a ReferenceList says which one is for this EncryptedData.
        let named = format!(
            "{}{}",
            &xml[..ek_end].replace(
                "</xenc:EncryptedKey>",
                r##"<xenc:ReferenceList><xenc:DataReference URI="#_ed1"/></xenc:ReferenceList></xenc:EncryptedKey>"##
            ),
            &xml[ek_start..]
        );
        verify(&named).unwrap();
    }

    #[test]
    fn encrypted_and_plain_assertions_together_are_refused() {
        let (_, xml) = encrypted(enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::Inline));
        let other = ResponseSpec::new().sign();
        let start = other.find("<saml:Assertion").unwrap();
        let end = other.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
        let plain = &other[start..end];
        for doc in [
            xml.replace("</samlp:Response>", &format!("{plain}</samlp:Response>")),
            xml.replace(
                "<saml:EncryptedAssertion>",
                &format!("{plain}<saml:EncryptedAssertion>"),
            ),
        ] {
            assert_eq!(verify(&doc).unwrap_err(), SamlError::AssertionCount);
        }
        // Two EncryptedAssertions.
        let ea_start = xml.find("<saml:EncryptedAssertion>").unwrap();
        let ea_end =
            xml.find("</saml:EncryptedAssertion>").unwrap() + "</saml:EncryptedAssertion>".len();
        let twice = format!("{}{}", &xml[..ea_end], &xml[ea_start..]);
        assert_eq!(verify(&twice).unwrap_err(), SamlError::AssertionCount);
        // Moved into Extensions.
        let hidden = format!(
            "{}<samlp:Extensions>{}</samlp:Extensions>{}",
            &xml[..ea_start],
            &xml[ea_start..ea_end],
            &xml[ea_end..]
        );
        assert_eq!(verify(&hidden).unwrap_err(), SamlError::EncryptedAssertion);
    }

    #[test]
    fn signed_response_around_an_encrypted_assertion_is_refused() {
        let spec = ResponseSpec::new().signed(Signed::Response);
        let template = encrypt_xmlsec1(
            Plaintext::AssertionOf(&spec.template()),
            sp(),
            enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::Inline),
        );
        let xml = sign_xmlsec1(&template, idp());
        assert!(xml.contains("<saml:EncryptedAssertion>"));
        assert_eq!(verify(&xml).unwrap_err(), SamlError::EncryptedAssertion);
    }

    #[test]
    fn without_an_sp_key_encrypted_assertions_are_refused() {
        let (_, xml) = encrypted(enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::Inline));
        let registry = registry_with_sp_key(None);
        assert_eq!(
            registry.verify("corp", &b64(&xml), now()).unwrap_err(),
            SamlError::EncryptedAssertion
        );
        assert!(
            SamlError::EncryptedAssertion
                .to_string()
                .contains("SP key (saml_sp_key_file)")
        );
    }

    #[test]
    fn decrypted_plaintext_must_be_one_assertion_without_declarations() {
        let spec = ResponseSpec::new();
        let signed = spec.sign();
        let start = signed.find("<saml:Assertion").unwrap();
        let end = signed.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
        let assertion = &signed[start..end];
        let cases = [
            (
                format!(
                    r#"<!DOCTYPE saml:Assertion [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>{assertion}"#
                ),
                Cause::Plaintext(SamlError::Dtd),
            ),
            (
                assertion.replace("<saml:Subject>", "<saml:Subject><!ENTITY x \"y\">"),
                Cause::Plaintext(SamlError::Dtd),
            ),
            (
                format!("{assertion}{assertion}"),
                Cause::Plaintext(SamlError::AssertionCount),
            ),
            (
                format!("{assertion}</saml:EncryptedAssertion><saml:Assertion>"),
                Cause::Plaintext(SamlError::MalformedXml),
            ),
            (
                "<saml:Issuer>x</saml:Issuer>".to_owned(),
                Cause::Plaintext(SamlError::AssertionCount),
            ),
            (
                format!("text{assertion}"),
                Cause::Plaintext(SamlError::MalformedXml),
            ),
            (
                format!("{assertion}<?pi x?>"),
                Cause::Plaintext(SamlError::MalformedXml),
            ),
            (
                assertion[..assertion.len() - 3].to_owned(),
                Cause::Plaintext(SamlError::MalformedXml),
            ),
        ];
        for (i, (plain, cause)) in cases.into_iter().enumerate() {
            let ea = encrypt_xmlsec1(
                Plaintext::Bytes(plain.as_bytes()),
                sp(),
                enc(DataEnc::Aes256Cbc, MGF1P, KeyPlace::Inline),
            );
            let xml = spec.response_xml(&ea, false);
            assert_eq!(
                decrypt_document(&xml, sp_key()).unwrap_err(),
                Failure::Decryption(cause),
                "case {i}"
            );
            assert_eq!(
                verify(&xml).unwrap_err(),
                SamlError::DECRYPTION_FAILED,
                "case {i}"
            );
        }
        // Not UTF-8.
        let ea = encrypt_xmlsec1(
            Plaintext::Bytes(b"<saml:Assertion>\xff</saml:Assertion>"),
            sp(),
            enc(DataEnc::Aes128Gcm, MGF1P, KeyPlace::Inline),
        );
        assert_eq!(
            decrypt_document(&spec.response_xml(&ea, false), sp_key()).unwrap_err(),
            Failure::Decryption(Cause::NotUtf8)
        );
    }

    #[test]
    fn cbc_accepts_xml_enc_padding_not_only_pkcs7() {
        let key = [7u8; 16];
        let iv = [9u8; 16];
        // "<x/>" + 11 arbitrary bytes + the pad length 12.
        let mut block = b"<x/>".to_vec();
        block.extend_from_slice(&[0xAB; 11]);
        block.push(12);
        let mut crypter =
            Crypter::new(Cipher::aes_128_cbc(), Mode::Encrypt, &key, Some(&iv)).unwrap();
        crypter.pad(false);
        let mut out = vec![0; 32];
        let n = crypter.update(&block, &mut out).unwrap();
        out.truncate(n);
        let data = [iv.as_slice(), &out].concat();
        assert_eq!(symmetric(DataAlg::Aes128Cbc, &key, &data).unwrap(), b"<x/>");
        for last in [0u8, 17, 255] {
            let mut bad = block.clone();
            bad[15] = last;
            let mut crypter =
                Crypter::new(Cipher::aes_128_cbc(), Mode::Encrypt, &key, Some(&iv)).unwrap();
            crypter.pad(false);
            let mut out = vec![0; 32];
            let n = crypter.update(&bad, &mut out).unwrap();
            out.truncate(n);
            let data = [iv.as_slice(), &out].concat();
            assert_eq!(
                symmetric(DataAlg::Aes128Cbc, &key, &data),
                Err(Cause::Padding)
            );
        }
        assert_eq!(symmetric(DataAlg::Aes128Cbc, &key, &iv), Err(Cause::Cipher));
        assert_eq!(
            symmetric(DataAlg::Aes128Gcm, &key, &[0; 27]),
            Err(Cause::Cipher)
        );
    }

    #[test]
    fn sp_key_is_checked_at_startup_and_never_printed() {
        let config_error = |pem: &str| {
            let md = metadata_xml(ENTITY_ID, &[idp()]);
            let providers = [provider("corp", file_source(md), false)];
            match SamlRegistry::new(&providers, Some(&Secret::new(pem)), reqwest::Client::new()) {
                Err(SamlError::Config(msg)) => msg,
                other => panic!("{other:?}"),
            }
        };
        let garbage = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(config_error(garbage).starts_with("server.saml_sp_key_file: "));
        let small = TestIdp::rsa(1024, "small SP");
        assert!(config_error(key_pem(&small).expose()).contains("at least 2048"));
        let ec = openssl::ec::EcKey::generate(
            &openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap(),
        )
        .unwrap();
        let ec_pem = PKey::from_ec_key(ec)
            .unwrap()
            .private_key_to_pem_pkcs8()
            .unwrap();
        assert!(config_error(std::str::from_utf8(&ec_pem).unwrap()).contains("must be RSA"));
        // A passphrase-protected key fails instead of prompting.
        let encrypted_pem = sp()
            .key
            .private_key_to_pem_pkcs8_passphrase(Cipher::aes_256_cbc(), b"secret")
            .unwrap();
        let msg = config_error(std::str::from_utf8(&encrypted_pem).unwrap());
        assert!(msg.contains("unencrypted"), "{msg}");

        let printed = format!("{:?} {:?}", sp_key(), sp_registry());
        assert!(printed.contains("SpKey(<redacted>)"), "{printed}");
        assert!(
            !printed.contains("PRIVATE KEY") && !printed.contains("RSA"),
            "{printed}"
        );
    }

    fn encrypted_sample() -> &'static str {
        static DOC: OnceLock<String> = OnceLock::new();
        DOC.get_or_init(|| encrypted(enc(DataEnc::Aes128Cbc, MGF1P, KeyPlace::SiblingRetrieval)).1)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn decrypt_never_panics(
            text in "\\PC{0,300}",
            cut in 0usize..6_000,
            insert in "\\PC{0,16}",
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..160),
        ) {
            let _ = decrypt_document(&text, sp_key());
            let doc = encrypted_sample();
            let mangled: String = doc
                .chars()
                .take(cut)
                .chain(insert.chars())
                .chain(doc.chars().skip(cut))
                .collect();
            let _ = decrypt_document(&mangled, sp_key());
            let _ = sp_registry().verify("corp", &b64(&mangled), now());
            let truncated: String = doc.chars().take(cut).collect();
            let _ = decrypt_document(&truncated, sp_key());
            for alg in [DataAlg::Aes128Cbc, DataAlg::Aes256Cbc, DataAlg::Aes128Gcm, DataAlg::Aes256Gcm] {
                let _ = symmetric(alg, &[1; 32][..alg.key_len()], &bytes);
            }
            let _ = assertion_fragment(&bytes);
            let _ = assertion_fragment(text.as_bytes());
        }
    }
}
