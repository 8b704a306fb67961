//! The bridge: the one service value every request goes through.
//!
//! It owns what decisions need — configuration, keyring, identity-provider registries, the
//! store, the revocation cache, rate limiters, the audit sink and the clock — and its methods
//! are the STS actions and browser steps. The HTTP layers (`protocol`, `web`) parse, call one
//! method and render; they never reach the parts below it directly.

use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::audit::Auditor;
use crate::authn::IdpRegistries;
use crate::authn::oidc::OidcRegistry;
use crate::authn::revocation::RevocationList;
use crate::authn::saml::SamlRegistry;
use crate::clock::SharedClock;
use crate::config::{Config, ConfigError};
use crate::limits::Limiters;
use crate::metrics::Metrics;
use crate::seal::Keyring;
use crate::store::Store;

/// How often the bridge's background tasks look for changes made elsewhere.
#[derive(Debug, Clone, Copy)]
pub struct Refresh {
    /// The keyring file, for a rotation made by `stsbridge keys rotate` on a shared secret.
    pub keyring_reload: Duration,
    /// The store's revocations: other replicas' (and the CLI's) reach this one within this.
    pub revocation_refresh: Duration,
}

impl Default for Refresh {
    fn default() -> Self {
        Self {
            keyring_reload: KEYRING_RELOAD,
            revocation_refresh: REVOCATION_REFRESH,
        }
    }
}

/// How often the keyring file is checked for a rotation made elsewhere.
pub const KEYRING_RELOAD: Duration = Duration::from_secs(5);
/// How often the revocation cache is reloaded from the store.
pub const REVOCATION_REFRESH: Duration = Duration::from_secs(5);
/// How often expired replay-cache rows are deleted.
const PURGE_INTERVAL: Duration = Duration::from_mins(5);

/// The issuance service. Shared behind an `Arc` by every handler.
#[derive(Debug)]
pub struct Bridge {
    pub(crate) config: Config,
    pub(crate) keyring: Arc<Keyring>,
    pub(crate) clock: SharedClock,
    /// OIDC providers and their cached keys.
    pub(crate) oidc: Arc<OidcRegistry>,
    /// SAML providers and their metadata.
    pub(crate) saml: Arc<SamlRegistry>,
    /// Shared state: replay cache, revocations, browser state, MFA counts, audit rows.
    pub(crate) store: Arc<dyn Store>,
    /// The store's revocations, cached and refreshed in the background.
    pub(crate) revocations: RevocationList,
    /// Outbound HTTP (IdP discovery, keys, OIDC code exchange): bounded, no redirects.
    pub(crate) http: reqwest::Client,
    /// The audit trail's queue and writer.
    pub(crate) audit: Arc<Auditor>,
    /// `[limits]`: per IP, per subject, per access key, per MFA user.
    pub(crate) limiters: Limiters,
    /// What `/metrics` shows; the limiters, the registries and the store count into it too.
    pub(crate) metrics: Arc<Metrics>,
}

/// Why the bridge could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
    /// A provider's keys or metadata (from a file or inline) could not be set up.
    #[error(transparent)]
    Providers(ConfigError),
}

