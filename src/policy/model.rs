//! The typed IAM policy grammar: what a policy document means, independent of how it was
//! spelled (single value vs. one-element array, key order, `Statement` object vs. array).
//!
//! Grammar reference: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>.
//!
//! Invariants established by [`parse_policy`](super::parse_policy) (hand-built values skip
//! them): every list is non-empty, Sids are unique, condition keys are unique per operator
//! ignoring ASCII case, and the clause combination fits the [`PolicyKind`](super::PolicyKind).
//!
//! `Serialize` writes minified canonical JSON: fixed key order, a single value as a scalar and
//! several as an array, `Statement` always as an array. Parsing that output gives back an equal
//! model, and packed-size accounting measures it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Number;

use super::error::PolicyError;
use super::glob::glob_match;

/// A whole policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub(crate) version: PolicyVersion,
    pub(crate) id: Option<String>,
    pub(crate) statements: Vec<Statement>,
}

impl Policy {
    /// The minified canonical JSON form (see the module doc).
    pub(crate) fn to_canonical_json(&self) -> Result<String, PolicyError> {
        serde_json::to_string(self).map_err(|_| PolicyError::Encode)
    }
}

/// The policy language version. Only `2012-10-17` substitutes policy variables (`${aws:username}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum PolicyVersion {
    V2012_10_17,
    V2008_10_17,
}

impl PolicyVersion {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::V2012_10_17 => "2012-10-17",
            Self::V2008_10_17 => "2008-10-17",
        }
    }

    /// The version named by a `Version` string; IAM accepts exactly these two dates.
    pub(crate) fn from_date(date: &str) -> Option<Self> {
        match date {
            "2012-10-17" => Some(Self::V2012_10_17),
            "2008-10-17" => Some(Self::V2008_10_17),
            _ => None,
        }
    }

    /// Whether `${...}` policy variables are substituted under this version.
    pub(crate) const fn supports_variables(self) -> bool {
        matches!(self, Self::V2012_10_17)
    }
}

impl fmt::Display for PolicyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One statement: an effect on actions (and resources) for principals, under conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement {
    /// Alphanumeric label, unique within the policy; logged with decisions.
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    /// Present in trust (resource) policies only.
    pub(crate) principal: Option<PrincipalClause>,
    pub(crate) action: ActionClause,
    /// Present in identity and session policies only.
    pub(crate) resource: Option<ResourceClause>,
    /// One block per operator; all blocks must hold (logical AND). Empty means unconditional.
    pub(crate) condition: Vec<ConditionBlock>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "Allow",
            Self::Deny => "Deny",
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `Principal` (the statement applies to these) or `NotPrincipal` (to everyone else).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrincipalClause {
    Principal(PrincipalSpec),
    NotPrincipal(PrincipalSpec),
}

impl PrincipalClause {
    pub(crate) fn spec(&self) -> &PrincipalSpec {
        match self {
            Self::Principal(spec) | Self::NotPrincipal(spec) => spec,
        }
    }

    #[cfg(test)]
    pub(crate) const fn is_negated(&self) -> bool {
        matches!(self, Self::NotPrincipal(_))
    }

    const fn element_name(&self) -> &'static str {
        match self {
            Self::Principal(_) => "Principal",
            Self::NotPrincipal(_) => "NotPrincipal",
        }
    }
}

/// Who a principal element names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrincipalSpec {
    /// The bare string `"*"`: anyone, including anonymous callers. IAM treats
    /// `{"AWS":"*"}` the same way; that form is kept as written, in `Entries`.
    Anyone,
    /// Kind → identifiers (ARNs, account ids, provider names, service names or `"*"`).
    Entries(BTreeMap<PrincipalKind, Vec<String>>),
}

/// The key of a principal map. Ordered as written in canonical JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum PrincipalKind {
    /// `AWS`: accounts, users, roles, role sessions.
    Aws,
    /// `Federated`: SAML/OIDC providers and the built-in web identity providers.
    Federated,
    /// `Service`: AWS service principals such as `ec2.amazonaws.com`.
    Service,
    /// `CanonicalUser`: S3 canonical user ids.
    CanonicalUser,
}

impl PrincipalKind {
    pub(crate) const ALL: [Self; 4] = [
        Self::Aws,
        Self::Federated,
        Self::Service,
        Self::CanonicalUser,
    ];

    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Aws => "AWS",
            Self::Federated => "Federated",
            Self::Service => "Service",
            Self::CanonicalUser => "CanonicalUser",
        }
    }

    /// The kind named exactly (case-sensitively) by `name`.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl fmt::Display for PrincipalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `Action` (the statement covers these) or `NotAction` (every action but these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ActionClause {
    Action(Vec<ActionPattern>),
    NotAction(Vec<ActionPattern>),
}

