//! `[[roles]]`: name and path (which make the ARN), the longest session, the trust policy,
//! permission policies and tags.

use std::collections::HashSet;

use super::context::{Ctx, Names, derived_id, keyed};
use super::policies::check_managed_refs;
use super::tags::check_tags;
use crate::config::Role;
use crate::config::raw::RawRole;
use crate::policy::PolicyKind;
use crate::types::arn::{validate_role_name, validate_role_path};
use crate::types::duration::{DEFAULT_ROLE_SESSION_SECONDS, ROLE_MAX_SESSION_RANGE};
use crate::types::{AccountId, RoleArn};

pub(super) fn roles(
    cx: &mut Ctx<'_>,
    account: AccountId,
    raw: Vec<RawRole>,
    policy_names: &HashSet<&str>,
) -> Vec<Role> {
    let mut names = Names::case_insensitive("name", "role name");
    let mut out = Vec::new();
    for (key, r) in keyed("roles", raw) {
        let path = r.path.as_deref().unwrap_or("/");
        let name_rule = validate_role_name(&r.name).map_err(|e| e.to_string());
        names.check(cx, &key, &r.name, name_rule);
        if let Err(e) = validate_role_path(path) {
            cx.err(format!("{key}.path"), e.to_string());
        }
        let max = r
            .max_session_duration
            .unwrap_or(DEFAULT_ROLE_SESSION_SECONDS);
        if !ROLE_MAX_SESSION_RANGE.contains(&max) {
            cx.err(
                format!("{key}.max_session_duration"),
                "must be 3600 to 43200 seconds",
            );
        }
        let trust = cx.policy(
            format!("{key}.trust_policy"),
            &r.trust_policy,
            PolicyKind::Trust,
        );
        let policies = cx.inline_policies(&key, &r.policies);
        check_managed_refs(cx, &key, &r.managed_policies, policy_names);
        check_tags(cx, &format!("{key}.tags"), &r.tags);
        let arn = RoleArn::new(account, path, &r.name).ok();
        if let (Some(arn), Some(trust_policy)) = (arn, trust) {
            out.push(Role {
                role_id: derived_id("AROA", account, "role", &arn.to_string()),
                arn,
                max_session_duration: max,
                trust_policy,
                policies,
                managed_policies: r.managed_policies,
                tags: r.tags,
            });
        }
    }
    out
}
