//! The request as received (borrowed), and what its signature covers of the body.

use std::fmt;

use aws_lc_rs::digest;

use super::auth::SERVICE;

/// The request as received, borrowed.
pub struct SignedRequest<'a> {
    pub(crate) method: &'a http::Method,
    /// Raw path and raw query exactly as received (still percent-encoded).
    pub(crate) uri: &'a http::Uri,
    pub(crate) headers: &'a http::HeaderMap,
    pub(crate) payload: Payload<'a>,
    /// The service the credential scope must name: `sts` for our own endpoint, the resource
    /// server's service for a request relayed to `/authorize`.
    pub(crate) service: &'a str,
}

/// What the signature covers of the request body.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Payload<'a> {
    /// The body itself, as received: we hash it.
    Body(&'a [u8]),
    /// A hex SHA-256 (or `UNSIGNED-PAYLOAD`) computed by a resource server that received the
    /// body; it vouches for it, we only check the signature over it.
    Hash(&'a str),
}

impl Payload<'_> {
    pub(crate) fn hash(&self) -> String {
        match self {
            Self::Body(body) => payload_hash(body),
            Self::Hash(hash) => (*hash).to_owned(),
        }
    }
}

impl<'a> SignedRequest<'a> {
    /// Borrows the parts of an `http` request to our STS endpoint together with its
    /// already-buffered body.
    pub(crate) fn from_parts(parts: &'a http::request::Parts, body: &'a [u8]) -> Self {
        Self {
            method: &parts.method,
            uri: &parts.uri,
            headers: &parts.headers,
            payload: Payload::Body(body),
            service: SERVICE,
        }
    }
}

impl SignedRequest<'_> {
    fn payload_kind(&self) -> String {
        match self.payload {
            Payload::Body(b) => format!("{} body bytes", b.len()),
            Payload::Hash(_) => "declared hash".to_owned(),
        }
    }
}

// Hand-written so that logging a request never prints the Authorization header, a session token
// in a header, or a presigned query string (which carries the token and the signature).
impl fmt::Debug for SignedRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRequest")
            .field("method", self.method)
            .field("path", &self.uri.path())
            .field("header_names", &self.headers.keys().collect::<Vec<_>>())
            .field("payload", &self.payload_kind())
            .finish()
    }
}

/// Lowercase hex SHA-256 of the body, the last line of every canonical request.
pub fn payload_hash(body: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, body))
}
