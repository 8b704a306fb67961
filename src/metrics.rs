//! Prometheus metrics at `GET /metrics` (text exposition format 0.0.4). A small registry of our
//! own: counters and histograms keyed by label values, lock-free on the hot path once a label
//! set exists (a read lock to find it, then atomics). Label values come from configuration or
//! from fixed sets (actions, AWS error codes), never from request input, so cardinality is
//! bounded by the configuration.
//!
//! The registry is owned by the bridge (`sts::Bridge`), which hands it to what it builds: the
//! rate limiters, the identity-provider registries' refreshers and the store. Nothing is
//! process-wide, so two bridges in one process count apart; replicas are told apart by the
//! scraper's `instance` label.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

/// Latency buckets, seconds: 100 µs to 2.5 s.
const BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

type Labels = Vec<String>;

#[derive(Debug, Default)]
struct Counter(AtomicU64);

#[derive(Debug)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Sum in nanoseconds (u64 holds 584 years of them).
    sum_nanos: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_nanos: AtomicU64::new(0),
        }
    }
}

/// A family of series of one kind, by label values.
#[derive(Debug)]
struct Family<T> {
    name: &'static str,
    help: &'static str,
    label_names: &'static [&'static str],
    series: RwLock<BTreeMap<Labels, Arc<T>>>,
}

impl<T: Default> Family<T> {
    const fn new(
        name: &'static str,
        help: &'static str,
        label_names: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            help,
            label_names,
            series: RwLock::new(BTreeMap::new()),
        }
    }

    fn get(&self, values: &[&str]) -> Arc<T> {
        let found = self
            .series
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(k, _)| k.iter().map(String::as_str).eq(values.iter().copied()))
            .map(|(_, v)| Arc::clone(v));
        if let Some(s) = found {
            return s;
        }
        let key: Labels = values.iter().map(|v| (*v).to_owned()).collect();
        Arc::clone(
            self.series
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key)
                .or_default(),
        )
    }

    fn snapshot(&self) -> Vec<(Labels, Arc<T>)> {
        self.series
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(k, v)| (k.clone(), Arc::clone(v)))
            .collect()
    }

    fn label_text(&self, values: &[String], extra: Option<(&str, &str)>) -> String {
        let mut parts: Vec<String> = self
            .label_names
            .iter()
            .zip(values)
            .map(|(n, v)| format!("{n}=\"{}\"", escape(v)))
            .collect();
        if let Some((n, v)) = extra {
            parts.push(format!("{n}=\"{v}\""));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("{{{}}}", parts.join(","))
        }
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Everything the bridge counts.
#[derive(Debug)]
pub struct Metrics {
    requests: Family<Counter>,
    request_seconds: Family<Histogram>,
    issued: Family<Counter>,
    browser: Family<Counter>,
    replay_hits: Family<Counter>,
    idp_refresh: Family<Counter>,
    idp_keys_loaded: Family<Counter>,
    store_seconds: Family<Histogram>,
    throttled: Family<Counter>,
    mfa_codes: Family<Counter>,
    revocations: AtomicU64,
}

/// What became of an MFA code (the `outcome` label of `stsbridge_mfa_codes_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaOutcome {
    /// Valid: the device's count was reset.
    Accepted,
    /// Invalid (wrong, malformed or reused) and counted.
    Invalid,
    /// Invalid, and the one that locked the device.
    LockedOut,
    /// Not checked at all: the device is locked.
    RefusedLocked,
}

