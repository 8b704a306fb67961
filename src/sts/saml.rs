//! AssumeRoleWithSAML: a signed SAML 2.0 assertion in, role credentials out.
//!
//! Order: resolve the provider from `PrincipalArn`; verify the response (signature by the
//! provider's metadata key, issuer, audience, recipient, times; CPU-bound, so off the async
//! workers); refuse a replayed assertion id (store-backed, survives restarts); read AWS's SAML
//! attributes; apply rules; check the trust policy; mint.

use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::bridge::Bridge;
use super::call::CallRecord;
use super::error::ServiceError;
use super::session::{IssuedSession, RoleSession, mint_role_session, validate_source_identity};
use super::trust::{FederatedRequest, authorize};
use super::web_identity::RoleChoice;
use crate::authn::revocation::RevocationList;
use crate::authn::saml::VerifiedAssertion;
use crate::config::{Config, Role};
use crate::policy::ContextValue;
use crate::rules::{ClaimsView, evaluate_rules};
use crate::seal::Keyring;
use crate::types::duration::DEFAULT_ROLE_SESSION_SECONDS;
use crate::types::session_name::SESSION_NAME_PATTERN;
use crate::types::{AccountId, Arn, RoleArn, Secret, SessionName, TagSet};

pub const ACTION: &str = "sts:AssumeRoleWithSAML";
const ATTR: &str = "https://aws.amazon.com/SAML/Attributes/";
const NAMEID_PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:";
/// Replay-cache namespace for assertion ids.
const REPLAY_NAMESPACE: &str = "saml-assertion";

/// The validated request.
#[derive(Debug)]
pub struct SamlRequest<'a> {
    pub role_arn: &'a RoleArn,
    pub principal_arn: &'a str,
    pub assertion: &'a Secret,
    pub duration_seconds: Option<u32>,
    pub policy: Option<&'a str>,
    pub policy_arns: &'a [Arn],
    pub source_ip: Option<IpAddr>,
}

/// What the response reports.
#[derive(Debug)]
pub struct SamlSession {
    pub session: IssuedSession,
    pub subject: String,
    pub subject_type: String,
    pub issuer: String,
    pub audience: String,
    pub name_qualifier: String,
    pub source_identity: Option<String>,
}

fn denied(reason: String) -> ServiceError {
    ServiceError::AccessDenied {
        action: ACTION,
        reason,
        explicit: false,
    }
}

fn bad(message: impl Into<String>) -> ServiceError {
    ServiceError::InvalidTokenClaim(message.into())
}

/// The session name comes from the IdP's RoleSessionName attribute, else from a rule.
fn resolve_session_name(
    attrs: &AwsAttributes,
    from_rules: Option<&String>,
) -> Result<SessionName, ServiceError> {
    let session_name = attrs
        .role_session_name
        .as_ref()
        .or(from_rules)
        .ok_or_else(|| bad("The RoleSessionName attribute (https://aws.amazon.com/SAML/Attributes/RoleSessionName) is required."))?;
    session_name.parse().map_err(|_| {
        bad(format!(
            "RoleSessionName must match {SESSION_NAME_PATTERN}."
        ))
    })
}

/// An assertion issued before a revocation of its subject (or provider) is refused.
fn refuse_revoked(
    revocations: &RevocationList,
    provider_arn: &str,
    verified: &VerifiedAssertion,
) -> Result<(), ServiceError> {
    if revocations.refuses_sign_in(provider_arn, &verified.name_id, Some(verified.issued_at)) {
        return Err(denied(format!(
            "sessions of {} via {provider_arn} are revoked",
            verified.name_id
        )));
    }
    Ok(())
}

