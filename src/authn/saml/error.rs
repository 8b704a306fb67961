//! Why a SAMLResponse was refused.
//!
//! One variant per failure, so tests and the STS error mapping can tell them apart. Every
//! `Display` text is safe to send to a client: none of them echoes content from the assertion
//! (a tampered document must not be able to put text into our error responses or logs).
//! `Config` and `Internal` are operator-facing and only occur at startup or on a broken install.

use super::limits::MAX_RESPONSE_CHARS;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SamlError {
    /// The request named a SAML provider that is not configured.
    #[error("no such SAML provider")]
    NoSuchProvider,
    /// A `metadata_url` provider whose metadata has not been fetched successfully yet.
    #[error("the SAML provider's metadata is not available yet")]
    MetadataUnavailable,
    #[error("SAML response is longer than {MAX_RESPONSE_CHARS} characters")]
    TooLarge,
    #[error("SAML response is not valid base64")]
    BadBase64,
    #[error("SAML response is not UTF-8")]
    NotUtf8,
    /// A DOCTYPE or any other markup declaration (ENTITY, ELEMENT, …): XXE and entity-expansion
    /// bombs are refused before any XML parser sees the bytes.
    #[error("SAML response must not contain a DOCTYPE or entity declaration")]
    Dtd,
    #[error("SAML response is not well-formed XML")]
    MalformedXml,
    #[error("SAML message is not a samlp:Response")]
    NotAResponse,
    /// Encrypted content in a form that is not decrypted (see `decrypt`): no SP key configured,
    /// a signed Response around an EncryptedAssertion, `EncryptedID`/`EncryptedAttribute`, or
    /// algorithms other than RSA-OAEP key transport with AES-CBC/GCM (`rsa-1_5` included).
    #[error(
        "encrypted SAML assertion not accepted: decryption needs an SP key (saml_sp_key_file), \
         one EncryptedAssertion in an unsigned Response, RSA-OAEP and AES-CBC or AES-GCM"
    )]
    EncryptedAssertion,
    #[error("SAML response must contain exactly one Assertion")]
    AssertionCount,
    #[error("SAML response is not signed")]
    Unsigned,
    /// A signature or element placement SAML does not use: signatures that are not a direct
    /// child of the Response or Assertion they reference, `ds:Object`/`Manifest`/
    /// `RetrievalMethod`, transforms other than enveloped-signature and C14N, a second Response…
    /// These are the shapes of signature-wrapping attacks.
    #[error("SAML response signature or element layout is not accepted")]
    SignatureLayout,
    #[error("SAML response uses a signature or digest algorithm that is not allowed")]
    DisallowedAlgorithm,
    /// The signature does not verify with any certificate of the provider's metadata (wrong key,
    /// content changed after signing, or content the signature does not cover).
    #[error("Response signature invalid")]
    BadSignature,
    #[error("Issuer not present in specified provider")]
    IssuerMismatch,
    #[error("SAML assertion has no Conditions")]
    MissingConditions,
    #[error("SAML assertion has no AudienceRestriction")]
    MissingAudienceRestriction,
    #[error("Response does not contain the required audience")]
    AudienceMismatch,
    #[error("SAML assertion has no bearer SubjectConfirmation with NotOnOrAfter")]
    MissingBearerConfirmation,
    #[error("SAML assertion Recipient is not an accepted ACS URL")]
    RecipientMismatch,
    #[error("SAML response Destination is not an accepted ACS URL")]
    DestinationMismatch,
    #[error("SAML response status is not Success")]
    StatusNotSuccess,
    /// The caller maps this one to `ExpiredTokenException`.
    #[error("SAML assertion has expired")]
    Expired,
    #[error("SAML assertion is not yet valid")]
    NotYetValid,
    /// The signed Response and its assertion's bearer confirmation answer different
    /// AuthnRequests (their `InResponseTo` differ).
    #[error("SAML Response and assertion name different InResponseTo requests")]
    InResponseToMismatch,
    #[error("SAML assertion has no NameID")]
    MissingNameId,
    /// Signed content that samael could not read as a SAML Response/Assertion; also every
    /// failure to decrypt an EncryptedAssertion (see [`SamlError::DECRYPTION_FAILED`]).
    #[error("SAML assertion could not be read")]
    InvalidAssertion,
    /// A provider that cannot be used (startup only); names the provider.
    #[error("{0}")]
    Config(String),
    /// The XML-signature library failed in a way that is not about the document.
    #[error("SAML verification is unavailable")]
    Internal,
}

impl SamlError {
    /// An EncryptedAssertion that could not be decrypted (wrong key, RSA-OAEP failure, bad
    /// padding, GCM tag mismatch, plaintext that is not one Assertion), or whose decrypted
    /// content was refused before its signature verified. One error for all of them, so that
    /// none of them is an oracle (see `decrypt`); the detail is logged at debug level only.
    ///
    /// Deliberately the very same error as [`SamlError::InvalidAssertion`]: a failed decryption
    /// (key unwrap, padding, GCM tag, unreadable plaintext) must be indistinguishable from any
    /// other unreadable assertion, so no answer can serve as a padding oracle.
    pub const DECRYPTION_FAILED: Self = Self::InvalidAssertion;
}
