//! Condition operators: whether one key of a `Condition` block holds for a request.
//!
//! Reference: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>
//! and sts-api.md §7.3. The rules, in the order they apply:
//!
//! - **Absent key** (missing, or an empty list): `Null` tests exactly this. Otherwise
//!   `ForAllValues:` holds (vacuously), `...IfExists` holds, a plain negated operator holds
//!   (IAM: "if the policy condition requires that the key is *not* matched ... and the key is
//!   not present, the condition is true"), and everything else — positive operators and
//!   `ForAnyValue:` — fails.
//! - **Several policy values** for a key are alternatives: a request value "hits" when it
//!   matches any of them. Negated operators use the positive comparison and hold when no
//!   request value hits.
//! - **Several request values**: `ForAnyValue:` needs one hit (one non-hit for negated
//!   operators), `ForAllValues:` needs every value to hit (to miss, for negated operators).
//!   A plain operator on a multivalued key is read as `ForAnyValue:` when positive and as
//!   "no value hits" when negated. That is the conservative reading of IAM's unspecified
//!   behaviour: a plain `StringNotEquals` cannot be satisfied by one innocent value hiding a
//!   forbidden one.
//! - **Typed operators** parse both sides when comparing: `Numeric*` (decimal numbers; integers
//!   compare exactly), `Date*` (ISO 8601 / RFC 3339, or epoch seconds), `Bool` (`true`/`false`,
//!   ASCII-case-insensitive), `BinaryEquals` (standard base64, compared as bytes), `IpAddress`
//!   (CIDR or a bare address, v4 or v6; IPv4-mapped IPv6 addresses meet their IPv4 form),
//!   `Arn*` (the six `:`-separated fields, each a case-sensitive `*`/`?` glob; IAM documents
//!   `ArnEquals` and `ArnLike` as the same operator).
//! - **Fail closed**: a comparison that cannot be decided — a value that does not parse for the
//!   operator, a policy variable that does not resolve, or the evaluation's step budget running
//!   out — is *undecided*. It never counts as a hit, and it never lets a negated operator hold
//!   either: a negated operator holds only when every comparison is decided and none hits.
//!   The condition is then false, so the statement does not apply — whatever its effect.

use std::cmp::Ordering;
use std::fmt;
use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::context::RequestContext;
use super::glob::{GlobToken, StepBudget, glob_match_tokens, tokenize};
use super::model::{
    BaseOperator, ConditionEntry, ConditionOperator, ConditionValue, PolicyVersion, SetQualifier,
};
use super::variables::{expand, tokens_to_text};

/// Why one condition key did not hold; part of an evaluation trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ConditionFailure {
    /// The key is not in the request (or is an empty list), and the operator needs it.
    KeyAbsent,
    /// `Null`: the key's presence is the opposite of what the policy asks for.
    NullCheck,
    /// No request value matched any policy value.
    NoValueMatched,
    /// A negated operator: a request value matched one of the excluded policy values.
    ExcludedValueMatched,
    /// `ForAllValues:`: some request value matched none of the policy values.
    ValueOutsideSet,
    /// A comparison could not be decided: a value did not parse for the operator, a policy
    /// variable did not resolve, or the evaluation ran out of work budget. Fails closed.
    Undecidable,
}

impl fmt::Display for ConditionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::KeyAbsent => "the key is absent from the request",
            Self::NullCheck => "the key's presence is not what Null requires",
            Self::NoValueMatched => "no request value matched a policy value",
            Self::ExcludedValueMatched => "a request value matched an excluded policy value",
            Self::ValueOutsideSet => "a request value matched none of the policy values",
            Self::Undecidable => {
                "a value could not be compared (unparsable value, unresolved policy variable \
                 or work limit)"
            }
        })
    }
}

/// Whether the condition key `entry` holds under `operator` for `ctx`. Policy variables in
/// string values are substituted when `version` supports them.
pub(crate) fn check_entry(
    operator: ConditionOperator,
    entry: &ConditionEntry,
    version: PolicyVersion,
    ctx: &RequestContext,
    budget: &mut StepBudget,
) -> Result<(), ConditionFailure> {
    let present = ctx.present_values(entry.key.lowercase());
    let Some(comparator) = Comparator::of(operator.base) else {
        return check_null(entry, present.is_some());
    };
    let negated = operator.base.is_negated();
    let Some(actual_values) = present else {
        let holds = operator.qualifier == Some(SetQualifier::ForAllValues)
            || operator.if_exists
            || (negated && operator.qualifier.is_none());
        return if holds {
            Ok(())
        } else {
            Err(ConditionFailure::KeyAbsent)
        };
    };

    let expected: Vec<Option<Expected>> = entry
        .values
        .iter()
        .map(|value| Expected::parse(comparator, value, version, ctx, budget))
        .collect();
    let (mut any_hit, mut any_miss, mut any_undecided) = (false, false, false);
    for actual in actual_values {
        match hit(comparator, actual, &expected, budget) {
            Tri::Yes => any_hit = true,
            Tri::No => any_miss = true,
            Tri::Unknown => any_undecided = true,
        }
    }

    let fail_unless = |holds: bool, failure: ConditionFailure| {
        if holds {
            Ok(())
        } else if any_undecided {
            Err(ConditionFailure::Undecidable)
        } else {
            Err(failure)
        }
    };
    match (negated, operator.qualifier) {
        (false, None | Some(SetQualifier::ForAnyValue)) => {
            fail_unless(any_hit, ConditionFailure::NoValueMatched)
        }
        (false, Some(SetQualifier::ForAllValues)) if any_miss => {
            Err(ConditionFailure::ValueOutsideSet)
        }
        (false, Some(SetQualifier::ForAllValues)) => {
            fail_unless(!any_undecided, ConditionFailure::ValueOutsideSet)
        }
        (true, None | Some(SetQualifier::ForAllValues)) if any_hit => {
            Err(ConditionFailure::ExcludedValueMatched)
        }
        (true, None | Some(SetQualifier::ForAllValues)) => {
            fail_unless(!any_undecided, ConditionFailure::ExcludedValueMatched)
        }
        (true, Some(SetQualifier::ForAnyValue)) => {
            fail_unless(any_miss, ConditionFailure::ExcludedValueMatched)
        }
    }
}

