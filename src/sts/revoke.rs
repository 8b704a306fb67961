//! First-class revocation: cut off sessions by access key, by role (issued before a time), by
//! federated subject, or by provider (issued before a time). Records go to the store; every
//! replica's cache picks them up within seconds and refuses the sessions on their next signed
//! request, including a chained AssumeRole. Used by `stsbridge revoke` and by the signed
//! `RevokeSessions` admin action.

use chrono::{DateTime, Utc};

use std::net::IpAddr;

use super::error::ServiceError;
use super::permissions::require_permission;
use crate::authn::Principal;
use crate::config::Config;
use crate::store::{Revocation, RevocationTarget, Store};
use crate::types::{AccessKeyId, AccessKeyKind};

/// What to revoke, as an operator names it.
#[derive(Debug, Clone, Default)]
pub struct RevokeRequest {
    pub access_key_id: Option<String>,
    /// Role name or ARN.
    pub role: Option<String>,
    /// SAML provider name, OIDC issuer URL, or provider ARN.
    pub provider: Option<String>,
    pub subject: Option<String>,
    /// `now` or RFC 3339; default now.
    pub issued_before: Option<String>,
    pub reason: Option<String>,
}

/// The IAM action a caller needs to revoke through the API (an stsbridge extension).
pub const ADMIN_ACTION: &str = "stsbridge:RevokeSessions";

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::InvalidParameter(message.into())
}

/// Validates a request against the configuration and turns it into a record.
pub fn revocation(
    config: &Config,
    req: &RevokeRequest,
    now: DateTime<Utc>,
) -> Result<Revocation, ServiceError> {
    let issued_before = match req.issued_before.as_deref() {
        None | Some("now") => now,
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map_err(|_| invalid("issued-before is `now` or an RFC 3339 time"))?
            .with_timezone(&Utc)
            // A time in the future would also cut off sessions not issued yet: cap at now.
            .min(now),
    };
    let target = match (&req.access_key_id, &req.role, &req.provider, &req.subject) {
        (Some(key), None, None, None) => {
            let id: AccessKeyId = key.parse().map_err(|_| invalid("not an access key id"))?;
            if id.kind() != AccessKeyKind::Temporary {
                return Err(invalid(
                    "only temporary (ASIA…) keys are revoked; remove a user's key from the config instead",
                ));
            }
            RevocationTarget::AccessKey(id.to_string())
        }
        (None, Some(role), None, None) => {
            let found = config
                .roles
                .iter()
                .find(|r| r.arn.name() == role || r.arn.to_string() == *role);
            RevocationTarget::Role(
                found
                    .ok_or_else(|| invalid(format!("no role {role}")))?
                    .arn
                    .to_string(),
            )
        }
        (None, None, Some(provider), subject) => {
            let arn = provider_arn(config, provider)
                .ok_or_else(|| invalid(format!("no provider {provider}")))?;
            match subject {
                Some(subject) => RevocationTarget::Subject {
                    provider: arn,
                    subject: subject.clone(),
                },
                None => RevocationTarget::Provider(arn),
            }
        }
        _ => {
            return Err(invalid(
                "name exactly one of: an access key id; a role; a provider (with or without a subject)",
            ));
        }
    };
    Ok(Revocation::new(
        target,
        issued_before,
        now,
        req.reason.clone(),
    ))
}

fn provider_arn(config: &Config, name: &str) -> Option<String> {
    config
        .oidc_providers
        .iter()
        .find(|p| p.issuer == name || p.arn == name)
        .map(|p| p.arn.to_string())
        .or_else(|| {
            config
                .saml_providers
                .iter()
                .find(|p| p.name == name || p.arn == name)
                .map(|p| p.arn.to_string())
        })
}

/// The signed `RevokeSessions` admin action: needs `stsbridge:RevokeSessions` on `*`. The
/// record is stored; the caller's replica reloads at once, the others within the refresh period.
pub async fn revoke_signed(
    config: &Config,
    store: &dyn Store,
    caller: &Principal,
    req: &RevokeRequest,
    source_ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<Revocation, ServiceError> {
    require_permission(config, caller, ADMIN_ACTION, "*", source_ip, now)?;
    let record = revocation(config, req, now)?;
    store.add_revocation(&record).await?;
    tracing::info!(by = %caller.arn(), revoked = %describe(&record), "sessions revoked");
    Ok(record)
}

/// One line per record, for `stsbridge revoke --list`.
pub fn describe(r: &Revocation) -> String {
    format!("{}  {}", r.created_at.to_rfc3339(), describe_target(r))
}

/// What a record revokes, and why.
pub fn describe_target(r: &Revocation) -> String {
    let what = match &r.target {
        RevocationTarget::AccessKey(id) => format!("access key {id}"),
        RevocationTarget::Role(arn) => format!(
            "sessions of {arn} issued before {}",
            r.issued_before.to_rfc3339()
        ),
        RevocationTarget::Subject { provider, subject } => {
            format!("sessions of {subject} via {provider}")
        }
        RevocationTarget::Provider(arn) => format!(
            "sessions via {arn} issued before {}",
            r.issued_before.to_rfc3339()
        ),
    };
    let reason = r
        .reason
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    format!("{what}{reason}")
}