impl Bridge {
    /// AssumeRoleWithSAML: verify the assertion for the provider named by `PrincipalArn`, spend
    /// its id, then the same checks as every federated issuance.
    pub async fn assume_role_with_saml(
        &self,
        record: &mut CallRecord<'_>,
        req: SamlRequest<'_>,
    ) -> Result<SamlSession, ServiceError> {
        let config = &self.config;
        let now = self.clock.now();
        record.facts.role_arn = Some(req.role_arn.to_string());
        let provider = config
            .saml_providers
            .iter()
            .find(|p| p.arn == req.principal_arn);
        record.facts.provider = provider.map(|p| p.arn.to_string());
        let provider = provider.ok_or_else(|| {
            ServiceError::InvalidTokenClaim(format!(
                "No SAML provider {} in this account.",
                truncated(req.principal_arn)
            ))
        })?;
        let verified = self
            .verify_saml_response(&provider.name, req.assertion, now)
            .await?;
        let choice = RoleChoice {
            role_arn: req.role_arn,
            role_session_name: None,
            duration_seconds: req.duration_seconds,
            policy: req.policy,
            policy_arns: req.policy_arns,
            source_ip: req.source_ip,
        };
        let out = assume_role_with_verified_assertion(
            config,
            &self.keyring,
            &self.revocations,
            &verified,
            &choice,
            now,
        )?;
        self.issued_role(record, req.role_arn, &out.session, &out.subject);
        Ok(out)
    }
}

impl Bridge {
    /// Verifies a base64 SAMLResponse for the named provider and spends its assertion id in the
    /// replay cache: the one validator both AssumeRoleWithSAML and the browser's ACS use.
    pub(crate) async fn verify_saml_response(
        &self,
        provider_name: &str,
        response_b64: &Secret,
        now: DateTime<Utc>,
    ) -> Result<VerifiedAssertion, ServiceError> {
        let (saml, store) = (&self.saml, self.store.as_ref());
        // About a millisecond of XML and RSA work: keep it off the async worker threads.
        let registry = Arc::clone(saml);
        let name = provider_name.to_owned();
        let b64 = response_b64.clone();
        let verified =
            tokio::task::spawn_blocking(move || registry.verify(&name, b64.expose(), now))
                .await
                .map_err(|_| ServiceError::Internal("SAML verification task failed".into()))??;
        // Throttled before the assertion is spent, so a throttled caller may present it again.
        let subject = format!("{}\0{}", verified.provider_arn, verified.name_id);
        if !self.limiters.per_subject.admit(&subject, now) {
            return Err(ServiceError::Throttled);
        }
        // Keyed by the IdP (issuer) and the assertion id, hashed to a fixed size: an assertion is
        // single-use however many providers share that IdP, and any id length fits the store.
        let fresh = store
            .use_once(
                REPLAY_NAMESPACE,
                &replay_key(&verified.issuer, &verified.assertion_id),
                verified.replay_expires_at,
                now,
            )
            .await?;
        if !fresh {
            self.metrics.replay_hit("saml-assertion");
            return Err(bad("This SAML assertion has already been used."));
        }
        Ok(verified)
    }
}

/// A verified assertion's role request, authorised but not minted.
struct Authorized<'c> {
    role: &'c Role,
    provider_arn: String,
    attrs: AwsAttributes,
    session_name: SessionName,
    tags: TagSet,
    subject_type: String,
    name_qualifier: String,
}

/// Everything after verification and the replay check: revocation, attributes, rules, trust
/// policy, then minting. `choice.role_session_name` is ignored: SAML takes it from the
/// assertion or the rules.
pub fn assume_role_with_verified_assertion(
    config: &Config,
    keyring: &Keyring,
    revocations: &RevocationList,
    verified: &VerifiedAssertion,
    choice: &RoleChoice<'_>,
    now: DateTime<Utc>,
) -> Result<SamlSession, ServiceError> {
    let ok = authorize_verified_assertion(config, revocations, verified, choice, now)?;
    // The SessionDuration attribute can only shorten a session: the requested (or default one
    // hour) duration, capped by it; the IdP's SessionNotOnOrAfter is a hard end as well.
    let requested = choice
        .duration_seconds
        .unwrap_or(DEFAULT_ROLE_SESSION_SECONDS);
    let duration = Some(
        ok.attrs
            .session_duration
            .map_or(requested, |s| requested.min(s)),
    );
    let session = mint_role_session(
        config,
        keyring,
        RoleSession {
            role: ok.role,
            session_name: ok.session_name,
            duration_seconds: duration,
            policy: choice.policy,
            policy_arns: choice.policy_arns,
            tags: ok.tags,
            source_identity: ok.attrs.source_identity.clone(),
            issuer: ok.provider_arn.clone(),
            expires_cap: verified.session_not_on_or_after,
            chain_depth: 0,
            parent: None,
            mfa_at: None,
            federated: Some(crate::seal::FederatedIdentity {
                provider: ok.provider_arn,
                subject: verified.name_id.clone(),
            }),
        },
        now,
    )?;
    Ok(SamlSession {
        session,
        subject: verified.name_id.clone(),
        subject_type: ok.subject_type,
        issuer: verified.issuer.clone(),
        audience: verified.recipient.clone(),
        name_qualifier: ok.name_qualifier,
        source_identity: ok.attrs.source_identity,
    })
}

