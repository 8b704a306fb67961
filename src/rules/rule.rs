//! The typed claim-to-role rule of one `[[rules]]` entry: its conditions, their operators and
//! the `{{claims.…}}` templates, each checked when the config is loaded. Apart from `mod.rs`
//! (which only re-exports) so that `eval` imports the rule without importing its parent.

use std::collections::BTreeMap;

use regex::Regex;

/// One `[[rules]]` entry.
#[derive(Debug)]
pub struct Rule {
    /// SAML provider name or OIDC provider issuer URL.
    pub(crate) provider: String,
    pub(crate) when: Vec<ClaimCondition>,
    /// Role names or ARNs exactly as configured (checked against `[[roles]]` at load).
    pub(crate) roles: Vec<String>,
    pub(crate) tags: BTreeMap<String, Template>,
    pub(crate) session_name: Option<Template>,
    pub(crate) stop: bool,
}

#[derive(Debug)]
pub(crate) struct ClaimCondition {
    /// Dotted path into the claims (`groups`, `address.country`).
    pub(crate) claim: String,
    pub(crate) op: ClaimOp,
}

/// In words, for the role chooser's "why": `groups contains "admins"`.
impl std::fmt::Display for ClaimCondition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let claim = &self.claim;
        match &self.op {
            ClaimOp::Equals(v) => write!(f, "{claim} equals {v:?}"),
            ClaimOp::NotEquals(v) => write!(f, "{claim} does not equal {v:?}"),
            ClaimOp::Contains(v) => write!(f, "{claim} contains {v:?}"),
            ClaimOp::Substring(v) => write!(f, "{claim} contains the substring {v:?}"),
            ClaimOp::StartsWith(v) => write!(f, "{claim} starts with {v:?}"),
            ClaimOp::EndsWith(v) => write!(f, "{claim} ends with {v:?}"),
            ClaimOp::Regex(re) => {
                let pattern = re.as_str();
                let inner = pattern
                    .strip_prefix("^(?:")
                    .and_then(|p| p.strip_suffix(")$"))
                    .unwrap_or(pattern);
                write!(f, "{claim} matches /{inner}/")
            }
            ClaimOp::Exists => write!(f, "{claim} exists"),
            ClaimOp::NotExists => write!(f, "{claim} does not exist"),
        }
    }
}

/// The operators of `config.md`. Each carries its operand, so an operator that needs a value
/// cannot exist without one.
#[derive(Debug)]
pub(crate) enum ClaimOp {
    Equals(String),
    NotEquals(String),
    /// Membership: some element equals the value (a string claim is a one-element list).
    Contains(String),
    /// Some element contains the value as a substring.
    Substring(String),
    StartsWith(String),
    EndsWith(String),
    Regex(Regex),
    Exists,
    NotExists,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RuleError {
    #[error(
        "unknown op '{0}' (expected one of equals, not_equals, contains, substring, starts_with, ends_with, regex, exists, not_exists)"
    )]
    UnknownOp(String),
    #[error("op '{0}' needs a value")]
    MissingValue(&'static str),
    #[error("op '{0}' takes no value")]
    UnexpectedValue(&'static str),
    #[error("invalid regex: {0}")]
    BadRegex(String),
    #[error("claim path must be non-empty, at most 256 characters, without empty segments")]
    BadClaimPath,
    #[error("template: {0}")]
    BadTemplate(&'static str),
}

/// Regexes come from operators, but are still bounded so a typo cannot make a huge automaton.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

impl ClaimOp {
    pub(crate) fn parse(op: &str, value: Option<&str>) -> Result<Self, RuleError> {
        let need = |name: &'static str| {
            value
                .map(str::to_owned)
                .ok_or(RuleError::MissingValue(name))
        };
        let none = |name: &'static str, op: Self| {
            if value.is_some() {
                Err(RuleError::UnexpectedValue(name))
            } else {
                Ok(op)
            }
        };
        match op {
            "equals" => need("equals").map(Self::Equals),
            "not_equals" => need("not_equals").map(Self::NotEquals),
            "contains" => need("contains").map(Self::Contains),
            "substring" => need("substring").map(Self::Substring),
            "starts_with" => need("starts_with").map(Self::StartsWith),
            "ends_with" => need("ends_with").map(Self::EndsWith),
            "regex" => {
                let pattern = need("regex")?;
                // Anchored: a rule author writing `admins` means the whole value, not a substring.
                regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map(Self::Regex)
                    .map_err(|e| RuleError::BadRegex(e.to_string()))
            }
            "exists" => none("exists", Self::Exists),
            "not_exists" => none("not_exists", Self::NotExists),
            other => Err(RuleError::UnknownOp(other.to_owned())),
        }
    }
}

