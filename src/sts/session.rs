//! What every AssumeRole* action shares once the caller is authenticated: duration rules,
//! session policies, the packed-size budget, tags, and minting the role session.

use chrono::{DateTime, Utc};

use super::error::ServiceError;
use crate::config::{Config, Role};
use crate::policy::{PolicyKind, parse_policy};
use crate::seal::{Keyring, SessionClaims, SessionPrincipal, mint_credentials};
use crate::types::duration::DEFAULT_ROLE_SESSION_SECONDS;
use crate::types::session_name::is_session_name;
use crate::types::{
    AccessKeyId, AccessKeyKind, Arn, SecretAccessKey, SessionName, TagSet, TemporaryCredentials,
};

/// Bytes of session policy, policy ARNs and session tags a session may carry. AWS packs these
/// with an undisclosed compression; we report the same percentage against a plain byte budget,
/// sized so that the documented 2,048-character policy plus a handful of tags fits.
pub const PACKED_BUDGET_BYTES: usize = 4096;

/// A role session about to be minted.
#[derive(Debug)]
pub struct RoleSession<'a> {
    pub role: &'a Role,
    pub session_name: SessionName,
    pub duration_seconds: Option<u32>,
    pub policy: Option<&'a str>,
    pub policy_arns: &'a [Arn],
    pub tags: TagSet,
    pub source_identity: Option<String>,
    /// Who vouched for the caller (provider ARN, user ARN, parent session ARN), for audit.
    pub issuer: String,
    /// A hard end the IdP set for the session (SAML `SessionNotOnOrAfter`): the credentials
    /// never outlive it.
    pub expires_cap: Option<DateTime<Utc>>,
    /// 0 for sessions from long-term keys or federation; +1 per role-chaining hop.
    pub chain_depth: u8,
    /// When MFA was verified for this session (or its parent), if it was.
    pub mfa_at: Option<DateTime<Utc>>,
    /// The federated identity (provider and subject), carried through chaining.
    pub federated: Option<crate::seal::FederatedIdentity>,
    /// The session this one is chained from (AssumeRole with session credentials).
    pub parent: Option<&'a SessionClaims>,
}

/// A minted role session and what the response reports about it.
#[derive(Debug)]
pub struct IssuedSession {
    pub credentials: TemporaryCredentials,
    pub assumed_role_arn: String,
    pub assumed_role_id: String,
    pub packed_policy_size: u32,
    pub source_identity: Option<String>,
}

/// A source identity from a token claim or SAML attribute, with AWS's rule and message.
pub fn validate_source_identity(value: &str) -> Result<String, ServiceError> {
    let ok = is_session_name(value) && !value.starts_with("aws:");
    if ok {
        Ok(value.to_owned())
    } else {
        Err(ServiceError::InvalidTokenClaim(
            "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\""
                .into(),
        ))
    }
}

/// Requested duration checked against the role's maximum (default one hour).
pub fn role_duration(role: &Role, requested: Option<u32>) -> Result<u32, ServiceError> {
    let seconds = requested.unwrap_or(DEFAULT_ROLE_SESSION_SECONDS);
    if seconds > role.max_session_duration {
        Err(ServiceError::DurationTooLong)
    } else {
        Ok(seconds)
    }
}

/// Parses the inline session policy (returned minified) and resolves policy ARNs to configured
/// managed policies; session policies can only narrow a session, but they must be valid.
pub(crate) fn session_policies(
    config: &Config,
    policy: Option<&str>,
    arns: &[Arn],
) -> Result<(Option<String>, Vec<String>), ServiceError> {
    let minified = match policy {
        Some(text) => {
            let parsed =
                parse_policy(text, PolicyKind::Session).map_err(ServiceError::MalformedPolicy)?;
            Some(
                parsed
                    .to_canonical_json()
                    .map_err(ServiceError::MalformedPolicy)?,
            )
        }
        None => None,
    };
    let mut resolved = Vec::with_capacity(arns.len());
    for arn in arns {
        let text = arn.to_string();
        if !config.policies.iter().any(|p| p.arn == text) {
            return Err(ServiceError::UnknownPolicyArn(text));
        }
        resolved.push(text);
    }
    Ok((minified, resolved))
}

