//! The behaviour every [`Store`] backend must show, written once against the trait. Each
//! backend's tests call [`run_conformance_suite`] (SQLite in memory and on a file; PostgreSQL
//! in a fresh database on the server `STSBRIDGE_TEST_POSTGRES_URL` names).
//!
//! The suite uses fresh random namespaces, so leftovers from an earlier run do not disturb it,
//! and times around 2001-09-09 so it never meets real data. Revocations are not namespaced, so
//! the revocation checks put the run's id into every target value and look only at those. The
//! suite needs the database to itself while it runs: `purge_expired` counts are checked exactly.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::{
    AuditRecord, MAX_ID_BYTES, MAX_NAMESPACE_BYTES, MAX_REVOCATION_FIELD_BYTES, MfaAttempt,
    MfaLockPolicy, Revocation, RevocationTarget, Store, StoreError,
};

/// Concurrent callers racing for one id.
const RACERS: usize = 50;

/// Seconds after 2001-09-09T01:46:40Z.
fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_000_000_000 + seconds, 0).unwrap()
}

/// Runs every check against `store`. Takes an `Arc` because the concurrency checks spawn tasks
/// that must own a handle.
///
/// # Panics
///
/// On the first check the store fails: this is a test harness.
pub async fn run_conformance_suite(store: &Arc<dyn Store>) {
    let run = uuid::Uuid::new_v4().simple().to_string();
    let ns = |name: &str| format!("conformance-{run}-{name}");

    store.ping().await.expect("ping");
    first_use_then_replay(store.as_ref(), &ns("replay")).await;
    replay_neither_extends_nor_shortens(store.as_ref(), &ns("keep")).await;
    namespaces_and_ids_are_exact(store.as_ref(), &ns("a"), &ns("b")).await;
    expiry_makes_the_id_fresh_again(store.as_ref(), &ns("expiry")).await;
    keys_are_bounded(store.as_ref(), &ns("bounds")).await;
    one_winner_among_concurrent_callers(store, &ns("race")).await;
    distinct_ids_do_not_interfere(store, &ns("many")).await;
    revocations_round_trip_for_every_kind(store.as_ref(), &ns("rev-kinds")).await;
    revocations_are_listed_until_they_expire(store.as_ref(), &ns("rev-expiry")).await;
    revocations_are_listed_newest_first(store.as_ref(), &ns("rev-order")).await;
    revocation_fields_are_bounded(store.as_ref(), &ns("rev-bounds")).await;
    state_round_trips_and_expires(store.as_ref(), &ns("state")).await;
    audit_events_are_listed_filtered_and_bounded(store.as_ref(), &ns("audit")).await;
    state_is_taken_once(store, &ns("state-race")).await;
    mfa_attempts_lock_the_device_until_the_lock_ends(store.as_ref(), &ns("mfa-lock")).await;
    mfa_windows_end_and_devices_are_exact(store.as_ref(), &ns("mfa-window")).await;
    mfa_devices_and_policies_are_bounded(store.as_ref(), &ns("mfa-bounds")).await;
    concurrent_mfa_attempts_are_counted_one_by_one(store, &ns("mfa-race")).await;
    // The revocation checks above leave only rows that expire before the purge checks start.
    purge_removes_only_expired_rows(store.as_ref(), &ns("purge")).await;
    purge_removes_expired_revocations(store.as_ref(), &ns("rev-purge")).await;
    purge_removes_ended_mfa_counts(store.as_ref(), &ns("mfa-purge")).await;
    store.ping().await.expect("ping after the suite");
}

async fn first_use_then_replay(store: &dyn Store, ns: &str) {
    assert!(store.use_once(ns, "_id1", at(60), at(0)).await.unwrap());
    assert!(!store.use_once(ns, "_id1", at(60), at(0)).await.unwrap());
    assert!(!store.use_once(ns, "_id1", at(60), at(30)).await.unwrap());
    assert!(store.use_once(ns, "_id2", at(60), at(30)).await.unwrap());
}

