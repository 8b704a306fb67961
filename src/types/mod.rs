//! Typed domain values shared by every layer: parsed once from untrusted text, then passed
//! around as types whose `Display` writes the canonical form.

pub mod access_key;
pub mod account_id;
pub mod arn;
pub mod duration;
pub mod secret;

pub use access_key::{AccessKeyId, AccessKeyKind};
pub use account_id::AccountId;
pub use arn::{Arn, RoleArn};
pub use duration::SessionDuration;
pub use secret::{Secret, SecretAccessKey};
