//! AssumeRole: a signed caller (a configured user, or a role session: role chaining) takes on a
//! role. Both sides must agree: the role's trust policy allows the caller (with its conditions:
//! `sts:ExternalId`, MFA, tags, source IP, …) AND the caller's own permissions allow
//! `sts:AssumeRole` on the role. Chained sessions last at most an hour, and keep the parent's
//! transitive tags and source identity, which cannot be overridden.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::error::ServiceError;
use super::mfa::{self, MfaChecker, MfaParams};
use super::permissions::{caller_context, identity_decision};
use super::session::{IssuedSession, RoleSession, mint_role_session};
use crate::authn::Principal;
use crate::config::{Config, Role};
use crate::policy::{ContextValue, Decision, evaluate};
use crate::seal::{Keyring, SessionClaims, SessionPrincipal};
use crate::types::{Arn, RoleArn, SessionName, TagSet};

pub const ACTION: &str = "sts:AssumeRole";

/// The validated request.
#[derive(Debug, Clone, Copy)]
pub struct AssumeRoleRequest<'a> {
    pub role_arn: &'a RoleArn,
    pub role_session_name: &'a SessionName,
    pub duration_seconds: Option<u32>,
    pub policy: Option<&'a str>,
    pub policy_arns: &'a [Arn],
    /// The request's session tags and transitive keys.
    pub tags: &'a TagSet,
    pub external_id: Option<&'a str>,
    pub source_identity: Option<&'a str>,
    /// When the request's MFA code was verified: set by [`assume_role_with_mfa`], which checks
    /// the code; `None` without one.
    pub mfa_verified_at: Option<DateTime<Utc>>,
    pub source_ip: Option<IpAddr>,
}

/// The AWS-style refusal: who may not do what on which resource.
fn denied(caller: &Principal, role: &RoleArn, reason: String) -> ServiceError {
    denied_by(caller, role, reason, &Decision::NotApplicable)
}

/// [`denied`], keeping whether a Deny statement decided.
fn denied_by(
    caller: &Principal,
    role: &RoleArn,
    reason: String,
    decision: &Decision,
) -> ServiceError {
    tracing::info!(caller = %caller.arn(), %role, %reason, "AssumeRole refused");
    ServiceError::AccessDenied {
        action: ACTION,
        reason,
        explicit: matches!(decision, Decision::ExplicitDeny { .. }),
    }
}

/// Everything AssumeRole decides before minting: the role, the parent session (role
/// chaining) and what carries over from it.
struct Authorized<'a> {
    role: &'a Role,
    parent: Option<&'a SessionClaims>,
    carried: CarriedOver,
}

/// The trust policy and the caller's own permissions, with the request's MFA as given in
/// `req.mfa_verified_at`.
fn authorize<'a>(
    config: &'a Config,
    caller: &'a Principal,
    req: &AssumeRoleRequest<'_>,
    now: DateTime<Utc>,
) -> Result<Authorized<'a>, ServiceError> {
    // Who is asking decides what carries over: a role session chains, a federated user may not
    // assume roles (AWS).
    let parent = match caller {
        Principal::User { .. } => None,
        Principal::Session(claims) => match claims.principal {
            SessionPrincipal::AssumedRole { .. } | SessionPrincipal::User { .. } => {
                Some(claims.as_ref())
            }
            SessionPrincipal::FederatedUser { .. } => {
                return Err(denied(
                    caller,
                    req.role_arn,
                    "federated users cannot call AssumeRole".into(),
                ));
            }
        },
    };
    let role = config
        .role_by_arn(req.role_arn)
        .ok_or_else(|| denied(caller, req.role_arn, "role not configured".into()))?;
    let carried = carried_over(parent, req).map_err(|e| match e {
        Refusal::Param(message) => ServiceError::InvalidParameter(message),
        Refusal::Denied(reason) => denied(caller, req.role_arn, reason),
    })?;
    check_trust(role, caller, req, now)?;
    // And the caller's own permissions, on the role as the resource.
    let role_arn = role.arn.to_string();
    let mut own = caller_context(caller, ACTION, Some(&role_arn), req.source_ip, now);
    own.set(
        "sts:RoleSessionName",
        ContextValue::Single(req.role_session_name.to_string()),
    );
    match identity_decision(config, caller, &own) {
        Decision::Allow { .. } => {}
        d => {
            return Err(denied_by(
                caller,
                req.role_arn,
                format!("caller's permissions: sts:AssumeRole on {role_arn} {d}"),
                &d,
            ));
        }
    }
    Ok(Authorized {
        role,
        parent,
        carried,
    })
}

