//! The STS model's member constraints (length, pattern, range), each violation reported the
//! way AWS does: collected into one `ValidationError` naming every failing member.

use super::error::Violations;
use crate::types::arn::{ARN_MAX_LEN, ARN_MIN_LEN, is_iam_name_char};

/// `[\w+=,.@-]*` 2..=64: RoleSessionName, SourceIdentity; 2..=32 for federated user names.
pub(super) const NAME_PATTERN: &str =
    r"Member must satisfy regular expression pattern: [\w+=,.@-]*";

pub(super) fn check_len(
    v: &mut Violations,
    member: &str,
    value: &str,
    min: usize,
    max: usize,
    sensitive: bool,
) -> bool {
    let n = value.chars().count();
    let shown = (!sensitive).then_some(value);
    if n < min {
        v.push(
            member,
            shown,
            &format!("Member must have length greater than or equal to {min}"),
        );
        false
    } else if n > max {
        v.push(
            member,
            shown,
            &format!("Member must have length less than or equal to {max}"),
        );
        false
    } else {
        true
    }
}

pub(super) fn check_name(v: &mut Violations, member: &str, value: &str, max: usize) {
    if check_len(v, member, value, 2, max, false) && !value.chars().all(is_iam_name_char) {
        v.push(member, Some(value), NAME_PATTERN);
    }
}

pub(super) fn check_pattern(
    v: &mut Violations,
    member: &str,
    value: &str,
    allowed: impl Fn(char) -> bool,
    pattern: &str,
) {
    if !value.chars().all(allowed) {
        v.push(
            member,
            Some(value),
            &format!("Member must satisfy regular expression pattern: {pattern}"),
        );
    }
}

/// Printable characters of the model's `arnType` pattern.
fn arn_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

pub(super) fn check_arn(v: &mut Violations, member: &str, value: &str) -> bool {
    let ok =
        check_len(v, member, value, ARN_MIN_LEN, ARN_MAX_LEN, false) && value.chars().all(arn_char);
    if !ok && value.chars().count() >= ARN_MIN_LEN {
        v.push(member, Some(value), "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+");
    }
    ok
}

/// Integers are range-checked in i64 first, so `DurationSeconds=99999999999` is a clean
/// validation error, never an overflow.
pub(super) fn check_duration(
    v: &mut Violations,
    member: &str,
    value: Option<i64>,
    min: i64,
    max: i64,
) -> Option<u32> {
    let d = value?;
    if d < min {
        v.push(
            member,
            Some(&d.to_string()),
            &format!("Member must have value greater than or equal to {min}"),
        );
        None
    } else if d > max {
        v.push(
            member,
            Some(&d.to_string()),
            &format!("Member must have value less than or equal to {max}"),
        );
        None
    } else {
        u32::try_from(d).ok()
    }
}
