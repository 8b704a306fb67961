//! MFA for signed actions (AssumeRole, GetSessionToken): `SerialNumber` + `TokenCode` checked
//! against the calling user's TOTP device, each code usable once, and codes that cannot be
//! guessed:
//!
//! - A code is looked at only for a caller that the action's other checks would let through
//!   with MFA (the callers, [`super::assume_role::assume_role_with_mfa`] and
//!   [`super::tokens::get_session_token_with_mfa`], decide that first): any other caller gets
//!   the same refusal whatever the code, and nothing is counted.
//! - Then, in this order: a locked device refuses every code, right or wrong
//!   ([`LOCKED_MESSAGE`]); the per-user limit (`[limits] mfa_per_user_per_s`, one budget for
//!   all of a user's keys and sessions) throttles; the attempt is counted in the store; the
//!   code is checked; a valid code clears the count.
//! - Counting before checking makes the limit exact under concurrency: however many requests
//!   race (on any number of replicas sharing the store), at most [`LOCK_POLICY`]`.max_attempts`
//!   codes are checked per window before the device locks. Five invalid codes within 15
//!   minutes lock the device for 15 minutes (the window runs from its first invalid code).

use chrono::{DateTime, TimeDelta, Utc};

use super::error::ServiceError;
use crate::authn::Principal;
use crate::authn::totp::{TotpError, verify_once};
use crate::config::Config;
use crate::limits::RateLimiter;
use crate::metrics::{Metrics, MfaOutcome};
use crate::seal::SessionPrincipal;
use crate::store::{MfaAttempt, MfaLockPolicy, Store};

/// Invalid codes per device: 5 within 15 minutes lock it for 15 minutes.
pub const LOCK_POLICY: MfaLockPolicy = MfaLockPolicy {
    max_attempts: 5,
    window: TimeDelta::minutes(15),
    lockout: TimeDelta::minutes(15),
};

/// What a caller with a locked device is told, for every code.
pub const LOCKED_MESSAGE: &str =
    "MultiFactorAuthentication failed: too many invalid codes, try again later";

/// What checking a code needs besides the request: the users' devices, the store (replay
/// records and invalid-code counts, shared by replicas) and the per-user limit.
#[derive(Debug, Clone, Copy)]
pub struct MfaChecker<'a> {
    pub config: &'a Config,
    pub store: &'a dyn Store,
    /// Keyed by IAM user name.
    pub per_user: &'a RateLimiter,
    /// Where code outcomes are counted.
    pub metrics: &'a Metrics,
}

/// `SerialNumber` and `TokenCode` as the request gave them.
#[derive(Debug, Clone, Copy, Default)]
pub struct MfaParams<'a> {
    pub serial_number: Option<&'a str>,
    pub token_code: Option<&'a str>,
}

/// A serial number and a code, given together.
#[derive(Debug, Clone, Copy)]
pub struct MfaCode<'a> {
    serial_number: &'a str,
    token_code: &'a str,
}

impl<'a> MfaParams<'a> {
    /// The code, `None` when the request carries no MFA; one parameter without the other is
    /// refused.
    pub fn code(self) -> Result<Option<MfaCode<'a>>, ServiceError> {
        match (self.serial_number, self.token_code) {
            (None, None) => Ok(None),
            (Some(serial_number), Some(token_code)) => Ok(Some(MfaCode {
                serial_number,
                token_code,
            })),
            _ => Err(ServiceError::InvalidParameter(
                "SerialNumber and TokenCode are given together.".into(),
            )),
        }
    }
}

