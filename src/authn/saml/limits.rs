//! Every size bound an anonymous SAML caller meets, in one place: how much text we take, how
//! deep and how wide the XML we parse may be, and how much of an EncryptedAssertion we read
//! before decrypting. Constants only, so that the error type can quote them without importing a
//! parser.

/// Longest accepted `SAMLResponse`/`SAMLAssertion`, in base64 characters (whitespace included).
pub const MAX_RESPONSE_CHARS: usize = 100_000;

/// Deepest element nesting accepted; real responses nest about 8 deep. Also bounds samael's
/// recursive signature search.
pub(super) const MAX_DEPTH: usize = 32;

/// Most attributes one element may carry, namespace declarations included; SAML, XML-DSig and
/// XML-Enc elements have a handful. Checking for duplicates compares each attribute with every
/// earlier one, in quick-xml here and in libxml2 after us, so without this bound a single
/// element with ~5,000 attributes (a 70 KB response) cost ~150 ms of CPU before any signature
/// was checked, to an anonymous caller (found by timing worst-case inputs through the
/// `saml_response` fuzz target).
pub(super) const MAX_ATTRIBUTES: usize = 64;

/// Longest accepted `CipherValue` of an EncryptedKey, in characters (an RSA-8192 block is 1,368
/// base64 characters, plus line breaks).
pub(super) const MAX_KEY_CHARS: usize = 2_048;

/// Longest accepted `OAEPparams`, in characters.
pub(super) const MAX_LABEL_CHARS: usize = 256;

/// Deepest nesting kept inside the EncryptedAssertion (real ones nest 6 deep); also bounds the
/// recursion of dropping the tree.
pub(super) const MAX_TREE_DEPTH: usize = 12;
