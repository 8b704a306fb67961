//! Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), as AWS virtual MFA devices
//! use them: HMAC-SHA1, 30-second steps counted from the Unix epoch, 6 decimal digits.
//!
//! Invariants:
//! - A code is accepted for the current step and one step either side (clock drift between
//!   the authenticator and the bridge), never further.
//! - Candidate codes are compared in constant time, and every candidate of the window is
//!   compared, so timing does not say which step (if any) matched.
//! - Neither the seed nor the code appears in an error, a log line or a `Debug` output.
//! - [`verify_once`] accepts a given `(user, step)` once: a code seen by one replica is
//!   refused by every replica sharing the store, until the step leaves the window.
//! - Time is a parameter; nothing here reads a clock.

use aws_lc_rs::hmac;
use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::store::{Store, StoreError};
use crate::types::Secret;

/// Length of a time step, in seconds (RFC 6238's default X, and what AWS uses).
pub const STEP_SECONDS: i64 = 30;
/// Number of digits in a code.
pub const DIGITS: usize = 6;
/// Steps accepted on either side of the current one.
pub const WINDOW_STEPS: i64 = 1;
/// Store namespace of the `(user, step)` replay records.
pub const STORE_NAMESPACE: &str = "totp";

/// Shortest seed accepted, in bytes (RFC 4226 R6: at least 128 bits recommended, 80 required).
const MIN_SEED_BYTES: usize = 10;
/// 10^DIGITS: the modulus of the truncated HOTP value.
const CODE_MODULUS: u32 = 1_000_000;

/// The time step a code was accepted for (for replay tracking and aws:MultiFactorAuthAge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotpMatch {
    /// The step number: seconds since the Unix epoch divided by 30, rounded down.
    pub step: i64,
    /// When that step began.
    pub step_start: DateTime<Utc>,
}

/// Why a code was not accepted. Display texts never contain the seed or the code.
#[derive(Debug, thiserror::Error)]
pub enum TotpError {
    /// The configured seed is not base32 or is shorter than 80 bits (a configuration fault).
    #[error("the TOTP seed is not valid base32 of at least 80 bits")]
    BadSecret,
    /// The code given is not exactly six ASCII digits.
    #[error("an MFA code is exactly six digits")]
    BadCode,
    /// The code matches no step of the acceptance window.
    #[error("the MFA code is not valid at this time")]
    WrongCode,
    /// The code was valid but its step was already used by this user.
    #[error("the MFA code was already used")]
    Reused,
    /// The replay check could not be made; the code is not accepted.
    #[error("the MFA replay check failed: {0}")]
    Store(#[from] StoreError),
}

/// Verifies a 6-digit code against the base32 seed at `now`, accepting the current 30-s step
/// and one step either side; compares codes in constant time; never logs the seed or the code.
///
/// The seed is base32 without padding, upper case, no spaces (as config validation leaves it).
/// Should a code match more than one step of the window, the current step wins, then the
/// earlier one.
pub fn verify_code(
    seed_base32: &Secret,
    code: &str,
    now: DateTime<Utc>,
) -> Result<TotpMatch, TotpError> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpError::BadCode);
    }
    let key = hmac_key(seed_base32)?;
    let current = step_of(now);
    let mut found: Option<i64> = None;
    // Every candidate is computed and compared, matched or not.
    for offset in [0, -WINDOW_STEPS, WINDOW_STEPS] {
        let Some(step) = current.checked_add(offset) else {
            continue;
        };
        let Some(expected) = code_for_step(&key, step) else {
            continue;
        };
        let equal: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
        if equal && found.is_none() {
            found = Some(step);
        }
    }
    let step = found.ok_or(TotpError::WrongCode)?;
    let step_start = step_start(step).ok_or(TotpError::WrongCode)?;
    Ok(TotpMatch { step, step_start })
}

/// [`verify_code`] plus one use per `(user, step)`: records `(user, step)` in the store
/// namespace `"totp"` until the end of the acceptance window, and refuses a code for a step
/// already used (AWS refuses reusing a code).
///
/// A store failure refuses the code ([`TotpError::Store`]): no replay check, no acceptance.
pub async fn verify_once(
    store: &dyn Store,
    user: &str,
    seed: &Secret,
    code: &str,
    now: DateTime<Utc>,
) -> Result<TotpMatch, TotpError> {
    let matched = verify_code(seed, code, now)?;
    // The step is digits (and maybe a sign), never ':', so the id is unambiguous.
    let id = format!("{}:{user}", matched.step);
    // Step s is accepted while the current step is at most s + WINDOW_STEPS, i.e. until the
    // start of step s + WINDOW_STEPS + 1; `now` is always before that, so the record is live.
    let expires_at = matched
        .step
        .checked_add(WINDOW_STEPS + 1)
        .and_then(step_start)
        .ok_or(TotpError::WrongCode)?;
    if store
        .use_once(STORE_NAMESPACE, &id, expires_at, now)
        .await?
    {
        Ok(matched)
    } else {
        Err(TotpError::Reused)
    }
}