/// `Null`: `"true"` holds when the key is absent, `"false"` when it is present; several
/// policy values are alternatives, and a value that is neither never holds. Qualifiers do not
/// change a presence test.
fn check_null(entry: &ConditionEntry, present: bool) -> Result<(), ConditionFailure> {
    let holds = entry.values.iter().any(|value| {
        parse_bool(&value.as_text()).is_some_and(|want_absent| want_absent != present)
    });
    if holds {
        Ok(())
    } else {
        Err(ConditionFailure::NullCheck)
    }
}

/// A three-valued comparison result; `Unknown` is "could not be decided".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    Yes,
    No,
    Unknown,
}

impl From<bool> for Tri {
    fn from(value: bool) -> Self {
        if value { Self::Yes } else { Self::No }
    }
}

impl From<Option<bool>> for Tri {
    fn from(value: Option<bool>) -> Self {
        value.map_or(Self::Unknown, Self::from)
    }
}

/// Whether one request value matches any of the policy values (`None` = unresolvable).
fn hit(
    comparator: Comparator,
    actual: &str,
    expected: &[Option<Expected>],
    budget: &mut StepBudget,
) -> Tri {
    let Some(actual) = Actual::parse(comparator, actual) else {
        return Tri::Unknown;
    };
    let mut undecided = false;
    for expected in expected {
        if !budget.take(1) {
            return Tri::Unknown;
        }
        let result = match expected {
            Some(expected) => compare(comparator, &actual, expected, budget),
            None => Tri::Unknown,
        };
        match result {
            Tri::Yes => return Tri::Yes,
            Tri::No => {}
            Tri::Unknown => undecided = true,
        }
    }
    if undecided { Tri::Unknown } else { Tri::No }
}

/// How an ordered operator relates the request value to the policy value
/// (`NumericLessThan`: request < policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Relation {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Self::Equal => ordering.is_eq(),
            Self::Less => ordering.is_lt(),
            Self::LessOrEqual => ordering.is_le(),
            Self::Greater => ordering.is_gt(),
            Self::GreaterOrEqual => ordering.is_ge(),
        }
    }
}

/// The positive comparison behind an operator; negated operators share their positive twin's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparator {
    Equals,
    EqualsIgnoreCase,
    Like,
    Numeric(Relation),
    Date(Relation),
    Bool,
    Binary,
    Ip,
    Arn,
}

impl Comparator {
    /// `None` for `Null`, which tests presence rather than comparing values.
    const fn of(base: BaseOperator) -> Option<Self> {
        Some(match base {
            BaseOperator::StringEquals | BaseOperator::StringNotEquals => Self::Equals,
            BaseOperator::StringEqualsIgnoreCase | BaseOperator::StringNotEqualsIgnoreCase => {
                Self::EqualsIgnoreCase
            }
            BaseOperator::StringLike | BaseOperator::StringNotLike => Self::Like,
            BaseOperator::NumericEquals | BaseOperator::NumericNotEquals => {
                Self::Numeric(Relation::Equal)
            }
            BaseOperator::NumericLessThan => Self::Numeric(Relation::Less),
            BaseOperator::NumericLessThanEquals => Self::Numeric(Relation::LessOrEqual),
            BaseOperator::NumericGreaterThan => Self::Numeric(Relation::Greater),
            BaseOperator::NumericGreaterThanEquals => Self::Numeric(Relation::GreaterOrEqual),
            BaseOperator::DateEquals | BaseOperator::DateNotEquals => Self::Date(Relation::Equal),
            BaseOperator::DateLessThan => Self::Date(Relation::Less),
            BaseOperator::DateLessThanEquals => Self::Date(Relation::LessOrEqual),
            BaseOperator::DateGreaterThan => Self::Date(Relation::Greater),
            BaseOperator::DateGreaterThanEquals => Self::Date(Relation::GreaterOrEqual),
            BaseOperator::Bool => Self::Bool,
            BaseOperator::BinaryEquals => Self::Binary,
            BaseOperator::IpAddress | BaseOperator::NotIpAddress => Self::Ip,
            BaseOperator::ArnEquals
            | BaseOperator::ArnLike
            | BaseOperator::ArnNotEquals
            | BaseOperator::ArnNotLike => Self::Arn,
            BaseOperator::Null => return None,
        })
    }
}

