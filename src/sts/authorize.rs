//! The authorization API for resource servers: given a client already authenticated (its
//! SigV4 request verified by the caller of `/authorize`), is `action` on `resource` allowed?
//! The answer uses the same effective permissions as every STS check: identity policies ∩
//! session policies, explicit deny anywhere winning, `aws:TokenIssueTime` denies included.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::error::ServiceError;
use super::permissions::{caller_context, identity_decision, require_permission};
use crate::authn::Principal;
use crate::config::Config;
use crate::policy::Decision;
use crate::seal::SessionPrincipal;

/// What the caller of `/authorize` needs (an stsbridge action, granted to service users).
pub const ACTION: &str = "stsbridge:Authorize";

/// The verified client, as a resource server needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedPrincipal {
    pub arn: String,
    pub account: String,
    pub user_id: String,
    /// `User`, `AssumedRole`, `FederatedUser`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Session tags (`aws:PrincipalTag/*`); empty for long-term keys.
    pub tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_expires_at: Option<String>,
    pub mfa_authenticated: bool,
}

/// The decision and the statement that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorizationAnswer {
    pub allowed: bool,
    /// `Allow`, `ExplicitDeny` or `ImplicitDeny`.
    pub decision: &'static str,
    /// The Sid of the deciding statement, when it has one.
    pub statement: Option<String>,
    pub principal: VerifiedPrincipal,
}

/// Refuses a resource server that may not ask (it needs [`ACTION`]).
pub fn require_authorizer(
    config: &Config,
    service: &Principal,
    service_ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    require_permission(config, service, ACTION, "*", service_ip, now)
}

/// The client's effective permissions for `action` on `resource`.
pub fn decide(
    config: &Config,
    client: &Principal,
    action: &str,
    resource: &str,
    client_ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> AuthorizationAnswer {
    let ctx = caller_context(client, action, Some(resource), client_ip, now);
    let (allowed, decision, statement) = match identity_decision(config, client, &ctx) {
        Decision::Allow { sid } => (true, "Allow", sid),
        Decision::ExplicitDeny { sid } => (false, "ExplicitDeny", sid),
        Decision::NotApplicable => (false, "ImplicitDeny", None),
    };
    AuthorizationAnswer {
        allowed,
        decision,
        statement,
        principal: describe(client),
    }
}

fn describe(p: &Principal) -> VerifiedPrincipal {
    let (kind, tags, source_identity, expires, mfa) = match p {
        Principal::User { .. } => ("User", BTreeMap::default(), None, None, false),
        Principal::Session(c) => (
            match c.principal {
                SessionPrincipal::AssumedRole { .. } => "AssumedRole",
                SessionPrincipal::FederatedUser { .. } => "FederatedUser",
                SessionPrincipal::User { .. } => "User",
            },
            c.tags.iter().cloned().collect(),
            c.source_identity.clone(),
            Some(c.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true)),
            c.mfa_authenticated,
        ),
    };
    VerifiedPrincipal {
        arn: p.arn(),
        account: p.account().to_string(),
        user_id: p.user_id(),
        kind,
        tags,
        source_identity,
        session_expires_at: expires,
        mfa_authenticated: mfa,
    }
}
