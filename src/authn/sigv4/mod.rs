//! Server-side AWS Signature Version 4 verification: for our `sts` endpoint, and for requests
//! to resource servers relayed through `/authorize`.
//!
//! This module owns everything between "the request as received" and "this caller holds the
//! secret for this access key id": parsing the Authorization header or the presigned query
//! ([`parse`]), the clock-skew and expiry rules ([`check_time`]), and recomputing and comparing
//! the signature ([`verify`]). It does not look up access keys, decide whether a session token
//! is valid, or map errors to STS error codes; callers do that with the parsed [`SigV4Auth`].
//!
//! The usual order is `parse` → look up the secret by `access_key_id` → `check_time` →
//! `verify`. `parse` returns a value that is *not yet trusted*; only a successful `verify`
//! says its fields were signed by the holder of the secret.

mod auth;
mod canonical;
mod error;
mod parse;
mod request;
#[cfg(test)]
mod tests_support;
mod verify;

pub(crate) use auth::{MAX_SIGNED_HEADERS, MAX_SKEW};
pub use error::SigV4Error;
pub(crate) use parse::parse;
pub(crate) use request::Payload;
pub use request::{SignedRequest, payload_hash};
pub(crate) use verify::{check_time, verify};
