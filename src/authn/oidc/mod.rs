//! OpenID Connect ID tokens for AssumeRoleWithWebIdentity: the provider registry, a JWKS cache
//! we own, and strict verification (sts-api.md 6).
//!
//! [`OidcRegistry`] holds one entry per configured provider, in config order. Each entry's keys
//! are an immutable key set (`jwks::KeySet`) behind a `watch` channel: readers clone an `Arc`
//! and never wait; refreshes replace the whole set.
//!
//! No network on the hot path: `jwks_file` keys are read by [`OidcRegistry::new`]; network
//! providers are loaded by [`OidcRegistry::start`] and refreshed by one background task each
//! (next refresh from the JWKS response's `Cache-Control: max-age`, clamped; exponential
//! backoff on failure; a failed refresh keeps the previous keys). The single exception is a
//! token whose `kid` no key matches: that triggers one refetch of that provider's JWKS,
//! single-flight and at most once per minute per provider, so key rotation at the IdP works
//! without a restart while a flood of made-up `kid`s costs the IdP one request a minute.

mod discovery;
mod error;
mod fetch;
mod jwks;
mod provider;
#[cfg(test)]
mod testkit;
mod verify;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub(crate) use error::{FetchError, OidcError};
pub(crate) use verify::VerifiedIdToken;

/// The endpoints are a plain configuration value, also what discovery fills in.
pub(crate) use crate::config::LoginEndpoints;

use crate::authn::refresh::{RefreshPolicy, Refreshable, Refresher};
use crate::authn::setup_problem::{self, SetupProblem};
use crate::config::OidcProvider;
use jwks::KeySet;
use provider::{KeyOrigin, Provider};
use verify::{ProviderInfo, UnverifiedToken};

/// The configured OIDC providers and their keys. Share it as `Arc<OidcRegistry>`.
#[derive(Debug)]
pub struct OidcRegistry {
    providers: Vec<Provider>,
    refresher: Refresher,
}

impl OidcRegistry {
    #[cfg(any(test, feature = "fuzzing"))]
    /// Builds the registry without touching the network. `jwks_file` providers get their keys
    /// now; a file without a usable key is an error naming the provider.
    pub(crate) fn new(
        providers: &[OidcProvider],
        http: reqwest::Client,
    ) -> Result<Self, OidcError> {
        Self::with_policy(providers, http, RefreshPolicy::default())
    }

    #[cfg(any(test, feature = "fuzzing"))]
    /// [`OidcRegistry::new`] with non-default fetch timing.
    pub(crate) fn with_policy(
        providers: &[OidcProvider],
        http: reqwest::Client,
        policy: RefreshPolicy,
    ) -> Result<Self, OidcError> {
        Self::build(providers, http, policy)
            .map_err(|problems| OidcError::Config(setup_problem::render(&problems)))
    }

