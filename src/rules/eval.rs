//! Applying `[[rules]]` to a federated identity's claims.
//!
//! Semantics (config.md): rules for the identity's provider are evaluated in order; a rule
//! matches when every condition holds; the outputs of matching rules are merged (roles are a
//! union; a later rule's tag or session name replaces an earlier one's); `stop = true` ends the
//! evaluation after a matching rule. A claim that is absent makes a positive operator "no
//! match", never an error. Every decision is recorded so `rules explain` can show why.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::rule::{ClaimCondition, ClaimOp, Rule, Template, TemplatePart};

/// Claims as rules see them: a JSON object, addressed by dotted paths.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClaimsView<'a>(pub(crate) &'a Map<String, Value>);

impl<'a> ClaimsView<'a> {
    /// The value at a dotted path (`address.country`); a key that itself contains dots (common
    /// for URL-named claims) is tried whole first.
    pub(crate) fn get(self, path: &str) -> Option<&'a Value> {
        if let Some(v) = self.0.get(path) {
            return Some(v);
        }
        let mut parts = path.split('.');
        let mut current = self.0.get(parts.next()?)?;
        for part in parts {
            current = current.as_object()?.get(part)?;
        }
        Some(current)
    }

    /// The claim's scalar values as strings: a string or number or bool is one value, an array
    /// gives its scalar elements. Objects and nulls have no comparable value.
    pub(crate) fn values(self, path: &str) -> Option<Vec<String>> {
        fn scalar(v: &Value) -> Option<String> {
            match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                Value::Null | Value::Array(_) | Value::Object(_) => None,
            }
        }
        match self.get(path)? {
            Value::Array(items) => Some(items.iter().filter_map(scalar).collect()),
            other => scalar(other).map(|s| vec![s]),
        }
    }
}

/// Why one rule did or did not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleTrace {
    /// Position in the config's `[[rules]]` list.
    pub(crate) index: usize,
    pub(crate) matched: bool,
    /// For a non-match, the first condition that failed, in words.
    pub(crate) reason: String,
}

/// What the rules grant an identity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleOutcome {
    /// True when at least one rule is configured for the provider: then a role must be listed
    /// by a matching rule (or, for SAML, by the assertion's Role attribute).
    pub(crate) provider_has_rules: bool,
    /// Role names or ARNs, as written in the matching rules.
    pub(crate) roles: Vec<String>,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) session_name: Option<String>,
    pub(crate) trace: Vec<RuleTrace>,
}

impl RuleOutcome {
    /// Whether the matching rules list this role (by name or ARN).
    pub(crate) fn lists_role(&self, name: &str, arn: &str) -> bool {
        self.roles.iter().any(|r| r == name || r == arn)
    }
}

/// Evaluates every rule of `provider` against `claims`.
pub(crate) fn evaluate_rules(
    rules: &[Rule],
    provider: &str,
    claims: ClaimsView<'_>,
) -> RuleOutcome {
    let mut out = RuleOutcome::default();
    for (index, rule) in rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.provider == provider)
    {
        out.provider_has_rules = true;
        let checked: Result<Vec<String>, String> = rule
            .when
            .iter()
            .map(|c| check_condition(c, claims))
            .collect();
        let held = match checked {
            Ok(held) => held,
            Err(reason) => {
                out.trace.push(RuleTrace {
                    index,
                    matched: false,
                    reason,
                });
                continue;
            }
        };
        let mut notes = Vec::new();
        for role in &rule.roles {
            if !out.roles.contains(role) {
                out.roles.push(role.clone());
            }
        }
        for (key, template) in &rule.tags {
            match render(template, claims) {
                Ok(value) => {
                    out.tags.insert(key.clone(), value);
                }
                Err(missing) => notes.push(format!(
                    "tag {key} not set: claim {missing} is absent or not a single value"
                )),
            }
        }
        if let Some(template) = &rule.session_name {
            match render(template, claims) {
                Ok(name) => out.session_name = Some(name),
                Err(missing) => notes.push(format!(
                    "session name not set: claim {missing} is absent or not a single value"
                )),
            }
        }
        // Which op matched which value, so `rules explain` shows why, not only that.
        let mut reason = if held.is_empty() {
            "no conditions".to_owned()
        } else {
            format!("all conditions hold: {}", held.join(", "))
        };
        if !notes.is_empty() {
            reason = format!("{reason}; {}", notes.join("; "));
        }
        out.trace.push(RuleTrace {
            index,
            matched: true,
            reason,
        });
        if rule.stop {
            // Later rules are listed too, so an explanation shows every rule and why.
            for (later, _) in rules
                .iter()
                .enumerate()
                .skip(index + 1)
                .filter(|(_, r)| r.provider == provider)
            {
                out.trace.push(RuleTrace {
                    index: later,
                    matched: false,
                    reason: format!("not evaluated: rules[{index}] matched with stop = true"),
                });
            }
            break;
        }
    }
    out
}

