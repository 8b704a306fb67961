//! `RawConfig` → `Config`: every check that can be made at start is made here, once, and every
//! problem is reported with its key path. All problems are collected, so an operator fixes a
//! file in one pass instead of one error per restart.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use url::Url;

use super::raw::{
    RawConfig, RawOidcProvider, RawRole, RawRule, RawSamlProvider, RawServer, RawUser,
};
use super::secret_ref::{Env, resolve};
use super::{
    AuditConfig, AuditSink, Config, ConfigError, JwksSource, KeyError, KeySource, Limits,
    LoginEndpoints, ManagedPolicy, OidcProvider, Role, SamlMetadataSource, SamlProvider,
    ServerConfig, StoreUrl, User,
};
use crate::policy::{Policy, PolicyKind, parse_policy};
use crate::rules::{ClaimCondition, ClaimOp, Rule, Template, validate_claim_path};
use crate::types::arn::{is_iam_name_char, validate_role_name, validate_role_path};
use crate::types::duration::{DEFAULT_ROLE_SESSION_SECONDS, ROLE_MAX_SESSION_RANGE};
use crate::types::tag::{MAX_TAGS, TAG_KEY_MAX, TAG_VALUE_MAX, is_tag_char};
use crate::types::{AccessKeyId, AccessKeyKind, AccountId, RoleArn, Secret, SecretAccessKey};

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_ACCOUNT: &str = "000000000000";
const DEFAULT_REGION: &str = "us-east-1";
const DEFAULT_STORE: &str = "sqlite://stsbridge.db";
const DEFAULT_KEYS_FILE: &str = "stsbridge-keys.json";
const DEFAULT_SKEW_S: u32 = 60;
const MAX_SKEW_S: u32 = 300;
/// Metadata, JWKS and PEM files are small; anything larger is a mistake, not a key.
const MAX_AUX_FILE_BYTES: u64 = 1024 * 1024;

struct Ctx<'a> {
    errors: Vec<KeyError>,
    base_dir: &'a Path,
    env: &'a dyn Env,
}

impl Ctx<'_> {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(KeyError {
            path: path.into(),
            message: message.into(),
        });
    }

    /// Records the error (if any) and turns the result into an option.
    fn check<T, E: std::fmt::Display>(
        &mut self,
        path: impl Into<String>,
        r: Result<T, E>,
    ) -> Option<T> {
        r.map_err(|e| self.err(path, e.to_string())).ok()
    }

    fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_owned()
        } else {
            self.base_dir.join(p)
        }
    }

    fn read_small_file(&mut self, key: &str, file: &str) -> Option<(PathBuf, String)> {
        let path = self.path(file);
        let result = std::fs::metadata(&path).and_then(|m| {
            if m.len() > MAX_AUX_FILE_BYTES {
                Err(std::io::Error::other(format!(
                    "larger than {MAX_AUX_FILE_BYTES} bytes"
                )))
            } else {
                std::fs::read_to_string(&path)
            }
        });
        match result {
            Ok(text) => Some((path, text)),
            Err(e) => {
                self.err(key, format!("cannot read {}: {e}", path.display()));
                None
            }
        }
    }

    fn policy(&mut self, key: String, text: &str, kind: PolicyKind) -> Option<Policy> {
        self.check(key, parse_policy(text, kind))
    }
}