/// A replay must not move the recorded expiry either way: the first use's expiry holds.
async fn replay_neither_extends_nor_shortens(store: &dyn Store, ns: &str) {
    assert!(store.use_once(ns, "long", at(60), at(0)).await.unwrap());
    assert!(!store.use_once(ns, "long", at(10_000), at(1)).await.unwrap());
    assert!(
        store.use_once(ns, "long", at(120), at(60)).await.unwrap(),
        "a replay extended the record"
    );

    assert!(store.use_once(ns, "short", at(60), at(0)).await.unwrap());
    assert!(!store.use_once(ns, "short", at(5), at(1)).await.unwrap());
    assert!(
        !store.use_once(ns, "short", at(60), at(10)).await.unwrap(),
        "a replay shortened the record"
    );
}

async fn namespaces_and_ids_are_exact(store: &dyn Store, a: &str, b: &str) {
    assert!(store.use_once(a, "shared", at(60), at(0)).await.unwrap());
    assert!(store.use_once(b, "shared", at(60), at(0)).await.unwrap());
    assert!(!store.use_once(a, "shared", at(60), at(1)).await.unwrap());
    assert!(!store.use_once(b, "shared", at(60), at(1)).await.unwrap());
    // Ids are compared byte for byte: no case folding, no trimming.
    for similar in ["Shared", "SHARED", "shared ", " shared", "shared\u{301}"] {
        assert!(
            store.use_once(a, similar, at(60), at(1)).await.unwrap(),
            "{similar:?} collided with \"shared\""
        );
    }
}

async fn expiry_makes_the_id_fresh_again(store: &dyn Store, ns: &str) {
    assert!(store.use_once(ns, "e", at(60), at(0)).await.unwrap());
    let just_before = at(60) - TimeDelta::microseconds(1);
    assert!(!store.use_once(ns, "e", at(120), just_before).await.unwrap());
    // Expired at exactly its expiry (NotOnOrAfter semantics); the new record takes over.
    assert!(store.use_once(ns, "e", at(120), at(60)).await.unwrap());
    assert!(!store.use_once(ns, "e", at(120), at(61)).await.unwrap());
    assert!(!store.use_once(ns, "e", at(500), at(119)).await.unwrap());
    assert!(store.use_once(ns, "e", at(500), at(200)).await.unwrap());
}

async fn keys_are_bounded(store: &dyn Store, ns: &str) {
    let longest_ns = format!("{ns}{}", "n".repeat(MAX_NAMESPACE_BYTES - ns.len()));
    assert_eq!(longest_ns.len(), MAX_NAMESPACE_BYTES);
    let longest_id = "i".repeat(MAX_ID_BYTES);
    assert!(
        store
            .use_once(&longest_ns, &longest_id, at(60), at(0))
            .await
            .unwrap()
    );
    assert!(
        !store
            .use_once(&longest_ns, &longest_id, at(60), at(1))
            .await
            .unwrap()
    );

    let too_long_ns = format!("{longest_ns}n");
    let too_long_id = format!("{longest_id}i");
    let multibyte_id = "é".repeat(MAX_ID_BYTES / 2 + 1);
    let rejected: [(&str, &str); 6] = [
        (&too_long_ns, "id"),
        (ns, &too_long_id),
        (ns, &multibyte_id),
        ("", "id"),
        (ns, ""),
        (ns, "nul\0inside"),
    ];
    for (namespace, id) in rejected {
        let result = store.use_once(namespace, id, at(60), at(0)).await;
        assert!(
            matches!(result, Err(StoreError::InvalidKey(_))),
            "namespace of {} bytes, id of {} bytes: {result:?}",
            namespace.len(),
            id.len()
        );
    }
}

async fn race(store: &Arc<dyn Store>, ns: &str, id: &str, expires_at: i64, now: i64) -> usize {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..RACERS {
        let store = Arc::clone(store);
        let (ns, id) = (ns.to_owned(), id.to_owned());
        tasks.spawn(async move { store.use_once(&ns, &id, at(expires_at), at(now)).await });
    }
    let mut winners = 0;
    while let Some(joined) = tasks.join_next().await {
        if joined.expect("task").expect("use_once under contention") {
            winners += 1;
        }
    }
    winners
}

