//! The authorization API for resource servers: given a client already authenticated (its
//! SigV4 request verified by the caller of `/authorize`), is `action` on `resource` allowed?
//! The answer uses the same effective permissions as every STS check: identity policies ∩
//! session policies, explicit deny anywhere winning, `aws:TokenIssueTime` denies included.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::bridge::Bridge;
use super::call::Caller;
use super::error::ServiceError;
use super::permissions::{caller_context, identity_decision, require_permission};
use crate::authn::Principal;
use crate::authn::sigv4::{MAX_SIGNED_HEADERS, Payload, SignedRequest};
use crate::config::Config;
use crate::policy::Decision;
use crate::seal::SessionPrincipal;

/// At most this many client headers are relayed; SigV4 signs at most 64.
pub const MAX_RELAYED_HEADERS: usize = MAX_SIGNED_HEADERS * 2;

/// A client's request as the resource server received it, rebuilt by the protocol edge.
#[derive(Debug, Clone, Copy)]
pub struct RelayedRequest<'a> {
    pub method: &'a http::Method,
    pub uri: &'a http::Uri,
    pub headers: &'a http::HeaderMap,
    /// Lowercase hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`: the resource server vouches
    /// for it; only the signature over it is checked.
    pub payload_hash: &'a str,
    /// The service the client signed for.
    pub service: &'a str,
}

impl Bridge {
    /// The resource server's own signed call to `/authorize` (not charged to a rate budget:
    /// it asks once per request of its clients).
    pub fn authenticate_resource_server(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
    ) -> Result<Caller, ServiceError> {
        let principal = crate::authn::authenticate_signed(
            &SignedRequest::from_parts(parts, body),
            &self.config,
            &self.keyring,
            &self.revocations,
            self.clock.now(),
        )?;
        tracing::Span::current().record("principal", principal.arn());
        Ok(Caller(principal))
    }

    /// Refuses a resource server that may not ask (it needs [`ACTION`]).
    pub fn require_authorizer(
        &self,
        service: &Caller,
        service_ip: Option<IpAddr>,
    ) -> Result<(), ServiceError> {
        require_authorizer(&self.config, &service.0, service_ip, self.clock.now())
    }

    /// Verifies the client's relayed request as if it had been sent to the bridge.
    pub fn authenticate_relayed(&self, req: &RelayedRequest<'_>) -> Result<Caller, ServiceError> {
        let signed = SignedRequest {
            method: req.method,
            uri: req.uri,
            headers: req.headers,
            payload: Payload::Hash(req.payload_hash),
            service: req.service,
        };
        let principal = crate::authn::authenticate_signed(
            &signed,
            &self.config,
            &self.keyring,
            &self.revocations,
            self.clock.now(),
        )?;
        Ok(Caller(principal))
    }

    /// The verified client's effective permissions for `action` on `resource`.
    pub fn decide(
        &self,
        client: &Caller,
        action: &str,
        resource: &str,
        client_ip: Option<IpAddr>,
    ) -> AuthorizationAnswer {
        decide(
            &self.config,
            &client.0,
            action,
            resource,
            client_ip,
            self.clock.now(),
        )
    }
}

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
