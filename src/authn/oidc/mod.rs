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
#[cfg(test)]
mod testkit;
mod verify;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{Mutex, oneshot, watch};
use url::Url;

pub use error::{FetchError, JwksError, MAX_TOKEN_CHARS, OidcError};
pub use verify::VerifiedIdToken;

use crate::config::{JwksSource, OidcProvider};
use jwks::KeySet;
use verify::{ProviderInfo, UnverifiedToken};

/// Timing of key fetches. The defaults are the production values; tests shorten them.
#[derive(Debug, Clone)]
pub struct RefreshPolicy {
    /// Bound on one complete fetch (discovery when needed, then JWKS).
    pub fetch_timeout: Duration,
    /// First retry delay after a failed refresh; doubles per consecutive failure…
    pub min_backoff: Duration,
    /// …up to this.
    pub max_backoff: Duration,
    /// `Cache-Control: max-age` is clamped to `[min_ttl, max_ttl]`…
    pub min_ttl: Duration,
    pub max_ttl: Duration,
    /// …and this applies when the response has none.
    pub default_ttl: Duration,
    /// Minimum time between two unknown-`kid` refetches of one provider.
    pub refetch_interval: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            fetch_timeout: Duration::from_secs(5),
            min_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_mins(5),
            min_ttl: Duration::from_mins(5),
            max_ttl: Duration::from_hours(24),
            default_ttl: Duration::from_hours(1),
            refetch_interval: Duration::from_mins(1),
        }
    }
}

impl RefreshPolicy {
    /// When to refresh after a successful fetch, given the response's `Cache-Control`.
    /// `no-cache`/`no-store` count as `max-age=0` (so: the minimum). The clamp protects the
    /// IdP from `max-age=0` and us from keys pinned for a year.
    pub fn ttl(&self, cache_control: Option<&str>) -> Duration {
        cache_control
            .and_then(max_age)
            .map_or(self.default_ttl, |secs| {
                // max/min rather than clamp: clamp panics on a policy with min > max.
                Duration::from_secs(secs)
                    .max(self.min_ttl)
                    .min(self.max_ttl)
            })
    }

    /// Delay before the next attempt after `failures` consecutive failures (1 → `min_backoff`).
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(20);
        self.min_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }
}

/// The `max-age` of a `Cache-Control` value (RFC 9111 §5.2.2.1), case-insensitive.
fn max_age(cache_control: &str) -> Option<u64> {
    let mut found = None;
    for directive in cache_control.split(',').map(str::trim) {
        if directive.eq_ignore_ascii_case("no-cache") || directive.eq_ignore_ascii_case("no-store")
        {
            return Some(0);
        }
        if let Some((name, value)) = directive.split_once('=')
            && name.trim().eq_ignore_ascii_case("max-age")
        {
            found = found.or_else(|| value.trim().trim_matches('"').parse().ok());
        }
    }
    found
}

/// Where a provider's keys come from.
#[derive(Debug)]
enum KeyOrigin {
    /// Read once from `jwks_file`; never fetched.
    File,
    Discovery,
    Url(Url),
}

#[derive(Debug)]
struct Provider {
    info: ProviderInfo,
    origin: KeyOrigin,
    /// `None` until the first successful load.
    keys: watch::Sender<Option<Arc<KeySet>>>,
    /// The `jwks_uri` last discovered; cleared when fetching it fails, so the next attempt
    /// rediscovers.
    discovered_jwks_uri: RwLock<Option<Url>>,
    /// Browser-login endpoints: configured, else the last ones discovery gave.
    configured_login: Option<LoginEndpoints>,
    discovered_login: RwLock<Option<LoginEndpoints>>,
    /// Browser login without configured endpoints, and keys that do not come from discovery.
    wants_login_discovery: bool,
    /// When the last unknown-`kid` refetch started (request time). The async lock makes the
    /// refetch single-flight.
    last_refetch: Mutex<Option<DateTime<Utc>>>,
}