impl Bridge {
    /// Builds the bridge; no network (OIDC keys from files load now, the rest in
    /// [`Self::start`]).
    pub fn new(
        config: Config,
        keyring: Keyring,
        clock: SharedClock,
        store: Arc<dyn Store>,
    ) -> Result<Self, StartError> {
        // Outbound calls (discovery, JWKS) are bounded and never follow redirects: a redirect
        // from an IdP host is not a place we agreed to fetch keys from.
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("stsbridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| StartError::Http(e.to_string()))?;
        // The same constructors check-config runs, so a file that checks clean starts.
        let registries =
            IdpRegistries::new(&config, http.clone()).map_err(StartError::Providers)?;
        let metrics = Arc::new(Metrics::new());
        registries.attach_metrics(&metrics);
        store.attach_metrics(Arc::clone(&metrics));
        let IdpRegistries { oidc, saml } = registries;
        Ok(Self {
            audit: Arc::new(Auditor::new(&config.audit)),
            limiters: Limiters::new(&config.limits, &metrics),
            metrics,
            config,
            keyring: Arc::new(keyring),
            clock,
            oidc: Arc::new(oidc),
            saml: Arc::new(saml),
            store,
            revocations: RevocationList::default(),
            http,
        })
    }

    /// The configuration the bridge runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The keyring that seals and opens session tokens.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// The shared store (for operators' tools and tests; requests go through the methods).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// OIDC providers and their cached keys (tests wait on discovery through it).
    pub fn oidc(&self) -> &OidcRegistry {
        &self.oidc
    }

    /// Audit events written so far (to the store and the configured sink).
    pub fn audit_written(&self) -> u64 {
        self.audit.written()
    }

    /// The bridge's clock.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// First fetch of identity-provider keys (each bounded; an IdP that is down does not stop
    /// the bridge), their background refresh, the keyring watch, the revocation refresh and
    /// the store's periodic purge. Every task holds only a weak reference and ends with the
    /// bridge.
    pub async fn start(self: &Arc<Self>, refresh: Refresh) {
        self.audit.start(Arc::clone(&self.store));
        if let crate::config::KeySource::File(path) = &self.config.tokens {
            tokio::spawn(watch_keyring(
                Arc::downgrade(&self.keyring),
                path.clone(),
                refresh.keyring_reload,
            ));
        }
        self.oidc.start().await;
        self.saml.start().await;
        self.refresh_revocations().await;
        tokio::spawn(refresh_revocations_every(
            Arc::downgrade(self),
            refresh.revocation_refresh,
        ));
        tokio::spawn(purge_every(Arc::downgrade(self), PURGE_INTERVAL));
    }

    /// Reloads the revocation cache; on a store error the previous list stays in force.
    pub async fn refresh_revocations(&self) {
        match self.store.list_revocations(self.clock.now()).await {
            Ok(records) => {
                self.metrics.set_revocations(records.len());
                self.revocations.replace(records);
            }
            Err(e) => {
                tracing::warn!(error = %e, "revocations could not be reloaded; keeping the previous list");
            }
        }
    }

    /// Waits (at most `timeout`) for queued audit events to be written; false if some were
    /// not. For the end of the process, after requests have finished.
    pub async fn flush_audit(&self, timeout: Duration) -> bool {
        self.audit.flush(timeout).await
    }

    /// The Prometheus text of `/metrics`.
    pub fn render_metrics(&self) -> String {
        self.metrics
            .render(self.audit.dropped(), self.audit.written())
    }

    /// Readiness: the store answers.
    pub async fn ready(&self) -> Result<(), crate::store::StoreError> {
        self.store.ping().await
    }
}

async fn refresh_revocations_every(bridge: Weak<Bridge>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first tick is immediate; start() has just refreshed
    loop {
        tick.tick().await;
        let Some(bridge) = bridge.upgrade() else {
            break;
        };
        bridge.refresh_revocations().await;
    }
}

async fn purge_every(bridge: Weak<Bridge>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(bridge) = bridge.upgrade() else {
            break;
        };
        match bridge.store.purge_expired(bridge.clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(rows = n, "purged expired one-time ids"),
            Err(e) => tracing::warn!(error = %e, "store purge failed"),
        }
    }
}

/// Reloads the keyring when its file changes (size or modification time); ends with the
/// bridge.
async fn watch_keyring(keyring: Weak<Keyring>, path: std::path::PathBuf, every: Duration) {
    let stamp = |m: &std::fs::Metadata| (m.len(), m.modified().ok());
    let mut last = tokio::fs::metadata(&path).await.ok().map(|m| stamp(&m));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(ring) = keyring.upgrade() else { break };
        let now = tokio::fs::metadata(&path).await.ok().map(|m| stamp(&m));
        if now == last {
            continue;
        }
        last = now;
        match ring.reload(&path) {
            Ok(true) => tracing::info!(keys = ?ring.key_ids(), "keyring reloaded"),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "keyring file changed but could not be loaded; keeping the current keys");
            }
        }
    }
}