async fn one_winner_among_concurrent_callers(store: &Arc<dyn Store>, ns: &str) {
    assert_eq!(race(store, ns, "contested", 60, 0).await, 1, "fresh id");
    // Taking over an expired record is just as exclusive.
    assert_eq!(race(store, ns, "contested", 120, 60).await, 1, "expired id");
    assert_eq!(race(store, ns, "contested", 180, 100).await, 0, "live id");
}

async fn distinct_ids_do_not_interfere(store: &Arc<dyn Store>, ns: &str) {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..RACERS {
        let store = Arc::clone(store);
        let ns = ns.to_owned();
        tasks.spawn(async move { store.use_once(&ns, &format!("id-{i}"), at(60), at(0)).await });
    }
    while let Some(joined) = tasks.join_next().await {
        assert!(
            joined.expect("task").expect("use_once"),
            "a fresh id was refused"
        );
    }
}

async fn purge_removes_only_expired_rows(store: &dyn Store, ns: &str) {
    // Every row from the checks above (and from earlier runs) expires before this.
    let base = 1_000_000;
    store.purge_expired(at(base)).await.unwrap();
    assert_eq!(store.purge_expired(at(base)).await.unwrap(), 0);

    assert!(
        store
            .use_once(ns, "p10", at(base + 10), at(base))
            .await
            .unwrap()
    );
    assert!(
        store
            .use_once(ns, "p20", at(base + 20), at(base))
            .await
            .unwrap()
    );
    assert!(
        store
            .use_once(ns, "p30", at(base + 30), at(base))
            .await
            .unwrap()
    );

    assert_eq!(store.purge_expired(at(base + 20)).await.unwrap(), 2);
    assert_eq!(store.purge_expired(at(base + 20)).await.unwrap(), 0);

    // Asked at a time when they were still live, the purged ids are fresh: the rows are gone.
    assert!(
        store
            .use_once(ns, "p10", at(base + 10), at(base + 5))
            .await
            .unwrap()
    );
    assert!(
        store
            .use_once(ns, "p20", at(base + 20), at(base + 5))
            .await
            .unwrap()
    );
    // The live row survived.
    assert!(
        !store
            .use_once(ns, "p30", at(base + 30), at(base + 25))
            .await
            .unwrap()
    );

    assert_eq!(store.purge_expired(at(base + 30)).await.unwrap(), 3);
}

/// Every value a target holds, so a check can pick out the revocations it made.
fn target_values(target: &RevocationTarget) -> Vec<&str> {
    match target {
        RevocationTarget::AccessKey(v)
        | RevocationTarget::Role(v)
        | RevocationTarget::Provider(v) => {
            vec![v]
        }
        RevocationTarget::Subject { provider, subject } => vec![provider, subject],
    }
}

/// The live revocations at `now` whose target mentions `tag`, in the order the store gave them.
async fn listed(store: &dyn Store, tag: &str, now: DateTime<Utc>) -> Vec<Revocation> {
    store
        .list_revocations(now)
        .await
        .expect("list_revocations")
        .into_iter()
        .filter(|r| target_values(&r.target).iter().any(|v| v.contains(tag)))
        .collect()
}

fn role(tag: &str, name: &str) -> RevocationTarget {
    RevocationTarget::Role(format!("arn:aws:iam::123456789012:role/{tag}/{name}"))
}

async fn revocations_round_trip_for_every_kind(store: &dyn Store, tag: &str) {
    let provider = format!("arn:aws:iam::123456789012:oidc-provider/idp.example/{tag}");
    let targets = [
        RevocationTarget::AccessKey(format!("ASIA{tag}")),
        role(tag, "deploy"),
        RevocationTarget::Subject {
            provider: provider.clone(),
            // Stored as given: no trimming, no case folding, no normalisation.
            subject: format!(" Jörg@Example {tag} "),
        },
        RevocationTarget::Provider(provider.clone()),
        // The same value under another kind is another revocation.
        RevocationTarget::Role(provider),
    ];
    let mut added = Vec::new();
    for (i, target) in (0_i64..).zip(targets) {
        let reason = match i % 3 {
            0 => None,
            1 => Some(String::new()),
            _ => Some(format!("incident {i}: key found in a public repository")),
        };
        let r = Revocation::new(target, at(10_000 - i), at(10_000 + i), reason);
        store.add_revocation(&r).await.expect("add_revocation");
        added.push(r);
    }
    added.reverse();
    assert_eq!(listed(store, tag, at(10_100)).await, added);
}

