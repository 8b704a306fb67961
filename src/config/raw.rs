//! The TOML shape of the configuration file, exactly as `shared/design/config.md` documents it.
//! Every table denies unknown keys; nothing here is trusted until `validate` has turned it into
//! a `Config`. Secret-bearing values are `Secret` from the moment they are read, so even a
//! debug print of the raw file is redacted.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::types::Secret;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub store: RawStore,
    #[serde(default)]
    pub tokens: RawTokens,
    #[serde(default)]
    pub users: Vec<RawUser>,
    #[serde(default)]
    pub oidc_providers: Vec<RawOidcProvider>,
    #[serde(default)]
    pub saml_providers: Vec<RawSamlProvider>,
    #[serde(default)]
    pub policies: Vec<RawPolicy>,
    #[serde(default)]
    pub roles: Vec<RawRole>,
    #[serde(default)]
    pub rules: Vec<RawRule>,
    #[serde(default)]
    pub audit: RawAudit,
    #[serde(default)]
    pub limits: RawLimits,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub account_id: Option<String>,
    pub region: Option<String>,
    #[serde(default)]
    pub cors_origins: Vec<String>,
    #[serde(default)]
    pub console_destinations: Vec<String>,
    pub saml_sp_key_file: Option<String>,
    pub saml_sp_cert_file: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    /// May hold a database password.
    pub url: Option<Secret>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTokens {
    pub keys_file: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUser {
    pub name: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub mfa_totp_secret: Option<Secret>,
    #[serde(default)]
    pub policies: Vec<String>,
    #[serde(default)]
    pub managed_policies: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOidcProvider {
    pub url: String,
    pub client_ids: Vec<String>,
    pub jwks_url: Option<String>,
    pub jwks_file: Option<String>,
    pub clock_skew_s: Option<u32>,
    pub display_name: Option<String>,
    pub login_client_id: Option<String>,
    pub login_client_secret: Option<Secret>,
    pub scopes: Option<Vec<String>>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSamlProvider {
    pub name: String,
    pub metadata_file: Option<String>,
    pub metadata_url: Option<String>,
    pub display_name: Option<String>,
    pub audiences: Option<Vec<String>>,
    pub acs_urls: Option<Vec<String>>,
    #[serde(default)]
    pub allow_sha1: bool,
    pub clock_skew_s: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub name: String,
    pub document: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRole {
    pub name: String,
    pub path: Option<String>,
    pub max_session_duration: Option<u32>,
    pub trust_policy: String,
    #[serde(default)]
    pub policies: Vec<String>,
    #[serde(default)]
    pub managed_policies: Vec<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub provider: String,
    #[serde(default)]
    pub when: Vec<RawCondition>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    pub session_name: Option<String>,
    #[serde(default)]
    pub stop: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCondition {
    pub claim: String,
    pub op: String,
    pub value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    pub file: Option<String>,
    pub retention_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    pub unauthenticated_per_ip_per_s: Option<u32>,
    pub per_subject_per_s: Option<u32>,
    pub per_access_key_per_s: Option<u32>,
    pub mfa_per_user_per_s: Option<u32>,
}
