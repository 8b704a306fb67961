//! AssumeRoleWithWebIdentity: an OpenID Connect ID token in, role credentials out.
//!
//! Order: verify the token (signature, issuer, audience, times; no network on the hot path),
//! find the role, read session tags and source identity from the token, apply the rules for
//! the provider, check the trust policy, then mint.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::bridge::Bridge;
use super::call::CallRecord;
use super::error::ServiceError;
use super::session::{IssuedSession, RoleSession, mint_role_session, validate_source_identity};
use super::trust::{FederatedRequest, authorize};
use crate::authn::oidc::VerifiedIdToken;
use crate::authn::revocation::RevocationList;
use crate::config::{Config, Role};
use crate::policy::ContextValue;
use crate::rules::{ClaimsView, evaluate_rules};
use crate::seal::Keyring;
use crate::types::session_name::SESSION_NAME_PATTERN;
use crate::types::{Arn, RoleArn, Secret, SessionName, TagSet};

pub const ACTION: &str = "sts:AssumeRoleWithWebIdentity";
/// Session tags claim (AWS's documented name) and its members.
const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";

/// The validated request.
#[derive(Debug)]
pub struct WebIdentityRequest<'a> {
    pub role_arn: &'a RoleArn,
    pub role_session_name: &'a SessionName,
    pub token: &'a Secret,
    pub duration_seconds: Option<u32>,
    pub policy: Option<&'a str>,
    pub policy_arns: &'a [Arn],
    pub source_ip: Option<IpAddr>,
}

/// What the response reports.
#[derive(Debug)]
pub struct WebIdentitySession {
    pub session: IssuedSession,
    pub subject: String,
    pub audience: String,
    /// The token's `iss`.
    pub provider: String,
    pub source_identity: Option<String>,
}

impl Bridge {
    /// AssumeRoleWithWebIdentity: verify the ID token (per-subject limited), then the same
    /// checks as every federated issuance.
    pub async fn assume_role_with_web_identity(
        &self,
        record: &mut CallRecord<'_>,
        req: WebIdentityRequest<'_>,
    ) -> Result<WebIdentitySession, ServiceError> {
        let now = self.clock.now();
        record.facts.role_arn = Some(req.role_arn.to_string());
        record.facts.session_name = Some(req.role_session_name.to_string());
        let token = self
            .verify_web_identity_token(req.token.expose(), now)
            .await?;
        let choice = RoleChoice {
            role_arn: req.role_arn,
            role_session_name: Some(req.role_session_name),
            duration_seconds: req.duration_seconds,
            policy: req.policy,
            policy_arns: req.policy_arns,
            source_ip: req.source_ip,
        };
        let out = assume_role_with_verified_token(
            &self.config,
            &self.keyring,
            &self.revocations,
            &token,
            &choice,
            now,
        )?;
        record.facts.provider = Some(out.provider.clone());
        self.issued_role(record, req.role_arn, &out.session, &out.subject);
        Ok(out)
    }
}

impl Bridge {
    /// Verifies an ID token, then takes a token of its subject's `[limits]
    /// per_subject_per_s` bucket: the one check AssumeRoleWithWebIdentity and the browser's
    /// OIDC sign-in share.
    pub(crate) async fn verify_web_identity_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifiedIdToken, ServiceError> {
        let token = self.oidc.verify(token, now).await?;
        let subject = format!("{}\0{}", token.provider_arn, token.subject);
        if !self.limiters.per_subject.admit(&subject, now) {
            return Err(ServiceError::Throttled);
        }
        Ok(token)
    }
}

/// The role half of a federated request, shared by the API and the browser's role chooser.
#[derive(Debug, Clone, Copy)]
pub struct RoleChoice<'a> {
    pub role_arn: &'a RoleArn,
    /// The API's RoleSessionName; the browser leaves it to the rules or the identity's claims.
    pub role_session_name: Option<&'a SessionName>,
    pub duration_seconds: Option<u32>,
    pub policy: Option<&'a str>,
    pub policy_arns: &'a [Arn],
    pub source_ip: Option<IpAddr>,
}

/// A verified token's role request, authorised (revocation, rules, trust policy) but not minted.
struct Authorized<'c> {
    role: &'c Role,
    session_name: SessionName,
    tags: TagSet,
    source_identity: Option<String>,
}