async fn revocations_are_listed_until_they_expire(store: &dyn Store, tag: &str) {
    let long = Revocation::new(role(tag, "long"), at(20_000), at(20_000), None);
    let short = Revocation {
        expires_at: at(20_010),
        ..Revocation::new(role(tag, "short"), at(20_000), at(20_001), None)
    };
    store.add_revocation(&long).await.expect("add long");
    store.add_revocation(&short).await.expect("add short");

    let tick = TimeDelta::milliseconds(1);
    assert_eq!(
        listed(store, tag, at(20_005)).await,
        [short.clone(), long.clone()]
    );
    assert_eq!(
        listed(store, tag, at(20_010) - tick).await,
        [short, long.clone()]
    );
    // Expired at exactly its expiry, like one-time ids.
    assert_eq!(
        listed(store, tag, at(20_010)).await,
        std::slice::from_ref(&long)
    );
    assert_eq!(
        long.expires_at - long.created_at,
        TimeDelta::hours(36),
        "Revocation::new"
    );
    assert_eq!(
        listed(store, tag, long.expires_at - tick).await,
        std::slice::from_ref(&long)
    );
    assert!(listed(store, tag, long.expires_at).await.is_empty());
    assert!(listed(store, tag, at(900_000)).await.is_empty());
}

async fn revocations_are_listed_newest_first(store: &dyn Store, tag: &str) {
    // Added out of order, and with issued_before running the other way: creation time decides.
    let made = |name: &str, created: i64| {
        Revocation::new(role(tag, name), at(40_000 - created), at(created), None)
    };
    let (r100, r200, r300) = (made("a", 30_100), made("b", 30_200), made("c", 30_300));
    // Two made in the same millisecond, even naming the same role: both kept, later one first.
    let first = Revocation::new(role(tag, "d"), at(30_400), at(30_400), Some("first".into()));
    let second = Revocation {
        reason: Some("second".into()),
        ..first.clone()
    };
    for r in [&r300, &r100, &first, &r200, &second] {
        store.add_revocation(r).await.expect("add_revocation");
    }
    assert_eq!(
        listed(store, tag, at(30_500)).await,
        [second, first, r300, r200, r100]
    );
}

async fn revocation_fields_are_bounded(store: &dyn Store, tag: &str) {
    let sized = |bytes: usize| format!("{tag}{}", "x".repeat(bytes - tag.len()));
    let longest = sized(MAX_REVOCATION_FIELD_BYTES);
    let too_long = sized(MAX_REVOCATION_FIELD_BYTES + 1);
    let new = |target: RevocationTarget, reason: Option<&str>| {
        Revocation::new(target, at(50_000), at(50_000), reason.map(str::to_owned))
    };
    let subject = |provider: &str, subject: &str| RevocationTarget::Subject {
        provider: provider.to_owned(),
        subject: subject.to_owned(),
    };

    let accepted = [
        new(RevocationTarget::AccessKey(longest.clone()), Some(&longest)),
        new(subject(&longest, &longest), None),
    ];
    for r in &accepted {
        store.add_revocation(r).await.expect("a field at the bound");
    }

    // Two-byte characters: 1025 of them are 2050 bytes though only 1025 characters.
    let multibyte = format!("{tag}{}", "é".repeat(MAX_REVOCATION_FIELD_BYTES / 2));
    let refused = [
        new(RevocationTarget::AccessKey(too_long.clone()), None),
        new(RevocationTarget::Role(too_long.clone()), None),
        new(RevocationTarget::Provider(too_long.clone()), None),
        new(RevocationTarget::Provider(multibyte), None),
        new(subject(&too_long, tag), None),
        new(subject(tag, &too_long), None),
        new(RevocationTarget::Role(tag.to_owned()), Some(&too_long)),
        new(RevocationTarget::AccessKey(String::new()), None),
        new(subject(tag, ""), None),
        new(RevocationTarget::Role(format!("{tag}\0nul")), None),
        new(RevocationTarget::Role(tag.to_owned()), Some("nul\0inside")),
    ];
    for r in &refused {
        let result = store.add_revocation(r).await;
        assert!(
            matches!(result, Err(StoreError::InvalidKey(_))),
            "{:?} fields of {:?} bytes, reason of {:?} bytes: {result:?}",
            r.target,
            target_values(&r.target)
                .iter()
                .map(|v| v.len())
                .collect::<Vec<_>>(),
            r.reason.as_ref().map(String::len)
        );
    }
    // Refused means nothing stored.
    let mut expected = accepted.to_vec();
    expected.reverse();
    assert_eq!(listed(store, tag, at(50_001)).await, expected);
}