    /// The registry, or every provider that cannot be set up.
    pub(crate) fn build(
        providers: &[OidcProvider],
        http: reqwest::Client,
        policy: RefreshPolicy,
    ) -> Result<Self, Vec<SetupProblem>> {
        install_crypto_provider();
        let mut problems = Vec::new();
        let providers = setup_problem::set_up_all(providers, &mut problems, Provider::new);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            providers,
            refresher: Refresher::new(http, policy),
        })
    }

    /// Starts the refresh of every network provider ([`Refresher`]: returns once each has
    /// been loaded or has failed; one whose first load failed answers
    /// [`OidcError::KeysUnavailable`] until a retry succeeds), and the login-endpoint discovery
    /// of those that need it. Calling it again does nothing.
    pub(crate) async fn start(self: &Arc<Self>) {
        if !self.refresher.first_start() {
            return;
        }
        for provider in &self.providers {
            // Keys from a file or a fixed URL never touch discovery; browser login still needs
            // its endpoints, so they are looked up once (retried with backoff) in the background.
            if provider.wants_login_discovery {
                tokio::spawn(discover_login(
                    Arc::downgrade(self),
                    provider.issuer().to_owned(),
                ));
            }
        }
        let fetched = self.providers.iter().enumerate();
        let fetched = fetched.filter(|(_, p)| p.is_fetched()).map(|(i, _)| i);
        self.refresher.spawn_and_wait(self, fetched).await;
    }

    /// Verifies an ID token at time `now`, in the order of sts-api.md 6.2. No network, except
    /// one rate-limited JWKS refetch when no key of a network provider matches the token.
    pub(crate) async fn verify(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifiedIdToken, OidcError> {
        let token = verify::parse_unverified(token)?;
        let provider = self
            .provider(&token.issuer)
            .ok_or_else(|| OidcError::unknown_issuer(&token.issuer))?;
        let keys = provider.current_keys().ok_or(OidcError::KeysUnavailable)?;
        match check_token(&token, &keys, &provider.info, now) {
            Err(OidcError::UnknownKey) if provider.is_fetched() => {}
            result => return result,
        }
        let fresh = self
            .refetch_for_unknown_key(provider, &keys, now)
            .await
            .ok_or(OidcError::UnknownKey)?;
        check_token(&token, &fresh, &provider.info, now)
    }

    /// The browser-login endpoints of the provider with this issuer: as configured, else as
    /// discovered by the background refresh (no network here). `None` until known.
    pub fn login_endpoints(&self, issuer: &str) -> Option<LoginEndpoints> {
        self.provider(issuer)?.login_endpoints()
    }

    /// Fetches provider `provider_index`'s keys now (rediscovering its `jwks_uri`) and installs
    /// them; the refresh tasks keep their own schedule. Tests only: the bridge refreshes on
    /// its own schedule and on unknown `kid`s.
    #[cfg(test)]
    pub(crate) async fn refresh(&self, provider_index: usize) -> Result<(), FetchError> {
        let provider = self
            .providers
            .get(provider_index)
            .expect("a configured provider");
        self.fetch_and_install(provider, true).await.map(|_| ())
    }

    /// Whether provider `provider_index` has keys. Tests only; not part of `/readyz` either:
    /// one IdP being down must not take the bridge out of rotation for every other provider
    /// and caller.
    #[cfg(test)]
    pub(crate) fn keys_loaded(&self, provider_index: usize) -> bool {
        self.providers
            .get(provider_index)
            .is_some_and(|p| p.current_keys().is_some())
    }

    fn provider(&self, issuer: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.issuer() == issuer)
    }

    /// One refetch after an unknown `kid`, or `None` when it is rate-limited or fails.
    async fn refetch_for_unknown_key(
        &self,
        provider: &Provider,
        seen: &Arc<KeySet>,
        now: DateTime<Utc>,
    ) -> Option<Arc<KeySet>> {
        let issuer = provider.issuer();
        let fetch = async {
            match self.fetch_and_install(provider, false).await {
                Ok(_) => provider.current_keys(),
                Err(e) => {
                    tracing::warn!(issuer = %issuer, error = %e, "JWKS refetch after unknown kid failed");
                    None
                }
            }
        };
        provider
            .on_demand
            .refresh(
                &self.refresher.policy,
                now,
                || provider.keys_newer_than(seen),
                || tracing::debug!(issuer = %issuer, "unknown kid; JWKS refetch rate-limited"),
                fetch,
            )
            .await
    }

    /// Fetches and installs a provider's keys; returns when to refresh next.
    async fn fetch_and_install(
        &self,
        provider: &Provider,
        rediscover: bool,
    ) -> Result<Duration, FetchError> {
        let result = self.fetch_and_install_keys(provider, rediscover).await;
        self.refresher.record_fetch(provider.issuer(), &result);
        result
    }

    async fn fetch_and_install_keys(
        &self,
        provider: &Provider,
        rediscover: bool,
    ) -> Result<Duration, FetchError> {
        let timeout = self.refresher.policy.fetch_timeout;
        let (set, cache_control) =
            tokio::time::timeout(timeout, self.fetch_keys(provider, rediscover))
                .await
                .map_err(|_| FetchError::Timeout(timeout))??;
        let count = set.keys().len();
        provider.keys.send_replace(Some(Arc::new(set)));
        tracing::info!(issuer = %provider.issuer(), keys = count, "OIDC provider keys loaded");
        Ok(self.refresher.policy.ttl(cache_control.as_deref()))
    }

    async fn fetch_keys(
        &self,
        provider: &Provider,
        rediscover: bool,
    ) -> Result<(KeySet, Option<String>), FetchError> {
        let issuer = provider.issuer();
        let (url, cached) = match &provider.origin {
            KeyOrigin::File => return Err(FetchError::NotFetched),
            KeyOrigin::Url(url) => (url.clone(), false),
            KeyOrigin::Discovery => {
                if let Some(url) = provider.cached_jwks_uri().filter(|_| !rediscover) {
                    (url, true)
                } else {
                    let found = discovery::fetch_discovery(&self.refresher.http, issuer).await?;
                    provider.set_jwks_uri(Some(found.jwks_uri.clone()));
                    if let Some(login) = found.login {
                        provider.set_discovered_login(login);
                    }
                    (found.jwks_uri, false)
                }
            }
        };
        let result = jwks::fetch_jwks(&self.refresher.http, issuer, &url).await;
        if result.is_err() && cached {
            // The IdP may have moved its keys; ask discovery again next time.
            provider.set_jwks_uri(None);
        }
        result
    }
}

