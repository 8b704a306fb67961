//! The audit trail: one JSON line per decision the bridge makes (STS actions, browser sign-ins,
//! role choices, console federation), CloudTrail-like, to a file or stdout and into the store
//! with retention. Events never carry secrets: no secret keys, session tokens, ID tokens,
//! assertions, sign-in tokens or cookies — only identifiers (ARNs, access key ids, subjects).
//!
//! Recording never waits on disk or the database: [`Auditor::record`] hands the event to a
//! bounded queue, and one background task writes batches to the sink and the store. A full
//! queue drops the event, counts it (`stsbridge_audit_dropped_total`) and says so in the log.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use tokio::io::AsyncWriteExt as _;
use tokio::sync::mpsc;

use crate::config::{AuditConfig, AuditSink};
use crate::store::{AuditRecord, Store};

/// Events waiting to be written; beyond this, new ones are dropped and counted.
const QUEUE: usize = 16_384;
/// Events written per batch (one store transaction).
const BATCH: usize = 256;
/// Longest text kept in any field (caller input such as session names is bounded anyway).
const MAX_FIELD: usize = 1024;

/// One audit event. Field names follow CloudTrail where it has one.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    pub event_time: DateTime<Utc>,
    /// `sts` for the query API, `signin` for the browser side.
    pub event_source: &'static str,
    /// The STS action (`AssumeRoleWithSAML`…) or browser step (`BrowserSignIn`, `ChooseRole`,
    /// `GetSigninToken`, `FederationLogin`).
    pub event_name: String,
    pub request_id: String,
    #[serde(rename = "sourceIPAddress", skip_serializing_if = "Option::is_none")]
    pub source_ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The signed caller's ARN (AKIA user or ASIA session), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// The identity provider (OIDC issuer, SAML provider ARN) of a federated identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The federated subject (OIDC `sub`, SAML NameID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The role asked for or assumed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// The issued session's ARN (assumed-role or federated-user).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_arn: Option<String>,
    /// The access key id of issued credentials (never the secret or token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// Why: the rule, policy statement or check that decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
    /// The AWS error code (or HTTP-style code for browser pages) of a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

impl AuditEvent {
    pub fn new(source: &'static str, name: impl Into<String>, request_id: &str) -> Self {
        Self {
            event_source: source,
            event_name: name.into(),
            request_id: request_id.to_owned(),
            ..Self::default()
        }
    }

    /// Bounds every free-text field; called once, when the event is recorded.
    fn bounded(mut self) -> Self {
        for field in [
            &mut self.user_agent,
            &mut self.principal,
            &mut self.provider,
            &mut self.subject,
            &mut self.role,
            &mut self.session_name,
            &mut self.issued_arn,
            &mut self.matched,
            &mut self.error_message,
        ]
        .into_iter()
        .flatten()
        {
            if field.len() > MAX_FIELD {
                let mut cut = MAX_FIELD;
                while !field.is_char_boundary(cut) {
                    cut -= 1;
                }
                field.truncate(cut);
            }
        }
        self
    }
}

/// `--since` of `stsbridge audit`: a duration back from `now` (`90s`, `30m`, `1h`, `7d`) or an
/// RFC 3339 time.
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?}: give a unit (s, m, h, d) or an RFC 3339 time"))?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30m or 1h"))?;
    let span = match unit {
        "s" => TimeDelta::try_seconds(n),
        "m" => TimeDelta::try_minutes(n),
        "h" => TimeDelta::try_hours(n),
        "d" => TimeDelta::try_days(n),
        _ => None,
    }
    .ok_or_else(|| format!("{text:?}: units are s, m, h, d"))?;
    Ok(now - span)
}

/// The sink and queue. Share it as `Arc<Auditor>`.
#[derive(Debug)]
pub struct Auditor {
    tx: mpsc::Sender<AuditEvent>,
    rx: Mutex<Option<mpsc::Receiver<AuditEvent>>>,
    sink: AuditSink,
    retention: TimeDelta,
    dropped: AtomicU64,
    written: AtomicU64,
    queued: AtomicU64,
}