async fn purge_removes_expired_revocations(store: &dyn Store, tag: &str) {
    // Later than anything earlier checks stored.
    let base = 2_000_000;
    store.purge_expired(at(base)).await.unwrap();
    assert_eq!(store.purge_expired(at(base)).await.unwrap(), 0);

    let expiring = |name: &str, seconds: i64| Revocation {
        expires_at: at(base + seconds),
        ..Revocation::new(role(tag, name), at(base), at(base), None)
    };
    let (r10, r20, r30) = (expiring("a", 10), expiring("b", 20), expiring("c", 30));
    for r in [&r10, &r20, &r30] {
        store.add_revocation(r).await.expect("add_revocation");
    }
    assert!(
        store
            .use_once(tag, "id", at(base + 10), at(base))
            .await
            .unwrap()
    );

    // Both kinds of record count towards the total.
    assert_eq!(store.purge_expired(at(base + 20)).await.unwrap(), 3);
    assert_eq!(store.purge_expired(at(base + 20)).await.unwrap(), 0);
    // Asked at a time when all were live, only the survivor is left: the rows are gone.
    assert_eq!(listed(store, tag, at(base)).await, [r30]);

    assert_eq!(store.purge_expired(at(base + 30)).await.unwrap(), 1);
    assert!(listed(store, tag, at(base)).await.is_empty());
}

async fn state_round_trips_and_expires(store: &dyn Store, ns: &str) {
    assert_eq!(store.get_state(ns, "s1", at(0)).await.unwrap(), None);
    store.put_state(ns, "s1", "v1", at(60)).await.unwrap();
    assert_eq!(
        store.get_state(ns, "s1", at(59)).await.unwrap().as_deref(),
        Some("v1")
    );
    assert_eq!(store.get_state(ns, "s1", at(60)).await.unwrap(), None);
    assert_eq!(store.get_state(ns, "s2", at(0)).await.unwrap(), None);
    assert_eq!(
        store
            .get_state(&format!("{ns}x"), "s1", at(0))
            .await
            .unwrap(),
        None
    );
    // Replacing moves both value and expiry.
    store.put_state(ns, "s1", "v2", at(120)).await.unwrap();
    assert_eq!(
        store.get_state(ns, "s1", at(100)).await.unwrap().as_deref(),
        Some("v2")
    );
    store.delete_state(ns, "s1").await.unwrap();
    assert_eq!(store.get_state(ns, "s1", at(0)).await.unwrap(), None);
    store.delete_state(ns, "never").await.unwrap();
    // Taking returns a live value once, and an expired one never.
    store.put_state(ns, "t1", "once", at(60)).await.unwrap();
    assert_eq!(
        store.take_state(ns, "t1", at(0)).await.unwrap().as_deref(),
        Some("once")
    );
    assert_eq!(store.take_state(ns, "t1", at(0)).await.unwrap(), None);
    store.put_state(ns, "t2", "late", at(60)).await.unwrap();
    assert_eq!(store.take_state(ns, "t2", at(60)).await.unwrap(), None);
    assert_eq!(store.get_state(ns, "t2", at(0)).await.unwrap(), None);
    // Bounded like keys: too large or NUL is refused and nothing is written.
    let big = "v".repeat(super::MAX_STATE_BYTES + 1);
    assert!(store.put_state(ns, "big", &big, at(60)).await.is_err());
    assert!(store.put_state(ns, "nul", "a\0b", at(60)).await.is_err());
    assert!(store.put_state(ns, "", "v", at(60)).await.is_err());
    assert_eq!(store.get_state(ns, "big", at(0)).await.unwrap(), None);
    store
        .put_state(ns, "max", &"v".repeat(super::MAX_STATE_BYTES), at(60))
        .await
        .unwrap();
    store.delete_state(ns, "max").await.unwrap();
}