pub(super) fn validate(
    raw: RawConfig,
    base_dir: &Path,
    env: &dyn Env,
    demo: bool,
) -> Result<Config, ConfigError> {
    let mut cx = Ctx {
        errors: Vec::new(),
        base_dir,
        env,
    };
    let server = server(&mut cx, raw.server);
    let account = server
        .as_ref()
        .map_or_else(default_account, |s| s.account_id);
    let public_url = server.as_ref().map(|s| s.public_url.clone());

    let store = store(&mut cx, raw.store.url.as_ref());
    let tokens =
        KeySource::File(cx.path(raw.tokens.keys_file.as_deref().unwrap_or(DEFAULT_KEYS_FILE)));

    // Cross-references are checked against every *declared* name, so one broken entry is
    // reported once, not again by everything that refers to it.
    let declared = Declared {
        providers: raw
            .oidc_providers
            .iter()
            .map(|p| p.url.clone())
            .chain(raw.saml_providers.iter().map(|p| p.name.clone()))
            .collect(),
        roles: raw
            .roles
            .iter()
            .flat_map(|r| {
                [
                    r.name.clone(),
                    format!(
                        "arn:aws:iam::{account}:role{}{}",
                        r.path.as_deref().unwrap_or("/"),
                        r.name
                    ),
                ]
            })
            .collect(),
    };
    let policies = managed_policies(&mut cx, account, raw.policies);
    let policy_names: HashSet<&str> = policies.iter().map(|p| p.name.as_str()).collect();
    let users = users(&mut cx, account, raw.users, &policy_names);
    let oidc_providers = oidc_providers(&mut cx, account, raw.oidc_providers);
    let saml_providers = saml_providers(&mut cx, account, public_url.as_ref(), raw.saml_providers);
    let role_defs = roles(&mut cx, account, raw.roles, &policy_names);
    let claim_rules = rules(&mut cx, raw.rules, &declared);
    let audit = audit(&mut cx, raw.audit.file.as_deref(), raw.audit.retention_days);
    let limits = limits(&mut cx, &raw.limits);

    if let Some(s) = &server
        && demo
        && !s.listen.ip().is_loopback()
    {
        cx.err(
            "server.listen",
            "the demo configuration only listens on a loopback address",
        );
    }
    match (server, store) {
        (Some(server), Some(store)) if cx.errors.is_empty() => Ok(Config {
            server,
            store,
            tokens: if demo { KeySource::Ephemeral } else { tokens },
            users,
            oidc_providers,
            saml_providers,
            policies,
            roles: role_defs,
            rules: claim_rules,
            audit,
            limits,
            demo,
        }),
        _ => Err(ConfigError::Invalid(cx.errors)),
    }
}

#[expect(
    clippy::unwrap_used,
    reason = "a literal twelve-digit id always parses"
)]
fn default_account() -> AccountId {
    DEFAULT_ACCOUNT.parse().unwrap()
}

fn server(cx: &mut Ctx<'_>, raw: RawServer) -> Option<ServerConfig> {
    let listen_text = raw.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
    let listen: Option<SocketAddr> = cx.check(
        "server.listen",
        listen_text
            .parse()
            .map_err(|_| "expected ip:port, e.g. 127.0.0.1:8080"),
    );
    let account_id = cx.check(
        "server.account_id",
        raw.account_id
            .as_deref()
            .unwrap_or(DEFAULT_ACCOUNT)
            .parse::<AccountId>(),
    );
    let region = raw.region.unwrap_or_else(|| DEFAULT_REGION.to_owned());
    let region_ok = (1..=32).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !region_ok {
        cx.err(
            "server.region",
            "a region is 1 to 32 characters of a-z, 0-9 and '-' (e.g. us-east-1)",
        );
    }
    let public_url = match (&raw.public_url, listen) {
        (Some(u), _) => cx.check("server.public_url", base_url(u)),
        (None, Some(l)) => cx.check("server.public_url", base_url(&format!("http://{l}"))),
        (None, None) => None,
    };
    let cors_origins = url_list(cx, "server.cors_origins", &raw.cors_origins, true);
    let console_destinations = url_list(
        cx,
        "server.console_destinations",
        &raw.console_destinations,
        false,
    );
    let saml_sp_key_pem = raw
        .saml_sp_key_file
        .as_deref()
        .and_then(|f| pem(cx, "server.saml_sp_key_file", f, "PRIVATE KEY"))
        .map(crate::types::Secret::new);
    let saml_sp_cert_pem = raw
        .saml_sp_cert_file
        .as_deref()
        .and_then(|f| pem(cx, "server.saml_sp_cert_file", f, "CERTIFICATE"));
    if saml_sp_key_pem.is_some() != saml_sp_cert_pem.is_some() {
        cx.err(
            "server.saml_sp_key_file",
            "saml_sp_key_file and saml_sp_cert_file are set together or not at all",
        );
    }
    Some(ServerConfig {
        listen: listen?,
        public_url: public_url?,
        account_id: account_id?,
        region,
        cors_origins,
        console_destinations,
        saml_sp_key_pem,
        saml_sp_cert_pem,
    })
}

/// An http(s) URL with no query or fragment; a trailing slash is dropped so paths append cleanly.
fn base_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim_end_matches('/')).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("must be an http:// or https:// URL with a host".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    Ok(url)
}