/// Looks up a provider's login endpoints by discovery until it succeeds (1 s, doubling to
/// 5 min between tries); ends early when the registry is dropped.
async fn discover_login(registry: std::sync::Weak<OidcRegistry>, issuer: String) {
    let mut wait = Duration::from_secs(1);
    loop {
        let Some(reg) = registry.upgrade() else {
            return;
        };
        let found = discovery::fetch_discovery(&reg.refresher.http, &issuer).await;
        match found {
            Ok(d) if d.login.is_some() => {
                if let (Some(p), Some(login)) = (reg.provider(&issuer), d.login) {
                    p.set_discovered_login(login);
                }
                return;
            }
            Ok(_) => {
                tracing::warn!(%issuer, "discovery names no authorization/token endpoint: browser login unavailable");
            }
            Err(e) => tracing::warn!(%issuer, error = %e, "login discovery failed; retrying"),
        }
        drop(reg);
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_mins(5));
    }
}

/// Key selection then signature and claims, against one key set.
fn check_token(
    token: &UnverifiedToken<'_>,
    keys: &KeySet,
    provider: &ProviderInfo,
    now: DateTime<Utc>,
) -> Result<VerifiedIdToken, OidcError> {
    let (alg, candidates) = verify::select_keys(keys, token)?;
    verify::verify_with_keys(token, alg, &candidates, provider, now)
}

impl Refreshable for OidcRegistry {
    fn refresher(&self) -> &Refresher {
        &self.refresher
    }

    /// The background refresh of one provider: returns when to refresh next, or `None` after
    /// a failure (logged; the previous keys stay).
    async fn refresh_provider(&self, index: usize) -> Option<Duration> {
        let provider = self.providers.get(index)?;
        match self.fetch_and_install(provider, true).await {
            Ok(ttl) => Some(ttl),
            Err(e) => {
                tracing::warn!(
                    issuer = %provider.issuer(),
                    error = %e,
                    loaded = provider.current_keys().is_some(),
                    "could not load OIDC provider keys; will retry"
                );
                None
            }
        }
    }
}

/// jsonwebtoken panics on first use when it cannot tell which crypto backend to use (neither
/// or both of its backend features on after feature unification); naming aws-lc explicitly
/// removes that risk. An error means a provider is already installed, which is fine.
pub(crate) fn install_crypto_provider() {
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    );
}

#[cfg(test)]
mod tests;
