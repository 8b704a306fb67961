//! Rate limits (`[limits]`): token buckets per source IP (unauthenticated federation actions,
//! and the browser's `POST /saml/acs` before its body is read), per federated subject (web
//! identity and SAML, after the token or assertion verified, through the API and browser
//! sign-in alike), per access key (signed actions, and `/federation?Action=getSigninToken`
//! before its credentials are checked) and per IAM user for MFA codes (every key and session
//! of the user shares it). The browser shares the API's buckets. Each bucket holds one
//! second's worth of requests and refills continuously; time comes from the application
//! clock, so tests step it.
//!
//! Buckets live in this replica's memory: with N replicas behind a balancer the effective
//! limit is up to N times the configured one. That is the point of a per-replica guard (it
//! protects this process and slows a single abuser) and avoids a database round trip per
//! request.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};

use crate::config::Limits;
use crate::metrics::Metrics;

/// Shards, so concurrent requests for different keys rarely share a lock.
const SHARDS: usize = 16;
/// Per shard; beyond it, idle (refilled) buckets are dropped before a new key is added.
const MAX_KEYS_PER_SHARD: usize = 16_384;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
}

/// One limit: `rate` requests per second per key, bursting to `rate`.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    shards: Vec<Mutex<HashMap<String, Bucket>>>,
    hasher: RandomState,
    /// Where refusals are counted (`stsbridge_throttled_total{limit}`), when they are.
    counted: Option<(&'static str, Arc<Metrics>)>,
}

impl RateLimiter {
    pub fn new(per_second: u32) -> Self {
        Self {
            rate: f64::from(per_second.max(1)),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            counted: None,
        }
    }

    /// A limit whose refusals are counted under `limit` in `metrics`.
    pub fn counted(per_second: u32, limit: &'static str, metrics: &Arc<Metrics>) -> Self {
        Self {
            counted: Some((limit, Arc::clone(metrics))),
            ..Self::new(per_second)
        }
    }

    /// Takes one token for `key` at `now`; `false` means throttle (and is counted).
    pub fn admit(&self, key: &str, now: DateTime<Utc>) -> bool {
        let admitted = self.take(key, now);
        if !admitted && let Some((limit, metrics)) = &self.counted {
            metrics.throttled(limit);
        }
        admitted
    }

    fn take(&self, key: &str, now: DateTime<Utc>) -> bool {
        let shard = usize::try_from(self.hasher.hash_one(key)).unwrap_or(0) % SHARDS;
        let Some(shard) = self.shards.get(shard) else {
            return true;
        };
        let mut map = shard.lock().unwrap_or_else(PoisonError::into_inner);
        let refill = |b: &Bucket| {
            #[expect(
                clippy::cast_precision_loss,
                reason = "milliseconds since the last request: far below 2^53"
            )]
            let elapsed = (now - b.at).num_milliseconds().max(0) as f64 / 1000.0;
            (b.tokens + elapsed * self.rate).min(self.rate)
        };
        if !map.contains_key(key) && map.len() >= MAX_KEYS_PER_SHARD {
            // Forget keys that are back to a full bucket: they carry no state worth keeping.
            map.retain(|_, b| refill(b) < self.rate);
            if map.len() >= MAX_KEYS_PER_SHARD {
                return false; // fail closed under a key flood
            }
        }
        let bucket = map.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.rate,
            at: now,
        });
        let tokens = refill(bucket);
        bucket.at = now;
        if tokens >= 1.0 {
            bucket.tokens = tokens - 1.0;
            true
        } else {
            bucket.tokens = tokens;
            false
        }
    }
}

/// The per-IP bucket key of a client address. An IPv6 client is keyed by its /64, the block
/// one subscriber or host is normally given: keyed by the full address, one attacker with a
/// /64 would have 2^64 buckets. IPv4-mapped IPv6 addresses count as their IPv4 address.
pub fn ip_key(ip: Option<std::net::IpAddr>) -> String {
    use std::net::IpAddr;
    match ip.map(|ip| ip.to_canonical()) {
        None => "unknown".to_owned(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
    }
}

/// The limits of `[limits]`.
#[derive(Debug)]
pub struct Limiters {
    pub per_ip: RateLimiter,
    pub per_subject: RateLimiter,
    pub per_access_key: RateLimiter,
    /// MFA codes checked, keyed by IAM user name: a user's long-term key and all the session
    /// keys derived from it (GetSessionToken) draw on one budget.
    pub mfa_per_user: RateLimiter,
    /// Audit events for requests refused before any credential was checked (malformed,
    /// unsigned, forged signatures, failed browser steps), per source IP at the
    /// unauthenticated rate: anyone can send those, and each would otherwise become a store
    /// row, so a flood cannot fill the disk. Issuances are always recorded.
    audit_refusals: RateLimiter,
}

impl Limiters {
    pub fn new(limits: &Limits, metrics: &Arc<Metrics>) -> Self {
        let limit = |rate, name| RateLimiter::counted(rate, name, metrics);
        Self {
            per_ip: limit(
                limits.unauthenticated_per_ip_per_s,
                "unauthenticated_per_ip",
            ),
            per_subject: limit(limits.per_subject_per_s, "per_subject"),
            per_access_key: limit(limits.per_access_key_per_s, "per_access_key"),
            mfa_per_user: limit(limits.mfa_per_user_per_s, "mfa_per_user"),
            audit_refusals: limit(limits.unauthenticated_per_ip_per_s, "audit_refusals_per_ip"),
        }
    }

    /// Whether a refusal from `ip` may still be audited now; counts the ones that may not.
    pub fn audit_refusal(&self, ip: Option<std::net::IpAddr>, now: DateTime<Utc>) -> bool {
        self.audit_refusals.admit(&ip_key(ip), now)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_block() {
        let key = |s: &str| ip_key(Some(s.parse().unwrap()));
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:1:2:3"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(ip_key(None), "unknown");
    }

    #[test]
    fn a_bucket_bursts_then_refills_at_the_rate() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let l = RateLimiter::new(5);
        for _ in 0..5 {
            assert!(l.admit("a", t0));
        }
        assert!(!l.admit("a", t0), "the burst is one second's worth");
        assert!(l.admit("b", t0), "keys are independent");
        assert!(!l.admit("a", t0 + TimeDelta::milliseconds(100)));
        assert!(
            l.admit("a", t0 + TimeDelta::milliseconds(250)),
            "one token per 200 ms"
        );
        assert!(!l.admit("a", t0 + TimeDelta::milliseconds(260)));
        for _ in 0..5 {
            assert!(l.admit("a", t0 + TimeDelta::seconds(10)));
        }
        assert!(
            !l.admit("a", t0 + TimeDelta::seconds(10)),
            "never more than the burst"
        );
    }
}