pub(crate) fn validate_claim_path(path: &str) -> Result<(), RuleError> {
    if path.is_empty() || path.len() > 256 || path.split('.').any(str::is_empty) {
        Err(RuleError::BadClaimPath)
    } else {
        Ok(())
    }
}

/// A string with `{{claims.<path>}}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<TemplatePart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TemplatePart {
    Literal(String),
    Claim(String),
}

impl Template {
    pub(crate) fn parse(text: &str) -> Result<Self, RuleError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let (literal, after) = rest.split_at(start);
            if !literal.is_empty() {
                parts.push(TemplatePart::Literal(literal.to_owned()));
            }
            let inner_and_more = after.get(2..).unwrap_or_default();
            let end = inner_and_more
                .find("}}")
                .ok_or(RuleError::BadTemplate("'{{' without a closing '}}'"))?;
            let (inner, tail) = inner_and_more.split_at(end);
            let path = inner
                .trim()
                .strip_prefix("claims.")
                .ok_or(RuleError::BadTemplate(
                    "placeholders have the form {{claims.<name>}}",
                ))?;
            validate_claim_path(path)?;
            parts.push(TemplatePart::Claim(path.to_owned()));
            rest = tail.get(2..).unwrap_or_default();
        }
        if rest.contains("}}") {
            return Err(RuleError::BadTemplate("'}}' without an opening '{{'"));
        }
        if !rest.is_empty() {
            parts.push(TemplatePart::Literal(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    pub(crate) fn parts(&self) -> &[TemplatePart] {
        &self.parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        let t = Template::parse("dept-{{claims.department}}/{{ claims.address.country }}").unwrap();
        assert_eq!(
            t.parts(),
            [
                TemplatePart::Literal("dept-".into()),
                TemplatePart::Claim("department".into()),
                TemplatePart::Literal("/".into()),
                TemplatePart::Claim("address.country".into()),
            ]
        );
        assert_eq!(
            Template::parse("plain").unwrap().parts(),
            [TemplatePart::Literal("plain".into())]
        );
        for bad in [
            "{{claims.x",
            "{{email}}",
            "{{claims.}}",
            "x}}",
            "{{claims.a..b}}",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ops_need_exactly_the_right_operand() {
        assert!(
            matches!(ClaimOp::parse("contains", Some("admins")), Ok(ClaimOp::Contains(v)) if v == "admins")
        );
        assert_eq!(
            ClaimOp::parse("contains", None).unwrap_err(),
            RuleError::MissingValue("contains")
        );
        assert_eq!(
            ClaimOp::parse("exists", Some("x")).unwrap_err(),
            RuleError::UnexpectedValue("exists")
        );
        assert!(matches!(
            ClaimOp::parse("regex", Some("(")),
            Err(RuleError::BadRegex(_))
        ));
        assert!(matches!(
            ClaimOp::parse("like", Some("x")),
            Err(RuleError::UnknownOp(_))
        ));
        let ClaimOp::Regex(re) = ClaimOp::parse("regex", Some("adm.*")).unwrap() else {
            panic!()
        };
        assert!(re.is_match("admins") && !re.is_match("sysadmins"));
    }
}
