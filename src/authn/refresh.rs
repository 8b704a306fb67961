//! The background refresh loop shared by the identity-provider registries (OIDC keys, SAML
//! metadata): load at once, then again after the document's TTL or, on failure, after an
//! exponential backoff, until the registry is dropped.

use std::future::Future;
use std::sync::Weak;
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use super::oidc::RefreshPolicy;

/// A registry whose providers can be refreshed one at a time.
pub(crate) trait Refreshable: Send + Sync + 'static {
    fn refresh_policy(&self) -> &RefreshPolicy;
    /// Refreshes provider `index`; `Some(ttl)` on success.
    fn refresh_provider(&self, index: usize) -> impl Future<Output = Option<Duration>> + Send;
}

/// One provider's refresh task: loads at once (signalling `initial` when that attempt is over),
/// then again after the TTL or the backoff, until the registry is gone.
pub(crate) async fn refresh_loop<R: Refreshable>(
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
                registry.refresh_policy().backoff(failures)
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