impl ActionClause {
    pub(crate) fn patterns(&self) -> &[ActionPattern] {
        match self {
            Self::Action(patterns) | Self::NotAction(patterns) => patterns,
        }
    }

    #[cfg(test)]
    pub(crate) const fn is_negated(&self) -> bool {
        matches!(self, Self::NotAction(_))
    }

    const fn element_name(&self) -> &'static str {
        match self {
            Self::Action(_) => "Action",
            Self::NotAction(_) => "NotAction",
        }
    }
}

/// One entry of an action list. IAM matches actions case-insensitively, so [`Self::matches`]
/// folds ASCII case; the name is kept as written for display.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ActionPattern {
    /// `*`: every action of every service.
    Any,
    /// `service:NameGlob`, e.g. `sts:AssumeRole*`.
    Service {
        /// Service prefix, stored lowercase (`sts`, `s3`, `execute-api`).
        service: String,
        /// Action name, possibly with `*`/`?` wildcards, as written.
        name: String,
    },
}

impl ActionPattern {
    /// Whether this pattern covers `action` (`service:Name`), ignoring ASCII case.
    pub(crate) fn matches(&self, action: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Service { service, name } => action
                .split_once(':')
                .is_some_and(|(s, n)| s.eq_ignore_ascii_case(service) && glob_match(name, n, true)),
        }
    }
}

impl fmt::Display for ActionPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::Service { service, name } => write!(f, "{service}:{name}"),
        }
    }
}

/// `Resource` (the statement covers these) or `NotResource` (every resource but these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResourceClause {
    Resource(Vec<ResourcePattern>),
    NotResource(Vec<ResourcePattern>),
}

impl ResourceClause {
    pub(crate) fn patterns(&self) -> &[ResourcePattern] {
        match self {
            Self::Resource(patterns) | Self::NotResource(patterns) => patterns,
        }
    }

    #[cfg(test)]
    pub(crate) const fn is_negated(&self) -> bool {
        matches!(self, Self::NotResource(_))
    }

    const fn element_name(&self) -> &'static str {
        match self {
            Self::Resource(_) => "Resource",
            Self::NotResource(_) => "NotResource",
        }
    }
}

/// One entry of a resource list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ResourcePattern {
    /// `*`: every resource.
    Any,
    /// An ARN, possibly with `*`/`?` wildcards and `${...}` policy variables, as written.
    Arn(String),
}

impl fmt::Display for ResourcePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::Arn(arn) => f.write_str(arn),
        }
    }
}

/// One operator of a `Condition` element with its keys; every key must hold (logical AND),
/// and a key holds if any of its values matches (OR; "none matches" for negated operators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConditionBlock {
    pub(crate) operator: ConditionOperator,
    pub(crate) entries: Vec<ConditionEntry>,
}

/// A full condition operator: `[ForAllValues:|ForAnyValue:]Base[IfExists]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ConditionOperator {
    pub(crate) base: BaseOperator,
    /// `...IfExists`: the condition holds when the key is absent from the request.
    pub(crate) if_exists: bool,
    /// Set operator for multivalued keys; `None` for single-valued comparison.
    pub(crate) qualifier: Option<SetQualifier>,
}

impl ConditionOperator {
    /// Parses an operator name exactly as IAM spells it (names are case-sensitive).
    /// `NullIfExists` does not exist: `Null` is itself the test for absence.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        let (qualifier, rest) = match name.split_once(':') {
            Some((prefix, rest)) => (Some(SetQualifier::from_name(prefix)?), rest),
            None => (None, name),
        };
        let (base_name, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base_name) => (base_name, true),
            None => (rest, false),
        };
        let base = BaseOperator::from_name(base_name)?;
        if if_exists && base == BaseOperator::Null {
            return None;
        }
        Some(Self {
            base,
            if_exists,
            qualifier,
        })
    }
}

impl fmt::Display for ConditionOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(qualifier) = self.qualifier {
            write!(f, "{}:", qualifier.name())?;
        }
        f.write_str(self.base.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// How a multivalued request key is compared with the policy's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SetQualifier {
    /// Every request value matches some policy value (vacuously true for no values).
    ForAllValues,
    /// At least one request value matches some policy value.
    ForAnyValue,
}

impl SetQualifier {
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::ForAllValues => "ForAllValues",
            Self::ForAnyValue => "ForAnyValue",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        [Self::ForAllValues, Self::ForAnyValue]
            .into_iter()
            .find(|q| q.name() == name)
    }
}

/// The comparison an operator performs, without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    /// `"true"`: the key is absent; `"false"`: the key is present.
    Null,
}

