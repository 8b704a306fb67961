//! Audit events of the browser side. The steps that decide return an [`AuditNote`] with what
//! they decided (who, which role, which access key id); the page layer adds the request's facts
//! and how the page ended, and [`Bridge::record_browser_decision`] records it. Refusals are
//! recorded too, within the per-IP allowance for refusal rows, so a flood of bad requests
//! cannot flood the trail.

use std::net::IpAddr;

use super::session::ActiveRole;
use crate::audit::AuditEvent;
use crate::sts::bridge::Bridge;
use crate::sts::offers::SignedIn;

/// What a browser step decided, for the audit trail: an event of source `signin` whose request
/// facts the page layer fills in.
#[derive(Debug, Clone)]
pub(crate) struct AuditNote(AuditEvent);

impl AuditNote {
    pub(crate) fn new(event_name: &'static str) -> Self {
        Self(AuditEvent::new("signin", event_name, ""))
    }

    /// The signed-in identity's provider and subject.
    #[must_use]
    pub(crate) fn identity(mut self, identity: &SignedIn) -> Self {
        self.0.provider = Some(identity.provider_arn().to_owned());
        self.0.subject = Some(match identity {
            SignedIn::Oidc(t) => t.subject.clone(),
            SignedIn::Saml(a) => a.name_id.clone(),
        });
        self
    }

    /// The credentials a session now holds (identifiers only).
    #[must_use]
    pub(crate) fn issued(mut self, active: &ActiveRole) -> Self {
        self.0.role = Some(active.role_arn.clone());
        self.0.issued_arn = Some(active.assumed_role_arn.clone());
        self.0.access_key_id = Some(active.access_key_id.clone());
        self
    }

    /// Why the role was offered: the rules or attribute that matched.
    #[must_use]
    pub(crate) fn matched(mut self, why: &[String]) -> Self {
        self.0.matched = Some(why.join("; "));
        self
    }

    /// The credentials' own ARN as the caller (getSigninToken is called with them).
    #[must_use]
    pub(crate) fn principal(mut self, arn: &str) -> Self {
        self.0.principal = Some(arn.to_owned());
        self
    }
}

/// One request to a deciding browser endpoint, as it ended.
#[derive(Debug)]
pub(crate) struct BrowserDecision<'a> {
    /// The endpoint's decision (`BrowserSignIn`, `ChooseRole`…), for a request that ended
    /// before its step could say more.
    pub(crate) name: &'static str,
    /// What the step decided, when it got that far.
    pub(crate) note: Option<AuditNote>,
    pub(crate) request_id: &'a str,
    pub(crate) source_ip: Option<IpAddr>,
    pub(crate) user_agent: Option<String>,
    /// The page's status code and, for an error page, its message; `None` when it succeeded.
    pub(crate) refusal: Option<(u16, Option<String>)>,
}

impl Bridge {
    /// Counts the outcome in `stsbridge_browser_events_total` and records the audit event.
    pub(crate) fn record_browser_decision(&self, decision: BrowserDecision<'_>) {
        let mut event = match decision.note {
            Some(AuditNote(mut event)) => {
                decision.request_id.clone_into(&mut event.request_id);
                event
            }
            None => AuditEvent::new("signin", decision.name, decision.request_id),
        };
        if let Some((status, message)) = decision.refusal {
            event.error_code = Some(status.to_string());
            event.error_message = message;
        }
        self.metrics.browser(
            &event.event_name,
            event.error_code.as_deref().unwrap_or("ok"),
        );
        let now = self.clock.now();
        let refused = event.error_code.is_some();
        if !refused || self.limiters.audit_refusal(decision.source_ip, now) {
            event.event_time = now;
            event.source_ip_address = decision.source_ip.map(|ip| ip.to_string());
            event.user_agent = decision.user_agent;
            self.audit.record(event);
        }
    }
}