impl MfaOutcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Invalid => "invalid",
            Self::LockedOut => "locked_out",
            Self::RefusedLocked => "refused_locked",
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// An empty registry. The bridge owns one; nothing in the process is global, so two
    /// bridges in one process (tests, replicas) count apart.
    pub fn new() -> Self {
        Self {
            requests: Family::new(
                "stsbridge_requests_total",
                "STS API requests by action and outcome (ok or the AWS error code).",
                &["action", "outcome"],
            ),
            request_seconds: Family::new(
                "stsbridge_request_duration_seconds",
                "STS API request handling time, by action.",
                &["action"],
            ),
            issued: Family::new(
                "stsbridge_credentials_issued_total",
                "Temporary credentials issued, by role (or principal kind) and provider.",
                &["role", "provider"],
            ),
            browser: Family::new(
                "stsbridge_browser_events_total",
                "Browser sign-in decisions by event and outcome (ok or the HTTP status).",
                &["event", "outcome"],
            ),
            replay_hits: Family::new(
                "stsbridge_replay_rejections_total",
                "Single-use values presented again (SAML assertion ids).",
                &["kind"],
            ),
            idp_refresh: Family::new(
                "stsbridge_idp_refresh_total",
                "Identity-provider key and metadata fetches, by provider and result.",
                &["provider", "result"],
            ),
            idp_keys_loaded: Family::new(
                "stsbridge_idp_keys_loaded_timestamp_seconds",
                "When each provider's keys or metadata were last loaded (Unix time).",
                &["provider"],
            ),
            store_seconds: Family::new(
                "stsbridge_store_operation_duration_seconds",
                "Store call latency by operation and result.",
                &["operation", "result"],
            ),
            throttled: Family::new(
                "stsbridge_throttled_total",
                "Requests refused by a rate limit, by limit.",
                &["limit"],
            ),
            mfa_codes: Family::new(
                "stsbridge_mfa_codes_total",
                "MFA codes presented for AssumeRole and GetSessionToken, by outcome (accepted, invalid, locked_out: the invalid code that locked its device, refused_locked: not checked because the device is locked).",
                &["outcome"],
            ),
            revocations: AtomicU64::new(0),
        }
    }
}

fn observe(h: &Histogram, elapsed: Duration) {
    let seconds = elapsed.as_secs_f64();
    for (bound, bucket) in BUCKETS.iter().zip(&h.buckets) {
        if seconds <= *bound {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
    }
    h.count.fetch_add(1, Ordering::Relaxed);
    h.sum_nanos.fetch_add(
        u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
}

impl Metrics {
    pub fn request(&self, action: &str, outcome: &str, elapsed: Duration) {
        self.requests
            .get(&[action, outcome])
            .0
            .fetch_add(1, Ordering::Relaxed);
        observe(&self.request_seconds.get(&[action]), elapsed);
    }

    pub fn issued(&self, role: &str, provider: &str) {
        self.issued
            .get(&[role, provider])
            .0
            .fetch_add(1, Ordering::Relaxed);
    }

    pub fn browser(&self, event: &str, outcome: &str) {
        self.browser
            .get(&[event, outcome])
            .0
            .fetch_add(1, Ordering::Relaxed);
    }

    pub fn replay_hit(&self, kind: &str) {
        self.replay_hits
            .get(&[kind])
            .0
            .fetch_add(1, Ordering::Relaxed);
    }

    /// A key or metadata fetch; on success, `now_unix` is recorded as the load time.
    pub fn idp_refresh(&self, provider: &str, ok: bool, now_unix: i64) {
        self.idp_refresh
            .get(&[provider, if ok { "ok" } else { "error" }])
            .0
            .fetch_add(1, Ordering::Relaxed);
        if ok {
            self.idp_keys_loaded
                .get(&[provider])
                .0
                .store(u64::try_from(now_unix).unwrap_or(0), Ordering::Relaxed);
        }
    }

    pub fn store_call(&self, operation: &str, ok: bool, elapsed: Duration) {
        observe(
            &self
                .store_seconds
                .get(&[operation, if ok { "ok" } else { "error" }]),
            elapsed,
        );
    }

    pub fn throttled(&self, limit: &str) {
        self.throttled
            .get(&[limit])
            .0
            .fetch_add(1, Ordering::Relaxed);
    }

    pub fn mfa_code(&self, outcome: MfaOutcome) {
        self.mfa_codes
            .get(&[outcome.as_str()])
            .0
            .fetch_add(1, Ordering::Relaxed);
    }

    pub fn set_revocations(&self, live: usize) {
        self.revocations.store(live as u64, Ordering::Relaxed);
    }

    /// The exposition text. `extra` adds process-level values known elsewhere (audit queue).
    pub fn render(&self, audit_dropped: u64, audit_written: u64) -> String {
        let mut out = String::new();
        for family in [
            &self.requests,
            &self.issued,
            &self.browser,
            &self.replay_hits,
            &self.idp_refresh,
            &self.throttled,
            &self.mfa_codes,
        ] {
            counters(&mut out, family, "counter");
        }
        counters(&mut out, &self.idp_keys_loaded, "gauge");
        for family in [&self.request_seconds, &self.store_seconds] {
            histograms(&mut out, family);
        }
        let gauge = |out: &mut String, name: &str, help: &str, kind: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
            );
        };
        gauge(
            &mut out,
            "stsbridge_revocations_active",
            "Live revocations this replica enforces.",
            "gauge",
            self.revocations.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "stsbridge_audit_events_written_total",
            "Audit events written to the sink and the store.",
            "counter",
            audit_written,
        );
        gauge(
            &mut out,
            "stsbridge_audit_events_dropped_total",
            "Audit events dropped because the queue was full.",
            "counter",
            audit_dropped,
        );
        out
    }
}