async fn state_is_taken_once(store: &Arc<dyn Store>, ns: &str) {
    store.put_state(ns, "race", "prize", at(60)).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let store = Arc::clone(store);
        let ns = ns.to_owned();
        tasks.push(tokio::spawn(async move {
            store.take_state(&ns, "race", at(0)).await.unwrap()
        }));
    }
    let mut winners = 0;
    for t in tasks {
        if t.await.unwrap().is_some() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

async fn audit_events_are_listed_filtered_and_bounded(store: &dyn Store, ns: &str) {
    // Events of this run only: a subject unique to it.
    let alice = format!("{ns}-alice");
    let record = |at_s: i64, subject: Option<&str>, principal: Option<&str>, n: u32| AuditRecord {
        at: at(at_s),
        subject: subject.map(str::to_owned),
        principal: principal.map(str::to_owned),
        event: format!("{{\"n\":{n}}}"),
        expires_at: at(at_s + 100),
    };
    store
        .add_audit_events(&[
            record(10, Some(&alice), None, 1),
            record(20, None, Some(&alice), 2),
            record(30, Some("bob"), None, 3),
            record(40, Some(&alice), Some("arn:x"), 4),
        ])
        .await
        .unwrap();
    let mine = store
        .list_audit_events(at(0), Some(&alice), 100, at(50))
        .await
        .unwrap();
    assert_eq!(mine, ["{\"n\":1}", "{\"n\":2}", "{\"n\":4}"]);
    let later = store
        .list_audit_events(at(15), Some(&alice), 100, at(50))
        .await
        .unwrap();
    assert_eq!(later, ["{\"n\":2}", "{\"n\":4}"]);
    let limited = store
        .list_audit_events(at(0), Some(&alice), 1, at(50))
        .await
        .unwrap();
    assert_eq!(limited, ["{\"n\":1}"]);
    // Retention: an event past its expiry is no longer listed.
    let expired = store
        .list_audit_events(at(0), Some(&alice), 100, at(125))
        .await
        .unwrap();
    assert_eq!(expired, ["{\"n\":4}"]);
    // Bounds: one bad event refuses the whole batch.
    let mut big = record(10, Some(&alice), None, 9);
    big.event = "x".repeat(super::MAX_AUDIT_EVENT_BYTES + 1);
    assert!(
        store
            .add_audit_events(&[record(10, Some(&alice), None, 8), big])
            .await
            .is_err()
    );
    let after = store
        .list_audit_events(at(0), Some(&alice), 100, at(50))
        .await
        .unwrap();
    assert_eq!(after.len(), 3, "nothing of the refused batch was written");
}

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

async fn mfa_attempts_lock_the_device_until_the_lock_ends(store: &dyn Store, device: &str) {
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

async fn mfa_windows_end_and_devices_are_exact(store: &dyn Store, device: &str) {
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

async fn mfa_devices_and_policies_are_bounded(store: &dyn Store, device: &str) {
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
async fn concurrent_mfa_attempts_are_counted_one_by_one(store: &Arc<dyn Store>, device: &str) {
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

async fn purge_removes_ended_mfa_counts(store: &dyn Store, device: &str) {
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
