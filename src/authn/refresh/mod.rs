//! How the identity-provider registries (OIDC keys, SAML metadata) keep their IdP documents
//! current, in one place so both treat an IdP alike:
//! - **start**: one refresh task per fetched provider; the first fetch of each is awaited, but
//!   it is bounded and a failure is only logged, so an IdP that is down does not stop the
//!   bridge (that provider answers "unavailable" until a retry succeeds);
//! - **background refresh**: again after the document's TTL or, on failure, after an
//!   exponential backoff ([`RefreshPolicy`]), until the registry is dropped;
//! - **on demand** ([`OnDemand`]): single flight and rate-limited, for a token whose key the
//!   current set lacks;
//! - **fetching** ([`fetch`]): one bounded GET, and one place that records each fetch in
//!   the metrics.

pub(crate) mod fetch;
mod policy;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{Mutex, oneshot, watch};

use crate::metrics::Metrics;

pub(crate) use policy::RefreshPolicy;

/// A registry whose providers can be refreshed one at a time.
pub(crate) trait Refreshable: Send + Sync + 'static {
    fn refresher(&self) -> &Refresher;
    /// Refreshes provider `index`; `Some(ttl)` on success.
    fn refresh_provider(&self, index: usize) -> impl Future<Output = Option<Duration>> + Send;
}

/// What a registry keeps its IdP documents current with: the outbound HTTP client (bounded, no
/// redirects), the timing, and its refresh tasks, which start once and end when the registry
/// (which owns this value) is dropped.
#[derive(Debug)]
pub(crate) struct Refresher {
    pub(crate) http: reqwest::Client,
    pub(crate) policy: RefreshPolicy,
    started: AtomicBool,
    /// Never sent on: dropping it with the registry wakes every refresh task, which then ends.
    shutdown: watch::Sender<()>,
    /// The bridge's registry, once attached (check-config builds registries without one).
    metrics: OnceLock<Arc<Metrics>>,
}

impl Refresher {
    pub(crate) fn new(http: reqwest::Client, policy: RefreshPolicy) -> Self {
        Self {
            http,
            policy,
            started: AtomicBool::new(false),
            shutdown: watch::Sender::new(()),
            metrics: OnceLock::new(),
        }
    }

    /// Counts this registry's fetches in `metrics` from now on.
    pub(crate) fn attach_metrics(&self, metrics: Arc<Metrics>) {
        let _ = self.metrics.set(metrics);
    }

    /// Counts one fetch of provider `provider`'s document, and when it last succeeded, in the
    /// IdP refresh metrics (both registries label a provider by its issuer or SAML name).
    pub(crate) fn record_fetch<T, E>(&self, provider: &str, result: &Result<T, E>) {
        if let Some(m) = self.metrics.get() {
            m.idp_refresh(
                provider,
                result.is_ok(),
                crate::clock::Clock::now(&crate::clock::SystemClock).timestamp(),
            );
        }
    }

    /// True on the first call only: a registry starts its tasks once.
    pub(crate) fn first_start(&self) -> bool {
        !self.started.swap(true, Ordering::SeqCst)
    }

    /// Spawns one refresh task for each provider index of `registry` in `fetched`, then waits
    /// until each has made its first attempt (bounded by the fetch timeout; a failure is
    /// logged, not fatal). The tasks hold only a `Weak` and end when the registry is dropped.
    pub(crate) async fn spawn_and_wait<R: Refreshable>(
        &self,
        registry: &Arc<R>,
        fetched: impl IntoIterator<Item = usize>,
    ) {
        let mut initial_loads = Vec::new();
        for index in fetched {
            let (done, loaded) = oneshot::channel();
            tokio::spawn(refresh_loop(
                Arc::downgrade(registry),
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
}

/// One provider's refresh task: loads at once (signalling `initial` when that attempt is over),
/// then again after the TTL or the backoff, until the registry is gone.
async fn refresh_loop<R: Refreshable>(
    registry: Weak<R>,
    index: usize,
    mut shutdown: watch::Receiver<()>,
    initial: oneshot::Sender<()>,
) {
    let mut initial = Some(initial);
    let mut failures: u32 = 0;
    loop {
        // The strong reference lives only for one attempt, so the tasks never keep the
        // registry alive.
        let delay = {
            let Some(registry) = registry.upgrade() else {
                return;
            };
            if let Some(ttl) = registry.refresh_provider(index).await {
                failures = 0;
                ttl
            } else {
                failures = failures.saturating_add(1);
                registry.refresher().policy.backoff(failures)
            }
        };
        if let Some(initial) = initial.take() {
            // Nobody waiting any more is fine.
            let _ = initial.send(());
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            // Only ever an error: the sender went away with the registry.
            _ = shutdown.changed() => return,
        }
    }
}

/// One provider's refreshes on demand: single flight (concurrent callers queue and then see
/// the first one's result) and at most one per [`RefreshPolicy::refetch_interval`], so a flood
/// of requests costs the IdP one request an interval.
#[derive(Debug, Default)]
pub(crate) struct OnDemand {
    /// When the last on-demand refresh started (request time). The async lock is the flight.
    last: Mutex<Option<DateTime<Utc>>>,
}

impl OnDemand {
    /// Refreshes with `fetch` unless `newer` (asked once the caller's turn comes) already has
    /// what the caller wants, or the interval is not over (then `limited` is called, to log it).
    /// `None` as well when the turn does not come within the fetch timeout.
    pub(crate) async fn refresh<T>(
        &self,
        policy: &RefreshPolicy,
        now: DateTime<Utc>,
        newer: impl FnOnce() -> Option<T>,
        limited: impl FnOnce(),
        fetch: impl Future<Output = Option<T>>,
    ) -> Option<T> {
        let mut last = tokio::time::timeout(policy.fetch_timeout, self.last.lock())
            .await
            .ok()?;
        if let Some(found) = newer() {
            return Some(found);
        }
        let interval = TimeDelta::from_std(policy.refetch_interval).unwrap_or(TimeDelta::MAX);
        // `now` was read before waiting for the lock, so it may be slightly earlier than the
        // leader's `at`: that is still inside the window (otherwise every queued request would
        // refetch after a failed one). Only a clock that jumped back a whole interval or more
        // re-opens it, so refetches are never locked out for long.
        if let Some(at) = *last
            && now.signed_duration_since(at) < interval
            && at.signed_duration_since(now) < interval
        {
            limited();
            return None;
        }
        // Set before fetching so that a failing IdP is not asked again within the interval.
        *last = Some(now);
        fetch.await
    }
}
