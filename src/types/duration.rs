//! Session durations, in whole seconds, with the bounds AWS applies per API.

use std::fmt;

use chrono::TimeDelta;

/// Shortest session any API issues: 15 minutes.
pub const MIN_SESSION_SECONDS: u32 = 900;
/// Longest GetSessionToken / GetFederationToken session: 36 hours.
pub const MAX_SESSION_SECONDS: u32 = 129_600;
/// Default for role sessions: one hour.
pub const DEFAULT_ROLE_SESSION_SECONDS: u32 = 3600;
/// Bounds of a role's `max_session_duration`.
pub const ROLE_MAX_SESSION_RANGE: std::ops::RangeInclusive<u32> = 3600..=43_200;

/// A validated session lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionDuration(u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a session lasts {MIN_SESSION_SECONDS} to {MAX_SESSION_SECONDS} seconds")]
pub struct InvalidDuration;

impl SessionDuration {
    pub const ONE_HOUR: Self = Self(DEFAULT_ROLE_SESSION_SECONDS);

    pub fn from_secs(secs: u32) -> Result<Self, InvalidDuration> {
        if (MIN_SESSION_SECONDS..=MAX_SESSION_SECONDS).contains(&secs) {
            Ok(Self(secs))
        } else {
            Err(InvalidDuration)
        }
    }

    pub fn as_secs(self) -> u32 {
        self.0
    }

    pub fn as_delta(self) -> TimeDelta {
        TimeDelta::seconds(i64::from(self.0))
    }
}

impl fmt::Display for SessionDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert!(SessionDuration::from_secs(899).is_err());
        assert!(SessionDuration::from_secs(129_601).is_err());
        assert_eq!(
            SessionDuration::from_secs(900).unwrap().as_delta(),
            TimeDelta::minutes(15)
        );
    }
}