/// Checks `code` against the caller's device at `now` and returns when MFA was verified (for
/// `aws:MultiFactorAuthAge`), or refuses: `MfaFailed` for an unknown device or an invalid
/// code, `MfaLocked` for a locked device, `Throttled` over the per-user limit.
///
/// Call it only once the caller is otherwise allowed to make the call with MFA. The device is
/// the caller's user's: its serial number is `arn:aws:iam::<account>:mfa/<user name>`.
pub async fn verify_mfa(
    checker: MfaChecker<'_>,
    caller: &Principal,
    code: MfaCode<'_>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ServiceError> {
    let deny = |reason: &str| ServiceError::MfaFailed(reason.to_owned());
    let user_name = match caller {
        Principal::User { name, .. } => name.as_str(),
        Principal::Session(claims) => match &claims.principal {
            SessionPrincipal::User { name, .. } => name.as_str(),
            SessionPrincipal::AssumedRole { .. } | SessionPrincipal::FederatedUser { .. } => {
                return Err(deny("only IAM users have MFA devices"));
            }
        },
    };
    let device = format!(
        "arn:aws:iam::{}:mfa/{user_name}",
        checker.config.server.account_id
    );
    let user = checker
        .config
        .user_by_name(user_name)
        .ok_or_else(|| deny("unknown user"))?;
    let (Some(seed), true) = (&user.mfa_totp_secret, code.serial_number == device) else {
        return Err(deny("no MFA device with this serial number for the caller"));
    };
    let metrics = checker.metrics;
    let locked = || {
        metrics.mfa_code(MfaOutcome::RefusedLocked);
        tracing::debug!(user = user_name, "MFA code refused: the device is locked");
        ServiceError::MfaLocked
    };
    if checker.store.mfa_locked(&device, now).await? {
        return Err(locked());
    }
    if !checker.per_user.admit(user_name, now) {
        return Err(ServiceError::Throttled);
    }
    // Counted before the code is checked: a concurrent attempt sees this one.
    let attempts = match checker
        .store
        .record_mfa_attempt(&device, LOCK_POLICY, now)
        .await?
    {
        MfaAttempt::Locked => return Err(locked()),
        MfaAttempt::Counted { attempts } => attempts,
    };
    match verify_once(checker.store, user_name, seed, code.token_code, now).await {
        Ok(m) => {
            metrics.mfa_code(MfaOutcome::Accepted);
            // The code is valid and spent whatever happens here; a count left behind by a
            // store failure only brings a lock nearer, it never lets a guess through.
            if let Err(e) = checker.store.clear_mfa_attempts(&device).await {
                tracing::warn!(error = %e, "could not reset the invalid MFA code count");
            }
            Ok(m.step_start.max(now - TimeDelta::seconds(30)).min(now))
        }
        Err(TotpError::Store(e)) => Err(ServiceError::Store(e)),
        Err(
            e @ (TotpError::BadSecret
            | TotpError::BadCode
            | TotpError::WrongCode
            | TotpError::Reused),
        ) => {
            if attempts >= LOCK_POLICY.max_attempts {
                metrics.mfa_code(MfaOutcome::LockedOut);
                tracing::warn!(
                    user = user_name,
                    minutes = LOCK_POLICY.lockout.num_minutes(),
                    "MFA device locked after too many invalid codes"
                );
            } else {
                metrics.mfa_code(MfaOutcome::Invalid);
            }
            Err(deny(&format!(
                "{e} (invalid code {attempts} of {} allowed)",
                LOCK_POLICY.max_attempts
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_refusal_says_exactly_the_documented_text() {
        assert_eq!(ServiceError::MfaLocked.to_string(), LOCKED_MESSAGE);
        assert_eq!(
            (
                LOCK_POLICY.max_attempts,
                LOCK_POLICY.window.num_minutes(),
                LOCK_POLICY.lockout.num_minutes()
            ),
            (5, 15, 15)
        );
    }

    #[test]
    fn serial_number_and_code_come_together() {
        let params = |serial_number, token_code| MfaParams {
            serial_number,
            token_code,
        };
        assert!(matches!(params(None, None).code(), Ok(None)));
        let code = params(Some("arn:aws:iam::1:mfa/a"), Some("123456"))
            .code()
            .unwrap()
            .unwrap();
        assert_eq!(
            (code.serial_number, code.token_code),
            ("arn:aws:iam::1:mfa/a", "123456")
        );
        for half in [params(Some("s"), None), params(None, Some("123456"))] {
            assert!(matches!(
                half.code(),
                Err(ServiceError::InvalidParameter(_))
            ));
        }
    }
}
