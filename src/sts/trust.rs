//! The authorisation every federated AssumeRole* shares (web identity and SAML): the
//! role's trust policy must allow the provider for the action, and for `sts:TagSession` /
//! `sts:SetSourceIdentity` when tags or a source identity are passed; and when rules exist for
//! the provider, a matching rule must list the role.

use std::net::IpAddr;

use chrono::{DateTime, SecondsFormat, Utc};

use super::error::ServiceError;
use crate::config::Role;
use crate::policy::{CallerPrincipal, ContextValue, Decision, RequestContext, evaluate};
use crate::rules::RuleOutcome;
use crate::types::{SessionName, TagSet};

/// Everything a federated request puts into the trust policy's request context.
#[derive(Debug, Clone)]
pub struct FederatedRequest<'a> {
    /// `sts:AssumeRoleWithWebIdentity` or `sts:AssumeRoleWithSAML`.
    pub action: &'static str,
    /// IAM provider ARN, the trust policy's `Federated` principal.
    pub provider_arn: &'a str,
    /// Provider keys (`<issuer>:aud`, `:sub`, `saml:aud`, …).
    pub provider_keys: Vec<(String, ContextValue)>,
    pub session_name: &'a SessionName,
    pub tags: &'a TagSet,
    pub source_identity: Option<&'a str>,
    pub source_ip: Option<IpAddr>,
    pub now: DateTime<Utc>,
}

impl FederatedRequest<'_> {
    /// The request context for one action (the assume action itself, or TagSession /
    /// SetSourceIdentity, which are evaluated against the same context).
    pub fn context(&self, action: &str) -> RequestContext {
        let mut ctx =
            RequestContext::new(action, None).with_principal(CallerPrincipal::Federated {
                provider: self.provider_arn.to_owned(),
            });
        for (key, value) in &self.provider_keys {
            ctx.set(key, value.clone());
        }
        let single = |s: &str| ContextValue::Single(s.to_owned());
        ctx.set("aws:FederatedProvider", single(self.provider_arn));
        ctx.set("sts:RoleSessionName", single(self.session_name.as_str()));
        ctx.set(
            "aws:CurrentTime",
            single(&self.now.to_rfc3339_opts(SecondsFormat::Secs, true)),
        );
        ctx.set("aws:EpochTime", single(&self.now.timestamp().to_string()));
        if let Some(ip) = self.source_ip {
            ctx.set("aws:SourceIp", single(&ip.to_string()));
        }
        if !self.tags.tags().is_empty() {
            for (k, v) in self.tags.tags() {
                ctx.set(&format!("aws:RequestTag/{k}"), single(v));
            }
            ctx.set(
                "aws:TagKeys",
                ContextValue::Multi(self.tags.tags().iter().map(|(k, _)| k.clone()).collect()),
            );
        }
        if !self.tags.transitive_keys().is_empty() {
            ctx.set(
                "sts:TransitiveTagKeys",
                ContextValue::Multi(self.tags.transitive_keys().to_vec()),
            );
        }
        if let Some(si) = self.source_identity {
            ctx.set("sts:SourceIdentity", single(si));
        }
        ctx
    }
}

/// Checks trust policy and rules; `Err(AccessDenied)` names the failed check in its reason.
///
/// `role_attribute` is SAML's: `Some(listed)` when the assertion carries the AWS Role attribute,
/// whose (role, provider) pairs list roles just as matching rules do (config.md). With rules for
/// the provider, a rule or the attribute must list the role; without rules, an attribute that
/// is present must list it; with neither, the trust policy alone decides.
pub fn authorize(
    role: &Role,
    req: &FederatedRequest<'_>,
    rules: &RuleOutcome,
    role_attribute: Option<bool>,
) -> Result<(), ServiceError> {
    let deny = |reason: String| ServiceError::AccessDenied {
        action: req.action,
        reason,
        explicit: false,
    };
    let mut actions = vec![req.action];
    if !req.tags.tags().is_empty() || !req.tags.transitive_keys().is_empty() {
        actions.push("sts:TagSession");
    }
    if req.source_identity.is_some() {
        actions.push("sts:SetSourceIdentity");
    }
    for action in actions {
        let decision = evaluate(&[&role.trust_policy], &req.context(action));
        tracing::debug!(role = %role.arn, action, %decision, "trust policy decision");
        match decision {
            Decision::Allow { .. } => {}
            Decision::ExplicitDeny { sid } => {
                return Err(ServiceError::AccessDenied {
                    action: req.action,
                    reason: format!(
                        "trust policy of {} explicitly denies {action} (statement {sid:?})",
                        role.arn
                    ),
                    explicit: true,
                });
            }
            Decision::NotApplicable => {
                return Err(deny(format!(
                    "trust policy of {} does not allow {action} for {}",
                    role.arn, req.provider_arn
                )));
            }
        }
    }
    let by_rules = rules.lists_role(role.arn.name(), &role.arn.to_string());
    match (rules.provider_has_rules, role_attribute) {
        (true, attribute) if !by_rules && attribute != Some(true) => {
            return Err(deny(format!(
                "no matching rule for this provider lists role {}",
                role.arn
            )));
        }
        (false, Some(false)) => {
            return Err(deny(format!(
                "the assertion's Role attribute does not list role {} with this provider",
                role.arn
            )));
        }
        _ => {}
    }
    Ok(())
}
