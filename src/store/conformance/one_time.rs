//! The replay cache's checks: first use wins, replays neither extend nor shorten a record,
//! keys are exact and bounded, expiry frees an id, concurrent callers get one winner, and
//! purging removes only what has expired.

use std::sync::Arc;

use chrono::TimeDelta;

use super::setup::{RACERS, at};
use crate::store::{MAX_ID_BYTES, MAX_NAMESPACE_BYTES, Store, StoreError};

pub(super) async fn first_use_then_replay(store: &dyn Store, ns: &str) {
    assert!(store.use_once(ns, "_id1", at(60), at(0)).await.unwrap());
    assert!(!store.use_once(ns, "_id1", at(60), at(0)).await.unwrap());
    assert!(!store.use_once(ns, "_id1", at(60), at(30)).await.unwrap());
    assert!(store.use_once(ns, "_id2", at(60), at(30)).await.unwrap());
}

/// A replay must not move the recorded expiry either way: the first use's expiry holds.
pub(super) async fn replay_neither_extends_nor_shortens(store: &dyn Store, ns: &str) {
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

pub(super) async fn namespaces_and_ids_are_exact(store: &dyn Store, a: &str, b: &str) {
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

pub(super) async fn expiry_makes_the_id_fresh_again(store: &dyn Store, ns: &str) {
    assert!(store.use_once(ns, "e", at(60), at(0)).await.unwrap());
    let just_before = at(60) - TimeDelta::microseconds(1);
    assert!(!store.use_once(ns, "e", at(120), just_before).await.unwrap());
    // Expired at exactly its expiry (NotOnOrAfter semantics); the new record takes over.
    assert!(store.use_once(ns, "e", at(120), at(60)).await.unwrap());
    assert!(!store.use_once(ns, "e", at(120), at(61)).await.unwrap());
    assert!(!store.use_once(ns, "e", at(500), at(119)).await.unwrap());
    assert!(store.use_once(ns, "e", at(500), at(200)).await.unwrap());
}

pub(super) async fn keys_are_bounded(store: &dyn Store, ns: &str) {
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

pub(super) async fn one_winner_among_concurrent_callers(store: &Arc<dyn Store>, ns: &str) {
    assert_eq!(race(store, ns, "contested", 60, 0).await, 1, "fresh id");
    // Taking over an expired record is just as exclusive.
    assert_eq!(race(store, ns, "contested", 120, 60).await, 1, "expired id");
    assert_eq!(race(store, ns, "contested", 180, 100).await, 0, "live id");
}

pub(super) async fn distinct_ids_do_not_interfere(store: &Arc<dyn Store>, ns: &str) {
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

pub(super) async fn purge_removes_only_expired_rows(store: &dyn Store, ns: &str) {
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
