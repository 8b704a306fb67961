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

mod content;
mod failure;
mod key_transport;
mod locate;
mod markup;
mod plaintext;
#[cfg(test)]
mod tests;

use zeroize::Zeroizing;

use super::error::SamlError;
use super::sp_key::SpKey;
use content::symmetric;
use failure::{Cause, Failure, refused};
use locate::locate;
use markup::{Parts, interpret};
use plaintext::assertion_fragment;

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
fn decrypt_document(xml: &str, key: &SpKey) -> Result<String, Failure> {
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

/// RSA-OAEP unwrap, then AES. The AES step runs even when the unwrap failed (with a random key),
/// so that a wrong RSA block and a wrong CBC padding take the same path.
fn decrypt_parts(parts: &Parts, key: &SpKey) -> Result<Vec<u8>, Failure> {
    let unwrapped = parts
        .transport
        .unwrap(key, &parts.wrapped_key)
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
    let plaintext = symmetric(parts.alg, &session, &parts.data);
    if !key_ok {
        return Err(Failure::Decryption(Cause::KeyTransport));
    }
    plaintext.map_err(Failure::Decryption)
}
