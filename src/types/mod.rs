//! Typed domain values shared by every layer: parsed once from untrusted text, then passed
//! around as types whose `Display` writes the canonical form.

pub mod access_key;
pub mod account_id;
pub mod arn;
pub mod credentials;
pub mod duration;
pub mod idp_url;
pub mod provider_arn;
pub mod secret;
pub mod session_name;
pub mod tag;

pub use access_key::{AccessKeyId, AccessKeyKind};
pub use account_id::AccountId;
pub use arn::{Arn, RoleArn};
pub use credentials::TemporaryCredentials;
pub use duration::SessionDuration;
pub use provider_arn::{ProviderArn, ProviderKind};
pub use secret::{Secret, SecretAccessKey};
pub use session_name::SessionName;
pub use tag::TagSet;

/// Serde through `Display`/`FromStr`, so a typed value is written in its canonical text form
/// and can only be read back if it parses.
macro_rules! serde_as_string {
    ($($t:ty),*) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}
serde_as_string!(AccessKeyId, AccountId, RoleArn);
