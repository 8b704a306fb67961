//! What every check of the suite shares: the instants it runs at (far from real data) and how
//! many callers race in the concurrency checks.

use chrono::{DateTime, TimeZone, Utc};

/// Concurrent callers racing for one id.
pub(super) const RACERS: usize = 50;

/// Seconds after 2001-09-09T01:46:40Z.
pub(super) fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_000_000_000 + seconds, 0).unwrap()
}
