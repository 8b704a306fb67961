//! `RawConfig` → `Config`: every check that can be made at start is made here, once, and every
//! problem is reported with its key path. All problems are collected, so an operator fixes a
//! file in one pass instead of one error per restart. One module per section of the file; the
//! run they share is `context::Ctx`.

mod audit;
mod context;
mod limits;
mod policies;
mod providers;
mod roles;
mod rules;
mod server;
mod tags;
mod users;

use std::collections::HashSet;
use std::path::Path;

use super::raw::RawConfig;
use super::secret_ref::Env;
use super::{Config, ConfigError, KeySource};
use context::Ctx;
use rules::Declared;

pub(super) fn validate(
    raw: RawConfig,
    base_dir: &Path,
    env: &dyn Env,
    demo: bool,
) -> Result<Config, ConfigError> {
    let mut cx = Ctx::new(base_dir, env);
    let server = server::server(&mut cx, raw.server);
    let account = server
        .as_ref()
        .map_or_else(server::default_account, |s| s.account_id);
    let public_url = server.as_ref().map(|s| s.public_url.clone());

    let store = server::store(&mut cx, raw.store.url.as_ref());
    let tokens = server::tokens(&cx, &raw.tokens);

    let declared = Declared::of(
        &raw.oidc_providers,
        &raw.saml_providers,
        &raw.roles,
        account,
    );
    let policies = policies::managed_policies(&mut cx, account, raw.policies);
    let policy_names: HashSet<&str> = policies.iter().map(|p| p.name.as_str()).collect();
    let users = users::users(&mut cx, account, raw.users, &policy_names);
    let oidc_providers = providers::oidc_providers(&mut cx, account, raw.oidc_providers);
    let saml_providers =
        providers::saml_providers(&mut cx, account, public_url.as_ref(), raw.saml_providers);
    let role_defs = roles::roles(&mut cx, account, raw.roles, &policy_names);
    let claim_rules = rules::rules(&mut cx, raw.rules, &declared);
    let audit = audit::audit(&mut cx, raw.audit.file.as_deref(), raw.audit.retention_days);
    let limits = limits::limits(&mut cx, &raw.limits);

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