/// AssumeRole with MFA already decided: `req.mfa_verified_at` is when a valid code was checked
/// (see [`assume_role_with_mfa`]), or `None`.
pub fn assume_role(
    config: &Config,
    keyring: &Keyring,
    caller: &Principal,
    req: &AssumeRoleRequest<'_>,
    now: DateTime<Utc>,
) -> Result<IssuedSession, ServiceError> {
    let Authorized {
        role,
        parent,
        carried: (tags, source_identity),
    } = authorize(config, caller, req, now)?;
    let mfa_at = req
        .mfa_verified_at
        .or_else(|| parent.and_then(|p| p.mfa_at));
    mint_role_session(
        config,
        keyring,
        RoleSession {
            role,
            session_name: req.role_session_name.clone(),
            duration_seconds: req.duration_seconds,
            policy: req.policy,
            policy_arns: req.policy_arns,
            tags,
            source_identity,
            issuer: caller.arn(),
            expires_cap: None,
            // Only a role session assuming a role is chaining (AWS): GetSessionToken
            // credentials are the user itself and keep the role's full duration range.
            chain_depth: parent
                .filter(|p| matches!(p.principal, SessionPrincipal::AssumedRole { .. }))
                .map_or(0, |p| p.chain_depth.saturating_add(1)),
            parent,
            mfa_at,
            federated: parent.and_then(|p| p.federated.clone()),
        },
        now,
    )
}

/// AssumeRole carrying the request's `SerialNumber` and `TokenCode`, if any
/// (`req.mfa_verified_at` is ignored).
///
/// The code is looked at only if the call would succeed with MFA present (trust policy,
/// caller's permissions, duration, session policies): otherwise the answer is that refusal
/// whatever the code, and the code is neither checked, spent nor counted against the device. Then the MFA check proper
/// ([`mfa::verify_mfa`]: lock, per-user limit, code, count), then the real decision and the
/// issuance with the verified MFA time.
pub async fn assume_role_with_mfa(
    checker: MfaChecker<'_>,
    keyring: &Keyring,
    caller: &Principal,
    req: &AssumeRoleRequest<'_>,
    mfa: MfaParams<'_>,
    now: DateTime<Utc>,
) -> Result<IssuedSession, ServiceError> {
    let Some(code) = mfa.code()? else {
        let plain = AssumeRoleRequest {
            mfa_verified_at: None,
            ..*req
        };
        return assume_role(checker.config, keyring, caller, &plain, now);
    };
    let as_if_verified = AssumeRoleRequest {
        mfa_verified_at: Some(now),
        ..*req
    };
    // A dry run of the whole issuance (decision and minting, whose duration and session-policy
    // checks can refuse too), its credentials dropped: a valid code is then never spent, nor
    // a device's count raised, on a call that would be refused anyway. Sealing twice costs
    // microseconds, only on calls that carry a code.
    drop(assume_role(
        checker.config,
        keyring,
        caller,
        &as_if_verified,
        now,
    )?);
    let verified_at = mfa::verify_mfa(checker, caller, code, now).await?;
    let verified = AssumeRoleRequest {
        mfa_verified_at: Some(verified_at),
        ..*req
    };
    assume_role(checker.config, keyring, caller, &verified, now)
}

/// Session tags, transitive tag keys and source identity of the new session.
type CarriedOver = (TagSet, Option<String>);

enum Refusal {
    Param(String),
    Denied(String),
}

