//! `stsbridge rules explain`: for a set of claims, why each rule matched or not, what the rules
//! grant, and each role's trust-policy decision — the answer to "why did I (not) get this role".
//! It runs the same rule and policy code as the API, without a token or a signature.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::trust::{FederatedRequest, authorize};
use super::web_identity::{self, session_tags};
use crate::config::{Config, Role};
use crate::policy::{ContextValue, Decision, evaluate_with_trace};
use crate::rules::{ClaimsView, RuleOutcome, evaluate_rules};
use crate::types::session_name::SESSION_NAME_PATTERN;
use crate::types::{SessionName, TagSet};

#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error("no provider '{provider}' in the configuration; known: {known}")]
    UnknownProvider { provider: String, known: String },
}

/// The provider as the explanation needs it.
struct ProviderView {
    arn: String,
    action: &'static str,
    keys: Vec<(String, ContextValue)>,
}

fn provider_view(
    config: &Config,
    provider: &str,
    claims: &Map<String, Value>,
    notes: &mut Vec<String>,
) -> Result<ProviderView, ExplainError> {
    let text = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_owned);
    if let Some(p) = config.oidc_providers.iter().find(|p| p.issuer == provider) {
        // The audience the API would match: azp when it is a client id, else the first aud that is.
        let auds: Vec<String> = match claims.get("aud") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        let audience = text("azp")
            .filter(|a| p.client_ids.contains(a) && auds.contains(a))
            .or_else(|| auds.iter().find(|a| p.client_ids.contains(a)).cloned());
        let audience = audience.unwrap_or_else(|| {
            notes.push("aud holds none of the provider's client_ids: the API refuses this token (Incorrect token audience).".into());
            String::new()
        });
        let subject = text("sub").unwrap_or_else(|| {
            notes.push("sub is missing: the API refuses this token.".into());
            String::new()
        });
        let keys = web_identity::provider_keys(&p.key_prefix, &audience, &subject, claims);
        return Ok(ProviderView {
            arn: p.arn.to_string(),
            action: web_identity::ACTION,
            keys,
        });
    }
    if let Some(p) = config.saml_providers.iter().find(|p| p.name == provider) {
        let mut keys = vec![(
            "SAML:aud".to_owned(),
            ContextValue::Single(p.acs_urls.first().cloned().unwrap_or_default()),
        )];
        if let Some(sub) = text("sub") {
            keys.push(("SAML:sub".to_owned(), ContextValue::Single(sub)));
        }
        return Ok(ProviderView {
            arn: p.arn.to_string(),
            action: "sts:AssumeRoleWithSAML",
            keys,
        });
    }
    let known: Vec<&str> = config
        .oidc_providers
        .iter()
        .map(|p| p.issuer.as_str())
        .chain(config.saml_providers.iter().map(|p| p.name.as_str()))
        .collect();
    Err(ExplainError::UnknownProvider {
        provider: provider.to_owned(),
        known: known.join(", "),
    })
}

/// The explanation, as text for a terminal. `session_name` stands in for the API's
/// RoleSessionName (`sts:RoleSessionName`), unless a rule templates one.
pub fn explain_rules(
    config: &Config,
    provider: &str,
    claims: &Map<String, Value>,
    session_name: &str,
    now: DateTime<Utc>,
) -> Result<String, ExplainError> {
    let mut notes = Vec::new();
    let view = provider_view(config, provider, claims, &mut notes)?;
    let rules = evaluate_rules(&config.rules, provider, ClaimsView(claims));
    let mut out = String::new();
    let _ = writeln!(out, "Provider {provider} ({})", view.arn);
    if rules.provider_has_rules {
        let _ = writeln!(out, "\nRules for this provider (evaluated in order):");
        for t in &rules.trace {
            let verdict = if t.matched {
                "MATCHED    "
            } else {
                "not matched"
            };
            let _ = writeln!(out, "  rules[{}]  {verdict}  {}", t.index, t.reason);
        }
        let _ = writeln!(
            out,
            "Roles listed by matching rules: {}",
            if rules.roles.is_empty() {
                "(none)".to_owned()
            } else {
                rules.roles.join(", ")
            }
        );
    } else {
        let _ = writeln!(
            out,
            "\nNo rules for this provider: each role's trust policy alone decides."
        );
    }
    let token_tags = session_tags(claims).unwrap_or_else(|e| {
        notes.push(format!(
            "the session tags claim is refused ({e}): the API refuses this token"
        ));
        TagSet::default()
    });
    let shown_tags = token_tags.overridden(&rules.tags);
    let tags = token_tags
        .clone()
        .with_overrides(&rules.tags)
        .unwrap_or_else(|e| {
            notes.push(format!(
            "with the rules' tags the session's tags are refused ({e}): the API refuses this token"
        ));
            token_tags
        });
    let source_identity = web_identity::source_identity(claims).unwrap_or_else(|e| {
        notes.push(format!("{e}: the API refuses this token"));
        None
    });
    for note in &notes {
        let _ = writeln!(out, "NOTE: {note}");
    }
    if !shown_tags.is_empty() {
        let shown: Vec<String> = shown_tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(out, "Session tags: {}", shown.join(", "));
    }
    let session_name = rules
        .session_name
        .as_deref()
        .unwrap_or(session_name)
        .parse::<SessionName>()
        .unwrap_or_else(|_| {
            let _ = writeln!(
                out,
                "NOTE: the session name is not valid ({SESSION_NAME_PATTERN}): the API refuses it"
            );
            SessionName::fallback()
        });
    let request = FederatedRequest {
        action: view.action,
        provider_arn: &view.arn,
        provider_keys: view.keys.clone(),
        session_name: &session_name,
        tags: &tags,
        source_identity: source_identity.as_deref(),
        source_ip: None,
        now,
    };
    let _ = writeln!(out, "\nRoles:");
    // For SAML, the assertion's Role attribute lists roles too (claims hold it by Name).
    let role_pairs: Option<Vec<(String, String)>> = claims
        .get("https://aws.amazon.com/SAML/Attributes/Role")
        .and_then(Value::as_array)
        .map(|values| {
            values
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|v| super::saml::role_pair(v).ok())
                .collect()
        });
    for role in &config.roles {
        let listed = role_pairs.as_ref().map(|pairs| {
            pairs
                .iter()
                .any(|(r, p)| *r == role.arn.to_string() && *p == view.arn)
        });
        write_role(&mut out, role, &request, &rules, listed);
    }
    Ok(out)
}

