//! The TOML shape of the configuration file, exactly as `shared/design/config.md` documents it.
//! Every table denies unknown keys; nothing here is trusted until `validate` has turned it into
//! a `Config`. Secret-bearing values are `Secret` from the moment they are read, so even a
//! debug print of the raw file is redacted.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::types::Secret;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub(crate) server: RawServer,
    #[serde(default)]
    pub(crate) store: RawStore,
    #[serde(default)]
    pub(crate) tokens: RawTokens,
    #[serde(default)]
    pub(crate) users: Vec<RawUser>,
    #[serde(default)]
    pub(crate) oidc_providers: Vec<RawOidcProvider>,
    #[serde(default)]
    pub(crate) saml_providers: Vec<RawSamlProvider>,
    #[serde(default)]
    pub(crate) policies: Vec<RawPolicy>,
    #[serde(default)]
    pub(crate) roles: Vec<RawRole>,
    #[serde(default)]
    pub(crate) rules: Vec<RawRule>,
    #[serde(default)]
    pub(crate) audit: RawAudit,
    #[serde(default)]
    pub(crate) limits: RawLimits,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    pub(crate) listen: Option<String>,
    pub(crate) public_url: Option<String>,
    pub(crate) account_id: Option<String>,
    pub(crate) region: Option<String>,
    #[serde(default)]
    pub(crate) cors_origins: Vec<String>,
    #[serde(default)]
    pub(crate) console_destinations: Vec<String>,
    pub(crate) saml_sp_key_file: Option<String>,
    pub(crate) saml_sp_cert_file: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStore {
    /// May hold a database password.
    pub(crate) url: Option<Secret>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTokens {
    pub(crate) keys_file: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUser {
    pub(crate) name: String,
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: Secret,
    pub(crate) mfa_totp_secret: Option<Secret>,
    #[serde(default)]
    pub(crate) policies: Vec<String>,
    #[serde(default)]
    pub(crate) managed_policies: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOidcProvider {
    pub(crate) url: String,
    pub(crate) client_ids: Vec<String>,
    pub(crate) jwks_url: Option<String>,
    pub(crate) jwks_file: Option<String>,
    pub(crate) clock_skew_s: Option<u32>,
    pub(crate) display_name: Option<String>,
    pub(crate) login_client_id: Option<String>,
    pub(crate) login_client_secret: Option<Secret>,
    pub(crate) scopes: Option<Vec<String>>,
    pub(crate) authorization_endpoint: Option<String>,
    pub(crate) token_endpoint: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSamlProvider {
    pub(crate) name: String,
    pub(crate) metadata_file: Option<String>,
    pub(crate) metadata_url: Option<String>,
    pub(crate) display_name: Option<String>,
    pub(crate) audiences: Option<Vec<String>>,
    pub(crate) acs_urls: Option<Vec<String>>,
    #[serde(default)]
    pub allow_sha1: bool,
    pub(crate) clock_skew_s: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPolicy {
    pub(crate) name: String,
    pub(crate) document: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRole {
    pub(crate) name: String,
    pub(crate) path: Option<String>,
    pub(crate) max_session_duration: Option<u32>,
    pub(crate) trust_policy: String,
    #[serde(default)]
    pub(crate) policies: Vec<String>,
    #[serde(default)]
    pub(crate) managed_policies: Vec<String>,
    #[serde(default)]
    pub(crate) tags: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    pub(crate) provider: String,
    #[serde(default)]
    pub(crate) when: Vec<RawCondition>,
    #[serde(default)]
    pub(crate) roles: Vec<String>,
    #[serde(default)]
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) session_name: Option<String>,
    #[serde(default)]
    pub(crate) stop: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCondition {
    pub(crate) claim: String,
    pub(crate) op: String,
    pub(crate) value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAudit {
    pub(crate) file: Option<String>,
    pub(crate) retention_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(
    clippy::struct_field_names,
    reason = "the field names are the file's keys"
)]
pub(crate) struct RawLimits {
    pub(crate) unauthenticated_per_ip_per_s: Option<u32>,
    pub(crate) per_subject_per_s: Option<u32>,
    pub(crate) per_access_key_per_s: Option<u32>,
    pub(crate) mfa_per_user_per_s: Option<u32>,
}