impl BaseOperator {
    pub(crate) const ALL: [Self; 27] = [
        Self::StringEquals,
        Self::StringNotEquals,
        Self::StringEqualsIgnoreCase,
        Self::StringNotEqualsIgnoreCase,
        Self::StringLike,
        Self::StringNotLike,
        Self::NumericEquals,
        Self::NumericNotEquals,
        Self::NumericLessThan,
        Self::NumericLessThanEquals,
        Self::NumericGreaterThan,
        Self::NumericGreaterThanEquals,
        Self::DateEquals,
        Self::DateNotEquals,
        Self::DateLessThan,
        Self::DateLessThanEquals,
        Self::DateGreaterThan,
        Self::DateGreaterThanEquals,
        Self::Bool,
        Self::BinaryEquals,
        Self::IpAddress,
        Self::NotIpAddress,
        Self::ArnEquals,
        Self::ArnLike,
        Self::ArnNotEquals,
        Self::ArnNotLike,
        Self::Null,
    ];

    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::StringEquals => "StringEquals",
            Self::StringNotEquals => "StringNotEquals",
            Self::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            Self::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            Self::StringLike => "StringLike",
            Self::StringNotLike => "StringNotLike",
            Self::NumericEquals => "NumericEquals",
            Self::NumericNotEquals => "NumericNotEquals",
            Self::NumericLessThan => "NumericLessThan",
            Self::NumericLessThanEquals => "NumericLessThanEquals",
            Self::NumericGreaterThan => "NumericGreaterThan",
            Self::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            Self::DateEquals => "DateEquals",
            Self::DateNotEquals => "DateNotEquals",
            Self::DateLessThan => "DateLessThan",
            Self::DateLessThanEquals => "DateLessThanEquals",
            Self::DateGreaterThan => "DateGreaterThan",
            Self::DateGreaterThanEquals => "DateGreaterThanEquals",
            Self::Bool => "Bool",
            Self::BinaryEquals => "BinaryEquals",
            Self::IpAddress => "IpAddress",
            Self::NotIpAddress => "NotIpAddress",
            Self::ArnEquals => "ArnEquals",
            Self::ArnLike => "ArnLike",
            Self::ArnNotEquals => "ArnNotEquals",
            Self::ArnNotLike => "ArnNotLike",
            Self::Null => "Null",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Negated operators hold when no policy value matches (`StringNotEquals`, `ArnNotLike`, ...).
    pub(crate) const fn is_negated(self) -> bool {
        matches!(
            self,
            Self::StringNotEquals
                | Self::StringNotEqualsIgnoreCase
                | Self::StringNotLike
                | Self::NumericNotEquals
                | Self::DateNotEquals
                | Self::NotIpAddress
                | Self::ArnNotEquals
                | Self::ArnNotLike
        )
    }
}

impl fmt::Display for BaseOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One key of a condition operator block with the policy's values for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConditionEntry {
    pub(crate) key: ConditionKey,
    /// Alternatives (OR); never empty after parsing.
    pub(crate) values: Vec<ConditionValue>,
}

/// A condition key such as `aws:MultiFactorAuthPresent` or `accounts.google.com:sub`.
/// IAM compares keys case-insensitively: the original spelling is kept for display and
/// serialisation, and [`Self::lowercase`] is what lookups should use.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ConditionKey {
    text: String,
    lower: String,
}

impl ConditionKey {
    pub(crate) fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        // ASCII folding only: keys are ASCII in practice, and full Unicode folding could make
        // distinct non-ASCII keys collide.
        let lower = text.to_ascii_lowercase();
        Self { text, lower }
    }

    /// The key as written in the policy.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The key folded to ASCII lowercase, for case-insensitive lookup.
    pub(crate) fn lowercase(&self) -> &str {
        &self.lower
    }
}

impl fmt::Display for ConditionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A policy-side condition value, kept with its JSON type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ConditionValue {
    String(String),
    Number(Number),
    Bool(bool),
}

impl ConditionValue {
    /// The string form IAM compares with: numbers and booleans also match as text
    /// (`true` matches `"true"`, `3600` matches `"3600"`).
    pub(crate) fn as_text(&self) -> Cow<'_, str> {
        match self {
            Self::String(s) => Cow::Borrowed(s),
            Self::Number(n) => Cow::Owned(n.to_string()),
            Self::Bool(true) => Cow::Borrowed("true"),
            Self::Bool(false) => Cow::Borrowed("false"),
        }
    }
}

// ---- canonical JSON -------------------------------------------------------------------------

/// A list written as a scalar when it has one element and as an array otherwise; IAM gives the
/// two spellings the same meaning, and the scalar is shorter for packed-size accounting.
struct OneOrMany<'a, T>(&'a [T]);

impl<T: Serialize> Serialize for OneOrMany<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            [single] => single.serialize(serializer),
            many => {
                let mut seq = serializer.serialize_seq(Some(many.len()))?;
                for item in many {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

/// Serialises through `Display`, for the pattern and operator types.
struct AsText<'a, T>(&'a T);

impl<T: fmt::Display> Serialize for AsText<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

impl Serialize for Policy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("Version", self.version.as_str())?;
        if let Some(id) = &self.id {
            map.serialize_entry("Id", id)?;
        }
        map.serialize_entry("Statement", &self.statements)?;
        map.end()
    }
}

