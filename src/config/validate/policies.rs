//! `[[policies]]`: managed identity policies, named so users and roles can attach them, and the
//! check that every `managed_policies` entry names one of them.

use std::collections::HashSet;

use super::context::{Ctx, Names, iam_name, keyed};
use crate::config::ManagedPolicy;
use crate::config::raw::RawPolicy;
use crate::policy::PolicyKind;
use crate::types::AccountId;

pub(super) fn managed_policies(
    cx: &mut Ctx<'_>,
    account: AccountId,
    raw: Vec<RawPolicy>,
) -> Vec<ManagedPolicy> {
    let mut names = Names::new("name", "policy name");
    let mut out = Vec::new();
    for (key, p) in keyed("policies", raw) {
        names.check(cx, &key, &p.name, iam_name(&p.name, 128, "policy name"));
        if let Some(document) =
            cx.policy(format!("{key}.document"), &p.document, PolicyKind::Identity)
        {
            let arn = format!("arn:aws:iam::{account}:policy/{}", p.name);
            out.push(ManagedPolicy {
                name: p.name,
                arn,
                document,
            });
        }
    }
    out
}

/// Each of an entry's `managed_policies` must name a `[[policies]]` entry.
pub(super) fn check_managed_refs(
    cx: &mut Ctx<'_>,
    key: &str,
    refs: &[String],
    known: &HashSet<&str>,
) {
    for (j, name) in refs.iter().enumerate() {
        if !known.contains(name.as_str()) {
            cx.err(
                format!("{key}.managed_policies[{j}]"),
                format!("no [[policies]] entry named '{name}'"),
            );
        }
    }
}
