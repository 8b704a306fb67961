//! The AWS STS query protocol: form/query parameters in, XML documents out, AWS error codes
//! and statuses. The only layer that knows the wire format.

pub mod action;
pub mod authorize;
mod constraints;
pub mod error;
pub mod extract;
pub mod handlers;
mod members;
pub mod params;
pub mod requests;
pub mod response;
pub mod xml;

pub use error::{ErrorCode, StsError};
