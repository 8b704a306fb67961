//! DecodeAuthorizationMessage: reveals why an `AccessDenied` happened, to callers allowed
//! `sts:DecodeAuthorizationMessage`. The answer is a JSON document shaped like AWS's
//! (`allowed`, `explicitDeny`, `context`), plus the check that refused in `reason`.

use std::net::IpAddr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use super::error::ServiceError;
use super::permissions::require_permission;
use crate::authn::Principal;
use crate::config::Config;
use crate::seal::{Keyring, denial};

const ACTION: &str = "sts:DecodeAuthorizationMessage";

pub fn decode_authorization_message(
    config: &Config,
    keyring: &Keyring,
    caller: &Principal,
    encoded: &str,
    source_ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    require_permission(config, caller, ACTION, "*", source_ip, now)?;
    // Forged, truncated, or from another deployment: all the same to the caller.
    let d =
        denial::open(keyring, encoded).map_err(|_| ServiceError::InvalidAuthorizationMessage)?;
    Ok(json!({
        "allowed": false,
        "explicitDeny": d.explicit_deny,
        "reason": d.reason,
        "context": {
            "principal": d.principal.map(|arn| json!({ "arn": arn })),
            "action": d.action,
            "resource": d.resource,
            "time": d.at.to_rfc3339_opts(SecondsFormat::Secs, true),
        },
    })
    .to_string())
}