/// A policy value read for one comparator.
#[derive(Debug, Clone, PartialEq)]
enum Expected {
    Text(String),
    Pattern(Vec<GlobToken>),
    Number(Number),
    Instant(i128),
    Bool(bool),
    Bytes(Vec<u8>),
    Network(Cidr),
    /// Six field patterns.
    Arn(Vec<Vec<GlobToken>>),
}

impl Expected {
    /// `None` when the value has an unresolvable variable or does not parse for `comparator`.
    fn parse(
        comparator: Comparator,
        value: &ConditionValue,
        version: PolicyVersion,
        ctx: &RequestContext,
        budget: &mut StepBudget,
    ) -> Option<Self> {
        let tokens = match value {
            ConditionValue::String(text) => expand(text, version, ctx, budget)?,
            ConditionValue::Number(_) | ConditionValue::Bool(_) => tokenize(&value.as_text()),
        };
        Some(match comparator {
            Comparator::Equals | Comparator::EqualsIgnoreCase => {
                Self::Text(tokens_to_text(&tokens))
            }
            Comparator::Like => Self::Pattern(tokens),
            Comparator::Numeric(_) => Self::Number(Number::parse(&tokens_to_text(&tokens))?),
            Comparator::Date(_) => Self::Instant(parse_instant(&tokens_to_text(&tokens))?),
            Comparator::Bool => Self::Bool(parse_bool(&tokens_to_text(&tokens))?),
            Comparator::Binary => Self::Bytes(BASE64.decode(tokens_to_text(&tokens)).ok()?),
            Comparator::Ip => Self::Network(Cidr::parse(&tokens_to_text(&tokens))?),
            Comparator::Arn => Self::Arn(split_arn_tokens(tokens)?),
        })
    }
}

/// A request value read for one comparator.
#[derive(Debug, Clone, PartialEq)]
enum Actual<'a> {
    Text(&'a str),
    Number(Number),
    Instant(i128),
    Bool(bool),
    Bytes(Vec<u8>),
    Ip(IpAddr),
    Arn([&'a str; 6]),
}

impl<'a> Actual<'a> {
    fn parse(comparator: Comparator, text: &'a str) -> Option<Self> {
        Some(match comparator {
            Comparator::Equals | Comparator::EqualsIgnoreCase | Comparator::Like => {
                Self::Text(text)
            }
            Comparator::Numeric(_) => Self::Number(Number::parse(text)?),
            Comparator::Date(_) => Self::Instant(parse_instant(text)?),
            Comparator::Bool => Self::Bool(parse_bool(text)?),
            Comparator::Binary => Self::Bytes(BASE64.decode(text).ok()?),
            Comparator::Ip => Self::Ip(text.parse().ok()?),
            Comparator::Arn => Self::Arn(split_arn(text)?),
        })
    }
}

/// The positive comparison of one request value with one policy value.
fn compare(
    comparator: Comparator,
    actual: &Actual<'_>,
    expected: &Expected,
    budget: &mut StepBudget,
) -> Tri {
    match (comparator, actual, expected) {
        (Comparator::Equals, Actual::Text(a), Expected::Text(e)) => Tri::from(*a == e.as_str()),
        (Comparator::EqualsIgnoreCase, Actual::Text(a), Expected::Text(e)) => {
            Tri::from(eq_ignore_case(a, e))
        }
        (_, Actual::Text(a), Expected::Pattern(p)) => glob_match_tokens(p, a, false, budget).into(),
        (Comparator::Numeric(relation), Actual::Number(a), Expected::Number(e)) => a
            .compare(*e)
            .map(|ordering| relation.holds(ordering))
            .into(),
        (Comparator::Date(relation), Actual::Instant(a), Expected::Instant(e)) => {
            Tri::from(relation.holds(a.cmp(e)))
        }
        (_, Actual::Bool(a), Expected::Bool(e)) => Tri::from(a == e),
        (_, Actual::Bytes(a), Expected::Bytes(e)) => Tri::from(a == e),
        (_, Actual::Ip(a), Expected::Network(e)) => Tri::from(e.contains(*a)),
        (_, Actual::Arn(fields), Expected::Arn(patterns)) => {
            for (field, pattern) in fields.iter().zip(patterns) {
                match glob_match_tokens(pattern, field, false, budget) {
                    Some(true) => {}
                    Some(false) => return Tri::No,
                    None => return Tri::Unknown,
                }
            }
            Tri::Yes
        }
        // Both sides are always read for the same comparator; a mix cannot be compared.
        _ => Tri::Unknown,
    }
}

/// Case-insensitive equality by Unicode lowercase mapping: values such as e-mail addresses or
/// display names are not limited to ASCII.
fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// `true`/`false` in any ASCII case, as IAM accepts for `Bool` and `Null`.
fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A decimal number. Integers keep their exact value so that large ids and epoch values compare
/// exactly; anything else compares as a finite `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Number {
    exact: Option<i128>,
    approx: f64,
}

impl Number {
    /// `[+-]digits[.digits][(e|E)[+-]digits]`. Rust's float parser alone would also accept
    /// `inf`, `NaN` and `.5`, which are not numbers in a policy.
    fn parse(text: &str) -> Option<Self> {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
        let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
            Some((mantissa, exponent)) => (mantissa, Some(exponent)),
            None => (unsigned, None),
        };
        let (whole, fraction) = match mantissa.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (mantissa, None),
        };
        let well_formed = digits(whole)
            && fraction.is_none_or(digits)
            && exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
        if !well_formed {
            return None;
        }
        let approx: f64 = text.parse().ok().filter(|f: &f64| f.is_finite())?;
        Some(Self {
            exact: text.parse().ok(),
            approx,
        })
    }

    fn compare(self, other: Self) -> Option<Ordering> {
        match (self.exact, other.exact) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => self.approx.partial_cmp(&other.approx),
        }
    }
}

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// A point in time as nanoseconds since the Unix epoch, from epoch seconds (optionally
/// fractional) or an ISO 8601 date-time. A date-time without an offset is read as UTC, as AWS
/// does for `aws:CurrentTime`-style values; a bare date is its midnight UTC.
fn parse_instant(text: &str) -> Option<i128> {
    if let Some(instant) = parse_epoch(text) {
        return Some(instant);
    }
    let from_utc = |time: DateTime<Utc>| {
        i128::from(time.timestamp()) * NANOS_PER_SECOND + i128::from(time.timestamp_subsec_nanos())
    };
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(from_utc(time.to_utc()));
    }
    if let Ok(time) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(from_utc(time.to_utc()));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y%m%dT%H%M%SZ"] {
        if let Ok(time) = NaiveDateTime::parse_from_str(text, format) {
            return Some(from_utc(time.and_utc()));
        }
    }
    let midnight = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)?;
    Some(from_utc(midnight.and_utc()))
}