/// One role: the API's verdict, then each trust statement's outcome for the assume action.
fn write_role(
    out: &mut String,
    role: &Role,
    request: &FederatedRequest<'_>,
    rules: &RuleOutcome,
    role_attribute: Option<bool>,
) {
    let verdict = match authorize(role, request, rules, role_attribute) {
        Ok(()) => "CAN ASSUME".to_owned(),
        Err(super::ServiceError::AccessDenied { reason, .. }) => format!("denied: {reason}"),
        Err(other) => format!("denied: {other}"),
    };
    let _ = writeln!(out, "  {}  => {verdict}", role.arn);
    let (decision, trace) =
        evaluate_with_trace(&[&role.trust_policy], &request.context(request.action));
    for t in &trace {
        let sid = t
            .sid
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        match &t.mismatch {
            None => {
                let _ = writeln!(
                    out,
                    "      statement {}{sid} {}: applies",
                    t.statement, t.effect
                );
            }
            Some(m) => {
                let _ = writeln!(
                    out,
                    "      statement {}{sid} {}: {m}",
                    t.statement, t.effect
                );
            }
        }
    }
    if matches!(decision, Decision::NotApplicable) && trace.is_empty() {
        let _ = writeln!(out, "      (trust policy has no statements)");
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    #[cfg(feature = "demo")] // its fixture is the embedded demo
    fn explains_the_demo_configuration() {
        let demo = crate::demo::demo_config(
            None,
            std::sync::Arc::new(crate::clock::ManualClock::starting_now()),
        )
        .unwrap();
        let claims = json!({"sub": "demo|bob", "aud": "demo-app", "groups": ["dev"], "preferred_username": "bob"});
        let text = explain_rules(
            &demo.config,
            "http://127.0.0.1:8080/demo-idp",
            claims.as_object().unwrap(),
            "explain",
            DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        )
        .unwrap();
        assert!(
            text.contains("rules[0]  not matched  claim groups fails contains \"admins\""),
            "{text}"
        );
        assert!(text.contains("rules[1]  MATCHED"), "{text}");
        assert!(
            text.contains("role/demo-developer  => CAN ASSUME"),
            "{text}"
        );
        assert!(
            text.contains(
                "role/demo-admin  => denied: no matching rule for this provider lists role"
            ),
            "{text}"
        );
        assert!(text.contains("Session tags: user=bob"), "{text}");
        assert!(
            explain_rules(
                &demo.config,
                "https://nope",
                claims.as_object().unwrap(),
                "explain",
                DateTime::from_timestamp(0, 0).unwrap()
            )
            .is_err()
        );
    }

    #[test]
    fn explain_sees_the_same_keys_and_claims_as_the_api() {
        let toml = r#"
[[oidc_providers]]
url = "https://idp.example.com"
client_ids = ["app"]

[[roles]]
name = "mfa-only"
trust_policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::000000000000:oidc-provider/idp.example.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"ForAnyValue:StringEquals":{"idp.example.com:amr":"mfa"}}}]}'''
"#;
        let config = crate::config::from_toml(
            toml,
            std::path::Path::new("."),
            &std::collections::HashMap::<String, String>::new(),
        )
        .unwrap();
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let explain = |claims: serde_json::Value| {
            explain_rules(
                &config,
                "https://idp.example.com",
                claims.as_object().unwrap(),
                "s",
                at,
            )
            .unwrap()
        };
        let with_mfa = explain(json!({"sub": "u", "aud": "app", "amr": ["pwd", "mfa"]}));
        assert!(
            with_mfa.contains("role/mfa-only  => CAN ASSUME"),
            "{with_mfa}"
        );
        let without = explain(json!({"sub": "u", "aud": "app", "amr": ["pwd"]}));
        assert!(without.contains("role/mfa-only  => denied"), "{without}");
        // A source identity claim needs sts:SetSourceIdentity, exactly as the API decides.
        let si = explain(
            json!({"sub": "u", "aud": "app", "amr": ["mfa"], "https://aws.amazon.com/source_identity": "alice"}),
        );
        assert!(
            si.contains("role/mfa-only  => denied") && si.contains("sts:SetSourceIdentity"),
            "{si}"
        );
        let wrong_aud = explain(json!({"sub": "u", "aud": "other"}));
        assert!(
            wrong_aud.contains("NOTE: aud holds none of the provider's client_ids"),
            "{wrong_aud}"
        );
    }
}