/// `Ok` with what matched when the condition holds, else `Err` with why not.
///
/// A string claim is a one-element list for every op, so `contains` is membership (equality
/// with some element) whether the IdP sends one group as a string or several as a list; an
/// IdP's switch between the two must never turn `contains "admins"` into a match on
/// `sysadmins`. `substring` is the op for a substring test.
fn check_condition(c: &ClaimCondition, claims: ClaimsView<'_>) -> Result<String, String> {
    let fails = || format!("claim {} fails {}", c.claim, describe(&c.op));
    let presence = |present: bool| {
        if present {
            Ok(c.to_string())
        } else {
            Err(fails())
        }
    };
    let values = match &c.op {
        // Presence is about the claim, whatever its type (objects included).
        ClaimOp::Exists => return presence(claims.get(&c.claim).is_some()),
        ClaimOp::NotExists => return presence(claims.get(&c.claim).is_none()),
        _ => claims.values(&c.claim),
    };
    // Absent claims: positive and negative comparisons alike cannot match; a rule that grants
    // roles must never match on the absence of data it was written against.
    let Some(values) = values else {
        return Err(format!("claim {} is absent", c.claim));
    };
    let element = |test: &dyn Fn(&str) -> bool| values.iter().find(|s| test(s));
    let matched = match &c.op {
        ClaimOp::NotEquals(x) => {
            return if values.iter().any(|s| s == x) {
                Err(fails())
            } else {
                Ok(c.to_string())
            };
        }
        ClaimOp::Equals(x) | ClaimOp::Contains(x) => element(&|s| s == x),
        ClaimOp::Substring(x) => element(&|s| s.contains(x.as_str())),
        ClaimOp::StartsWith(x) => element(&|s| s.starts_with(x.as_str())),
        ClaimOp::EndsWith(x) => element(&|s| s.ends_with(x.as_str())),
        ClaimOp::Regex(re) => element(&|s| re.is_match(s)),
        ClaimOp::Exists | ClaimOp::NotExists => None,
    };
    match matched {
        Some(value) => Ok(format!("{c} (matched {value:?})")),
        None => Err(fails()),
    }
}

fn describe(op: &ClaimOp) -> String {
    match op {
        ClaimOp::Equals(x) => format!("equals {x:?}"),
        ClaimOp::NotEquals(x) => format!("not_equals {x:?}"),
        ClaimOp::Contains(x) => format!("contains {x:?}"),
        ClaimOp::Substring(x) => format!("substring {x:?}"),
        ClaimOp::StartsWith(x) => format!("starts_with {x:?}"),
        ClaimOp::EndsWith(x) => format!("ends_with {x:?}"),
        ClaimOp::Regex(re) => format!("regex {:?}", re.as_str()),
        ClaimOp::Exists => "exists".to_owned(),
        ClaimOp::NotExists => "not_exists".to_owned(),
    }
}

