//! One configured OIDC provider as the registry holds it: what verification checks against
//! ([`ProviderInfo`]), where its keys come from, the current key set, and what discovery found.
//! Built from the configuration without touching the network: a `jwks_file`'s keys are parsed
//! here, once.

use std::sync::{Arc, PoisonError, RwLock};

use tokio::sync::watch;
use url::Url;

use super::jwks::{self, KeySet};
use super::verify::ProviderInfo;
use crate::authn::refresh::OnDemand;
use crate::authn::setup_problem::SetupProblem;
use crate::config::{JwksSource, LoginEndpoints, OidcProvider};

/// Where a provider's keys come from.
#[derive(Debug)]
pub(super) enum KeyOrigin {
    /// Read once from `jwks_file`; never fetched.
    File,
    Discovery,
    Url(Url),
}

#[derive(Debug)]
pub(super) struct Provider {
    pub(super) info: ProviderInfo,
    pub(super) origin: KeyOrigin,
    /// `None` until the first successful load.
    pub(super) keys: watch::Sender<Option<Arc<KeySet>>>,
    /// The `jwks_uri` last discovered; cleared when fetching it fails, so the next attempt
    /// rediscovers.
    discovered_jwks_uri: RwLock<Option<Url>>,
    /// Browser-login endpoints: configured, else the last ones discovery gave.
    configured_login: Option<LoginEndpoints>,
    discovered_login: RwLock<Option<LoginEndpoints>>,
    /// Browser login without configured endpoints, and keys that do not come from discovery.
    pub(super) wants_login_discovery: bool,
    /// The unknown-`kid` refetches.
    pub(super) on_demand: OnDemand,
}

impl Provider {
    /// Provider `index` of the configuration; a `jwks_file` without a usable key is a problem
    /// naming the provider.
    pub(super) fn new(index: usize, p: &OidcProvider) -> Result<Self, SetupProblem> {
        let (origin, keys) = match &p.jwks {
            JwksSource::File { path, json } => {
                let set = jwks::parse_jwks_file(&p.issuer, json).map_err(|reason| {
                    let label = format!(
                        "oidc_providers[{index}] ({}): jwks_file {}",
                        p.issuer,
                        path.display()
                    );
                    let key = format!("oidc_providers[{index}].jwks_file");
                    SetupProblem::new(key, Some(label), reason)
                })?;
                (KeyOrigin::File, Some(Arc::new(set)))
            }
            JwksSource::Discovery => (KeyOrigin::Discovery, None),
            JwksSource::Url(url) => (KeyOrigin::Url(url.clone()), None),
        };
        Ok(Self {
            info: ProviderInfo {
                index,
                issuer: p.issuer.clone(),
                arn: p.arn.to_string(),
                client_ids: p.client_ids.clone(),
                clock_skew_s: p.clock_skew_s,
            },
            origin,
            keys: watch::Sender::new(keys),
            discovered_jwks_uri: RwLock::new(None),
            configured_login: p.login_endpoints.clone(),
            discovered_login: RwLock::new(None),
            wants_login_discovery: p.login_client_id.is_some()
                && p.login_endpoints.is_none()
                && !matches!(p.jwks, JwksSource::Discovery),
            on_demand: OnDemand::default(),
        })
    }

    pub(super) fn current_keys(&self) -> Option<Arc<KeySet>> {
        self.keys.borrow().clone()
    }

    /// Whether the keys come from the network (so may be refreshed).
    pub(super) fn is_fetched(&self) -> bool {
        !matches!(self.origin, KeyOrigin::File)
    }

    pub(super) fn cached_jwks_uri(&self) -> Option<Url> {
        self.discovered_jwks_uri
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(super) fn set_jwks_uri(&self, uri: Option<Url>) {
        *self
            .discovered_jwks_uri
            .write()
            .unwrap_or_else(PoisonError::into_inner) = uri;
    }

    /// As configured, else as discovered; `None` until known.
    pub(super) fn login_endpoints(&self) -> Option<LoginEndpoints> {
        self.configured_login.clone().or_else(|| {
            self.discovered_login
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        })
    }

    pub(super) fn set_discovered_login(&self, login: LoginEndpoints) {
        *self
            .discovered_login
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(login);
    }

    /// Keys installed since `seen` was read (by another caller's refetch), if any.
    pub(super) fn keys_newer_than(&self, seen: &Arc<KeySet>) -> Option<Arc<KeySet>> {
        self.current_keys()
            .filter(|current| !Arc::ptr_eq(current, seen))
    }

    pub(super) fn issuer(&self) -> &str {
        &self.info.issuer
    }
}
