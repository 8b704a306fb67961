//! Members several actions share: role ARNs, session scope (duration, inline and managed
//! session policies), session tags and transitive keys, MFA serial and code.

use super::constraints::{check_arn, check_duration, check_len, check_pattern};
use super::error::{ErrorCode, StsError, Violations};
use super::params::Params;
use crate::types::arn::is_iam_name_char;
use crate::types::tag::{MAX_TAGS, TAG_KEY_MAX, TAG_VALUE_MAX, is_tag_char};
use crate::types::{Arn, RoleArn, SessionName, TagSet};

/// One `Tags.member.N` pair as read, before the set's own rules are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Tag {
    pub(super) key: String,
    pub(super) value: String,
}

/// Reads `PolicyArns.member.N.arn` (at most 10).
pub(super) fn policy_arns(params: &Params, v: &mut Violations) -> Result<Vec<Arn>, StsError> {
    let rows = params.struct_list("PolicyArns")?.unwrap_or_default();
    if rows.len() > 10 {
        v.push(
            "policyArns",
            None,
            "Member must have length less than or equal to 10",
        );
    }
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let member = format!("policyArns.{}.member.arn", i + 1);
        let text = row.get("arn").map(String::as_str).unwrap_or_default();
        if check_arn(v, &member, text) {
            match text.parse::<Arn>() {
                Ok(arn) => out.push(arn),
                Err(_) => v.push(&member, Some(text), "Member must be a valid ARN"),
            }
        }
    }
    Ok(out)
}

/// Reads `Tags.member.N.Key/Value` (at most 50).
pub(super) fn tags(params: &Params, v: &mut Violations) -> Result<Vec<Tag>, StsError> {
    let rows = params.struct_list("Tags")?.unwrap_or_default();
    if rows.len() > MAX_TAGS {
        v.push(
            "tags",
            None,
            "Member must have length less than or equal to 50",
        );
    }
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let n = i + 1;
        let (Some(key), Some(value)) = (row.get("Key"), row.get("Value")) else {
            v.push(
                &format!("tags.{n}.member"),
                None,
                "Member must have both Key and Value",
            );
            continue;
        };
        let key_member = format!("tags.{n}.member.key");
        if check_len(v, &key_member, key, 1, TAG_KEY_MAX, false) {
            check_pattern(
                v,
                &key_member,
                key,
                is_tag_char,
                r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+",
            );
        }
        let value_member = format!("tags.{n}.member.value");
        if check_len(v, &value_member, value, 0, TAG_VALUE_MAX, false) {
            check_pattern(
                v,
                &value_member,
                value,
                is_tag_char,
                r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*",
            );
        }
        out.push(Tag {
            key: key.clone(),
            value: value.clone(),
        });
    }
    Ok(out)
}

/// Reads `TransitiveTagKeys.member.N` (at most 50, each a tag key).
pub(super) fn transitive_tag_keys(
    params: &Params,
    v: &mut Violations,
) -> Result<Vec<String>, StsError> {
    let keys = params.list("TransitiveTagKeys")?.unwrap_or_default();
    if keys.len() > MAX_TAGS {
        v.push(
            "transitiveTagKeys",
            None,
            "Member must have length less than or equal to 50",
        );
    }
    for (i, k) in keys.iter().enumerate() {
        let member = format!("transitiveTagKeys.{}.member", i + 1);
        if check_len(v, &member, k, 1, TAG_KEY_MAX, false) {
            check_pattern(v, &member, k, is_tag_char, r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+");
        }
    }
    Ok(keys)
}

/// Semantic tag rules, checked once the syntax is valid: the session's [`TagSet`].
pub(super) fn tag_set(tags: Vec<Tag>, transitive: Vec<String>) -> Result<TagSet, StsError> {
    let pairs = tags.into_iter().map(|t| (t.key, t.value)).collect();
    TagSet::new(pairs, transitive)
        .map_err(|e| StsError::new(ErrorCode::InvalidParameterValue, e.to_string()))
}

/// A member already checked by [`check_name`](super::constraints::check_name), as the type
/// the service takes.
pub(super) fn checked_session_name(text: &str) -> Result<SessionName, StsError> {
    text.parse().map_err(|_| StsError::internal())
}

/// `RoleArn`: the model's `arnType`, and then it must be a role's ARN.
pub(super) fn role_arn(v: &mut Violations, text: &str) -> Option<RoleArn> {
    if !check_arn(v, "roleArn", text) {
        return None;
    }
    text.parse::<RoleArn>()
        .map_err(|e| {
            v.push(
                "roleArn",
                Some(text),
                &format!("Member must be a role ARN: {e}"),
            );
        })
        .ok()
}

/// Requested duration, inline session policy, session policy ARNs.
type SessionScope = (Option<u32>, Option<String>, Vec<Arn>);

/// `DurationSeconds` (900..=43,200), `Policy` and `PolicyArns`, in the model's order: the part
/// every AssumeRole* action shares. The model sets no maximum for the policy; 2048 characters
/// is the documented plaintext limit, and bounding it here keeps policy parsing bounded later.
pub(super) fn role_session_scope(
    params: &Params,
    v: &mut Violations,
) -> Result<SessionScope, StsError> {
    let duration_seconds = check_duration(
        v,
        "durationSeconds",
        params.int("DurationSeconds")?,
        900,
        43_200,
    );
    let policy = optional_policy(params, v, 2048);
    let policy_arns = policy_arns(params, v)?;
    Ok((duration_seconds, policy, policy_arns))
}

pub(super) fn optional_policy(params: &Params, v: &mut Violations, max: usize) -> Option<String> {
    let policy = params.get("Policy")?;
    if check_len(v, "policy", policy, 1, max, false) {
        check_pattern(
            v,
            "policy",
            policy,
            |c| matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{FF}'),
            r"[\u0009\u000A\u000D\u0020-\u00FF]+",
        );
    }
    Some(policy.to_owned())
}

/// An optional `SerialNumber` + `TokenCode` pair (checked for shape here, for truth by the service).
pub(super) fn mfa_params(params: &Params, v: &mut Violations) -> (Option<String>, Option<String>) {
    let serial_number = params.get("SerialNumber").map(str::to_owned);
    if let Some(s) = &serial_number
        && check_len(v, "serialNumber", s, 9, 256, false)
    {
        check_pattern(
            v,
            "serialNumber",
            s,
            |c| is_iam_name_char(c) || c == ':' || c == '/',
            r"[\w+=/:,.@-]*",
        );
    }
    let token_code = params.get("TokenCode").map(str::to_owned);
    if let Some(t) = &token_code
        && check_len(v, "tokenCode", t, 6, 6, true)
        && !t.chars().all(|c| c.is_ascii_digit())
    {
        // One-time codes are never echoed back.
        v.push(
            "tokenCode",
            None,
            r"Member must satisfy regular expression pattern: [\d]*",
        );
    }
    (serial_number, token_code)
}
