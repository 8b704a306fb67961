//! The browser's role chooser: which roles a signed-in identity may assume, and why each is
//! offered. An offer is made only when the API's own authorisation (revocation, rules, SAML
//! Role attribute, trust policy) says yes for that role, so the chooser never lists a role that
//! choosing would then refuse, nor hides one the API would grant.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::ServiceError;
use super::saml::{
    assertion_claims, assume_role_with_verified_assertion, attribute_roles,
    may_assume_with_verified_assertion,
};
use super::session::IssuedSession;
use super::web_identity::{
    RoleChoice, assume_role_with_verified_token, may_assume_with_verified_token,
};
use crate::authn::oidc::VerifiedIdToken;
use crate::authn::revocation::RevocationList;
use crate::authn::saml::VerifiedAssertion;
use crate::config::{Config, Role};
use crate::rules::{ClaimsView, evaluate_rules};
use crate::seal::Keyring;
use crate::types::RoleArn;

/// An identity verified at browser sign-in, kept (sealed) in the web session until a role is
/// chosen, and for "switch role" afterwards.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum SignedIn {
    Oidc(VerifiedIdToken),
    Saml(VerifiedAssertion),
}

impl SignedIn {
    /// Who signed in, for the page header: email or name when the IdP sent one.
    pub fn display_name(&self) -> String {
        match self {
            Self::Oidc(t) => ["email", "preferred_username", "name"]
                .iter()
                .find_map(|k| t.claims.get(*k).and_then(Value::as_str))
                .unwrap_or(&t.subject)
                .to_owned(),
            Self::Saml(a) => a.name_id.clone(),
        }
    }

    /// The provider as configured: an OIDC issuer URL or a SAML provider name (rules use these).
    pub fn provider(&self) -> &str {
        match self {
            Self::Oidc(t) => &t.issuer,
            Self::Saml(a) => &a.provider,
        }
    }

    pub fn provider_arn(&self) -> &str {
        match self {
            Self::Oidc(t) => &t.provider_arn,
            Self::Saml(a) => &a.provider_arn,
        }
    }

    fn claims(&self) -> Map<String, Value> {
        match self {
            Self::Oidc(t) => t.claims.clone(),
            Self::Saml(a) => assertion_claims(a),
        }
    }

    /// The claims the rules saw, as (name, value) text for the "no role for you" page. Values
    /// are the IdP's statements about the person, never secrets; protocol plumbing (nonce,
    /// hashes) is left out.
    pub fn visible_claims(&self) -> Vec<(String, String)> {
        const HIDDEN: [&str; 4] = ["nonce", "at_hash", "c_hash", "sid"];
        self.claims()
            .into_iter()
            .filter(|(k, _)| !HIDDEN.contains(&k.as_str()))
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect()
    }

    /// Whether this identity may assume the chosen role (the API's checks, without minting).
    pub fn may_assume(
        &self,
        config: &Config,
        revocations: &RevocationList,
        choice: &RoleChoice<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        match self {
            Self::Oidc(t) => may_assume_with_verified_token(config, revocations, t, choice, now),
            Self::Saml(a) => {
                may_assume_with_verified_assertion(config, revocations, a, choice, now)
            }
        }
    }

    /// Mints the chosen role's credentials through the API's own code path.
    pub fn assume(
        &self,
        config: &Config,
        keyring: &Keyring,
        revocations: &RevocationList,
        choice: &RoleChoice<'_>,
        now: DateTime<Utc>,
    ) -> Result<IssuedSession, ServiceError> {
        match self {
            Self::Oidc(t) => {
                assume_role_with_verified_token(config, keyring, revocations, t, choice, now)
                    .map(|s| s.session)
            }
            Self::Saml(a) => {
                assume_role_with_verified_assertion(config, keyring, revocations, a, choice, now)
                    .map(|s| s.session)
            }
        }
    }
}

/// One role the chooser offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleOffer {
    pub role_arn: RoleArn,
    /// Why it is offered: the matching rules and/or the SAML Role attribute, or the trust
    /// policy alone when the provider has no rules.
    pub why: Vec<String>,
    /// The longest session the role allows, in seconds.
    pub max_duration: u32,
}

/// The roles `identity` may assume from `source_ip`, in configuration order.
pub fn offered_roles(
    config: &Config,
    revocations: &RevocationList,
    identity: &SignedIn,
    source_ip: Option<std::net::IpAddr>,
    now: DateTime<Utc>,
) -> Vec<RoleOffer> {
    let claims = identity.claims();
    let rules = evaluate_rules(&config.rules, identity.provider(), ClaimsView(&claims));
    let attribute = match identity {
        SignedIn::Saml(a) => attribute_roles(a).ok().flatten(),
        SignedIn::Oidc(_) => None,
    };
    config
        .roles
        .iter()
        .filter_map(|role| {
            let choice = RoleChoice {
                role_arn: &role.arn,
                role_session_name: None,
                duration_seconds: None,
                policy: None,
                policy_arns: &[],
                // The browser's address, as minting will see it: `aws:SourceIp` conditions
                // decide the offer exactly as they decide the grant.
                source_ip,
            };
            identity
                .may_assume(config, revocations, &choice, now)
                .ok()?;
            Some(RoleOffer {
                role_arn: role.arn.clone(),
                why: reasons(config, role, &rules, attribute.as_deref(), identity),
                max_duration: role.max_session_duration,
            })
        })
        .collect()
}

fn reasons(
    config: &Config,
    role: &Role,
    rules: &crate::rules::RuleOutcome,
    attribute: Option<&[String]>,
    identity: &SignedIn,
) -> Vec<String> {
    let arn = role.arn.to_string();
    let mut why: Vec<String> = rules
        .trace
        .iter()
        .filter(|t| t.matched)
        .filter_map(|t| config.rules.get(t.index).map(|r| (t.index, r)))
        .filter(|(_, r)| r.roles.iter().any(|n| n == role.arn.name() || *n == arn))
        .map(|(i, r)| {
            if r.when.is_empty() {
                format!("rule #{} lists it for everyone from this provider", i + 1)
            } else {
                let conditions: Vec<String> = r.when.iter().map(ToString::to_string).collect();
                format!("rule #{}: {}", i + 1, conditions.join(" and "))
            }
        })
        .collect();
    if attribute.is_some_and(|roles| roles.contains(&arn)) {
        why.push("your identity provider's Role attribute lists it".to_owned());
    }
    if why.is_empty() {
        why.push(format!(
            "its trust policy allows {} and no rule restricts this provider",
            identity.provider_arn()
        ));
    }
    why
}