/// `[-]digits[.digits]` seconds since the epoch; fractions beyond nanoseconds are dropped.
fn parse_epoch(text: &str) -> Option<i128> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) if digits(fraction) => (whole, fraction),
        Some(_) => return None,
        None => (unsigned, ""),
    };
    if !digits(whole) {
        return None;
    }
    let seconds = i128::from(whole.parse::<i64>().ok()?);
    let mut nanos = 0i128;
    let mut scale = NANOS_PER_SECOND / 10;
    for digit in fraction.bytes().take(9) {
        nanos += i128::from(digit - b'0') * scale;
        scale /= 10;
    }
    let instant = seconds * NANOS_PER_SECOND + nanos;
    Some(if negative { -instant } else { instant })
}

/// An address block; a bare address is a block of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `a.b.c.d/n`, `v6::addr/n` or a bare address. Host bits below the prefix are ignored,
    /// as IAM accepts `10.1.2.3/8` and means `10.0.0.0/8`.
    fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok().filter(|p| *p <= max)?
            }
            Some(_) => return None,
        };
        Some(Self { network, prefix })
    }

    fn contains(self, address: IpAddr) -> bool {
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => {
                same_prefix_v4(u32::from(net), u32::from(addr), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                same_prefix_v6(u128::from(net), u128::from(addr), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V4(addr)) => same_prefix_v6(
                u128::from(net),
                u128::from(addr.to_ipv6_mapped()),
                self.prefix,
            ),
            (IpAddr::V4(net), IpAddr::V6(addr)) => addr
                .to_ipv4_mapped()
                .is_some_and(|addr| same_prefix_v4(u32::from(net), u32::from(addr), self.prefix)),
        }
    }
}

fn same_prefix_v4(a: u32, b: u32, prefix: u8) -> bool {
    let mask = u32::MAX
        .checked_shl(32u32.saturating_sub(u32::from(prefix)))
        .unwrap_or(0);
    a & mask == b & mask
}

fn same_prefix_v6(a: u128, b: u128, prefix: u8) -> bool {
    let mask = u128::MAX
        .checked_shl(128u32.saturating_sub(u32::from(prefix)))
        .unwrap_or(0);
    a & mask == b & mask
}

/// `arn:partition:service:region:account:resource` split into its six fields; the resource
/// keeps any further colons. `None` with fewer than five colons.
pub(crate) fn split_arn(text: &str) -> Option<[&str; 6]> {
    let mut parts = text.splitn(6, ':');
    let mut next = || parts.next();
    Some([next()?, next()?, next()?, next()?, next()?, next()?])
}