/// `Ok` exactly when [`assume_role_with_verified_assertion`] would go on to mint.
pub fn may_assume_with_verified_assertion(
    config: &Config,
    revocations: &RevocationList,
    verified: &VerifiedAssertion,
    choice: &RoleChoice<'_>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    authorize_verified_assertion(config, revocations, verified, choice, now).map(|_| ())
}

/// The (role ARN, provider ARN) pairs of the assertion's Role attribute that name its own
/// provider; `None` without the attribute (the role chooser offers these, filtered by trust).
pub fn attribute_roles(verified: &VerifiedAssertion) -> Result<Option<Vec<String>>, ServiceError> {
    let attrs = AwsAttributes::read(verified)?;
    Ok(attrs.roles.map(|pairs| {
        pairs
            .into_iter()
            .filter(|(_, p)| p == &verified.provider_arn)
            .map(|(r, _)| r)
            .collect()
    }))
}

/// The assertion as rules see it (attributes by name and friendly name, `sub`, `iss`, `aud`).
pub fn assertion_claims(verified: &VerifiedAssertion) -> Map<String, Value> {
    claims_view(verified)
}

fn authorize_verified_assertion<'c>(
    config: &'c Config,
    revocations: &RevocationList,
    verified: &VerifiedAssertion,
    choice: &RoleChoice<'_>,
    now: DateTime<Utc>,
) -> Result<Authorized<'c>, ServiceError> {
    // By name and ARN: a browser session may outlive a configuration change.
    let provider = config
        .saml_providers
        .iter()
        .find(|p| p.name == verified.provider && p.arn == verified.provider_arn)
        .ok_or_else(|| {
            denied(format!(
                "SAML provider {} is no longer configured",
                verified.provider
            ))
        })?;
    refuse_revoked(revocations, provider.arn.as_str(), verified)?;
    let role = config
        .role_by_arn(choice.role_arn)
        .ok_or_else(|| denied(format!("role {} is not configured", choice.role_arn)))?;
    let attrs = AwsAttributes::read(verified)?;
    let claims = claims_view(verified);
    let rules = evaluate_rules(&config.rules, &provider.name, ClaimsView(&claims));
    let session_name = resolve_session_name(&attrs, rules.session_name.as_ref())?;
    // Rule tags are rendered from attributes: the whole set meets the session-tag rules.
    let tags = attrs
        .tags
        .clone()
        .with_overrides(&rules.tags)
        .map_err(|e| bad(e.to_string()))?;
    let name_qualifier = name_qualifier(&verified.issuer, config.server.account_id, &provider.name);
    let subject_type = subject_type(verified.name_id_format.as_deref());
    let role_attribute = attrs.roles.as_ref().map(|pairs| {
        pairs
            .iter()
            .any(|(r, p)| r == &role.arn.to_string() && provider.arn == *p)
    });
    let fed = FederatedRequest {
        action: ACTION,
        provider_arn: provider.arn.as_str(),
        provider_keys: trust_keys(verified, &subject_type, &name_qualifier),
        session_name: &session_name,
        tags: &tags,
        source_identity: attrs.source_identity.as_deref(),
        source_ip: choice.source_ip,
        now,
    };
    authorize(role, &fed, &rules, role_attribute)?;
    Ok(Authorized {
        role,
        provider_arn: provider.arn.to_string(),
        attrs,
        session_name,
        tags,
        subject_type,
        name_qualifier,
    })
}