fn url_list(cx: &mut Ctx<'_>, key: &str, items: &[String], origins_only: bool) -> Vec<Url> {
    let mut out = Vec::new();
    for (i, text) in items.iter().enumerate() {
        let Some(url) = cx.check(format!("{key}[{i}]"), base_url(text)) else {
            continue;
        };
        if origins_only && url.path() != "/" {
            cx.err(
                format!("{key}[{i}]"),
                "an origin is scheme://host[:port] with no path",
            );
            continue;
        }
        out.push(url);
    }
    out
}

fn pem(cx: &mut Ctx<'_>, key: &str, file: &str, label: &str) -> Option<String> {
    let (_, text) = cx.read_small_file(key, file)?;
    if text.contains("-----BEGIN ") && text.contains(label) {
        Some(text)
    } else {
        cx.err(key, format!("expected a PEM file containing a {label}"));
        None
    }
}

/// The store URL may carry a database password, so it may be an `env:` reference and is never
/// echoed back in an error.
fn store(cx: &mut Ctx<'_>, raw: Option<&Secret>) -> Option<StoreUrl> {
    let resolved = match raw {
        Some(s) => cx.check("store.url", resolve(s.expose(), cx.env))?,
        None => Secret::new(DEFAULT_STORE),
    };
    let url = resolved.expose();
    if url == "sqlite::memory:" {
        return Some(StoreUrl::SqliteMemory);
    }
    if let Some(file) = url.strip_prefix("sqlite://") {
        if file.is_empty() {
            cx.err(
                "store.url",
                "sqlite:// needs a file name, e.g. sqlite://stsbridge.db",
            );
            return None;
        }
        return Some(StoreUrl::SqliteFile(cx.path(file)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        if Url::parse(url).is_ok_and(|u| u.host().is_some()) {
            return Some(StoreUrl::Postgres(resolved));
        }
        cx.err(
            "store.url",
            "not a valid postgres://user:password@host/database URL",
        );
        return None;
    }
    cx.err(
        "store.url",
        "expected sqlite://FILE, sqlite::memory: or postgres://…",
    );
    None
}

fn managed_policies(
    cx: &mut Ctx<'_>,
    account: AccountId,
    raw: Vec<super::raw::RawPolicy>,
) -> Vec<ManagedPolicy> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, p) in raw.into_iter().enumerate() {
        let key = format!("policies[{i}]");
        let name_ok = (1..=128).contains(&p.name.len()) && p.name.chars().all(is_iam_name_char);
        if !name_ok {
            cx.err(
                format!("{key}.name"),
                "a policy name is 1 to 128 characters of [A-Za-z0-9+=,.@_-]",
            );
        } else if !seen.insert(p.name.clone()) {
            cx.err(
                format!("{key}.name"),
                format!("duplicate policy name '{}'", p.name),
            );
        }
        if let Some(document) =
            cx.policy(format!("{key}.document"), &p.document, PolicyKind::Identity)
        {
            let arn = format!("arn:aws:iam::{account}:policy/{}", p.name);
            out.push(ManagedPolicy {
                name: p.name,
                arn,
                document,
            });
        }
    }
    out
}

fn check_managed_refs(cx: &mut Ctx<'_>, key: &str, refs: &[String], known: &HashSet<&str>) {
    for (j, name) in refs.iter().enumerate() {
        if !known.contains(name.as_str()) {
            cx.err(
                format!("{key}.managed_policies[{j}]"),
                format!("no [[policies]] entry named '{name}'"),
            );
        }
    }
}