fn counters(out: &mut String, family: &Family<Counter>, kind: &str) {
    let _ = writeln!(out, "# HELP {} {}", family.name, family.help);
    let _ = writeln!(out, "# TYPE {} {kind}", family.name);
    for (labels, c) in family.snapshot() {
        let _ = writeln!(
            out,
            "{}{} {}",
            family.name,
            family.label_text(&labels, None),
            c.0.load(Ordering::Relaxed)
        );
    }
}

fn histograms(out: &mut String, family: &Family<Histogram>) {
    let _ = writeln!(out, "# HELP {} {}", family.name, family.help);
    let _ = writeln!(out, "# TYPE {} histogram", family.name);
    for (labels, h) in family.snapshot() {
        for (bound, bucket) in BUCKETS.iter().zip(&h.buckets) {
            let le = bound.to_string();
            let _ = writeln!(
                out,
                "{}_bucket{} {}",
                family.name,
                family.label_text(&labels, Some(("le", &le))),
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = h.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "{}_bucket{} {count}",
            family.name,
            family.label_text(&labels, Some(("le", "+Inf")))
        );
        #[expect(
            clippy::cast_precision_loss,
            reason = "a latency sum in seconds needs no more than f64's 53 bits"
        )]
        let sum = h.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(
            out,
            "{}_sum{} {sum}",
            family.name,
            family.label_text(&labels, None)
        );
        let _ = writeln!(
            out,
            "{}_count{} {count}",
            family.name,
            family.label_text(&labels, None)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_histograms() {
        let m = Metrics::new();
        m.request("AssumeRole", "ok", Duration::from_micros(300));
        m.request("AssumeRole", "ok", Duration::from_millis(3));
        m.request("AssumeRole", "AccessDenied", Duration::from_micros(50));
        m.issued("arn:aws:iam::1:role/a\"b", "iam");
        let text = m.render(2, 5);
        assert!(
            text.contains("stsbridge_requests_total{action=\"AssumeRole\",outcome=\"ok\"} 2"),
            "{text}"
        );
        assert!(text.contains(
            "stsbridge_requests_total{action=\"AssumeRole\",outcome=\"AccessDenied\"} 1"
        ));
        assert!(
            text.contains("role=\"arn:aws:iam::1:role/a\\\"b\""),
            "label values are escaped"
        );
        assert!(
            text.contains(
                "stsbridge_request_duration_seconds_bucket{action=\"AssumeRole\",le=\"0.0001\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains(
            "stsbridge_request_duration_seconds_bucket{action=\"AssumeRole\",le=\"0.0005\"} 2"
        ));
        assert!(text.contains(
            "stsbridge_request_duration_seconds_bucket{action=\"AssumeRole\",le=\"+Inf\"} 3"
        ));
        assert!(text.contains("stsbridge_request_duration_seconds_count{action=\"AssumeRole\"} 3"));
        assert!(text.contains("stsbridge_audit_events_dropped_total 2"));
    }
}
