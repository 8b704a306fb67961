//! MFA for signed actions (AssumeRole, GetSessionToken): `SerialNumber` + `TokenCode` checked
//! against the calling user's TOTP device, each code usable once.

use chrono::{DateTime, Utc};

use super::error::ServiceError;
use crate::authn::Principal;
use crate::authn::totp::{TotpError, verify_once};
use crate::config::Config;
use crate::mint::SessionPrincipal;
use crate::store::Store;

/// `Ok(Some(time))` when a valid code was given, `Ok(None)` when none was, `AccessDenied`
/// otherwise. The device is the caller's user's: its serial number is
/// `arn:aws:iam::<account>:mfa/<user name>`.
pub async fn verify_mfa(
    config: &Config,
    store: &dyn Store,
    caller: &Principal,
    serial_number: Option<&str>,
    token_code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ServiceError> {
    let deny = |reason: &str| ServiceError::MfaFailed(reason.to_owned());
    let (serial, code) = match (serial_number, token_code) {
        (None, None) => return Ok(None),
        (Some(s), Some(c)) => (s, c),
        _ => {
            return Err(ServiceError::InvalidParameter(
                "SerialNumber and TokenCode are given together.".into(),
            ));
        }
    };
    let user_name = match caller {
        Principal::User { name, .. } => name.as_str(),
        Principal::Session(claims) => match &claims.principal {
            SessionPrincipal::User { name, .. } => name.as_str(),
            SessionPrincipal::AssumedRole { .. } | SessionPrincipal::FederatedUser { .. } => {
                return Err(deny("only IAM users have MFA devices"));
            }
        },
    };
    let expected_serial = format!("arn:aws:iam::{}:mfa/{user_name}", config.server.account_id);
    let user = config
        .user_by_name(user_name)
        .ok_or_else(|| deny("unknown user"))?;
    let (Some(seed), true) = (&user.mfa_totp_secret, serial == expected_serial) else {
        return Err(deny("no MFA device with this serial number for the caller"));
    };
    match verify_once(store, user_name, seed, code, now).await {
        Ok(m) => Ok(Some(
            m.step_start
                .max(now - chrono::TimeDelta::seconds(30))
                .min(now),
        )),
        Err(TotpError::Store(e)) => Err(ServiceError::Store(e)),
        Err(
            e @ (TotpError::BadSecret
            | TotpError::BadCode
            | TotpError::WrongCode
            | TotpError::Reused),
        ) => Err(deny(&e.to_string())),
    }
}
