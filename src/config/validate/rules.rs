//! `[[rules]]`: claim rules mapping a provider's claims to roles, tags and a session name; the
//! provider and roles they name must be declared in the file.

use std::collections::{BTreeMap, HashSet};

use super::context::{Ctx, keyed};
use super::tags::check_tags;
use crate::config::raw::{RawOidcProvider, RawRole, RawRule, RawSamlProvider};
use crate::rules::{ClaimCondition, ClaimOp, Rule, Template, validate_claim_path};
use crate::types::AccountId;

/// Names declared in the file, valid or not: cross-references are checked against these, so
/// one broken entry is reported once, not again by everything that refers to it.
pub(super) struct Declared {
    /// OIDC issuer URLs and SAML provider names.
    providers: HashSet<String>,
    /// Role names and the ARNs they would have.
    roles: HashSet<String>,
}

impl Declared {
    pub(super) fn of(
        oidc: &[RawOidcProvider],
        saml: &[RawSamlProvider],
        roles: &[RawRole],
        account: AccountId,
    ) -> Self {
        Self {
            providers: oidc
                .iter()
                .map(|p| p.url.clone())
                .chain(saml.iter().map(|p| p.name.clone()))
                .collect(),
            roles: roles
                .iter()
                .flat_map(|r| {
                    [
                        r.name.clone(),
                        format!(
                            "arn:aws:iam::{account}:role{}{}",
                            r.path.as_deref().unwrap_or("/"),
                            r.name
                        ),
                    ]
                })
                .collect(),
        }
    }
}

pub(super) fn rules(cx: &mut Ctx<'_>, raw: Vec<RawRule>, declared: &Declared) -> Vec<Rule> {
    let mut out = Vec::new();
    for (key, r) in keyed("rules", raw) {
        if !declared.providers.contains(&r.provider) {
            cx.err(
                format!("{key}.provider"),
                format!(
                    "'{}' is neither a [[saml_providers]] name nor an [[oidc_providers]] url",
                    r.provider
                ),
            );
        }
        let mut when = Vec::new();
        for (j, c) in r.when.into_iter().enumerate() {
            let ckey = format!("{key}.when[{j}]");
            let path_ok = cx
                .check(format!("{ckey}.claim"), validate_claim_path(&c.claim))
                .is_some();
            let op = cx.check(
                format!("{ckey}.op"),
                ClaimOp::parse(&c.op, c.value.as_deref()),
            );
            if let (true, Some(op)) = (path_ok, op) {
                when.push(ClaimCondition { claim: c.claim, op });
            }
        }
        for (j, role) in r.roles.iter().enumerate() {
            if !declared.roles.contains(role) {
                cx.err(
                    format!("{key}.roles[{j}]"),
                    format!("no [[roles]] entry named '{role}'"),
                );
            }
        }
        check_tags(cx, &format!("{key}.tags"), &r.tags);
        let mut tag_templates = BTreeMap::new();
        for (k, v) in r.tags {
            if let Some(t) = cx.check(format!("{key}.tags.{k}"), Template::parse(&v)) {
                tag_templates.insert(k, t);
            }
        }
        let session_name = r
            .session_name
            .as_deref()
            .and_then(|s| cx.check(format!("{key}.session_name"), Template::parse(s)));
        out.push(Rule {
            provider: r.provider,
            when,
            roles: r.roles,
            tags: tag_templates,
            session_name,
            stop: r.stop,
        });
    }
    out
}
