//! The validated configuration as runtime code sees it: typed, cross-checked, immutable. Built
//! only by `validate`; provider key sources are kept as given (see the `config` module doc).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use url::Url;

use crate::policy::Policy;
use crate::rules::Rule;
use crate::types::{AccessKeyId, AccountId, ProviderArn, RoleArn, Secret, SecretAccessKey};

/// The validated configuration.
#[derive(Debug)]
pub struct Config {
    pub server: ServerConfig,
    pub store: StoreUrl,
    pub tokens: KeySource,
    pub users: Vec<User>,
    pub oidc_providers: Vec<OidcProvider>,
    pub saml_providers: Vec<SamlProvider>,
    pub policies: Vec<ManagedPolicy>,
    pub roles: Vec<Role>,
    pub rules: Vec<Rule>,
    pub audit: AuditConfig,
    pub limits: Limits,
    /// True only for the embedded demo configuration, which must stay on loopback.
    pub demo: bool,
}

#[derive(Debug)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// External base URL without a trailing slash.
    pub public_url: Url,
    pub account_id: AccountId,
    pub region: String,
    pub cors_origins: Vec<Url>,
    pub console_destinations: Vec<Url>,
    pub saml_sp_key_pem: Option<Secret>,
    pub saml_sp_cert_pem: Option<String>,
}

/// Where the store lives.
#[derive(Debug)]
pub enum StoreUrl {
    SqliteFile(PathBuf),
    SqliteMemory,
    /// The URL may carry a password, so it is kept as a secret.
    Postgres(Secret),
}

/// Where the session-token keyring comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// A JSON keyring file, created (0600) on first start when missing.
    File(PathBuf),
    /// Keys generated in memory at start (demo mode): sessions die with the process.
    Ephemeral,
}

/// A long-term identity with an `AKIA…` key.
#[derive(Debug)]
pub struct User {
    pub name: String,
    /// `AIDA…`, derived from account and name so every replica agrees.
    pub user_id: String,
    pub access_key_id: AccessKeyId,
    pub secret_access_key: SecretAccessKey,
    /// Decoded RFC 6238 seed.
    pub mfa_totp_secret: Option<Secret>,
    pub policies: Vec<Policy>,
    pub managed_policies: Vec<String>,
}

#[derive(Debug)]
pub struct OidcProvider {
    /// Issuer URL exactly as configured (must equal the token's `iss`).
    pub issuer: String,
    /// `arn:aws:iam::<account>:oidc-provider/<issuer without scheme>`.
    pub arn: ProviderArn,
    /// Prefix of the provider's trust-policy condition keys: the issuer without its scheme,
    /// port and path kept (`login.example.com/realms/corp:sub`).
    pub key_prefix: String,
    pub client_ids: Vec<String>,
    pub jwks: JwksSource,
    pub clock_skew_s: u32,
    pub display_name: String,
    pub login_client_id: Option<String>,
    pub login_client_secret: Option<Secret>,
    pub scopes: Vec<String>,
    /// Browser-login endpoints when configured; otherwise discovery supplies them.
    pub login_endpoints: Option<LoginEndpoints>,
}

/// Where a browser signs in (authorization code + PKCE) and where the code is exchanged: as
/// configured, or as the OIDC registry discovered them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginEndpoints {
    pub authorization: Url,
    pub token: Url,
}

#[derive(Debug)]
pub enum JwksSource {
    /// From the issuer's discovery document.
    Discovery,
    Url(Url),
    /// Keys read from a file at start: its JSON text, parsed by the OIDC registry.
    File {
        path: PathBuf,
        json: String,
    },
}

#[derive(Debug)]
pub struct SamlProvider {
    pub name: String,
    /// `arn:aws:iam::<account>:saml-provider/<name>`.
    pub arn: ProviderArn,
    pub metadata: SamlMetadataSource,
    pub display_name: String,
    pub audiences: Vec<String>,
    pub acs_urls: Vec<String>,
    pub allow_sha1: bool,
    pub clock_skew_s: u32,
}

#[derive(Debug)]
pub enum SamlMetadataSource {
    /// Metadata read from a file at start: its XML text, parsed by the SAML registry.
    File {
        path: PathBuf,
        xml: String,
    },
    Url(Url),
}

#[derive(Debug)]
pub struct ManagedPolicy {
    pub name: String,
    pub arn: String,
    pub document: Policy,
}

#[derive(Debug)]
pub struct Role {
    pub arn: RoleArn,
    /// `AROA…`, derived from account, path and name so every replica agrees.
    pub role_id: String,
    pub max_session_duration: u32,
    pub trust_policy: Policy,
    pub policies: Vec<Policy>,
    pub managed_policies: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug)]
pub struct AuditConfig {
    pub sink: AuditSink,
    pub retention_days: u32,
}

#[derive(Debug)]
pub enum AuditSink {
    StoreOnly,
    Stdout,
    File(PathBuf),
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub unauthenticated_per_ip_per_s: u32,
    pub per_subject_per_s: u32,
    pub per_access_key_per_s: u32,
    /// MFA codes checked per IAM user (all of the user's keys and sessions together).
    pub mfa_per_user_per_s: u32,
}

impl Config {
    pub(crate) fn user_by_access_key(&self, id: &AccessKeyId) -> Option<&User> {
        self.users.iter().find(|u| &u.access_key_id == id)
    }

    pub(crate) fn user_by_name(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Managed policy documents by name (names are checked at load).
    pub(crate) fn managed<'a>(
        &'a self,
        names: &'a [String],
    ) -> impl Iterator<Item = &'a Policy> + 'a {
        names
            .iter()
            .filter_map(|n| self.policies.iter().find(|p| &p.name == n))
            .map(|p| &p.document)
    }

    /// A managed policy document by ARN (`PolicyArns`).
    pub(crate) fn managed_by_arn(&self, arn: &str) -> Option<&Policy> {
        self.policies
            .iter()
            .find(|p| p.arn == arn)
            .map(|p| &p.document)
    }

    pub(crate) fn role_by_arn(&self, arn: &RoleArn) -> Option<&Role> {
        self.roles.iter().find(|r| &r.arn == arn)
    }
}