/// Everything after signature verification: the same checks for the API and the browser, which
/// verified the token at sign-in with [`OidcRegistry::verify`] as well.
pub fn assume_role_with_verified_token(
    config: &Config,
    keyring: &Keyring,
    revocations: &RevocationList,
    token: &VerifiedIdToken,
    choice: &RoleChoice<'_>,
    now: DateTime<Utc>,
) -> Result<WebIdentitySession, ServiceError> {
    let ok = authorize_verified_token(config, revocations, token, choice, now)?;
    let session = mint_role_session(
        config,
        keyring,
        RoleSession {
            role: ok.role,
            session_name: ok.session_name,
            duration_seconds: choice.duration_seconds,
            policy: choice.policy,
            policy_arns: choice.policy_arns,
            tags: ok.tags,
            source_identity: ok.source_identity.clone(),
            issuer: token.provider_arn.clone(),
            expires_cap: None,
            chain_depth: 0,
            parent: None,
            mfa_at: None,
            federated: Some(crate::seal::FederatedIdentity {
                provider: token.provider_arn.clone(),
                subject: token.subject.clone(),
            }),
        },
        now,
    )?;
    Ok(WebIdentitySession {
        session,
        subject: token.subject.clone(),
        audience: token.audience.clone(),
        provider: token.issuer.clone(),
        source_identity: ok.source_identity,
    })
}

/// Whether this verified identity may assume `choice.role_arn`: `Ok` exactly when
/// [`assume_role_with_verified_token`] would go on to mint (the role chooser asks this).
pub fn may_assume_with_verified_token(
    config: &Config,
    revocations: &RevocationList,
    token: &VerifiedIdToken,
    choice: &RoleChoice<'_>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    authorize_verified_token(config, revocations, token, choice, now).map(|_| ())
}

fn authorize_verified_token<'c>(
    config: &'c Config,
    revocations: &RevocationList,
    token: &VerifiedIdToken,
    choice: &RoleChoice<'_>,
    now: DateTime<Utc>,
) -> Result<Authorized<'c>, ServiceError> {
    let denied = |reason: String| ServiceError::AccessDenied {
        action: ACTION,
        reason,
        explicit: false,
    };
    if revocations.refuses_sign_in(&token.provider_arn, &token.subject, token.issued_at) {
        return Err(denied(format!(
            "sessions of {} via {} are revoked for tokens issued before the revocation",
            token.subject, token.provider_arn
        )));
    }
    // By issuer, not index: a browser session may outlive a configuration change.
    let provider = config
        .oidc_providers
        .iter()
        .find(|p| p.issuer == token.issuer && p.arn == token.provider_arn)
        .ok_or_else(|| denied(format!("provider {} is no longer configured", token.issuer)))?;
    // Like AWS, an unknown role is indistinguishable from a refused one.
    let role = config
        .role_by_arn(choice.role_arn)
        .ok_or_else(|| denied(format!("role {} is not configured", choice.role_arn)))?;
    let token_tags = session_tags(&token.claims)?;
    let source_identity = source_identity(&token.claims)?;
    let rules = evaluate_rules(&config.rules, &token.issuer, ClaimsView(&token.claims));
    // Rule tags are rendered from claims, so they meet the same rules as the token's own.
    let tags = token_tags
        .with_overrides(&rules.tags)
        .map_err(|e| bad_claim(e.to_string()))?;
    let session_name = match choice.role_session_name {
        Some(name) => name.clone(),
        None => browser_session_name(rules.session_name.as_deref(), &token.claims)?,
    };
    let fed = FederatedRequest {
        action: ACTION,
        provider_arn: &token.provider_arn,
        provider_keys: provider_keys(
            &provider.key_prefix,
            &token.audience,
            &token.subject,
            &token.claims,
        ),
        session_name: &session_name,
        tags: &tags,
        source_identity: source_identity.as_deref(),
        source_ip: choice.source_ip,
        now,
    };
    authorize(role, &fed, &rules, None)?;
    Ok(Authorized {
        role,
        session_name,
        tags,
        source_identity,
    })
}

/// A browser sign-in names no RoleSessionName: a rule's template decides, else the first of
/// `email`, `preferred_username`, `sub` that is a valid session name once trimmed to 64
/// characters of the allowed alphabet.
fn browser_session_name(
    from_rules: Option<&str>,
    claims: &Map<String, Value>,
) -> Result<SessionName, ServiceError> {
    if let Some(name) = from_rules {
        return name.parse().map_err(|_| {
            bad_claim(format!(
                "The rules' session_name must render to {SESSION_NAME_PATTERN}."
            ))
        });
    }
    ["email", "preferred_username", "sub"]
        .iter()
        .filter_map(|k| claims.get(*k).and_then(Value::as_str))
        .find_map(SessionName::sanitized)
        .ok_or_else(|| {
            bad_claim("No claim gives a usable session name (email, preferred_username or sub).")
        })
}

/// Trust-policy keys of an OIDC provider: `<prefix>:aud` (the client id the token matched),
/// `:sub`, `:azp` and `:amr` when the token has them.
pub fn provider_keys(
    prefix: &str,
    audience: &str,
    subject: &str,
    claims: &Map<String, Value>,
) -> Vec<(String, ContextValue)> {
    let mut keys = vec![
        (
            format!("{prefix}:aud"),
            ContextValue::Single(audience.to_owned()),
        ),
        (
            format!("{prefix}:sub"),
            ContextValue::Single(subject.to_owned()),
        ),
    ];
    if let Some(Value::String(azp)) = claims.get("azp") {
        keys.push((format!("{prefix}:azp"), ContextValue::Single(azp.clone())));
    }
    match claims.get("amr") {
        Some(Value::String(one)) => keys.push((
            format!("{prefix}:amr"),
            ContextValue::Multi(vec![one.clone()]),
        )),
        Some(Value::Array(many)) => {
            let values = many
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            keys.push((format!("{prefix}:amr"), ContextValue::Multi(values)));
        }
        _ => {}
    }
    keys
}

