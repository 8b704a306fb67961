//! Why decryption did not produce a document, and how each reason is reported: as itself when
//! the document as sent decided it, as the one generic error when the key or the decrypted bytes
//! did (see the module doc of `decrypt`: no oracle).

use super::super::error::SamlError;

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
    pub(super) fn into_error(self) -> SamlError {
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

/// An EncryptedAssertion refused for what it says (see the module doc of `decrypt`).
pub(super) fn refused(reason: &'static str) -> Failure {
    Failure::Refused(SamlError::EncryptedAssertion, reason)
}