fn truncated(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(256).collect()
}

/// AWS's SAML attributes, read from the signed assertion.
#[derive(Debug, Default)]
struct AwsAttributes {
    /// (role ARN, provider ARN) pairs; `None` when the assertion has no Role attribute.
    roles: Option<Vec<(String, String)>>,
    role_session_name: Option<String>,
    session_duration: Option<u32>,
    tags: TagSet,
    source_identity: Option<String>,
}

impl AwsAttributes {
    fn read(a: &VerifiedAssertion) -> Result<Self, ServiceError> {
        let mut out = Self::default();
        let mut tags = Vec::new();
        let mut transitive = Vec::new();
        for attr in &a.attributes {
            let Some(short) = attr.name.strip_prefix(ATTR) else {
                continue;
            };
            match short {
                "Role" => {
                    let pairs = out.roles.get_or_insert_with(Vec::new);
                    for value in &attr.values {
                        pairs.push(role_pair(value)?);
                    }
                }
                "RoleSessionName" => {
                    out.role_session_name = single(attr.values.as_slice(), "RoleSessionName")?;
                }
                "SessionDuration" => {
                    let text =
                        single(attr.values.as_slice(), "SessionDuration")?.unwrap_or_default();
                    let seconds: u32 = text
                        .trim()
                        .parse()
                        .map_err(|_| bad("SessionDuration must be a number of seconds."))?;
                    if !(900..=43_200).contains(&seconds) {
                        return Err(bad(
                            "SessionDuration must be between 900 and 43200 seconds.",
                        ));
                    }
                    out.session_duration = Some(seconds);
                }
                "TransitiveTagKeys" => transitive.extend(attr.values.iter().cloned()),
                "SourceIdentity" => {
                    let value =
                        single(attr.values.as_slice(), "SourceIdentity")?.unwrap_or_default();
                    out.source_identity = Some(validate_source_identity(&value)?);
                }
                other => {
                    if let Some(key) = other.strip_prefix("PrincipalTag:") {
                        let value =
                            single(attr.values.as_slice(), "PrincipalTag")?.unwrap_or_default();
                        tags.push((key.to_owned(), value));
                    }
                }
            }
        }
        // Same rules as every other tag source.
        out.tags = TagSet::new(tags, transitive).map_err(|e| bad(e.to_string()))?;
        Ok(out)
    }
}

/// A single-valued attribute (`None` when it has no value).
fn single(values: &[String], name: &str) -> Result<Option<String>, ServiceError> {
    match values {
        [] => Ok(None),
        [one] => Ok(Some(one.trim().to_owned())),
        _ => Err(bad(format!(
            "The {name} attribute must have a single value."
        ))),
    }
}

/// `"roleArn,providerArn"`, in either order, as AWS accepts it.
pub(crate) fn role_pair(value: &str) -> Result<(String, String), ServiceError> {
    let (a, b) = value
        .split_once(',')
        .ok_or_else(|| bad("A Role attribute value must be \"role-arn,provider-arn\"."))?;
    let (a, b) = (a.trim().to_owned(), b.trim().to_owned());
    let is_role = |s: &str| s.contains(":role/");
    match (is_role(&a), is_role(&b)) {
        (true, false) => Ok((a, b)),
        (false, true) => Ok((b, a)),
        _ => Err(bad(
            "A Role attribute value must pair one role ARN with one SAML provider ARN.",
        )),
    }
}

