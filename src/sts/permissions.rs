//! What a signed caller may do: the request context a caller brings to policy evaluation, and
//! the caller's effective identity-based permissions — the identity's own policies (a user's,
//! or the role's for a role session), intersected with the session policies when the session
//! has any (always, for federated users), explicit deny anywhere winning.

use std::net::IpAddr;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::authn::Principal;
use crate::config::Config;
use crate::policy::{
    CallerPrincipal, ContextValue, Decision, Policy, PolicyKind, RequestContext, evaluate,
    parse_policy,
};
use crate::seal::SessionPrincipal;

/// The request context of a signed caller: principal, `aws:` keys it carries, and time.
pub fn caller_context(
    principal: &Principal,
    action: &str,
    resource: Option<&str>,
    source_ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> RequestContext {
    let caller = CallerPrincipal::Aws {
        arn: principal.arn(),
        account: principal.account().to_string(),
        unique_id: Some(principal.user_id()),
    };
    let mut ctx = RequestContext::new(action, resource).with_principal(caller);
    let single = |s: &str| ContextValue::Single(s.to_owned());
    ctx.set("aws:PrincipalArn", single(&principal.arn()));
    ctx.set("aws:PrincipalAccount", single(principal.account().as_str()));
    ctx.set("aws:userid", single(&principal.user_id()));
    ctx.set(
        "aws:CurrentTime",
        single(&now.to_rfc3339_opts(SecondsFormat::Secs, true)),
    );
    ctx.set("aws:EpochTime", single(&now.timestamp().to_string()));
    if let Some(ip) = source_ip {
        ctx.set("aws:SourceIp", single(&ip.to_string()));
    }
    match principal {
        Principal::User { name, .. } => {
            ctx.set("aws:username", single(name));
            ctx.set("aws:PrincipalType", single("User"));
            // aws:MultiFactorAuthPresent is absent for long-term keys (AWS): use BoolIfExists.
        }
        Principal::Session(claims) => {
            ctx.set(
                "aws:TokenIssueTime",
                single(&claims.issued_at.to_rfc3339_opts(SecondsFormat::Secs, true)),
            );
            ctx.set(
                "aws:MultiFactorAuthPresent",
                ContextValue::from(claims.mfa_authenticated),
            );
            if let Some(at) = claims.mfa_at {
                ctx.set(
                    "aws:MultiFactorAuthAge",
                    single(&(now - at).num_seconds().max(0).to_string()),
                );
            }
            for (k, v) in &claims.tags {
                ctx.set(&format!("aws:PrincipalTag/{k}"), single(v));
            }
            if let Some(si) = &claims.source_identity {
                ctx.set("aws:SourceIdentity", single(si));
            }
            let kind = match &claims.principal {
                SessionPrincipal::AssumedRole { .. } => "AssumedRole",
                SessionPrincipal::FederatedUser { .. } => "FederatedUser",
                SessionPrincipal::User { name, .. } => {
                    ctx.set("aws:username", single(name));
                    "User"
                }
            };
            ctx.set("aws:PrincipalType", single(kind));
        }
    }
    ctx
}

/// Refuses unless the caller's effective permissions allow `action` on `resource`.
pub fn require_permission(
    config: &Config,
    caller: &Principal,
    action: &'static str,
    resource: &str,
    source_ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<(), crate::sts::ServiceError> {
    let ctx = caller_context(caller, action, Some(resource), source_ip, now);
    match identity_decision(config, caller, &ctx) {
        Decision::Allow { .. } => Ok(()),
        d => Err(crate::sts::ServiceError::AccessDenied {
            action,
            reason: format!("{}'s permissions: {action} on {resource} {d}", caller.arn()),
            explicit: matches!(d, Decision::ExplicitDeny { .. }),
        }),
    }
}

/// The caller's effective identity-based decision for `ctx`.
pub fn identity_decision(config: &Config, principal: &Principal, ctx: &RequestContext) -> Decision {
    let base: Vec<&Policy> = match principal {
        Principal::User { name, .. } => user_policies(config, name),
        Principal::Session(claims) => match &claims.principal {
            SessionPrincipal::AssumedRole { role_arn, .. } => config
                .role_by_arn(role_arn)
                .map(|r| {
                    r.policies
                        .iter()
                        .chain(config.managed(&r.managed_policies))
                        .collect()
                })
                .unwrap_or_default(),
            SessionPrincipal::User { name, .. } => user_policies(config, name),
            // The issuing user's permissions bound a federated user's.
            SessionPrincipal::FederatedUser { .. } => {
                let issuer = claims.issuer.rsplit('/').next().unwrap_or_default();
                user_policies(config, issuer)
            }
        },
    };
    let base_decision = evaluate(&base, ctx);
    let Principal::Session(claims) = principal else {
        return base_decision;
    };
    let federated = matches!(claims.principal, SessionPrincipal::FederatedUser { .. });
    let has_session_policies = claims.session_policy.is_some() || !claims.policy_arns.is_empty();
    if !has_session_policies && !federated {
        return base_decision;
    }
    // Session policies only narrow: both sets must allow, a deny in either wins. They were
    // validated when the session was minted; one that no longer parses grants nothing.
    let inline = claims
        .session_policy
        .as_deref()
        .and_then(|text| parse_policy(text, PolicyKind::Session).ok());
    let mut session: Vec<&Policy> = claims
        .policy_arns
        .iter()
        .filter_map(|arn| config.managed_by_arn(arn))
        .collect();
    if let Some(p) = &inline {
        session.push(p);
    }
    let session_decision = evaluate(&session, ctx);
    match (base_decision, session_decision) {
        (d @ Decision::ExplicitDeny { .. }, _) | (_, d @ Decision::ExplicitDeny { .. }) => d,
        (Decision::Allow { sid }, Decision::Allow { .. }) => Decision::Allow { sid },
        _ => Decision::NotApplicable,
    }
}

/// AWS-style revocation: a role policy that explicitly denies the action for this session
/// (typically `AWSRevokeOlderSessions`: Deny `*` when `aws:TokenIssueTime` is before a time)
/// refuses every signed request of the role's sessions — GetCallerIdentity included, which
/// AWS would let through, because a revoked session should learn nothing, not even who it is.
pub fn refuse_if_role_denies(
    config: &Config,
    principal: &Principal,
    action: &str,
    source_ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<(), crate::sts::ServiceError> {
    let Principal::Session(claims) = principal else {
        return Ok(());
    };
    let SessionPrincipal::AssumedRole { role_arn, .. } = &claims.principal else {
        return Ok(());
    };
    let Some(role) = config.role_by_arn(role_arn) else {
        return Ok(());
    };
    let policies: Vec<&Policy> = role
        .policies
        .iter()
        .chain(config.managed(&role.managed_policies))
        .collect();
    let ctx = caller_context(principal, action, None, source_ip, now);
    match evaluate(&policies, &ctx) {
        Decision::ExplicitDeny { sid } => Err(crate::sts::ServiceError::AccessDenied {
            action: "this action",
            reason: format!(
                "role {role_arn} policy: explicit deny of {action} for this session (statement {})",
                sid.as_deref().unwrap_or("without Sid")
            ),
            explicit: true,
        }),
        Decision::Allow { .. } | Decision::NotApplicable => Ok(()),
    }
}

fn user_policies<'a>(config: &'a Config, name: &str) -> Vec<&'a Policy> {
    config
        .user_by_name(name)
        .map(|u| {
            u.policies
                .iter()
                .chain(config.managed(&u.managed_policies))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::TimeDelta;

    use super::*;
    use crate::seal::SessionClaims;
    use crate::types::{AccessKeyId, AccessKeyKind, SecretAccessKey};

    fn config() -> Config {
        let toml = r#"
account_id = "123456789012"
[[users]]
name = "boss"
access_key_id = "AKIAEXAMPLEBOSS00001"
secret_access_key = "boss-secret-0000000000"
policies = ['''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}''']
"#;
        crate::config::from_toml(
            &format!("[server]\n{toml}"),
            std::path::Path::new("."),
            &HashMap::<String, String>::new(),
        )
        .unwrap()
    }

    fn federated(session_policy: Option<&str>) -> Principal {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        Principal::Session(Box::new(SessionClaims {
            access_key_id: AccessKeyId::generate(AccessKeyKind::Temporary),
            secret_access_key: SecretAccessKey::generate(),
            issued_at: now,
            expires_at: now + TimeDelta::hours(1),
            principal: SessionPrincipal::FederatedUser {
                account: "123456789012".parse().unwrap(),
                name: "contractor".into(),
            },
            issuer: "arn:aws:iam::123456789012:user/boss".into(),
            federated: None,
            source_identity: None,
            session_policy: session_policy.map(str::to_owned),
            policy_arns: vec![],
            tags: vec![],
            transitive_tag_keys: vec![],
            mfa_authenticated: false,
            mfa_at: None,
            chain_depth: 0,
            ancestors: Vec::new(),
            origin_issued_at: None,
        }))
    }

    fn decide(config: &Config, p: &Principal, action: &str) -> Decision {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        identity_decision(
            config,
            p,
            &caller_context(p, action, Some("arn:aws:s3:::bucket/key"), None, now),
        )
    }

    #[test]
    fn session_policies_only_narrow_and_deny_wins() {
        let config = config();
        let narrow = federated(Some(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:DeleteBucket"],"Resource":"*"}]}"#,
        ));
        assert!(decide(&config, &narrow, "s3:GetObject").is_allow());
        assert_eq!(
            decide(&config, &narrow, "s3:PutObject"),
            Decision::NotApplicable,
            "outside the session policy"
        );
        assert!(
            matches!(
                decide(&config, &narrow, "s3:DeleteBucket"),
                Decision::ExplicitDeny { .. }
            ),
            "the user's deny wins"
        );
        // A federated user without session policies can do nothing.
        assert_eq!(
            decide(&config, &federated(None), "s3:GetObject"),
            Decision::NotApplicable
        );
        // The user itself: everything but the denied action.
        let user = Principal::User {
            account: "123456789012".parse().unwrap(),
            name: "boss".into(),
            user_id: "AIDA".into(),
        };
        assert!(decide(&config, &user, "s3:PutObject").is_allow());
    }
}
