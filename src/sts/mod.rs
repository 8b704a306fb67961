//! The issuance service: the [`bridge::Bridge`] and its methods, one per STS action and browser
//! step, called by the query API (`protocol`) and the browser pages (`web`), so every check
//! covers both.
//!
//! Methods here take typed input (an authenticated caller, validated parameters) and return
//! typed results; they know nothing of XML or HTTP.

pub mod actions;
pub mod assume_role;
pub mod authorize;
pub mod bridge;
pub(crate) mod browser;
pub mod call;
pub mod decode;
pub mod error;
pub mod explain;
pub mod mfa;
pub mod offers;
pub mod permissions;
pub mod revoke;
pub mod saml;
pub mod session;
pub mod tokens;
pub mod trust;
pub mod web_identity;

pub use error::ServiceError;

use crate::authn::Principal;
use crate::config::Config;
use crate::types::AccountId;

/// What GetCallerIdentity reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    pub user_id: String,
    pub account: AccountId,
    pub arn: String,
}

/// GetCallerIdentity needs no permission and succeeds even under an explicit deny (AWS
/// semantics): being authenticated is enough.
pub fn get_caller_identity(principal: &Principal) -> CallerIdentity {
    CallerIdentity {
        user_id: principal.user_id(),
        account: principal.account(),
        arn: principal.arn(),
    }
}

/// GetAccessKeyInfo: the account that owns a key id. The bridge is one account, and like AWS
/// it answers for any well-formed key id without revealing whether the key exists or is active.
pub fn get_access_key_info(config: &Config) -> AccountId {
    config.server.account_id
}