fn users(
    cx: &mut Ctx<'_>,
    account: AccountId,
    raw: Vec<RawUser>,
    policy_names: &HashSet<&str>,
) -> Vec<User> {
    let mut names = HashSet::new();
    let mut keys = HashSet::new();
    let mut out = Vec::new();
    for (i, u) in raw.into_iter().enumerate() {
        let key = format!("users[{i}]");
        if !((1..=64).contains(&u.name.len()) && u.name.chars().all(is_iam_name_char)) {
            cx.err(
                format!("{key}.name"),
                "a user name is 1 to 64 characters of [A-Za-z0-9+=,.@_-]",
            );
        } else if !names.insert(u.name.clone()) {
            cx.err(
                format!("{key}.name"),
                format!("duplicate user name '{}'", u.name),
            );
        }
        let akid = cx.check(
            format!("{key}.access_key_id"),
            u.access_key_id.parse::<AccessKeyId>(),
        );
        let akid = akid.filter(|id| {
            let long_term = id.kind() == AccessKeyKind::LongTerm;
            if !long_term {
                cx.err(
                    format!("{key}.access_key_id"),
                    "configured users have long-term AKIA… keys",
                );
            } else if !keys.insert(id.clone()) {
                cx.err(
                    format!("{key}.access_key_id"),
                    "this access key id is already used by another user",
                );
            }
            long_term
        });
        let secret = cx
            .check(
                format!("{key}.secret_access_key"),
                resolve(u.secret_access_key.expose(), cx.env),
            )
            .and_then(|s| {
                cx.check(
                    format!("{key}.secret_access_key"),
                    SecretAccessKey::parse(s.expose()),
                )
            });
        let totp = u
            .mfa_totp_secret
            .as_ref()
            .map(Secret::expose)
            .and_then(|t| totp_seed(cx, &format!("{key}.mfa_totp_secret"), t));
        let policies: Vec<Policy> = u
            .policies
            .iter()
            .enumerate()
            .filter_map(|(j, p)| cx.policy(format!("{key}.policies[{j}]"), p, PolicyKind::Identity))
            .collect();
        check_managed_refs(cx, &key, &u.managed_policies, policy_names);
        if let (Some(access_key_id), Some(secret_access_key)) = (akid, secret) {
            out.push(User {
                user_id: derived_id("AIDA", account, "user", &u.name),
                name: u.name,
                access_key_id,
                secret_access_key,
                mfa_totp_secret: totp,
                policies,
                managed_policies: u.managed_policies,
            });
        }
    }
    out
}

/// RFC 6238 seeds are base32 (spaces and padding tolerated, as authenticator apps show them);
/// at least 80 bits, as RFC 4226 requires.
fn totp_seed(cx: &mut Ctx<'_>, key: &str, value: &str) -> Option<crate::types::Secret> {
    let secret = cx.check(key, resolve(value, cx.env))?;
    let cleaned: String = secret
        .expose()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .collect::<String>()
        .to_ascii_uppercase();
    let decoded = data_encoding::BASE32_NOPAD.decode(cleaned.as_bytes());
    match decoded {
        Ok(bytes) if bytes.len() >= 10 => Some(crate::types::Secret::new(cleaned)),
        Ok(_) => {
            cx.err(
                key,
                "a TOTP secret needs at least 80 bits (16 base32 characters)",
            );
            None
        }
        Err(_) => {
            cx.err(key, "a TOTP secret is base32 (A-Z, 2-7)");
            None
        }
    }
}

/// Unique ids (`AIDA…`, `AROA…`) are derived, not random, so every replica and every restart
/// agrees on them without shared state: prefix + 17 base32 characters of SHA-256(kind, account, name).
pub(crate) fn derived_id(prefix: &str, account: AccountId, kind: &str, name: &str) -> String {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("{kind}\0{account}\0{name}").as_bytes(),
    );
    let encoded = data_encoding::BASE32_NOPAD.encode(digest.as_ref());
    format!("{prefix}{}", encoded.get(..17).unwrap_or_default())
}

