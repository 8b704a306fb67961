//! `[limits]`: request rates per IP, subject, access key and MFA user; each at least 1 a second.

use super::context::Ctx;
use crate::config::Limits;
use crate::config::raw::RawLimits;

pub(super) fn limits(cx: &mut Ctx<'_>, raw: &RawLimits) -> Limits {
    let mut pick = |name: &str, v: Option<u32>, default: u32| {
        let v = v.unwrap_or(default);
        if v == 0 {
            cx.err(
                format!("limits.{name}"),
                "must be at least 1 request per second",
            );
        }
        v
    };
    Limits {
        unauthenticated_per_ip_per_s: pick(
            "unauthenticated_per_ip_per_s",
            raw.unauthenticated_per_ip_per_s,
            50,
        ),
        per_subject_per_s: pick("per_subject_per_s", raw.per_subject_per_s, 10),
        per_access_key_per_s: pick("per_access_key_per_s", raw.per_access_key_per_s, 100),
        mfa_per_user_per_s: pick("mfa_per_user_per_s", raw.mfa_per_user_per_s, 1),
    }
}
