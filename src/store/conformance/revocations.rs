//! The revocation checks: every kind round-trips as given, a revocation is listed until it
//! expires, newest first, its fields are bounded, and purging removes the expired ones.
//! Revocations are not namespaced, so each check puts its tag into every target value and
//! looks only at those.

use chrono::{DateTime, TimeDelta, Utc};

use super::setup::at;
use crate::store::{MAX_REVOCATION_FIELD_BYTES, Revocation, RevocationTarget, Store, StoreError};

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

pub(super) async fn revocations_round_trip_for_every_kind(store: &dyn Store, tag: &str) {
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

pub(super) async fn revocations_are_listed_until_they_expire(store: &dyn Store, tag: &str) {
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

pub(super) async fn revocations_are_listed_newest_first(store: &dyn Store, tag: &str) {
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

pub(super) async fn revocation_fields_are_bounded(store: &dyn Store, tag: &str) {
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

pub(super) async fn purge_removes_expired_revocations(store: &dyn Store, tag: &str) {
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