fn bad_claim(message: impl Into<String>) -> ServiceError {
    ServiceError::InvalidTokenClaim(message.into())
}

/// Reads `https://aws.amazon.com/tags`: `principal_tags` (each value a one-element array, as
/// STS tags are single-valued) and `transitive_tag_keys`, with the session-tag rules.
pub(crate) fn session_tags(claims: &Map<String, Value>) -> Result<TagSet, ServiceError> {
    let Some(tags_claim) = claims.get(TAGS_CLAIM) else {
        return Ok(TagSet::default());
    };
    let obj = tags_claim
        .as_object()
        .ok_or_else(|| bad_claim("The https://aws.amazon.com/tags claim must be an object."))?;
    let one_value = "Each session tag in principal_tags must have exactly one string value.";
    let mut tags = Vec::new();
    if let Some(principal_tags) = obj.get("principal_tags") {
        let map = principal_tags
            .as_object()
            .ok_or_else(|| bad_claim("principal_tags must be an object."))?;
        for (key, value) in map {
            let value = match value {
                Value::Array(items) => match items.as_slice() {
                    [Value::String(one)] => one.clone(),
                    _ => return Err(bad_claim(one_value)),
                },
                Value::String(one) => one.clone(),
                _ => return Err(bad_claim(one_value)),
            };
            tags.push((key.clone(), value));
        }
    }
    let transitive = match obj.get("transitive_tag_keys") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad_claim("transitive_tag_keys must be strings."))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(bad_claim("transitive_tag_keys must be an array.")),
    };
    // Validated here for the token's own tags, and again by the caller once rule tags are
    // merged in, so a tag from any source meets the same rules.
    TagSet::new(tags, transitive).map_err(|e| bad_claim(e.to_string()))
}

/// `https://aws.amazon.com/source_identity`, with AWS's rule and message.
pub(crate) fn source_identity(claims: &Map<String, Value>) -> Result<Option<String>, ServiceError> {
    match claims.get(SOURCE_IDENTITY_CLAIM) {
        None => Ok(None),
        Some(Value::String(s)) => validate_source_identity(s).map(Some),
        Some(_) => validate_source_identity("").map(Some),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn session_tags_from_the_aws_claim() {
        let c = claims(
            json!({TAGS_CLAIM: {"principal_tags": {"Project": ["Automation"], "Cost": ["9"]}, "transitive_tag_keys": ["project"]}}),
        );
        let (tags, transitive) = session_tags(&c).unwrap().into_parts();
        assert_eq!(
            tags,
            vec![
                ("Cost".to_owned(), "9".to_owned()),
                ("Project".to_owned(), "Automation".to_owned())
            ]
        );
        assert_eq!(transitive, vec!["project".to_owned()]);
        for bad in [
            json!({TAGS_CLAIM: "x"}),
            json!({TAGS_CLAIM: {"principal_tags": {"P": ["a", "b"]}}}),
            json!({TAGS_CLAIM: {"principal_tags": {"P": [1]}}}),
            json!({TAGS_CLAIM: {"principal_tags": {"aws:x": ["a"]}}}),
            json!({TAGS_CLAIM: {"principal_tags": {"P": ["a\nb"]}}}),
            json!({TAGS_CLAIM: {"principal_tags": {"P": ["a"]}, "transitive_tag_keys": ["Q"]}}),
        ] {
            assert!(session_tags(&claims(bad.clone())).is_err(), "{bad}");
        }
        assert_eq!(session_tags(&claims(json!({}))).unwrap(), TagSet::default());
    }

    #[test]
    fn rule_tags_override_token_tags_case_insensitively() {
        let rules = std::collections::BTreeMap::from([("team".to_owned(), "ops".to_owned())]);
        let merged = TagSet::new(
            vec![("Team".into(), "dev".into()), ("x".into(), "1".into())],
            vec![],
        )
        .unwrap()
        .with_overrides(&rules)
        .unwrap();
        assert_eq!(
            merged.tags(),
            vec![
                ("x".to_owned(), "1".to_owned()),
                ("team".to_owned(), "ops".to_owned())
            ]
        );
    }

    #[test]
    fn source_identity_claim_rules() {
        assert_eq!(
            source_identity(&claims(json!({SOURCE_IDENTITY_CLAIM: "alice@example.com"})))
                .unwrap()
                .as_deref(),
            Some("alice@example.com")
        );
        for bad in [json!("a"), json!("aws:x"), json!("has space"), json!(5)] {
            assert!(source_identity(&claims(json!({SOURCE_IDENTITY_CLAIM: bad}))).is_err());
        }
    }
}
