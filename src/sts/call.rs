//! One STS API call as the service sees it: who made it and from where ([`Origin`], the
//! authenticated [`Caller`]), what its action validated ([`Facts`]), and the audit event and
//! metrics it ends with ([`CallRecord`], [`Bridge::finish`]).
//!
//! Nothing from the raw request reaches a metric label or an audit field unless an action
//! validated it: a caller can neither grow `/metrics` with made-up values nor make a call look
//! as if it came through a provider it never used.

use std::net::IpAddr;
use std::time::Instant;

use super::bridge::Bridge;
use super::error::ServiceError;
use crate::audit::AuditEvent;
use crate::authn::Principal;
use crate::authn::sigv4::SignedRequest;

/// The authenticated signer of a call: a configured user or the holder of a session.
#[derive(Debug, Clone)]
pub struct Caller(pub(crate) Principal);

impl Caller {
    /// The caller's ARN (`…:user/alice`, `…:assumed-role/R/s`, `…:federated-user/f`).
    pub fn arn(&self) -> String {
        self.0.arn()
    }

    /// The limiter key of its credentials: the session's access key, or the user (whose
    /// keys share one budget).
    fn rate_key(&self) -> String {
        match &self.0 {
            Principal::Session(claims) => claims.access_key_id.to_string(),
            Principal::User { .. } => self.0.arn(),
        }
    }
}

/// Where a call came from, borrowed from the HTTP request by the protocol edge.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin<'a> {
    /// The TCP peer (`aws:SourceIp`).
    pub source_ip: Option<IpAddr>,
    /// The User-Agent header, bounded, for the audit trail.
    pub user_agent: Option<&'a str>,
    pub request_id: &'a str,
}

/// What an action validated about its request, for metrics and the audit trail.
#[derive(Debug, Default)]
pub struct Facts {
    /// The typed `RoleArn` of a role-taking action, once it parsed.
    pub role_arn: Option<String>,
    /// `RoleSessionName` (or GetFederationToken's `Name`), once it parsed.
    pub session_name: Option<String>,
    /// A configured provider this call went through: the verified token's issuer, or a
    /// `PrincipalArn` naming a configured SAML provider. Never for AssumeRole, which has none.
    pub provider: Option<String>,
    /// What credentials were issued for (a metric label): the configured role's ARN, or
    /// `(session token)` / `(federated user)`.
    pub issued_for: Option<String>,
}

/// How a refused call was answered, for its audit event and metric.
#[derive(Debug, Clone, Copy)]
pub struct Refusal<'a> {
    /// The AWS error code sent.
    pub code: &'a str,
    pub message: &'a str,
    /// The check that said no, when an authorization decision did.
    pub matched: Option<&'a str>,
}

/// Identifiers of what a call issued; never the secret or the token.
#[derive(Debug)]
struct Issued {
    arn: String,
    access_key_id: String,
    subject: Option<String>,
}

/// A call in progress: what its action validated and decided. The audit event is built from
/// it only when the call ends and is recorded, so a successful read (GetCallerIdentity, the
/// hottest path) builds none.
#[derive(Debug)]
pub struct CallRecord<'a> {
    action: &'static str,
    started: Instant,
    origin: Origin<'a>,
    caller: Option<&'a Caller>,
    pub facts: Facts,
    issued: Option<Issued>,
    matched: Option<String>,
    /// Successful read-only calls (GetCallerIdentity, GetAccessKeyInfo) are not decisions and
    /// are not recorded; every refusal is.
    read_only: bool,
}

impl CallRecord<'_> {
    /// Marks the call as one whose success is not an audit event.
    pub(crate) fn read_only(&mut self) {
        self.read_only = true;
    }

    /// Identifiers of what was issued; never the secret or the token.
    pub(crate) fn issued(&mut self, arn: &str, access_key_id: &str, subject: Option<&str>) {
        self.issued = Some(Issued {
            arn: arn.to_owned(),
            access_key_id: access_key_id.to_owned(),
            subject: subject.map(str::to_owned),
        });
    }

    pub(crate) fn matched(&mut self, what: String) {
        self.matched = Some(what);
    }

    /// The audit event of the call, as it ended.
    fn event(self, now: chrono::DateTime<chrono::Utc>, refusal: Option<Refusal<'_>>) -> AuditEvent {
        let mut e = AuditEvent::new("sts", self.action, self.origin.request_id);
        e.event_time = now;
        e.source_ip_address = self.origin.source_ip.map(|ip| ip.to_string());
        e.user_agent = self.origin.user_agent.map(str::to_owned);
        e.principal = self.caller.map(Caller::arn);
        e.role = self.facts.role_arn;
        e.session_name = self.facts.session_name;
        e.provider = self.facts.provider;
        e.matched = self.matched;
        if let Some(i) = self.issued {
            e.issued_arn = Some(i.arn);
            e.access_key_id = Some(i.access_key_id);
            e.subject = i.subject;
        }
        if let Some(r) = refusal {
            e.error_code = Some(r.code.to_owned());
            e.error_message = Some(r.message.to_owned());
            e.matched = r.matched.map(str::to_owned);
        }
        e
    }
}