fn oidc_providers(
    cx: &mut Ctx<'_>,
    account: AccountId,
    raw: Vec<RawOidcProvider>,
) -> Vec<OidcProvider> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, p) in raw.into_iter().enumerate() {
        let key = format!("oidc_providers[{i}]");
        let url = cx.check(format!("{key}.url"), https_or_loopback(&p.url));
        if !seen.insert(p.url.clone()) {
            cx.err(
                format!("{key}.url"),
                format!("duplicate provider '{}'", p.url),
            );
        }
        if p.client_ids.is_empty() {
            cx.err(
                format!("{key}.client_ids"),
                "at least one client id (accepted audience) is required",
            );
        }
        for (j, c) in p.client_ids.iter().enumerate() {
            if !(1..=255).contains(&c.len()) {
                cx.err(
                    format!("{key}.client_ids[{j}]"),
                    "a client id is 1 to 255 characters",
                );
            }
        }
        let jwks = match (&p.jwks_url, &p.jwks_file) {
            (Some(_), Some(_)) => {
                cx.err(
                    format!("{key}.jwks_url"),
                    "set jwks_url or jwks_file, not both",
                );
                None
            }
            (Some(u), None) => cx
                .check(format!("{key}.jwks_url"), https_or_loopback(u))
                .map(JwksSource::Url),
            (None, Some(f)) => jwks_file(cx, &format!("{key}.jwks_file"), f),
            (None, None) => Some(JwksSource::Discovery),
        };
        let clock_skew_s = skew(cx, &format!("{key}.clock_skew_s"), p.clock_skew_s);
        if let Some(login) = &p.login_client_id {
            if !p.client_ids.contains(login) {
                cx.err(
                    format!("{key}.login_client_id"),
                    "must be one of client_ids",
                );
            }
        } else if p.login_client_secret.is_some() {
            cx.err(
                format!("{key}.login_client_secret"),
                "set only together with login_client_id",
            );
        }
        let login_endpoints = login_endpoints(cx, &key, &p);
        let login_client_secret = p
            .login_client_secret
            .as_ref()
            .map(Secret::expose)
            .and_then(|s| cx.check(format!("{key}.login_client_secret"), resolve(s, cx.env)));
        let scopes = p
            .scopes
            .unwrap_or_else(|| ["openid", "email", "profile"].map(String::from).to_vec());
        if !scopes.iter().any(|s| s == "openid") {
            cx.err(format!("{key}.scopes"), "must include \"openid\"");
        }
        let without_scheme = p
            .url
            .split_once("://")
            .map_or(p.url.as_str(), |(_, rest)| rest)
            .to_owned();
        if let (Some(url), Some(jwks)) = (url, jwks) {
            out.push(OidcProvider {
                arn: format!("arn:aws:iam::{account}:oidc-provider/{without_scheme}"),
                key_prefix: without_scheme,
                display_name: p.display_name.unwrap_or_else(|| {
                    format!("Sign in with {}", url.host_str().unwrap_or("OIDC"))
                }),
                issuer: p.url,
                client_ids: p.client_ids,
                jwks,
                clock_skew_s,
                login_client_id: p.login_client_id,
                login_client_secret,
                scopes,
                login_endpoints,
            });
        }
    }
    out
}

/// Identity providers are reached over TLS; plain http is accepted only on loopback (tests, the
/// demo IdP), where nothing crosses a network.
/// `authorization_endpoint` and `token_endpoint`: both or neither. Without them, browser login
/// finds them by discovery (in the background).
fn login_endpoints(cx: &mut Ctx<'_>, key: &str, p: &RawOidcProvider) -> Option<LoginEndpoints> {
    match (&p.authorization_endpoint, &p.token_endpoint) {
        (Some(a), Some(t)) => {
            let a = cx.check(
                format!("{key}.authorization_endpoint"),
                https_or_loopback(a),
            );
            let t = cx.check(format!("{key}.token_endpoint"), https_or_loopback(t));
            a.zip(t).map(|(authorization, token)| LoginEndpoints {
                authorization,
                token,
            })
        }
        (None, None) => None,
        _ => {
            cx.err(
                format!("{key}.authorization_endpoint"),
                "set authorization_endpoint and token_endpoint together",
            );
            None
        }
    }
}

fn https_or_loopback(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
    if crate::types::idp_url::is_allowed_idp_url(&url) {
        Ok(url)
    } else {
        Err("must be an https:// URL (http:// only for loopback addresses)".into())
    }
}

fn jwks_file(cx: &mut Ctx<'_>, key: &str, file: &str) -> Option<JwksSource> {
    let (path, json) = cx.read_small_file(key, file)?;
    Some(JwksSource::File { path, json })
}

fn skew(cx: &mut Ctx<'_>, key: &str, value: Option<u32>) -> u32 {
    let v = value.unwrap_or(DEFAULT_SKEW_S);
    if v > MAX_SKEW_S {
        cx.err(key, format!("at most {MAX_SKEW_S} seconds"));
    }
    v.min(MAX_SKEW_S)
}