/// A policy ARN pattern split like [`split_arn`], so that a `*` in one field cannot run into
/// the next. Only colons written in the pattern separate fields.
fn split_arn_tokens(tokens: Vec<GlobToken>) -> Option<Vec<Vec<GlobToken>>> {
    let mut fields: Vec<Vec<GlobToken>> = vec![Vec::new()];
    for token in tokens {
        if token == GlobToken::Char(':') && fields.len() < 6 {
            fields.push(Vec::new());
        } else if let Some(field) = fields.last_mut() {
            field.push(token);
        }
    }
    (fields.len() == 6).then_some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::context::ContextValue;
    use crate::policy::{Decision, PolicyKind, evaluate, parse_policy};

    const KEY: &str = "test:key";

    /// Whether `{"<operator>": {"test:key": <values>}}` holds for a request where `test:key` is
    /// `request` (absent for `None`), through the full parse → evaluate path.
    fn holds(operator: &str, values: &str, request: Option<ContextValue>) -> bool {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject",
                "Resource":"*","Condition":{{"{operator}":{{"{KEY}":{values}}}}}}}}}"#
        );
        let policy = parse_policy(&text, PolicyKind::Identity).unwrap();
        let mut ctx = RequestContext::new("s3:GetObject", Some("arn:aws:s3:::b/k"));
        if let Some(value) = request {
            ctx.set(KEY, value);
        }
        matches!(evaluate(&[&policy], &ctx), Decision::Allow { .. })
    }

    #[expect(
        clippy::unnecessary_wraps,
        reason = "shorthand for the `request` argument of `holds`, where None means absent"
    )]
    fn one(value: &str) -> Option<ContextValue> {
        Some(ContextValue::from(value))
    }

    #[expect(
        clippy::unnecessary_wraps,
        reason = "shorthand for the `request` argument of `holds`, where None means absent"
    )]
    fn many(values: &[&str]) -> Option<ContextValue> {
        Some(ContextValue::Multi(
            values.iter().map(|v| (*v).to_owned()).collect(),
        ))
    }

    /// Runs `check_entry` directly, for the failure reason.
    fn failure(
        operator: &str,
        values: &str,
        request: Option<ContextValue>,
    ) -> Option<ConditionFailure> {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject",
                "Resource":"*","Condition":{{"{operator}":{{"{KEY}":{values}}}}}}}}}"#
        );
        let policy = parse_policy(&text, PolicyKind::Identity).unwrap();
        let block = &policy.statements[0].condition[0];
        let mut ctx = RequestContext::new("s3:GetObject", None);
        if let Some(value) = request {
            ctx.set(KEY, value);
        }
        let mut budget = StepBudget::new(1_000_000);
        check_entry(
            block.operator,
            &block.entries[0],
            policy.version,
            &ctx,
            &mut budget,
        )
        .err()
    }

    #[test]
    fn string_equals_and_not_equals() {
        assert!(holds("StringEquals", r#""alice""#, one("alice")));
        assert!(!holds("StringEquals", r#""alice""#, one("Alice")));
        assert!(holds("StringEquals", r#"["bob","alice"]"#, one("alice")));
        assert!(!holds("StringEquals", r#""alice""#, None));
        assert!(
            !holds("StringEquals", r#""a*""#, one("abc")),
            "no wildcards"
        );
        assert!(holds("StringEquals", r#""a*""#, one("a*")));
        assert!(
            holds("StringEquals", "3600", one("3600")),
            "numbers match as text"
        );
        assert!(holds("StringEqualsIfExists", r#""alice""#, None));
        assert!(holds("StringEqualsIfExists", r#""alice""#, one("alice")));
        assert!(!holds("StringEqualsIfExists", r#""alice""#, one("bob")));

        assert!(holds("StringNotEquals", r#""alice""#, one("bob")));
        assert!(!holds("StringNotEquals", r#""alice""#, one("alice")));
        assert!(!holds(
            "StringNotEquals",
            r#"["bob","alice"]"#,
            one("alice")
        ));
        assert!(
            holds("StringNotEquals", r#""alice""#, None),
            "negated on absent key"
        );
        assert!(holds("StringNotEqualsIfExists", r#""alice""#, None));
        assert!(!holds(
            "StringNotEqualsIfExists",
            r#""alice""#,
            one("alice")
        ));
    }

    #[test]
    fn string_ignore_case() {
        assert!(holds("StringEqualsIgnoreCase", r#""ALICE""#, one("alice")));
        assert!(holds("StringEqualsIgnoreCase", r#""ÄBC""#, one("äbc")));
        assert!(!holds(
            "StringEqualsIgnoreCase",
            r#""alice""#,
            one("alicia")
        ));
        assert!(!holds("StringEqualsIgnoreCase", r#""alice""#, None));
        assert!(holds("StringEqualsIgnoreCaseIfExists", r#""alice""#, None));
        assert!(!holds(
            "StringNotEqualsIgnoreCase",
            r#""ALICE""#,
            one("alice")
        ));
        assert!(holds("StringNotEqualsIgnoreCase", r#""ALICE""#, one("bob")));
        assert!(holds(
            "StringNotEqualsIgnoreCaseIfExists",
            r#""ALICE""#,
            None
        ));
    }

    #[test]
    fn string_like_globs() {
        let sub = "repo:org/app:ref:refs/heads/main";
        assert!(
            holds("StringLike", r#""repo:org/*""#, one(sub)),
            "* spans / and :"
        );
        assert!(holds(
            "StringLike",
            r#""repo:org/app:ref:refs/heads/*""#,
            one(sub)
        ));
        assert!(!holds("StringLike", r#""repo:other/*""#, one(sub)));
        assert!(holds("StringLike", r#""a?c""#, one("abc")));
        assert!(!holds("StringLike", r#""a?c""#, one("abbc")));
        assert!(
            !holds("StringLike", r#""A*""#, one("abc")),
            "case-sensitive"
        );
        assert!(!holds("StringLike", r#""*""#, None));
        assert!(holds("StringLikeIfExists", r#""x*""#, None));
        assert!(holds(
            "StringNotLike",
            r#""repo:org/*""#,
            one("repo:evil/x")
        ));
        assert!(!holds(
            "StringNotLike",
            r#""repo:org/*""#,
            one("repo:org/x")
        ));
        assert!(holds("StringNotLike", r#""repo:org/*""#, None));
        assert!(!holds(
            "StringNotLikeIfExists",
            r#"["x","repo:*"]"#,
            one("repo:org/x")
        ));
    }

    #[test]
    fn numeric_operators() {
        assert!(holds("NumericEquals", "10", one("10")));
        assert!(holds("NumericEquals", r#""10""#, one("10.0")));
        assert!(holds("NumericEquals", "1.5", one("15e-1")));
        assert!(!holds("NumericEquals", "10", one("11")));
        assert!(holds("NumericNotEquals", "10", one("11")));
        assert!(!holds("NumericNotEquals", "10", one("10")));
        assert!(holds("NumericLessThan", "3600", one("100")));
        assert!(!holds("NumericLessThan", "3600", one("3600")));
        assert!(holds("NumericLessThanEquals", "3600", one("3600")));
        assert!(!holds("NumericLessThanEquals", "3600", one("3601")));
        assert!(holds("NumericGreaterThan", "5", one("6")));
        assert!(!holds("NumericGreaterThan", "5", one("5")));
        assert!(holds("NumericGreaterThanEquals", "5", one("5")));
        assert!(!holds("NumericGreaterThanEquals", "5", one("-5")));
        assert!(!holds("NumericLessThan", "3600", None));
        assert!(holds("NumericLessThanIfExists", "3600", None));
        // Integers beyond f64 precision compare exactly.
        assert!(holds(
            "NumericNotEquals",
            "9007199254740993",
            one("9007199254740992")
        ));
        assert!(holds(
            "NumericGreaterThan",
            "9007199254740992",
            one("9007199254740993")
        ));
    }

    #[test]
    fn numeric_parse_failures_fail_closed() {
        for junk in ["abc", "inf", "NaN", "", ".5", "1.", "0x10", " 1", "1e999"] {
            assert!(!holds("NumericEquals", "1", one(junk)), "{junk}");
            assert!(!holds("NumericNotEquals", "1", one(junk)), "{junk}");
            assert!(!holds("NumericNotEqualsIfExists", "1", one(junk)), "{junk}");
        }
        assert!(!holds("NumericLessThan", r#""ten""#, one("1")));
        assert!(!holds("NumericNotEquals", r#""ten""#, one("1")));
        assert_eq!(
            failure("NumericNotEquals", "1", one("x")),
            Some(ConditionFailure::Undecidable)
        );
    }

    #[test]
    fn date_operators() {
        let revoked = r#""2026-11-21T23:47:00Z""#;
        assert!(holds("DateLessThan", revoked, one("2026-11-21T23:00:00Z")));
        assert!(!holds("DateLessThan", revoked, one("2026-11-21T23:47:00Z")));
        assert!(
            holds("DateLessThan", revoked, one("1700000000")),
            "epoch seconds"
        );
        assert!(holds(
            "DateLessThanEquals",
            revoked,
            one("2026-11-21T23:47:00.000Z")
        ));
        assert!(holds("DateGreaterThan", revoked, one("2026-11-22")));
        assert!(!holds("DateGreaterThan", revoked, one("2026-11-21")));
        assert!(holds(
            "DateGreaterThanEquals",
            revoked,
            one("2026-11-21T23:47:00")
        ));
        assert!(holds(
            "DateEquals",
            r#""2020-01-01T00:00:00Z""#,
            one("1577836800")
        ));
        assert!(holds(
            "DateEquals",
            "1577836800",
            one("2020-01-01T01:00:00+01:00")
        ));
        assert!(holds(
            "DateEquals",
            r#""20200101T000000Z""#,
            one("2020-01-01T00:00:00Z")
        ));
        assert!(holds(
            "DateEquals",
            r#""1577836800.5""#,
            one("2020-01-01T00:00:00.5Z")
        ));
        assert!(holds(
            "DateNotEquals",
            r#""2020-01-01T00:00:00Z""#,
            one("1577836801")
        ));
        assert!(!holds(
            "DateNotEquals",
            r#""2020-01-01T00:00:00Z""#,
            one("1577836800")
        ));
        assert!(holds(
            "DateLessThan",
            r#""1970-01-01T00:00:00Z""#,
            one("-1")
        ));
        // Absent: the revocation pattern must not hit long-term keys.
        assert!(!holds("DateLessThan", revoked, None));
        assert!(holds("DateLessThanIfExists", revoked, None));
        // Unparsable: never matches, and never satisfies the negation.
        assert!(!holds("DateEquals", revoked, one("yesterday")));
        assert!(!holds("DateNotEquals", revoked, one("yesterday")));
        assert!(!holds(
            "DateNotEquals",
            r#""soon""#,
            one("2026-11-21T23:47:00Z")
        ));
    }

    #[test]
    fn bool_operator() {
        assert!(holds("Bool", r#""true""#, one("true")));
        assert!(holds("Bool", "true", one("TRUE")));
        assert!(holds("Bool", r#""False""#, one("false")));
        assert!(!holds("Bool", r#""true""#, one("false")));
        assert!(!holds("Bool", r#""true""#, one("yes")));
        assert!(!holds("Bool", r#""true""#, None));
        assert!(holds("BoolIfExists", r#""true""#, None));
        assert!(!holds("BoolIfExists", r#""true""#, one("false")));
    }

    #[test]
    fn binary_equals() {
        assert!(holds(
            "BinaryEquals",
            r#""QmluYXJ5VmFsdWU=""#,
            one("QmluYXJ5VmFsdWU=")
        ));
        assert!(!holds(
            "BinaryEquals",
            r#""QmluYXJ5VmFsdWU=""#,
            one("T3RoZXI=")
        ));
        assert!(!holds(
            "BinaryEquals",
            r#""QmluYXJ5VmFsdWU=""#,
            one("not base64!")
        ));
        assert!(!holds(
            "BinaryEquals",
            r#""not base64!""#,
            one("not base64!")
        ));
        assert!(!holds("BinaryEquals", r#""QQ==""#, None));
        assert!(holds("BinaryEqualsIfExists", r#""QQ==""#, None));
    }

    #[test]
    fn ip_address_operators() {
        let office = r#"["203.0.113.0/24","2001:db8::/32"]"#;
        assert!(holds("IpAddress", office, one("203.0.113.7")));
        assert!(holds("IpAddress", office, one("2001:db8::1")));
        assert!(
            holds("IpAddress", office, one("::ffff:203.0.113.7")),
            "v4-mapped"
        );
        assert!(!holds("IpAddress", office, one("198.51.100.1")));
        assert!(!holds("IpAddress", office, one("2001:db9::1")));
        assert!(
            holds("IpAddress", r#""198.51.100.1""#, one("198.51.100.1")),
            "bare address"
        );
        assert!(
            holds("IpAddress", r#""10.1.2.3/8""#, one("10.200.0.1")),
            "host bits ignored"
        );
        assert!(holds("IpAddress", r#""0.0.0.0/0""#, one("192.0.2.1")));
        assert!(!holds("IpAddress", r#""0.0.0.0/0""#, one("2001:db8::1")));
        assert!(holds("IpAddress", r#""::ffff:0:0/96""#, one("192.0.2.1")));
        assert!(!holds("IpAddress", r#""10.0.0.0/33""#, one("10.0.0.1")));
        assert!(!holds("IpAddress", r#""10.0.0.0/""#, one("10.0.0.1")));
        assert!(!holds("IpAddress", office, None));
        assert!(holds("IpAddressIfExists", office, None));
        assert!(holds("NotIpAddress", office, one("198.51.100.1")));
        assert!(!holds("NotIpAddress", office, one("203.0.113.9")));
        assert!(holds("NotIpAddress", office, None));
        assert!(
            !holds("NotIpAddress", office, one("not-an-ip")),
            "fail closed"
        );
        assert!(
            !holds("NotIpAddress", r#""10.0.0.0/99""#, one("192.0.2.1")),
            "fail closed"
        );
        assert!(holds("NotIpAddressIfExists", office, None));
    }

    #[test]
    fn arn_operators() {
        let role = "arn:aws:iam::123456789012:role/admin-ops";
        assert!(holds(
            "ArnLike",
            r#""arn:aws:iam::*:role/admin-*""#,
            one(role)
        ));
        assert!(holds(
            "ArnEquals",
            r#""arn:aws:iam::*:role/admin-*""#,
            one(role)
        ));
        assert!(holds("ArnEquals", &format!("\"{role}\""), one(role)));
        assert!(holds("ArnLike", r#""arn:aws:*:*:*:*""#, one(role)));
        assert!(holds(
            "ArnLike",
            r#""arn:aws:iam::1234567890??:role/*""#,
            one(role)
        ));
        assert!(
            !holds("ArnLike", r#""arn:aws:iam::*:role/Admin-*""#, one(role)),
            "case"
        );
        assert!(!holds("ArnLike", r#""arn:aws:sts::*:role/*""#, one(role)));
        // A pattern without six fields is not an ARN pattern; `*` cannot span fields.
        assert!(!holds("ArnLike", r#""arn:aws:iam::*""#, one(role)));
        assert!(!holds("ArnLike", r#""*""#, one(role)));
        assert!(holds(
            "ArnLike",
            r#""arn:aws:s3:::bucket/*""#,
            one("arn:aws:s3:::bucket/a:b/c")
        ));
        assert!(!holds("ArnLike", r#""arn:aws:iam::*:*""#, None));
        assert!(holds("ArnLikeIfExists", r#""arn:aws:iam::*:*""#, None));
        assert!(holds(
            "ArnNotEquals",
            &format!("\"{role}\""),
            one("arn:aws:iam::123456789012:role/x")
        ));
        assert!(!holds("ArnNotEquals", &format!("\"{role}\""), one(role)));
        assert!(holds(
            "ArnNotLike",
            r#""arn:aws:iam::*:role/admin-*""#,
            one("arn:aws:iam::1:user/u")
        ));
        assert!(!holds(
            "ArnNotLike",
            r#""arn:aws:iam::*:role/admin-*""#,
            one(role)
        ));
        assert!(holds(
            "ArnNotLike",
            r#""arn:aws:iam::*:role/admin-*""#,
            None
        ));
        // A request value that is not an ARN matches neither way.
        assert!(!holds(
            "ArnLike",
            r#""arn:aws:iam::*:*""#,
            one("not-an-arn")
        ));
        assert!(!holds(
            "ArnNotLike",
            r#""arn:aws:iam::*:*""#,
            one("not-an-arn")
        ));
        assert!(!holds(
            "ArnNotEquals",
            r#""arn:aws:iam::*:*""#,
            one("not-an-arn")
        ));
    }

    #[test]
    fn null_operator() {
        assert!(holds("Null", r#""true""#, None));
        assert!(!holds("Null", r#""true""#, one("x")));
        assert!(holds("Null", "false", one("x")));
        assert!(!holds("Null", "false", None));
        assert!(
            holds("Null", r#""true""#, many(&[])),
            "empty list is absent"
        );
        assert!(holds("Null", r#""TRUE""#, None));
        assert!(!holds("Null", r#""maybe""#, None));
        assert!(!holds("Null", r#""maybe""#, one("x")));
        assert!(holds("Null", "[true,false]", one("x")));
        assert_eq!(
            failure("Null", "true", one("x")),
            Some(ConditionFailure::NullCheck)
        );
    }

    #[test]
    fn for_any_value() {
        let tags = many(&["a", "b"]);
        assert!(holds(
            "ForAnyValue:StringEquals",
            r#"["b","c"]"#,
            tags.clone()
        ));
        assert!(!holds("ForAnyValue:StringEquals", r#"["x"]"#, tags.clone()));
        assert!(!holds("ForAnyValue:StringEquals", r#""a""#, None), "absent");
        assert!(
            !holds("ForAnyValue:StringEquals", r#""a""#, many(&[])),
            "empty"
        );
        assert!(holds("ForAnyValue:StringEqualsIfExists", r#""a""#, None));
        assert!(holds(
            "ForAnyValue:StringLike",
            r#""b*""#,
            many(&["x", "bee"])
        ));
        assert!(
            holds("ForAnyValue:StringNotEquals", r#""a""#, tags.clone()),
            "b is not a"
        );
        assert!(!holds(
            "ForAnyValue:StringNotEquals",
            r#""a""#,
            many(&["a"])
        ));
        assert!(!holds("ForAnyValue:StringNotEquals", r#""a""#, None));
        assert!(
            holds("ForAnyValue:StringEquals", r#""a""#, one("a")),
            "single value"
        );
    }

    #[test]
    fn for_all_values() {
        let tags = many(&["a", "b"]);
        assert!(holds(
            "ForAllValues:StringEquals",
            r#"["a","b","c"]"#,
            tags.clone()
        ));
        assert!(!holds(
            "ForAllValues:StringEquals",
            r#"["a","c"]"#,
            tags.clone()
        ));
        assert!(
            holds("ForAllValues:StringEquals", r#""a""#, None),
            "absent: vacuous"
        );
        assert!(
            holds("ForAllValues:StringEquals", r#""a""#, many(&[])),
            "empty: vacuous"
        );
        assert!(holds(
            "ForAllValues:StringLike",
            r#"["a*","b*"]"#,
            many(&["ax", "by"])
        ));
        assert!(holds(
            "ForAllValues:StringNotEquals",
            r#""z""#,
            tags.clone()
        ));
        assert!(!holds(
            "ForAllValues:StringNotEquals",
            r#""a""#,
            tags.clone()
        ));
        assert!(holds("ForAllValues:StringNotEquals", r#""a""#, None));
        assert!(
            !holds("ForAllValues:NumericLessThan", "10", many(&["1", "x"])),
            "fail closed"
        );
        assert_eq!(
            failure("ForAllValues:StringEquals", r#""a""#, tags.clone()),
            Some(ConditionFailure::ValueOutsideSet)
        );
    }

    #[test]
    fn plain_operators_on_multivalued_keys() {
        let tags = many(&["a", "b"]);
        assert!(
            holds("StringEquals", r#""b""#, tags.clone()),
            "like ForAnyValue"
        );
        assert!(
            !holds("StringNotEquals", r#""b""#, tags.clone()),
            "no value may match"
        );
        assert!(holds("StringNotEquals", r#""c""#, tags));
    }

    #[test]
    fn failure_reasons() {
        assert_eq!(
            failure("StringEquals", r#""a""#, None),
            Some(ConditionFailure::KeyAbsent)
        );
        assert_eq!(
            failure("StringEquals", r#""a""#, one("b")),
            Some(ConditionFailure::NoValueMatched)
        );
        assert_eq!(
            failure("StringNotEquals", r#""a""#, one("a")),
            Some(ConditionFailure::ExcludedValueMatched)
        );
        assert_eq!(
            failure("StringEquals", r#""${aws:missing}""#, one("a")),
            Some(ConditionFailure::Undecidable)
        );
        assert_eq!(failure("StringEquals", r#""a""#, one("a")), None);
    }

    #[test]
    fn helpers_parse_strictly() {
        assert_eq!(
            split_arn("arn:aws:s3:::b/k:x"),
            Some(["arn", "aws", "s3", "", "", "b/k:x"])
        );
        assert_eq!(split_arn("arn:aws:s3::"), None);
        assert_eq!(Number::parse("+1").map(|n| n.exact), Some(Some(1)));
        assert_eq!(Number::parse("-2.5e1").map(|n| n.approx), Some(-25.0));
        assert_eq!(parse_epoch("1.5"), Some(1_500_000_000));
        assert_eq!(parse_epoch("-1.5"), Some(-1_500_000_000));
        assert_eq!(parse_epoch("1e5"), None);
        assert_eq!(parse_instant("not a date"), None);
        assert_eq!(Cidr::parse("10.0.0.0/0008"), None);
    }
}