/// For tests and the demo: the code for `now`.
pub fn code_at(seed_base32: &Secret, now: DateTime<Utc>) -> Result<String, TotpError> {
    let key = hmac_key(seed_base32)?;
    // Before the epoch there is no step counter (RFC 6238 counts from T0 = 0).
    code_for_step(&key, step_of(now))
        .map(|code| code.to_string())
        .ok_or(TotpError::BadCode)
}

/// The step `now` falls in.
fn step_of(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(STEP_SECONDS)
}

/// When `step` begins, if representable.
fn step_start(step: i64) -> Option<DateTime<Utc>> {
    let secs = step.checked_mul(STEP_SECONDS)?;
    DateTime::from_timestamp(secs, 0)
}

/// Decodes the base32 seed into an HMAC-SHA1 key; the decoded bytes are wiped after.
fn hmac_key(seed_base32: &Secret) -> Result<hmac::Key, TotpError> {
    let raw = Zeroizing::new(
        data_encoding::BASE32_NOPAD
            .decode(seed_base32.expose().as_bytes())
            .map_err(|_| TotpError::BadSecret)?,
    );
    if raw.len() < MIN_SEED_BYTES {
        return Err(TotpError::BadSecret);
    }
    Ok(hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &raw))
}

/// The zero-padded code of `step` (RFC 4226 HOTP with counter = step); `None` for a negative
/// step, which has no counter.
fn code_for_step(key: &hmac::Key, step: i64) -> Option<Zeroizing<String>> {
    let counter = u64::try_from(step).ok()?;
    let tag = hmac::sign(key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    // Dynamic truncation (RFC 4226 §5.3): the low nibble of the last byte picks 4 bytes.
    // SHA-1 tags are 20 bytes, so offset + 4 <= 19 and the 4 bytes always exist.
    let offset = usize::from(mac.last().map_or(0, |b| b & 0x0f));
    let binary = mac
        .iter()
        .skip(offset)
        .take(4)
        .fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
        & 0x7fff_ffff;
    Some(Zeroizing::new(format!(
        "{:0width$}",
        binary % CODE_MODULUS,
        width = DIGITS
    )))
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::config::StoreUrl;

    fn rfc_seed() -> Secret {
        Secret::new(data_encoding::BASE32_NOPAD.encode(b"12345678901234567890"))
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    const RFC_VECTORS: [(i64, &str); 6] = [
        (59, "287082"),
        (1_111_111_109, "081804"),
        (1_111_111_111, "050471"),
        (1_234_567_890, "005924"),
        (2_000_000_000, "279037"),
        (20_000_000_000, "353130"),
    ];

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        let seed = rfc_seed();
        for (secs, code) in RFC_VECTORS {
            assert_eq!(code_at(&seed, at(secs)).unwrap(), code, "T = {secs}");
            let m = verify_code(&seed, code, at(secs)).unwrap();
            assert_eq!(m.step, secs / 30, "T = {secs}");
            assert_eq!(m.step_start, at(secs / 30 * 30));
        }
    }

    #[test]
    fn one_step_either_side_is_accepted_two_are_not() {
        let seed = rfc_seed();
        let now = at(1_234_567_890);
        let step = 1_234_567_890 / 30;
        let code = code_at(&seed, now).unwrap();
        for (delta, ok) in [
            (-60, false),
            (-30, true),
            (0, true),
            (30, true),
            (60, false),
        ] {
            let then = now + TimeDelta::seconds(delta);
            let result = verify_code(&seed, &code, then);
            if ok {
                assert_eq!(result.unwrap().step, step, "delta {delta}");
            } else {
                assert!(
                    matches!(result, Err(TotpError::WrongCode)),
                    "delta {delta}: {result:?}"
                );
            }
        }
        // The step boundaries themselves: the last second of step+1 accepts, the next refuses.
        let start = at(step * 30);
        assert!(verify_code(&seed, &code, start + TimeDelta::seconds(59)).is_ok());
        assert!(verify_code(&seed, &code, start + TimeDelta::seconds(60)).is_err());
        assert!(verify_code(&seed, &code, start - TimeDelta::seconds(30)).is_ok());
        assert!(verify_code(&seed, &code, start - TimeDelta::seconds(31)).is_err());
    }

    #[test]
    fn malformed_codes_are_bad_code() {
        let seed = rfc_seed();
        let now = at(59);
        for code in [
            "",
            "28708",
            "2870820",
            "28708a",
            " 87082",
            "287082 ",
            "+28708",
            "-28708",
            "２８７０８２",
            "28 082",
        ] {
            assert!(
                matches!(verify_code(&seed, code, now), Err(TotpError::BadCode)),
                "{code:?}"
            );
        }
        // A well-formed but wrong code is a different error.
        assert!(matches!(
            verify_code(&seed, "000000", now),
            Err(TotpError::WrongCode)
        ));
    }

    #[test]
    fn bad_seeds_are_bad_secret() {
        let now = at(59);
        for seed in [
            "not base32!",
            "GEZDGNBV",
            "gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
            "",
        ] {
            let seed = Secret::new(seed);
            assert!(matches!(
                verify_code(&seed, "287082", now),
                Err(TotpError::BadSecret)
            ));
            assert!(matches!(code_at(&seed, now), Err(TotpError::BadSecret)));
        }
    }

    #[test]
    fn errors_do_not_echo_the_code_or_seed() {
        let seed = rfc_seed();
        let err = verify_code(&seed, "123456", at(59)).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("123456"));
        assert!(!shown.contains(seed.expose()));
    }

    #[test]
    fn before_the_epoch_nothing_matches() {
        let seed = rfc_seed();
        assert!(matches!(code_at(&seed, at(-1)), Err(TotpError::BadCode)));
        assert!(matches!(
            verify_code(&seed, "287082", at(-100)),
            Err(TotpError::WrongCode)
        ));
    }

    #[tokio::test]
    async fn a_code_is_used_once_per_user_and_step() {
        let store = crate::store::open(&StoreUrl::SqliteMemory).await.unwrap();
        let seed = rfc_seed();
        let now = at(1_111_111_111);
        let code = code_at(&seed, now).unwrap();

        let first = verify_once(&*store, "alice", &seed, &code, now)
            .await
            .unwrap();
        assert_eq!(first.step, 1_111_111_111 / 30);

        // Same code again, now or while its step is still in the window: refused.
        for later in [0, 5, 30, 45] {
            let result = verify_once(
                &*store,
                "alice",
                &seed,
                &code,
                now + TimeDelta::seconds(later),
            )
            .await;
            assert!(matches!(result, Err(TotpError::Reused)), "+{later}s");
        }
        // Once out of the window it is simply wrong, not reused.
        let result =
            verify_once(&*store, "alice", &seed, &code, now + TimeDelta::seconds(90)).await;
        assert!(matches!(result, Err(TotpError::WrongCode)), "{result:?}");

        // Another user with the same seed is tracked separately.
        assert!(verify_once(&*store, "bob", &seed, &code, now).await.is_ok());

        // The next step's code is fine.
        let next = now + TimeDelta::seconds(30);
        let next_code = code_at(&seed, next).unwrap();
        assert_ne!(next_code, code);
        let second = verify_once(&*store, "alice", &seed, &next_code, next)
            .await
            .unwrap();
        assert_eq!(second.step, first.step + 1);
        assert!(matches!(
            verify_once(&*store, "alice", &seed, &next_code, next).await,
            Err(TotpError::Reused)
        ));
    }

    #[tokio::test]
    async fn a_code_used_early_cannot_be_used_again_in_its_own_step() {
        let store = crate::store::open(&StoreUrl::SqliteMemory).await.unwrap();
        let seed = rfc_seed();
        let now = at(2_000_000_000);
        let next_code = code_at(&seed, now + TimeDelta::seconds(30)).unwrap();
        // Accepted one step early (authenticator clock ahead)…
        let early = verify_once(&*store, "alice", &seed, &next_code, now)
            .await
            .unwrap();
        assert_eq!(early.step, 2_000_000_000 / 30 + 1);
        // …and refused when its step comes round.
        let result = verify_once(
            &*store,
            "alice",
            &seed,
            &next_code,
            now + TimeDelta::seconds(30),
        )
        .await;
        assert!(matches!(result, Err(TotpError::Reused)));
    }
}