fn saml_providers(
    cx: &mut Ctx<'_>,
    account: AccountId,
    public_url: Option<&Url>,
    raw: Vec<RawSamlProvider>,
) -> Vec<SamlProvider> {
    let base = public_url
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, p) in raw.into_iter().enumerate() {
        let key = format!("saml_providers[{i}]");
        let name_ok = (1..=128).contains(&p.name.len())
            && p.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !name_ok {
            cx.err(
                format!("{key}.name"),
                "a SAML provider name is 1 to 128 characters of [A-Za-z0-9._-]",
            );
        } else if !seen.insert(p.name.clone()) {
            cx.err(
                format!("{key}.name"),
                format!("duplicate SAML provider '{}'", p.name),
            );
        }
        let metadata = match (&p.metadata_file, &p.metadata_url) {
            (Some(f), None) => cx
                .read_small_file(&format!("{key}.metadata_file"), f)
                .map(|(path, xml)| SamlMetadataSource::File { path, xml }),
            (None, Some(u)) => cx
                .check(format!("{key}.metadata_url"), https_or_loopback(u))
                .map(SamlMetadataSource::Url),
            _ => {
                cx.err(
                    format!("{key}.metadata_file"),
                    "set exactly one of metadata_file and metadata_url",
                );
                None
            }
        };
        let audiences = p
            .audiences
            .unwrap_or_else(|| vec![format!("{base}/saml/metadata")]);
        let acs_urls = p
            .acs_urls
            .unwrap_or_else(|| vec![format!("{base}/saml/acs")]);
        for (field, list) in [("audiences", &audiences), ("acs_urls", &acs_urls)] {
            if list.is_empty() || list.iter().any(String::is_empty) {
                cx.err(
                    format!("{key}.{field}"),
                    "must list at least one non-empty value",
                );
            }
        }
        let clock_skew_s = skew(cx, &format!("{key}.clock_skew_s"), p.clock_skew_s);
        if let Some(metadata) = metadata {
            out.push(SamlProvider {
                arn: format!("arn:aws:iam::{account}:saml-provider/{}", p.name),
                display_name: p.display_name.unwrap_or_else(|| p.name.clone()),
                name: p.name,
                metadata,
                audiences,
                acs_urls,
                allow_sha1: p.allow_sha1,
                clock_skew_s,
            });
        }
    }
    out
}

fn roles(
    cx: &mut Ctx<'_>,
    account: AccountId,
    raw: Vec<RawRole>,
    policy_names: &HashSet<&str>,
) -> Vec<Role> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, r) in raw.into_iter().enumerate() {
        let key = format!("roles[{i}]");
        let path = r.path.as_deref().unwrap_or("/");
        if let Err(e) = validate_role_name(&r.name) {
            cx.err(format!("{key}.name"), e.to_string());
        } else if !seen.insert(r.name.to_ascii_lowercase()) {
            // IAM role names are unique case-insensitively.
            cx.err(
                format!("{key}.name"),
                format!("duplicate role name '{}'", r.name),
            );
        }
        if let Err(e) = validate_role_path(path) {
            cx.err(format!("{key}.path"), e.to_string());
        }
        let max = r
            .max_session_duration
            .unwrap_or(DEFAULT_ROLE_SESSION_SECONDS);
        if !ROLE_MAX_SESSION_RANGE.contains(&max) {
            cx.err(
                format!("{key}.max_session_duration"),
                "must be 3600 to 43200 seconds",
            );
        }
        let trust = cx.policy(
            format!("{key}.trust_policy"),
            &r.trust_policy,
            PolicyKind::Trust,
        );
        let policies: Vec<Policy> = r
            .policies
            .iter()
            .enumerate()
            .filter_map(|(j, p)| cx.policy(format!("{key}.policies[{j}]"), p, PolicyKind::Identity))
            .collect();
        check_managed_refs(cx, &key, &r.managed_policies, policy_names);
        tags(cx, &format!("{key}.tags"), &r.tags);
        let arn = RoleArn::new(account, path, &r.name).ok();
        if let (Some(arn), Some(trust_policy)) = (arn, trust) {
            out.push(Role {
                role_id: derived_id("AROA", account, "role", &arn.to_string()),
                arn,
                max_session_duration: max,
                trust_policy,
                policies,
                managed_policies: r.managed_policies,
                tags: r.tags,
            });
        }
    }
    out
}

/// Session/role tag rules (STS `tagKeyType`/`tagValueType`): at most 50, keys 1..=128 and
/// values 0..=256 of letters, digits, spaces and `_.:/=+-@`, keys unique case-insensitively,
/// no `aws:` prefix.
fn tags<V: AsRef<str>>(cx: &mut Ctx<'_>, key: &str, tags: &BTreeMap<String, V>) {
    if tags.len() > MAX_TAGS {
        cx.err(key, format!("at most {MAX_TAGS} tags"));
    }
    let mut seen = HashSet::new();
    for (k, v) in tags {
        let v = v.as_ref();
        if !(1..=TAG_KEY_MAX).contains(&k.chars().count()) || !k.chars().all(is_tag_char) {
            cx.err(
                format!("{key}.{k}"),
                "a tag key is 1 to 128 letters, digits, spaces or _.:/=+-@",
            );
        } else if k.to_ascii_lowercase().starts_with("aws:") {
            cx.err(
                format!("{key}.{k}"),
                "tag keys starting with 'aws:' are reserved",
            );
        } else if !seen.insert(k.to_lowercase()) {
            cx.err(
                format!("{key}.{k}"),
                "tag keys are case-insensitive: this key is given twice",
            );
        }
        if v.chars().count() > TAG_VALUE_MAX || !(v.contains("{{") || v.chars().all(is_tag_char)) {
            cx.err(
                format!("{key}.{k}"),
                "a tag value is at most 256 letters, digits, spaces or _.:/=+-@",
            );
        }
    }
}