impl Serialize for Statement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(sid) = &self.sid {
            map.serialize_entry("Sid", sid)?;
        }
        map.serialize_entry("Effect", self.effect.as_str())?;
        if let Some(principal) = &self.principal {
            map.serialize_entry(principal.element_name(), principal.spec())?;
        }
        let actions: Vec<AsText<'_, ActionPattern>> =
            self.action.patterns().iter().map(AsText).collect();
        map.serialize_entry(self.action.element_name(), &OneOrMany(&actions))?;
        if let Some(resource) = &self.resource {
            let resources: Vec<AsText<'_, ResourcePattern>> =
                resource.patterns().iter().map(AsText).collect();
            map.serialize_entry(resource.element_name(), &OneOrMany(&resources))?;
        }
        if !self.condition.is_empty() {
            map.serialize_entry("Condition", &ConditionMap(&self.condition))?;
        }
        map.end()
    }
}

impl Serialize for PrincipalSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Anyone => serializer.serialize_str("*"),
            Self::Entries(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (kind, ids) in entries {
                    map.serialize_entry(kind.name(), &OneOrMany(ids))?;
                }
                map.end()
            }
        }
    }
}

/// The `Condition` element: operator → key → value(s).
struct ConditionMap<'a>(&'a [ConditionBlock]);

impl Serialize for ConditionMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for block in self.0 {
            map.serialize_entry(&AsText(&block.operator), &ConditionEntries(&block.entries))?;
        }
        map.end()
    }
}

struct ConditionEntries<'a>(&'a [ConditionEntry]);

impl Serialize for ConditionEntries<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for entry in self.0 {
            map.serialize_entry(entry.key.as_str(), &OneOrMany(&entry.values))?;
        }
        map.end()
    }
}

impl Serialize for ConditionValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::String(s) => serializer.serialize_str(s),
            Self::Number(n) => n.serialize(serializer),
            Self::Bool(b) => serializer.serialize_bool(*b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names_round_trip() {
        for base in BaseOperator::ALL {
            for qualifier in [
                None,
                Some(SetQualifier::ForAllValues),
                Some(SetQualifier::ForAnyValue),
            ] {
                for if_exists in [false, true] {
                    let op = ConditionOperator {
                        base,
                        if_exists,
                        qualifier,
                    };
                    let parsed = ConditionOperator::from_name(&op.to_string());
                    if base == BaseOperator::Null && if_exists {
                        assert_eq!(parsed, None);
                    } else {
                        assert_eq!(parsed, Some(op));
                    }
                }
            }
        }
    }

    #[test]
    fn operator_names_are_exact() {
        assert_eq!(ConditionOperator::from_name("stringequals"), None);
        assert_eq!(
            ConditionOperator::from_name("StringEqualsIfExistsIfExists"),
            None
        );
        assert_eq!(
            ConditionOperator::from_name("ForSomeValues:StringEquals"),
            None
        );
        assert_eq!(
            ConditionOperator::from_name("ForAnyValue:ForAllValues:StringLike"),
            None
        );
        assert_eq!(ConditionOperator::from_name("IfExists"), None);
        assert_eq!(
            ConditionOperator::from_name("ForAnyValue:StringLikeIfExists"),
            Some(ConditionOperator {
                base: BaseOperator::StringLike,
                if_exists: true,
                qualifier: Some(SetQualifier::ForAnyValue),
            })
        );
    }

    #[test]
    fn action_patterns_match_case_insensitively() {
        let assume = ActionPattern::Service {
            service: "sts".into(),
            name: "AssumeRole*".into(),
        };
        assert!(assume.matches("sts:AssumeRoleWithSAML"));
        assert!(assume.matches("STS:assumerole"));
        assert!(!assume.matches("sts:TagSession"));
        assert!(!assume.matches("s3:AssumeRole"));
        assert!(!assume.matches("AssumeRole"));
        assert!(ActionPattern::Any.matches("anything:AtAll"));
    }

    #[test]
    fn condition_key_keeps_spelling_and_folds_for_lookup() {
        let key = ConditionKey::new("aws:MultiFactorAuthPresent");
        assert_eq!(key.as_str(), "aws:MultiFactorAuthPresent");
        assert_eq!(key.lowercase(), "aws:multifactorauthpresent");
    }

    #[test]
    fn condition_values_have_a_text_form() {
        assert_eq!(ConditionValue::Bool(true).as_text(), "true");
        assert_eq!(ConditionValue::Number(3600.into()).as_text(), "3600");
        assert_eq!(ConditionValue::String("x".into()).as_text(), "x");
    }
}
