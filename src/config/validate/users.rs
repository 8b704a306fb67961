//! `[[users]]`: long-term identities with an `AKIA…` key (unique across users), its secret
//! (which may come from the environment), an optional TOTP seed for MFA, and their policies.

use std::collections::HashSet;

use super::context::{Ctx, Names, derived_id, iam_name, keyed};
use super::policies::check_managed_refs;
use crate::config::User;
use crate::config::raw::RawUser;
use crate::config::secret_ref::resolve;
use crate::types::{AccessKeyId, AccessKeyKind, AccountId, Secret, SecretAccessKey};

pub(super) fn users(
    cx: &mut Ctx<'_>,
    account: AccountId,
    raw: Vec<RawUser>,
    policy_names: &HashSet<&str>,
) -> Vec<User> {
    let mut names = Names::new("name", "user name");
    let mut keys = HashSet::new();
    let mut out = Vec::new();
    for (key, u) in keyed("users", raw) {
        names.check(cx, &key, &u.name, iam_name(&u.name, 64, "user name"));
        let akid = cx.check(
            format!("{key}.access_key_id"),
            u.access_key_id.parse::<AccessKeyId>(),
        );
        let akid = akid.filter(|id| {
            let long_term = id.kind() == AccessKeyKind::LongTerm;
            if !long_term {
                cx.err(
                    format!("{key}.access_key_id"),
                    "configured users have long-term AKIA… keys",
                );
            } else if !keys.insert(id.clone()) {
                cx.err(
                    format!("{key}.access_key_id"),
                    "this access key id is already used by another user",
                );
            }
            long_term
        });
        let secret = cx
            .check(
                format!("{key}.secret_access_key"),
                resolve(u.secret_access_key.expose(), cx.env),
            )
            .and_then(|s| {
                cx.check(
                    format!("{key}.secret_access_key"),
                    SecretAccessKey::parse(s.expose()),
                )
            });
        let totp = u
            .mfa_totp_secret
            .as_ref()
            .map(Secret::expose)
            .and_then(|t| totp_seed(cx, &format!("{key}.mfa_totp_secret"), t));
        let policies = cx.inline_policies(&key, &u.policies);
        check_managed_refs(cx, &key, &u.managed_policies, policy_names);
        if let (Some(access_key_id), Some(secret_access_key)) = (akid, secret) {
            out.push(User {
                user_id: derived_id("AIDA", account, "user", &u.name),
                name: u.name,
                access_key_id,
                secret_access_key,
                mfa_totp_secret: totp,
                policies,
                managed_policies: u.managed_policies,
            });
        }
    }
    out
}

/// RFC 6238 seeds are base32 (spaces and padding tolerated, as authenticator apps show them);
/// at least 80 bits, as RFC 4226 requires.
fn totp_seed(cx: &mut Ctx<'_>, key: &str, value: &str) -> Option<Secret> {
    let secret = cx.check(key, resolve(value, cx.env))?;
    let cleaned: String = secret
        .expose()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .collect::<String>()
        .to_ascii_uppercase();
    let decoded = data_encoding::BASE32_NOPAD.decode(cleaned.as_bytes());
    match decoded {
        Ok(bytes) if bytes.len() >= 10 => Some(Secret::new(cleaned)),
        Ok(_) => {
            cx.err(
                key,
                "a TOTP secret needs at least 80 bits (16 base32 characters)",
            );
            None
        }
        Err(_) => {
            cx.err(key, "a TOTP secret is base32 (A-Z, 2-7)");
            None
        }
    }
}
