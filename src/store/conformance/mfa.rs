//! The invalid-MFA-code checks: attempts lock a device until the lock ends, windows run from
//! their first attempt, devices are exact and bounded, racing attempts are counted one by one,
//! and purging removes ended windows but not live locks.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use super::setup::{RACERS, at};
use crate::store::{MAX_ID_BYTES, MfaAttempt, MfaLockPolicy, Store, StoreError};

/// The bridge's policy: 5 attempts within 15 minutes lock the device for 15 minutes.
const MFA: MfaLockPolicy = MfaLockPolicy {
    max_attempts: 5,
    window: TimeDelta::minutes(15),
    lockout: TimeDelta::minutes(15),
};

async fn attempt(store: &dyn Store, device: &str, now: DateTime<Utc>) -> MfaAttempt {
    store
        .record_mfa_attempt(device, MFA, now)
        .await
        .expect("record_mfa_attempt")
}

async fn locked(store: &dyn Store, device: &str, now: DateTime<Utc>) -> bool {
    store.mfa_locked(device, now).await.expect("mfa_locked")
}

pub(super) async fn mfa_attempts_lock_the_device_until_the_lock_ends(
    store: &dyn Store,
    device: &str,
) {
    assert!(!locked(store, device, at(0)).await);
    for n in 1..=5 {
        assert!(!locked(store, device, at(i64::from(n))).await, "before {n}");
        assert_eq!(
            attempt(store, device, at(i64::from(n))).await,
            MfaAttempt::Counted { attempts: n }
        );
    }
    // The fifth attempt (at 5 s) locked it for 15 minutes; more attempts count nothing and
    // do not extend the lock.
    let lock_end = at(5) + TimeDelta::minutes(15);
    let tick = TimeDelta::milliseconds(1);
    assert!(locked(store, device, at(5)).await);
    for later in [at(6), at(600), lock_end - tick] {
        assert_eq!(attempt(store, device, later).await, MfaAttempt::Locked);
        assert!(locked(store, device, later).await);
    }
    // Over at exactly its end; the next attempt starts a new window.
    assert!(!locked(store, device, lock_end).await);
    assert_eq!(
        attempt(store, device, lock_end).await,
        MfaAttempt::Counted { attempts: 1 }
    );
    // A valid code clears the count…
    store.clear_mfa_attempts(device).await.expect("clear");
    assert_eq!(
        attempt(store, device, lock_end).await,
        MfaAttempt::Counted { attempts: 1 }
    );
    // …and a lock: four more attempts lock it, clearing unlocks it at once.
    for n in 2..=5 {
        assert_eq!(
            attempt(store, device, lock_end).await,
            MfaAttempt::Counted { attempts: n }
        );
    }
    assert!(locked(store, device, lock_end + tick).await);
    store.clear_mfa_attempts(device).await.expect("clear");
    assert!(!locked(store, device, lock_end + tick).await);
    assert_eq!(
        attempt(store, device, lock_end + tick).await,
        MfaAttempt::Counted { attempts: 1 }
    );
    // Clearing a device with no attempts is fine.
    store
        .clear_mfa_attempts(&format!("{device}-none"))
        .await
        .expect("clear");
}

pub(super) async fn mfa_windows_end_and_devices_are_exact(store: &dyn Store, device: &str) {
    let tick = TimeDelta::milliseconds(1);
    let window_end = at(100) + TimeDelta::minutes(15);
    assert_eq!(
        attempt(store, device, at(100)).await,
        MfaAttempt::Counted { attempts: 1 }
    );
    assert_eq!(
        attempt(store, device, at(200)).await,
        MfaAttempt::Counted { attempts: 2 }
    );
    // The window runs from its first attempt, not from the latest one.
    assert_eq!(
        attempt(store, device, window_end - tick).await,
        MfaAttempt::Counted { attempts: 3 }
    );
    assert_eq!(
        attempt(store, device, window_end).await,
        MfaAttempt::Counted { attempts: 1 },
        "a new window"
    );
    // Devices compare byte for byte.
    for similar in [
        device.to_uppercase(),
        format!("{device} "),
        format!("{device}x"),
    ] {
        assert_eq!(
            attempt(store, &similar, at(100)).await,
            MfaAttempt::Counted { attempts: 1 },
            "{similar:?}"
        );
    }
    // A policy of one attempt locks at the first.
    let strict = MfaLockPolicy {
        max_attempts: 1,
        ..MFA
    };
    let single = format!("{device}-single");
    assert_eq!(
        store
            .record_mfa_attempt(&single, strict, at(100))
            .await
            .unwrap(),
        MfaAttempt::Counted { attempts: 1 }
    );
    assert!(locked(store, &single, at(101)).await);
    assert_eq!(
        store
            .record_mfa_attempt(&single, strict, at(101))
            .await
            .unwrap(),
        MfaAttempt::Locked
    );
}