impl Bridge {
    /// The per-IP budget of unsigned calls that cost real work (web identity and SAML
    /// signature checks).
    pub fn admit_unsigned(&self, source_ip: Option<IpAddr>) -> Result<(), ServiceError> {
        let ip = crate::limits::ip_key(source_ip);
        if self.limiters.per_ip.admit(&ip, self.clock.now()) {
            Ok(())
        } else {
            Err(ServiceError::Throttled)
        }
    }

    /// Verifies a SigV4-signed STS request (long-term key or session credentials, revocations
    /// included) and charges its credentials' rate budget.
    pub fn authenticate(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
    ) -> Result<Caller, ServiceError> {
        let now = self.clock.now();
        let principal = crate::authn::authenticate_signed(
            &SignedRequest::from_parts(parts, body),
            &self.config,
            &self.keyring,
            &self.revocations,
            now,
        )?;
        let caller = Caller(principal);
        tracing::Span::current().record("principal", caller.arn());
        if self.limiters.per_access_key.admit(&caller.rate_key(), now) {
            Ok(caller)
        } else {
            Err(ServiceError::Throttled)
        }
    }

    /// Starts the record of an authenticated (or anonymous) call to `action`, refusing it at
    /// once when the caller's own role denies the action (a revoked session learns nothing).
    pub fn begin<'a>(
        &self,
        action: &'static str,
        caller: Option<&'a Caller>,
        origin: Origin<'a>,
    ) -> (CallRecord<'a>, Result<(), ServiceError>) {
        let record = CallRecord {
            action,
            started: Instant::now(),
            origin,
            caller,
            facts: Facts::default(),
            issued: None,
            matched: None,
            read_only: false,
        };
        let permitted = caller.map_or(Ok(()), |caller| {
            super::permissions::refuse_if_role_denies(
                &self.config,
                &caller.0,
                &format!("sts:{action}"),
                origin.source_ip,
                self.clock.now(),
            )
        });
        (record, permitted)
    }

    /// Ends a call: its metric, and its audit event unless it was a successful read.
    pub fn finish(&self, record: CallRecord<'_>, refusal: Option<Refusal<'_>>) {
        let m = &self.metrics;
        let elapsed = record.started.elapsed();
        let facts = &record.facts;
        match refusal {
            None => {
                m.request(record.action, "ok", elapsed);
                if let Some(role) = &facts.issued_for {
                    m.issued(role, facts.provider.as_deref().unwrap_or("iam"));
                }
                if record.read_only {
                    return;
                }
            }
            Some(r) => m.request(record.action, r.code, elapsed),
        }
        self.audit.record(record.event(self.clock.now(), refusal));
    }

    /// A call refused before its action ran (malformed, unsigned, a bad signature): counted,
    /// and audited within the per-IP budget for such refusals, since anyone can send them.
    pub fn refused_early(&self, action: Option<&'static str>, origin: Origin<'_>, r: Refusal<'_>) {
        let action = action.unwrap_or("Unknown");
        self.metrics
            .request(action, r.code, std::time::Duration::ZERO);
        if !self
            .limiters
            .audit_refusal(origin.source_ip, self.clock.now())
        {
            return;
        }
        let mut e = AuditEvent::new("sts", action, origin.request_id);
        e.event_time = self.clock.now();
        e.source_ip_address = origin.source_ip.map(|ip| ip.to_string());
        e.user_agent = origin.user_agent.map(str::to_owned);
        e.error_code = Some(r.code.to_owned());
        e.error_message = Some(r.message.to_owned());
        self.audit.record(e);
    }

    /// Seals why `record`'s call was refused into a message only DecodeAuthorizationMessage
    /// opens. `None` only if the keyring cannot seal; the plain refusal is then still correct,
    /// only less helpful.
    pub fn seal_denial(
        &self,
        record: &CallRecord<'_>,
        reason: &str,
        explicit: bool,
    ) -> Option<String> {
        let denial = crate::seal::denial::Denial {
            principal: record.caller.map(Caller::arn),
            action: format!("sts:{}", record.action),
            // Only the actions that aim at a role name one; their RoleArn was validated.
            resource: record.facts.role_arn.clone(),
            reason: reason.to_owned(),
            explicit_deny: explicit,
            at: self.clock.now(),
        };
        crate::seal::denial::seal(&self.keyring, &denial)
            .map_err(|err| tracing::warn!(error = %err, "could not seal the denial message"))
            .ok()
    }
}
