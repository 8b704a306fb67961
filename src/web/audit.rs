//! Audit events of the browser side. Handlers attach an [`AuditNote`] to their response with
//! what they decided (who, which role, which access key id); [`super::page_layer`] adds the
//! request's facts (id, address, user agent) and records it. Refusals of the deciding
//! endpoints are recorded from their error pages. Page views are not decisions and are not
//! recorded.

use axum::http::Method;

use crate::audit::AuditEvent;
use crate::sts::offers::SignedIn;

/// What a browser handler decided, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct AuditNote {
    pub event_name: &'static str,
    pub provider: Option<String>,
    pub subject: Option<String>,
    pub principal: Option<String>,
    pub role: Option<String>,
    pub issued_arn: Option<String>,
    pub access_key_id: Option<String>,
    pub matched: Option<String>,
}

impl AuditNote {
    pub fn new(event_name: &'static str) -> Self {
        Self {
            event_name,
            ..Self::default()
        }
    }

    /// The signed-in identity's provider and subject.
    #[must_use]
    pub fn identity(mut self, identity: &SignedIn) -> Self {
        self.provider = Some(identity.provider_arn().to_owned());
        self.subject = Some(match identity {
            SignedIn::Oidc(t) => t.subject.clone(),
            SignedIn::Saml(a) => a.name_id.clone(),
        });
        self
    }

    /// The credentials a session now holds (identifiers only).
    #[must_use]
    pub fn issued(mut self, active: &super::session::ActiveRole) -> Self {
        self.role = Some(active.role_arn.clone());
        self.issued_arn = Some(active.assumed_role_arn.clone());
        self.access_key_id = Some(active.access_key_id.clone());
        self
    }

    pub(super) fn into_event(self, request_id: &str) -> AuditEvent {
        let mut e = AuditEvent::new("signin", self.event_name, request_id);
        e.provider = self.provider;
        e.subject = self.subject;
        e.principal = self.principal;
        e.role = self.role;
        e.issued_arn = self.issued_arn;
        e.access_key_id = self.access_key_id;
        e.matched = self.matched;
        e
    }
}

/// The decision an endpoint makes, by method and path (relative to the base path), if it is one.
pub(super) fn deciding_endpoint(method: &Method, path: &str) -> Option<&'static str> {
    match (method.as_str(), path) {
        ("GET", "/oidc/callback") | ("POST", "/saml/acs") => Some("BrowserSignIn"),
        ("POST", "/roles") => Some("ChooseRole"),
        ("POST", "/console/open") => Some("OpenInConsole"),
        ("POST", "/logout") => Some("SignOut"),
        (_, "/federation") => Some("Federation"),
        _ => None,
    }
}