/// Fills a template; a placeholder needs a claim with exactly one scalar value. `Err` names the
/// claim that could not be used.
pub(super) fn render(template: &Template, claims: ClaimsView<'_>) -> Result<String, String> {
    let mut out = String::new();
    for part in template.parts() {
        match part {
            TemplatePart::Literal(s) => out.push_str(s),
            TemplatePart::Claim(path) => match claims.values(path).as_deref() {
                Some([one]) => out.push_str(one),
                _ => return Err(path.clone()),
            },
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rule(provider: &str, when: &[(&str, &str, Option<&str>)], roles: &[&str]) -> Rule {
        Rule {
            provider: provider.into(),
            when: when
                .iter()
                .map(|(claim, op, value)| ClaimCondition {
                    claim: (*claim).into(),
                    op: ClaimOp::parse(op, *value).unwrap(),
                })
                .collect(),
            roles: roles.iter().map(|r| (*r).into()).collect(),
            tags: BTreeMap::new(),
            session_name: None,
            stop: false,
        }
    }

    fn claims() -> Map<String, Value> {
        json!({
            "sub": "u-1", "email": "alice@example.com", "groups": ["admins", "dev-team"],
            "address": {"country": "FR"}, "age": 42, "verified": true,
            "https://aws.amazon.com/tags": {"principal_tags": {"Project": ["X"]}}
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn matches(when: &[(&str, &str, Option<&str>)]) -> bool {
        let c = claims();
        let out = evaluate_rules(&[rule("p", when, &["r"])], "p", ClaimsView(&c));
        out.trace[0].matched
    }

    #[test]
    fn operators_on_strings_lists_and_paths() {
        assert!(matches(&[("email", "equals", Some("alice@example.com"))]));
        assert!(
            matches(&[("groups", "equals", Some("admins"))]),
            "equals on a list: some element"
        );
        assert!(matches(&[("groups", "contains", Some("admins"))]));
        assert!(
            !matches(&[("groups", "contains", Some("admin"))]),
            "list contains is membership, not substring"
        );
        assert!(
            !matches(&[("email", "contains", Some("@example"))]),
            "a string claim is a one-element list: contains is equality"
        );
        assert!(matches(&[("email", "contains", Some("alice@example.com"))]));
        assert!(
            matches(&[("email", "substring", Some("@example"))]),
            "substring keeps the substring test"
        );
        assert!(matches(&[("groups", "substring", Some("dev"))]));
        assert!(!matches(&[("groups", "substring", Some("ops"))]));
        assert!(matches(&[("groups", "not_equals", Some("guests"))]));
        assert!(
            !matches(&[("groups", "not_equals", Some("admins"))]),
            "not_equals: no element may match"
        );
        assert!(matches(&[
            ("email", "starts_with", Some("alice@")),
            ("email", "ends_with", Some(".com"))
        ]));
        assert!(matches(&[("groups", "regex", Some("dev-.*"))]));
        assert!(
            !matches(&[("email", "regex", Some("alice"))]),
            "regexes are anchored"
        );
        assert!(matches(&[("address.country", "equals", Some("FR"))]));
        assert!(matches(&[
            ("age", "equals", Some("42")),
            ("verified", "equals", Some("true"))
        ]));
        assert!(
            matches(&[("https://aws.amazon.com/tags", "exists", None)]),
            "URL-named claims with dots"
        );
        assert!(matches(&[("phone", "not_exists", None)]));
        assert!(
            !matches(&[("address", "equals", Some("FR"))]),
            "objects have no scalar value"
        );
    }

    #[test]
    fn a_single_string_group_is_a_one_element_list() {
        // An IdP that sends one group as a string: `contains "admins"` must not match
        // "sysadmins" (it did when a string claim meant a substring test).
        let one = json!({"groups": "sysadmins"});
        let one = one.as_object().unwrap();
        let run = |op: &str, value: &str| {
            evaluate_rules(
                &[rule("p", &[("groups", op, Some(value))], &["r"])],
                "p",
                ClaimsView(one),
            )
        };
        assert!(!run("contains", "admins").trace[0].matched);
        assert!(run("contains", "sysadmins").trace[0].matched);
        assert!(run("substring", "admins").trace[0].matched);
        assert!(!run("not_equals", "sysadmins").trace[0].matched);
    }

    #[test]
    fn a_matching_rule_says_which_op_matched_which_value() {
        let c = claims();
        let out = evaluate_rules(
            &[rule(
                "p",
                &[
                    ("groups", "contains", Some("admins")),
                    ("email", "substring", Some("@example")),
                    ("phone", "not_exists", None),
                ],
                &["r"],
            )],
            "p",
            ClaimsView(&c),
        );
        assert!(out.trace[0].matched);
        assert_eq!(
            out.trace[0].reason,
            "all conditions hold: groups contains \"admins\" (matched \"admins\"), \
             email contains the substring \"@example\" (matched \"alice@example.com\"), \
             phone does not exist"
        );
    }

    #[test]
    fn absent_claims_are_no_match_not_errors() {
        for op in [
            ("equals", Some("x")),
            ("not_equals", Some("x")),
            ("contains", Some("x")),
            ("exists", None),
        ] {
            assert!(!matches(&[("missing", op.0, op.1)]), "{op:?}");
        }
        let c = claims();
        let out = evaluate_rules(
            &[rule("p", &[("missing", "equals", Some("x"))], &["r"])],
            "p",
            ClaimsView(&c),
        );
        assert_eq!(out.trace[0].reason, "claim missing is absent");
        assert!(out.roles.is_empty() && out.provider_has_rules);
    }

    #[test]
    fn outputs_merge_in_order_and_stop_ends_evaluation() {
        let c = claims();
        let mut first = rule(
            "p",
            &[("groups", "contains", Some("admins"))],
            &["admin", "reader"],
        );
        first.tags.insert(
            "team".into(),
            Template::parse("t-{{claims.address.country}}").unwrap(),
        );
        first.session_name = Some(Template::parse("{{claims.email}}").unwrap());
        let mut second = rule("p", &[], &["reader", "auditor"]);
        second
            .tags
            .insert("team".into(), Template::parse("override").unwrap());
        second.tags.insert(
            "groupless".into(),
            Template::parse("{{claims.groups}}").unwrap(),
        );
        second.stop = true;
        let third = rule("p", &[], &["never"]);
        let other_provider = rule("q", &[], &["foreign"]);
        let out = evaluate_rules(&[other_provider, first, second, third], "p", ClaimsView(&c));
        assert_eq!(out.roles, vec!["admin", "reader", "auditor"]);
        assert_eq!(out.tags.get("team").map(String::as_str), Some("override"));
        assert!(
            !out.tags.contains_key("groupless"),
            "multi-valued claims cannot fill a tag"
        );
        assert_eq!(out.session_name.as_deref(), Some("alice@example.com"));
        assert_eq!(out.trace.len(), 3, "every rule is listed");
        assert!(
            !out.trace[2].matched && out.trace[2].reason.starts_with("not evaluated"),
            "{:?}",
            out.trace[2]
        );
        assert!(
            !out.roles.contains(&"never".to_owned()),
            "the third rule's role is not granted after stop"
        );
        assert!(out.trace[1].reason.contains("tag groupless not set"));
        assert!(out.lists_role("admin", "arn:aws:iam::1:role/admin"));
        assert!(!out.lists_role("never", "x"));
    }

    #[test]
    fn providers_without_rules_leave_the_decision_to_trust_policies() {
        let c = claims();
        let out = evaluate_rules(&[rule("q", &[], &["r"])], "p", ClaimsView(&c));
        assert!(!out.provider_has_rules);
        assert!(out.trace.is_empty());
    }
}