/// Attributes as rule claims: by Name and by FriendlyName (values as arrays), plus `sub`
/// (NameID), `iss` and `aud` (the recipient).
fn claims_view(a: &VerifiedAssertion) -> Map<String, Value> {
    let mut claims = Map::new();
    for attr in &a.attributes {
        let values = Value::Array(attr.values.iter().cloned().map(Value::String).collect());
        if let Some(friendly) = &attr.friendly_name {
            claims
                .entry(friendly.clone())
                .or_insert_with(|| values.clone());
        }
        // Same-named attributes add up rather than replace each other.
        match claims.get_mut(&attr.name) {
            Some(Value::Array(existing)) => {
                existing.extend(attr.values.iter().cloned().map(Value::String));
            }
            _ => {
                claims.insert(attr.name.clone(), values);
            }
        }
    }
    claims.insert("sub".into(), Value::String(a.name_id.clone()));
    claims.insert("iss".into(), Value::String(a.issuer.clone()));
    claims.insert("aud".into(), Value::String(a.recipient.clone()));
    claims
}

/// `SAML:` condition keys (sts-api.md §5.3). Attributes with a FriendlyName are visible as
/// `SAML:<friendlyName>` (eduPerson* style), but never under a name the bridge sets itself:
/// an IdP attribute named `sub` must not replace the NameID in a trust condition.
fn trust_keys(
    a: &VerifiedAssertion,
    subject_type: &str,
    name_qualifier: &str,
) -> Vec<(String, ContextValue)> {
    const RESERVED: [&str; 6] = ["aud", "sub", "sub_type", "iss", "namequalifier", "doc"];
    let one = |v: &str| ContextValue::Single(v.to_owned());
    let mut keys: Vec<(String, ContextValue)> = a
        .attributes
        .iter()
        .filter_map(|attr| attr.friendly_name.as_ref().map(|f| (f, attr)))
        .filter(|(f, _)| !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(f)))
        .map(|(f, attr)| {
            (
                format!("SAML:{f}"),
                ContextValue::Multi(attr.values.clone()),
            )
        })
        .collect();
    // Set last, so nothing above can shadow them either.
    keys.extend([
        ("SAML:aud".to_owned(), one(&a.recipient)),
        ("SAML:sub".to_owned(), one(&a.name_id)),
        ("SAML:sub_type".to_owned(), one(subject_type)),
        ("SAML:iss".to_owned(), one(&a.issuer)),
        ("SAML:namequalifier".to_owned(), one(name_qualifier)),
    ]);
    keys
}

/// The replay-cache id: SHA-256 of issuer and assertion id, hex.
fn replay_key(issuer: &str, assertion_id: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("{issuer}\0{assertion_id}").as_bytes(),
    ))
}

/// AWS's `SubjectType`: the SAML 2.0 NameID format without its prefix, others unchanged.
fn subject_type(format: Option<&str>) -> String {
    match format {
        Some(f) => f.strip_prefix(NAMEID_PREFIX).unwrap_or(f).to_owned(),
        // SAML's default NameID format, returned as is (it is not a SAML 2.0 one).
        None => "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified".to_owned(),
    }
}

/// `Base64(SHA1(Issuer + AccountId + "/" + ProviderName))`, AWS's documented NameQualifier.
pub fn name_qualifier(issuer: &str, account: AccountId, provider: &str) -> String {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        format!("{issuer}{account}/{provider}").as_bytes(),
    );
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_qualifier_matches_aws_documented_example() {
        let account: AccountId = "123456789012".parse().unwrap();
        assert_eq!(
            name_qualifier("https://example.com/saml", account, "MySAMLIdP"),
            "1uAJanUnBc2XeUkHURMht+xam2c="
        );
    }

    #[test]
    fn role_pairs_in_either_order() {
        let role = "arn:aws:iam::123456789012:role/Dev";
        let idp = "arn:aws:iam::123456789012:saml-provider/corp";
        assert_eq!(
            role_pair(&format!("{role},{idp}")).unwrap(),
            (role.to_owned(), idp.to_owned())
        );
        assert_eq!(
            role_pair(&format!("{idp}, {role}")).unwrap(),
            (role.to_owned(), idp.to_owned())
        );
        assert!(role_pair(role).is_err());
        assert!(role_pair(&format!("{role},{role}")).is_err());
    }

    #[test]
    fn subject_types() {
        assert_eq!(
            subject_type(Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")),
            "persistent"
        );
        assert_eq!(
            subject_type(Some(
                "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
            )),
            "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
        );
        assert_eq!(
            subject_type(None),
            "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
        );
    }
}