impl Provider {
    fn current_keys(&self) -> Option<Arc<KeySet>> {
        self.keys.borrow().clone()
    }

    fn is_fetched(&self) -> bool {
        !matches!(self.origin, KeyOrigin::File)
    }

    fn cached_jwks_uri(&self) -> Option<Url> {
        self.discovered_jwks_uri
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_jwks_uri(&self, uri: Option<Url>) {
        *self
            .discovered_jwks_uri
            .write()
            .unwrap_or_else(PoisonError::into_inner) = uri;
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
        let found = discovery::fetch_discovery(&reg.http, &issuer).await;
        match found {
            Ok(d) if d.login.is_some() => {
                if let Some(p) = reg.providers.iter().find(|p| p.info.issuer == issuer) {
                    *p.discovered_login
                        .write()
                        .unwrap_or_else(PoisonError::into_inner) = d.login;
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

/// Where a browser signs in (authorization code + PKCE) and where the code is exchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginEndpoints {
    pub authorization: Url,
    pub token: Url,
}

/// The configured OIDC providers and their keys. Share it as `Arc<OidcRegistry>`.
#[derive(Debug)]
pub struct OidcRegistry {
    providers: Vec<Provider>,
    http: reqwest::Client,
    policy: RefreshPolicy,
    started: AtomicBool,
    /// Never sent on: dropping it with the registry wakes every refresh task, which then ends.
    shutdown: watch::Sender<()>,
}

impl OidcRegistry {
    /// Builds the registry without touching the network. `jwks_file` providers get their keys
    /// now; a file without a usable key is an error naming the provider.
    pub fn new(providers: &[OidcProvider], http: reqwest::Client) -> Result<Self, OidcError> {
        Self::with_policy(providers, http, RefreshPolicy::default())
    }

    /// [`OidcRegistry::new`] with non-default fetch timing.
    pub fn with_policy(
        providers: &[OidcProvider],
        http: reqwest::Client,
        policy: RefreshPolicy,
    ) -> Result<Self, OidcError> {
        install_crypto_provider();
        let mut entries = Vec::with_capacity(providers.len());
        for (index, p) in providers.iter().enumerate() {
            let (origin, keys) = match &p.jwks {
                JwksSource::File { path, json } => {
                    let set = jwks::parse_jwks(&p.issuer, json.as_bytes()).map_err(|e| {
                        OidcError::Config(format!(
                            "oidc_providers[{index}] ({}): jwks_file {}: {e}",
                            p.issuer,
                            path.display()
                        ))
                    })?;
                    (KeyOrigin::File, Some(Arc::new(set)))
                }
                JwksSource::Discovery => (KeyOrigin::Discovery, None),
                JwksSource::Url(url) => (KeyOrigin::Url(url.clone()), None),
            };
            entries.push(Provider {
                info: ProviderInfo {
                    index,
                    issuer: p.issuer.clone(),
                    arn: p.arn.clone(),
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
                last_refetch: Mutex::new(None),
            });
        }
        Ok(Self {
            providers: entries,
            http,
            policy,
            started: AtomicBool::new(false),
            shutdown: watch::Sender::new(()),
        })
    }

    /// Loads every network provider once (each bounded by the fetch timeout; failures are
    /// logged, not fatal: such a provider answers [`OidcError::KeysUnavailable`] until a
    /// retry succeeds), then leaves one refresh task per network provider running. The tasks
    /// hold only a `Weak` and end when the registry is dropped. Calling it again does nothing.
    pub async fn start(self: &Arc<Self>) {
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let mut initial_loads = Vec::new();
        for provider in &self.providers {
            // Keys from a file or a fixed URL never touch discovery; browser login still needs
            // its endpoints, so they are looked up once (retried with backoff) in the background.
            if provider.wants_login_discovery {
                tokio::spawn(discover_login(
                    Arc::downgrade(self),
                    provider.info.issuer.clone(),
                ));
            }
        }
        for (index, provider) in self.providers.iter().enumerate() {
            if !provider.is_fetched() {
                continue;
            }
            let (done, loaded) = oneshot::channel();
            tokio::spawn(crate::authn::refresh::refresh_loop(
                Arc::downgrade(self),
                index,
                self.shutdown.subscribe(),
                done,
            ));
            initial_loads.push(loaded);
        }
        for loaded in initial_loads {
            // An error only means the task ended early; it has logged why.
            let _ = loaded.await;
        }
    }

    /// Verifies an ID token at time `now`, in the order of sts-api.md 6.2. No network, except
    /// one rate-limited JWKS refetch when no key of a network provider matches the token.
    pub async fn verify(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifiedIdToken, OidcError> {
        let token = verify::parse_unverified(token)?;
        let provider = self
            .providers
            .iter()
            .find(|p| p.info.issuer == token.issuer)
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
        let provider = self.providers.iter().find(|p| p.info.issuer == issuer)?;
        provider.configured_login.clone().or_else(|| {
            provider
                .discovered_login
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        })
    }

    /// Fetches provider `provider_index`'s keys now (rediscovering its `jwks_uri`) and installs
    /// them; the refresh tasks keep their own schedule.
    pub async fn refresh(&self, provider_index: usize) -> Result<(), FetchError> {
        let provider = self
            .providers
            .get(provider_index)
            .ok_or(FetchError::NoSuchProvider(provider_index))?;
        self.fetch_and_install(provider, true).await.map(|_| ())
    }

    /// Whether provider `provider_index` has keys. Not part of `/readyz`: one IdP being down
    /// must not take the bridge out of rotation for every other provider and caller.
    pub fn keys_loaded(&self, provider_index: usize) -> bool {
        self.providers
            .get(provider_index)
            .is_some_and(|p| p.current_keys().is_some())
    }

    /// One refetch after an unknown `kid`, or `None` when it is rate-limited or fails.
    async fn refetch_for_unknown_key(
        &self,
        provider: &Provider,
        seen: &Arc<KeySet>,
        now: DateTime<Utc>,
    ) -> Option<Arc<KeySet>> {
        let timeout = self.policy.fetch_timeout;
        // Single flight: concurrent requests queue here and then see the first one's result.
        let mut last = tokio::time::timeout(timeout, provider.last_refetch.lock())
            .await
            .ok()?;
        if let Some(current) = provider.current_keys()
            && !Arc::ptr_eq(&current, seen)
        {
            return Some(current);
        }
        let interval = TimeDelta::from_std(self.policy.refetch_interval).unwrap_or(TimeDelta::MAX);
        // `now` was read before waiting for the lock, so it may be slightly earlier than the
        // leader's `at`: that is still inside the window (otherwise every queued request would
        // refetch after a failed one). Only a clock that jumped back a whole interval or more
        // re-opens it, so refetches are never locked out for long.
        if let Some(at) = *last
            && now.signed_duration_since(at) < interval
            && at.signed_duration_since(now) < interval
        {
            tracing::debug!(issuer = %provider.info.issuer, "unknown kid; JWKS refetch rate-limited");
            return None;
        }
        // Set before fetching so that a failing IdP is not asked again within the interval.
        *last = Some(now);
        match self.fetch_and_install(provider, false).await {
            Ok(_) => provider.current_keys(),
            Err(e) => {
                tracing::warn!(issuer = %provider.info.issuer, error = %e, "JWKS refetch after unknown kid failed");
                None
            }
        }
    }

    /// Fetches and installs a provider's keys; returns when to refresh next.
    async fn fetch_and_install(
        &self,
        provider: &Provider,
        rediscover: bool,
    ) -> Result<Duration, FetchError> {
        let result = self.fetch_and_install_keys(provider, rediscover).await;
        crate::metrics::global().idp_refresh(
            &provider.info.issuer,
            result.is_ok(),
            crate::clock::Clock::now(&crate::clock::SystemClock).timestamp(),
        );
        result
    }

    async fn fetch_and_install_keys(
        &self,
        provider: &Provider,
        rediscover: bool,
    ) -> Result<Duration, FetchError> {
        let timeout = self.policy.fetch_timeout;
        let (set, cache_control) =
            tokio::time::timeout(timeout, self.fetch_keys(provider, rediscover))
                .await
                .map_err(|_| FetchError::Timeout(timeout))??;
        let count = set.keys().len();
        provider.keys.send_replace(Some(Arc::new(set)));
        tracing::info!(issuer = %provider.info.issuer, keys = count, "OIDC provider keys loaded");
        Ok(self.policy.ttl(cache_control.as_deref()))
    }

    async fn fetch_keys(
        &self,
        provider: &Provider,
        rediscover: bool,
    ) -> Result<(KeySet, Option<String>), FetchError> {
        let issuer = provider.info.issuer.as_str();
        let (url, cached) = match &provider.origin {
            KeyOrigin::File => return Err(FetchError::NotFetched),
            KeyOrigin::Url(url) => (url.clone(), false),
            KeyOrigin::Discovery => {
                if let Some(url) = provider.cached_jwks_uri().filter(|_| !rediscover) {
                    (url, true)
                } else {
                    let found = discovery::fetch_discovery(&self.http, issuer).await?;
                    provider.set_jwks_uri(Some(found.jwks_uri.clone()));
                    if found.login.is_some() {
                        *provider
                            .discovered_login
                            .write()
                            .unwrap_or_else(PoisonError::into_inner) = found.login;
                    }
                    (found.jwks_uri, false)
                }
            }
        };
        let result = jwks::fetch_jwks(&self.http, issuer, &url).await;
        if result.is_err() && cached {
            // The IdP may have moved its keys; ask discovery again next time.
            provider.set_jwks_uri(None);
        }
        result
    }

    /// The background refresh of one provider: returns when to refresh next, or `None` after
    /// a failure (logged; the previous keys stay).
    async fn refresh_once(&self, index: usize) -> Option<Duration> {
        let provider = self.providers.get(index)?;
        match self.fetch_and_install(provider, true).await {
            Ok(ttl) => Some(ttl),
            Err(e) => {
                tracing::warn!(
                    issuer = %provider.info.issuer,
                    error = %e,
                    loaded = provider.current_keys().is_some(),
                    "could not load OIDC provider keys; will retry"
                );
                None
            }
        }
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

impl crate::authn::refresh::Refreshable for OidcRegistry {
    fn refresh_policy(&self) -> &RefreshPolicy {
        &self.policy
    }

    fn refresh_provider(
        &self,
        index: usize,
    ) -> impl std::future::Future<Output = Option<Duration>> + Send {
        self.refresh_once(index)
    }
}

/// jsonwebtoken panics on first use when it cannot tell which crypto backend to use (neither
/// or both of its backend features on after feature unification); naming aws-lc explicitly
/// removes that risk. An error means a provider is already installed, which is fine.
pub fn install_crypto_provider() {
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    );
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use axum::Router;
    use axum::extract::State;
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use jsonwebtoken::Algorithm;
    use serde_json::{Value, json};

    use super::testkit::*;
    use super::*;

    /// A test IdP serving discovery and JWKS on 127.0.0.1:0, counting requests.
    struct Idp {
        issuer: String,
        state: Arc<StdMutex<IdpState>>,
    }

    struct IdpState {
        issuer: String,
        up: bool,
        jwks: Value,
        cache_control: Option<&'static str>,
        discovery_hits: usize,
        jwks_hits: usize,
    }

    type Shared = Arc<StdMutex<IdpState>>;

    async fn discovery_doc(State(state): State<Shared>) -> Response {
        let mut s = state.lock().unwrap();
        s.discovery_hits += 1;
        if !s.up {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        axum::Json(json!({
            "issuer": s.issuer,
            "jwks_uri": format!("{}/jwks", s.issuer),
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        }))
        .into_response()
    }

    async fn jwks_doc(State(state): State<Shared>) -> Response {
        let mut s = state.lock().unwrap();
        s.jwks_hits += 1;
        if !s.up {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        let mut response = axum::Json(s.jwks.clone()).into_response();
        if let Some(cc) = s.cache_control {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(cc));
        }
        response
    }

    impl Idp {
        async fn start(jwks: Value) -> Self {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let issuer = format!("http://{}", listener.local_addr().unwrap());
            let state = Arc::new(StdMutex::new(IdpState {
                issuer: issuer.clone(),
                up: true,
                jwks,
                cache_control: None,
                discovery_hits: 0,
                jwks_hits: 0,
            }));
            let app = Router::new()
                .route("/.well-known/openid-configuration", get(discovery_doc))
                .route("/jwks", get(jwks_doc))
                .with_state(Arc::clone(&state));
            tokio::spawn(async move { axum::serve(listener, app).await });
            Self { issuer, state }
        }

        fn set(&self, f: impl FnOnce(&mut IdpState)) {
            f(&mut self.state.lock().unwrap());
        }

        fn jwks_hits(&self) -> usize {
            self.state.lock().unwrap().jwks_hits
        }

        fn discovery_hits(&self) -> usize {
            self.state.lock().unwrap().discovery_hits
        }

        fn claims(&self) -> Value {
            let mut c = claims();
            c["iss"] = json!(self.issuer);
            c
        }

        /// A registry whose provider 0 discovers this IdP.
        fn registry(&self, policy: RefreshPolicy) -> Arc<OidcRegistry> {
            let providers = [provider(&self.issuer, JwksSource::Discovery)];
            Arc::new(OidcRegistry::with_policy(&providers, http(), policy).unwrap())
        }
    }

    fn fast_policy() -> RefreshPolicy {
        RefreshPolicy {
            fetch_timeout: Duration::from_secs(2),
            min_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(100),
            ..RefreshPolicy::default()
        }
    }

    fn keys_v1() -> Value {
        json!({ "keys": [rsa_jwk(1, "k1", Some("RS256")), ec_jwk("e1", None)] })
    }

    #[tokio::test]
    async fn initial_load_via_discovery_and_via_url() {
        let idp = Idp::start(keys_v1()).await;
        let by_url = "https://url-source.test";
        let providers = [
            provider(&idp.issuer, JwksSource::Discovery),
            provider(
                by_url,
                JwksSource::Url(Url::parse(&format!("{}/jwks", idp.issuer)).unwrap()),
            ),
        ];
        let reg = Arc::new(OidcRegistry::new(&providers, http()).unwrap());
        assert!(!reg.keys_loaded(0) && !reg.keys_loaded(1));
        reg.start().await;
        assert!(reg.keys_loaded(0) && reg.keys_loaded(1));
        assert_eq!(idp.discovery_hits(), 1);
        assert_eq!(idp.jwks_hits(), 2);

        let v = reg
            .verify(
                &sign(Algorithm::RS256, Some("k1"), &rsa_key(1), &idp.claims()),
                now(),
            )
            .await
            .unwrap();
        assert_eq!(
            (v.provider_index, v.issuer.as_str()),
            (0, idp.issuer.as_str())
        );
        let mut c = idp.claims();
        c["iss"] = json!(by_url);
        let v = reg
            .verify(&sign(Algorithm::ES256, Some("e1"), &ec_key(), &c), now())
            .await
            .unwrap();
        assert_eq!(v.provider_index, 1);
        assert_eq!(
            v.provider_arn,
            "arn:aws:iam::123456789012:oidc-provider/url-source.test"
        );

        // A second start spawns nothing and fetches nothing.
        reg.start().await;
        assert_eq!(idp.jwks_hits(), 2);
    }

    #[tokio::test]
    async fn idp_down_at_start_then_recovers() {
        let idp = Idp::start(keys_v1()).await;
        idp.set(|s| s.up = false);
        let reg = idp.registry(fast_policy());
        reg.start().await;
        let token = sign(Algorithm::RS256, Some("k1"), &rsa_key(1), &idp.claims());
        assert_eq!(
            reg.verify(&token, now()).await.unwrap_err(),
            OidcError::KeysUnavailable
        );

        idp.set(|s| s.up = true);
        let mut keys = reg.providers[0].keys.subscribe();
        tokio::time::timeout(Duration::from_secs(10), keys.wait_for(Option::is_some))
            .await
            .expect("the backoff retry loads the keys")
            .unwrap();
        reg.verify(&token, now()).await.unwrap();
    }

    #[tokio::test]
    async fn failed_refresh_keeps_previous_keys() {
        let idp = Idp::start(keys_v1()).await;
        let reg = idp.registry(fast_policy());
        reg.start().await;
        idp.set(|s| s.up = false);
        assert!(reg.refresh(0).await.is_err());
        let token = sign(Algorithm::RS256, Some("k1"), &rsa_key(1), &idp.claims());
        reg.verify(&token, now()).await.unwrap();
    }

    #[tokio::test]
    async fn rotation_is_picked_up_by_the_unknown_kid_refetch() {
        let idp = Idp::start(keys_v1()).await;
        let reg = idp.registry(RefreshPolicy::default());
        reg.start().await;
        let old = sign(Algorithm::RS256, Some("k1"), &rsa_key(1), &idp.claims());
        reg.verify(&old, now()).await.unwrap();
        let before = idp.jwks_hits();

        idp.set(|s| s.jwks = json!({ "keys": [rsa_jwk(2, "k2", Some("RS256"))] }));
        let new = sign(Algorithm::RS256, Some("k2"), &rsa_key(2), &idp.claims());
        let v = reg.verify(&new, now()).await.unwrap();
        assert_eq!(v.subject, "user-123");
        assert_eq!(idp.jwks_hits(), before + 1);
        // The retired key is gone with the old set, and asking again within the minute does
        // not reach the IdP.
        assert_eq!(
            reg.verify(&old, now()).await.unwrap_err(),
            OidcError::UnknownKey
        );
        assert_eq!(idp.jwks_hits(), before + 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unknown_kid_refetch_is_single_flight_and_rate_limited() {
        let idp = Idp::start(keys_v1()).await;
        let reg = idp.registry(RefreshPolicy::default());
        reg.start().await;
        let before = idp.jwks_hits();

        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..50 {
            let reg = Arc::clone(&reg);
            let token = sign(
                Algorithm::RS256,
                Some(&format!("made-up-{i}")),
                &rsa_key(1),
                &idp.claims(),
            );
            tasks.spawn(async move { reg.verify(&token, now()).await });
        }
        while let Some(result) = tasks.join_next().await {
            assert_eq!(result.unwrap().unwrap_err(), OidcError::UnknownKey);
        }
        assert_eq!(idp.jwks_hits(), before + 1);

        // A minute later (by the request clock) one more refetch is allowed.
        let later = now() + TimeDelta::seconds(61);
        let token = sign(
            Algorithm::RS256,
            Some("made-up-x"),
            &rsa_key(1),
            &idp.claims(),
        );
        for _ in 0..5 {
            assert_eq!(
                reg.verify(&token, later).await.unwrap_err(),
                OidcError::UnknownKey
            );
        }
        assert_eq!(idp.jwks_hits(), before + 2);
    }

    #[tokio::test]
    async fn cache_control_sets_the_next_refresh() {
        let idp = Idp::start(keys_v1()).await;
        let reg = idp.registry(RefreshPolicy::default());
        let p = &reg.providers[0];
        for (header, secs) in [
            (None, 3600),
            (Some("public, max-age=600"), 600),
            (Some("max-age=5"), 300),
            (Some("max-age=9999999, must-revalidate"), 86_400),
            (Some("no-store"), 300),
        ] {
            idp.set(|s| s.cache_control = header);
            let ttl = reg.fetch_and_install(p, false).await.unwrap();
            assert_eq!(ttl, Duration::from_secs(secs), "{header:?}");
        }
        // Discovery ran once; later fetches used the cached jwks_uri.
        assert_eq!(idp.discovery_hits(), 1);
    }

    #[tokio::test]
    async fn discovery_for_another_issuer_is_refused() {
        let idp = Idp::start(keys_v1()).await;
        // Same discovery URL (the trailing slash is dropped), but the document's issuer has
        // no slash: not ours.
        let providers = [provider(&format!("{}/", idp.issuer), JwksSource::Discovery)];
        let reg = OidcRegistry::new(&providers, http()).unwrap();
        let err = reg.refresh(0).await.unwrap_err();
        assert!(matches!(err, FetchError::Discovery(_)), "{err}");
        assert!(!reg.keys_loaded(0));
        assert_eq!(idp.jwks_hits(), 0);
    }

    #[tokio::test]
    async fn refresh_tasks_end_with_the_registry() {
        let idp = Idp::start(keys_v1()).await;
        let tiny = Duration::from_millis(10);
        let reg = idp.registry(RefreshPolicy {
            min_ttl: tiny,
            max_ttl: tiny,
            default_ttl: tiny,
            ..RefreshPolicy::default()
        });
        reg.start().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while idp.jwks_hits() < 4 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "refreshes keep coming"
            );
            tokio::time::sleep(tiny).await;
        }
        let weak = Arc::downgrade(&reg);
        drop(reg);
        assert!(weak.upgrade().is_none(), "tasks hold no strong reference");
        let after_drop = idp.jwks_hits();
        tokio::time::sleep(Duration::from_millis(200)).await;
        // At most one fetch was already under way when the registry went.
        assert!(idp.jwks_hits() <= after_drop + 1);
    }

    #[test]
    fn file_providers_need_no_start() {
        let reg = standard_registry();
        assert!(reg.keys_loaded(0) && reg.keys_loaded(1) && !reg.keys_loaded(2));
    }

    #[test]
    fn bad_jwks_file_names_the_provider() {
        let providers = [
            provider(
                "https://ok.test",
                file_source(&json!({ "keys": [ec_jwk("a", None)] })),
            ),
            provider(
                "https://bad.test",
                file_source(&json!({ "keys": [{ "kty": "oct", "k": "c2VjcmV0" }] })),
            ),
        ];
        let err = OidcRegistry::new(&providers, http()).unwrap_err();
        let OidcError::Config(msg) = err else {
            panic!("wrong variant: {err:?}")
        };
        assert!(
            msg.contains("oidc_providers[1]") && msg.contains("https://bad.test"),
            "{msg}"
        );
        assert!(msg.contains("no usable signing key"), "{msg}");
    }

    #[test]
    fn max_age_parsing_and_clamping() {
        let p = RefreshPolicy::default();
        let ttl = |cc: Option<&str>| p.ttl(cc).as_secs();
        assert_eq!(ttl(None), 3600);
        assert_eq!(ttl(Some("")), 3600);
        assert_eq!(ttl(Some("public")), 3600);
        assert_eq!(ttl(Some("max-age=7200")), 7200);
        assert_eq!(ttl(Some("public, MAX-AGE = 1800 , immutable")), 1800);
        assert_eq!(ttl(Some("max-age=\"900\"")), 900);
        assert_eq!(ttl(Some("max-age=0")), 300);
        assert_eq!(ttl(Some("max-age=299")), 300);
        assert_eq!(ttl(Some("max-age=86401")), 86_400);
        assert_eq!(ttl(Some("max-age=99999999999999999999")), 3600);
        assert_eq!(ttl(Some("max-age=-1")), 3600);
        assert_eq!(ttl(Some("no-cache, max-age=7200")), 300);
        assert_eq!(ttl(Some("s-maxage=10")), 3600);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RefreshPolicy::default();
        let secs: Vec<u64> = (1..=9).map(|n| p.backoff(n).as_secs()).collect();
        assert_eq!(secs, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(p.backoff(u32::MAX).as_secs(), 300);
        assert_eq!(p.backoff(0).as_secs(), 5);
    }

    #[test]
    fn verify_future_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let fut = standard_registry().verify("x.y.z", now());
        assert_send(&fut);
    }
}