pub(super) async fn mfa_devices_and_policies_are_bounded(store: &dyn Store, device: &str) {
    let longest = format!("{device}{}", "d".repeat(MAX_ID_BYTES - device.len()));
    assert_eq!(
        attempt(store, &longest, at(0)).await,
        MfaAttempt::Counted { attempts: 1 }
    );
    let too_long = format!("{longest}d");
    for bad in ["", too_long.as_str(), "nul\0inside"] {
        assert!(
            matches!(
                store.record_mfa_attempt(bad, MFA, at(0)).await,
                Err(StoreError::InvalidKey(_))
            ),
            "device of {} bytes",
            bad.len()
        );
        assert!(store.mfa_locked(bad, at(0)).await.is_err());
        assert!(store.clear_mfa_attempts(bad).await.is_err());
    }
    for policy in [
        MfaLockPolicy {
            max_attempts: 0,
            ..MFA
        },
        MfaLockPolicy {
            window: TimeDelta::zero(),
            ..MFA
        },
        MfaLockPolicy {
            lockout: TimeDelta::seconds(-1),
            ..MFA
        },
    ] {
        assert!(
            matches!(
                store.record_mfa_attempt(device, policy, at(0)).await,
                Err(StoreError::InvalidKey(_))
            ),
            "{policy:?}"
        );
    }
    assert!(!locked(store, device, at(0)).await, "nothing was counted");
}

/// However many attempts race (within a process or across replicas), exactly `max_attempts`
/// are counted, each with its own number, and the rest find the device locked.
pub(super) async fn concurrent_mfa_attempts_are_counted_one_by_one(
    store: &Arc<dyn Store>,
    device: &str,
) {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..RACERS {
        let store = Arc::clone(store);
        let device = device.to_owned();
        tasks.spawn(async move { store.record_mfa_attempt(&device, MFA, at(0)).await });
    }
    let mut counted = Vec::new();
    let mut refused = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined
            .expect("task")
            .expect("record_mfa_attempt under contention")
        {
            MfaAttempt::Counted { attempts } => counted.push(attempts),
            MfaAttempt::Locked => refused += 1,
        }
    }
    counted.sort_unstable();
    assert_eq!(counted, [1, 2, 3, 4, 5]);
    assert_eq!(refused, RACERS - 5);
    assert!(locked(store.as_ref(), device, at(1)).await);
}

pub(super) async fn purge_removes_ended_mfa_counts(store: &dyn Store, device: &str) {
    // Later than anything earlier checks stored.
    let base = 3_000_000;
    store.purge_expired(at(base)).await.unwrap();
    assert_eq!(store.purge_expired(at(base)).await.unwrap(), 0);

    let counting = format!("{device}-counting");
    let locked_out = format!("{device}-locked");
    // A window opened at `base` (ends base + 900) and a lock set at base + 600 (ends 1500).
    attempt(store, &counting, at(base)).await;
    for _ in 0..5 {
        attempt(store, &locked_out, at(base + 600)).await;
    }
    assert!(locked(store, &locked_out, at(base + 600)).await);
    assert_eq!(store.purge_expired(at(base + 899)).await.unwrap(), 0);
    assert_eq!(store.purge_expired(at(base + 900)).await.unwrap(), 1);
    // The lock survives the purge of the ended window, and ends on time.
    assert!(locked(store, &locked_out, at(base + 1_499)).await);
    assert_eq!(store.purge_expired(at(base + 1_499)).await.unwrap(), 0);
    assert_eq!(store.purge_expired(at(base + 1_500)).await.unwrap(), 1);
    assert!(
        !locked(store, &locked_out, at(base + 600)).await,
        "the row is gone"
    );
}