/// Integer percentage of [`PACKED_BUDGET_BYTES`] used; over 100 is refused.
pub(crate) fn packed_size(
    policy: Option<&str>,
    arns: &[String],
    tags: &[(String, String)],
) -> Result<u32, ServiceError> {
    let bytes = policy.map_or(0, str::len)
        + arns.iter().map(String::len).sum::<usize>()
        + tags.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
    let percent =
        u32::try_from(bytes.saturating_mul(100).div_ceil(PACKED_BUDGET_BYTES)).unwrap_or(u32::MAX);
    if percent > 100 {
        Err(ServiceError::PackedPolicyTooLarge(percent))
    } else {
        Ok(percent)
    }
}

/// Mints the credentials of a role session.
pub fn mint_role_session(
    config: &Config,
    keyring: &Keyring,
    s: RoleSession<'_>,
    now: DateTime<Utc>,
) -> Result<IssuedSession, ServiceError> {
    let seconds = role_duration(s.role, s.duration_seconds)?;
    // AWS caps chained role sessions at one hour, whatever the role allows.
    if s.chain_depth > 0 && seconds > DEFAULT_ROLE_SESSION_SECONDS {
        return Err(ServiceError::ChainedDurationTooLong);
    }
    let mut expires_at = now + chrono::TimeDelta::seconds(i64::from(seconds));
    if let Some(cap) = s.expires_cap {
        if cap <= now {
            return Err(ServiceError::InvalidTokenClaim(
                "The session granted by the identity provider has already ended.".into(),
            ));
        }
        expires_at = expires_at.min(cap);
    }
    let (session_policy, policy_arns) = session_policies(config, s.policy, s.policy_arns)?;
    let packed_policy_size = packed_size(session_policy.as_deref(), &policy_arns, s.tags.tags())?;
    let (tags, transitive_tag_keys) = s.tags.into_parts();
    let principal = SessionPrincipal::AssumedRole {
        role_arn: s.role.arn.clone(),
        role_id: s.role.role_id.clone(),
        session_name: s.session_name.into(),
    };
    let claims = SessionClaims {
        access_key_id: AccessKeyId::generate(AccessKeyKind::Temporary),
        secret_access_key: SecretAccessKey::generate(),
        issued_at: now,
        expires_at,
        principal,
        issuer: s.issuer,
        federated: s.federated,
        source_identity: s.source_identity,
        session_policy,
        policy_arns,
        tags,
        transitive_tag_keys,
        mfa_authenticated: s.mfa_at.is_some(),
        mfa_at: s.mfa_at,
        chain_depth: s.chain_depth,
        ancestors: s
            .parent
            .map(|p| {
                let mut chain = p.ancestors.clone();
                chain.push(p.access_key_id.clone());
                chain
            })
            .unwrap_or_default(),
        origin_issued_at: s.parent.map(SessionClaims::origin),
    };
    let credentials = mint_credentials(keyring, &claims)?;
    Ok(IssuedSession {
        credentials,
        assumed_role_arn: claims.principal.arn(),
        assumed_role_id: claims.principal.user_id(),
        packed_policy_size,
        source_identity: claims.source_identity.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_size_is_a_percentage_of_the_budget() {
        assert_eq!(packed_size(None, &[], &[]).unwrap(), 0);
        let tags = vec![("team".to_owned(), "x".repeat(36))];
        assert_eq!(packed_size(None, &[], &tags).unwrap(), 1);
        let big = "x".repeat(PACKED_BUDGET_BYTES + 1);
        assert!(matches!(
            packed_size(Some(&big), &[], &[]),
            Err(ServiceError::PackedPolicyTooLarge(101))
        ));
    }
}
