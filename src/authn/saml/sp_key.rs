//! The SP's own private key (`[server] saml_sp_key_file`): it decrypts EncryptedAssertions and
//! signs AuthnRequests (the SP metadata publishes one certificate for both uses). Parsed once
//! when the registry is built; never printed.

use std::fmt;

use openssl::pkey::{Id, PKey, Private};

use crate::types::Secret;

/// Smallest accepted SP key.
const MIN_RSA_BITS: u32 = 2048;

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

    /// The key itself: it signs AuthnRequests and unwraps the session keys of
    /// EncryptedAssertions.
    pub(super) fn private_key(&self) -> &PKey<Private> {
        &self.key
    }
}