/// Session tags, transitive keys and source identity: the parent's transitive tags first (they
/// cannot be set again), then the request's, the whole set meeting the tag rules; the parent's
/// source identity is fixed for the chain.
fn carried_over(
    parent: Option<&SessionClaims>,
    req: &AssumeRoleRequest<'_>,
) -> Result<CarriedOver, Refusal> {
    let mut tags: Vec<(String, String)> = Vec::new();
    let mut transitive: Vec<String> = Vec::new();
    if let Some(p) = parent {
        for key in &p.transitive_tag_keys {
            if let Some((k, v)) = p.tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
                tags.push((k.clone(), v.clone()));
                transitive.push(key.clone());
            }
        }
        if req
            .tags
            .tags()
            .iter()
            .any(|(k, _)| transitive.iter().any(|t| t.eq_ignore_ascii_case(k)))
        {
            return Err(Refusal::Param(
                "One or more session tags are inherited transitive tags and cannot be set again."
                    .into(),
            ));
        }
    }
    tags.extend(req.tags.tags().iter().cloned());
    transitive.extend(req.tags.transitive_keys().iter().cloned());
    let tags = TagSet::new(tags, transitive).map_err(|e| Refusal::Param(e.to_string()))?;
    let source_identity = match (
        parent.and_then(|p| p.source_identity.as_deref()),
        req.source_identity,
    ) {
        (Some(inherited), Some(asked)) if inherited != asked => {
            return Err(Refusal::Denied(
                "source identity cannot change within a role chain".into(),
            ));
        }
        (Some(inherited), _) => Some(inherited.to_owned()),
        (None, asked) => asked.map(str::to_owned),
    };
    Ok((tags, source_identity))
}

/// The role's trust policy must allow AssumeRole and, when used, TagSession and
/// SetSourceIdentity, with the request's condition keys.
fn check_trust(
    role: &Role,
    caller: &Principal,
    req: &AssumeRoleRequest<'_>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let context = |action: &str| {
        let mut ctx = caller_context(caller, action, None, req.source_ip, now);
        ctx.set(
            "sts:RoleSessionName",
            ContextValue::Single(req.role_session_name.to_string()),
        );
        if let Some(id) = req.external_id {
            ctx.set("sts:ExternalId", ContextValue::Single(id.to_owned()));
        }
        if let Some(at) = req.mfa_verified_at {
            ctx.set("aws:MultiFactorAuthPresent", ContextValue::from(true));
            ctx.set(
                "aws:MultiFactorAuthAge",
                ContextValue::Single((now - at).num_seconds().max(0).to_string()),
            );
        }
        if !req.tags.tags().is_empty() {
            for (k, v) in req.tags.tags() {
                ctx.set(
                    &format!("aws:RequestTag/{k}"),
                    ContextValue::Single(v.clone()),
                );
            }
            ctx.set(
                "aws:TagKeys",
                ContextValue::Multi(req.tags.tags().iter().map(|(k, _)| k.clone()).collect()),
            );
        }
        if !req.tags.transitive_keys().is_empty() {
            ctx.set(
                "sts:TransitiveTagKeys",
                ContextValue::Multi(req.tags.transitive_keys().to_vec()),
            );
        }
        if let Some(si) = req.source_identity {
            ctx.set("sts:SourceIdentity", ContextValue::Single(si.to_owned()));
        }
        ctx
    };
    let mut actions = vec![ACTION];
    if !req.tags.tags().is_empty() || !req.tags.transitive_keys().is_empty() {
        actions.push("sts:TagSession");
    }
    if req.source_identity.is_some() {
        actions.push("sts:SetSourceIdentity");
    }
    for action in actions {
        match evaluate(&[&role.trust_policy], &context(action)) {
            Decision::Allow { .. } => {}
            d => {
                return Err(denied_by(
                    caller,
                    req.role_arn,
                    format!("trust policy of {}: {action} {d}", role.arn),
                    &d,
                ));
            }
        }
    }
    Ok(())
}