/// Names declared in the file, valid or not.
struct Declared {
    /// OIDC issuer URLs and SAML provider names.
    providers: HashSet<String>,
    /// Role names and the ARNs they would have.
    roles: HashSet<String>,
}

fn rules(cx: &mut Ctx<'_>, raw: Vec<RawRule>, declared: &Declared) -> Vec<Rule> {
    let mut out = Vec::new();
    for (i, r) in raw.into_iter().enumerate() {
        let key = format!("rules[{i}]");
        if !declared.providers.contains(&r.provider) {
            cx.err(
                format!("{key}.provider"),
                format!(
                    "'{}' is neither a [[saml_providers]] name nor an [[oidc_providers]] url",
                    r.provider
                ),
            );
        }
        let mut when = Vec::new();
        for (j, c) in r.when.into_iter().enumerate() {
            let ckey = format!("{key}.when[{j}]");
            let path_ok = cx
                .check(format!("{ckey}.claim"), validate_claim_path(&c.claim))
                .is_some();
            let op = cx.check(
                format!("{ckey}.op"),
                ClaimOp::parse(&c.op, c.value.as_deref()),
            );
            if let (true, Some(op)) = (path_ok, op) {
                when.push(ClaimCondition { claim: c.claim, op });
            }
        }
        for (j, role) in r.roles.iter().enumerate() {
            if !declared.roles.contains(role) {
                cx.err(
                    format!("{key}.roles[{j}]"),
                    format!("no [[roles]] entry named '{role}'"),
                );
            }
        }
        tags(cx, &format!("{key}.tags"), &r.tags);
        let mut tag_templates = BTreeMap::new();
        for (k, v) in r.tags {
            if let Some(t) = cx.check(format!("{key}.tags.{k}"), Template::parse(&v)) {
                tag_templates.insert(k, t);
            }
        }
        let session_name = r
            .session_name
            .as_deref()
            .and_then(|s| cx.check(format!("{key}.session_name"), Template::parse(s)));
        out.push(Rule {
            provider: r.provider,
            when,
            roles: r.roles,
            tags: tag_templates,
            session_name,
            stop: r.stop,
        });
    }
    out
}

fn audit(cx: &mut Ctx<'_>, file: Option<&str>, retention_days: Option<u32>) -> AuditConfig {
    let sink = match file {
        None => AuditSink::StoreOnly,
        Some("-") => AuditSink::Stdout,
        Some("") => {
            cx.err("audit.file", "a file name, or \"-\" for stdout");
            AuditSink::StoreOnly
        }
        Some(f) => AuditSink::File(cx.path(f)),
    };
    let retention_days = retention_days.unwrap_or(90);
    if retention_days == 0 {
        cx.err("audit.retention_days", "must be at least 1");
    }
    AuditConfig {
        sink,
        retention_days,
    }
}

fn limits(cx: &mut Ctx<'_>, raw: &super::raw::RawLimits) -> Limits {
    let mut pick = |name: &str, v: Option<u32>, default: u32| {
        let v = v.unwrap_or(default);
        if v == 0 {
            cx.err(
                format!("limits.{name}"),
                "must be at least 1 request per second",
            );
        }
        v
    };
    Limits {
        unauthenticated_per_ip_per_s: pick(
            "unauthenticated_per_ip_per_s",
            raw.unauthenticated_per_ip_per_s,
            50,
        ),
        per_subject_per_s: pick("per_subject_per_s", raw.per_subject_per_s, 10),
        per_access_key_per_s: pick("per_access_key_per_s", raw.per_access_key_per_s, 100),
        mfa_per_user_per_s: pick("mfa_per_user_per_s", raw.mfa_per_user_per_s, 1),
    }
}
