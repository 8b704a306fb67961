//! When an IdP document (OIDC keys, SAML metadata) is fetched again: after the response's
//! `Cache-Control: max-age` (clamped), after an exponential backoff on failure, and at most once
//! a `refetch_interval` on demand. One policy for both registries, so they treat an IdP alike.

use std::time::Duration;

/// Timing of IdP document fetches. The defaults are the production values; tests shorten them.
#[derive(Debug, Clone)]
pub(crate) struct RefreshPolicy {
    /// Bound on one complete fetch (discovery when needed, then JWKS; or the metadata).
    pub(crate) fetch_timeout: Duration,
    /// First retry delay after a failed refresh; doubles per consecutive failure…
    pub(crate) min_backoff: Duration,
    /// …up to this.
    pub(crate) max_backoff: Duration,
    /// `Cache-Control: max-age` is clamped to `[min_ttl, max_ttl]`…
    pub(crate) min_ttl: Duration,
    pub(crate) max_ttl: Duration,
    /// …and this applies when the response has none.
    pub(crate) default_ttl: Duration,
    /// Minimum time between two on-demand refetches (unknown `kid`) of one provider.
    pub(crate) refetch_interval: Duration,
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
    pub(crate) fn ttl(&self, cache_control: Option<&str>) -> Duration {
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
    pub(crate) fn backoff(&self, failures: u32) -> Duration {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
