//! Sealed browser state: the login cookie (state, nonce, PKCE verifier), server-side web
//! sessions and console sign-in tokens. Each is JSON in an AES-256-GCM box under the keyring's
//! web-state key, with its kind and (for stored records) its storage key bound in as associated
//! data, so a box made for one purpose or one record can never be opened as another.
//!
//! Wire form: base64url( version ‖ key id ‖ nonce ‖ AES-256-GCM(JSON) ), as session tokens.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{SealError, TokenError};
use super::keyring::{Keyring, Purpose, open_text, seal_text};

const VERSION: u8 = 1;

/// Largest sealed text accepted by [`open`]: the store's bound on a value (a session holding a
/// large verified assertion and credentials fits).
pub(crate) const MAX_SEALED_LEN: usize = crate::store::MAX_STATE_BYTES;

/// Seals `value` for `kind` (a fixed label such as `"login-cookie"`) and `binding` (the record's
/// key, or empty for self-contained cookies).
pub(crate) fn seal<T: Serialize>(
    keyring: &Keyring,
    kind: &str,
    binding: &str,
    value: &T,
) -> Result<String, SealError> {
    let plain = zeroize::Zeroizing::new(
        serde_json::to_vec(value).map_err(|e| SealError::Encode(e.to_string()))?,
    );
    seal_text(
        keyring,
        Purpose::WebState,
        &aad(kind, binding),
        VERSION,
        &plain,
    )
}

/// Opens what [`seal`] made for the same `kind` and `binding`, with any key of the ring.
pub(crate) fn open<T: DeserializeOwned>(
    keyring: &Keyring,
    kind: &str,
    binding: &str,
    sealed: &str,
) -> Result<T, TokenError> {
    let plain = open_text(
        keyring,
        Purpose::WebState,
        &aad(kind, binding),
        VERSION,
        sealed,
        MAX_SEALED_LEN,
    )?;
    serde_json::from_slice(&plain).map_err(|_| TokenError::Malformed)
}

fn aad(kind: &str, binding: &str) -> Vec<u8> {
    // NUL cannot occur in either part (fixed labels, hex keys), so the split is unambiguous.
    [
        b"stsbridge-web-state\0",
        kind.as_bytes(),
        b"\0",
        binding.as_bytes(),
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Sample {
        n: u32,
        s: String,
    }

    #[test]
    fn opens_only_for_the_same_kind_binding_and_ring() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let ring = Keyring::generate(now);
        let v = Sample {
            n: 7,
            s: "x".into(),
        };
        let sealed = seal(&ring, "a", "k1", &v).unwrap();
        assert_eq!(open::<Sample>(&ring, "a", "k1", &sealed).unwrap(), v);
        assert!(open::<Sample>(&ring, "b", "k1", &sealed).is_err());
        assert!(open::<Sample>(&ring, "a", "k2", &sealed).is_err());
        assert!(open::<Sample>(&Keyring::generate(now), "a", "k1", &sealed).is_err());
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(open::<Sample>(&ring, "a", "k1", &tampered).is_err());
        assert!(open::<Sample>(&ring, "a", "k1", &"A".repeat(MAX_SEALED_LEN + 1)).is_err());
    }
}