impl Auditor {
    /// The queue; nothing is written until [`Self::start`] runs the writer.
    pub fn new(config: &AuditConfig) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        Self {
            tx,
            rx: Mutex::new(Some(rx)),
            sink: match &config.sink {
                AuditSink::StoreOnly => AuditSink::StoreOnly,
                AuditSink::Stdout => AuditSink::Stdout,
                AuditSink::File(p) => AuditSink::File(p.clone()),
            },
            retention: TimeDelta::days(i64::from(config.retention_days)),
            dropped: AtomicU64::new(0),
            written: AtomicU64::new(0),
            queued: AtomicU64::new(0),
        }
    }

    /// Queues an event; never blocks.
    pub fn record(&self, event: AuditEvent) {
        if self.tx.try_send(event.bounded()).is_ok() {
            self.queued.fetch_add(1, Ordering::Relaxed);
        } else {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::error!(dropped, "audit queue full: events dropped");
            }
        }
    }

    /// Waits (up to `timeout`) until every queued event has been handed to the sink and the
    /// store; `true` when it got there.
    pub async fn flush(&self, timeout: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.written.load(Ordering::Relaxed) >= self.queued.load(Ordering::Relaxed) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Events dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Events the writer has handled (written to the sink and the store, or failed there and
    /// logged) so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Runs the writer (once); it ends when the last sender is gone.
    pub fn start(self: &Arc<Self>, store: Arc<dyn Store>) {
        let Some(rx) = self
            .rx
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        else {
            return;
        };
        let me = Arc::downgrade(self);
        let sink = match &self.sink {
            AuditSink::StoreOnly => AuditSink::StoreOnly,
            AuditSink::Stdout => AuditSink::Stdout,
            AuditSink::File(p) => AuditSink::File(p.clone()),
        };
        let retention = self.retention;
        tokio::spawn(write_loop(rx, sink, store, retention, me));
    }
}

async fn open_sink(sink: &AuditSink) -> Option<Box<dyn tokio::io::AsyncWrite + Send + Unpin>> {
    match sink {
        AuditSink::StoreOnly => None,
        AuditSink::Stdout => Some(Box::new(tokio::io::stdout())),
        AuditSink::File(path) => {
            let mut options = tokio::fs::OpenOptions::new();
            options.create(true).append(true);
            #[cfg(unix)]
            options.mode(0o640);
            match options.open(path).await {
                Ok(f) => Some(Box::new(f)),
                Err(e) => {
                    tracing::error!(path = %path.display(), error = %e, "cannot open the audit file; events go to the store only");
                    None
                }
            }
        }
    }
}

async fn write_loop(
    mut rx: mpsc::Receiver<AuditEvent>,
    sink: AuditSink,
    store: Arc<dyn Store>,
    retention: TimeDelta,
    auditor: std::sync::Weak<Auditor>,
) {
    let mut out = open_sink(&sink).await;
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let handled = batch.len() as u64;
        let mut lines = String::new();
        let mut records = Vec::with_capacity(batch.len());
        for event in batch.drain(..) {
            let Ok(json) = serde_json::to_string(&event) else {
                continue;
            };
            lines.push_str(&json);
            lines.push('\n');
            records.push(AuditRecord {
                at: event.event_time,
                subject: event.subject.clone(),
                principal: event.issued_arn.clone().or(event.principal.clone()),
                event: json,
                expires_at: event.event_time + retention,
            });
        }
        if let Some(w) = out.as_mut()
            && let Err(e) = async {
                w.write_all(lines.as_bytes()).await?;
                w.flush().await
            }
            .await
        {
            tracing::error!(error = %e, "audit sink write failed");
        }
        if let Err(e) = store.add_audit_events(&records).await {
            tracing::error!(error = %e, events = records.len(), "audit events not stored");
        }
        if let Some(a) = auditor.upgrade() {
            a.written.fetch_add(handled, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_durations_and_times() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(
            parse_since("90s", now).unwrap(),
            now - TimeDelta::seconds(90)
        );
        assert_eq!(parse_since("1h", now).unwrap(), now - TimeDelta::hours(1));
        assert_eq!(parse_since("7d", now).unwrap(), now - TimeDelta::days(7));
        assert_eq!(
            parse_since("2027-01-15T00:00:00Z", now)
                .unwrap()
                .timestamp(),
            1_799_971_200
        );
        for bad in ["", "1", "h", "1w", "-1h", "1.5h", "99999999999999999d"] {
            assert!(parse_since(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn long_fields_are_cut_on_a_character_boundary() {
        let mut e = AuditEvent::new("sts", "AssumeRole", "r");
        e.session_name = Some("é".repeat(MAX_FIELD));
        let e = e.bounded();
        let kept = e.session_name.unwrap();
        assert!(kept.len() <= MAX_FIELD && kept.chars().all(|c| c == 'é'));
    }
}
