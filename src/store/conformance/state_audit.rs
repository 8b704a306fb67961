//! The browser-state and audit checks: state round-trips, expires, is bounded and is taken
//! exactly once; audit events are listed in order, filtered by who, limited, kept until their
//! retention ends, and a batch with one bad event is refused whole.

use std::sync::Arc;

use super::setup::at;
use crate::store::{AuditRecord, MAX_AUDIT_EVENT_BYTES, MAX_STATE_BYTES, Store};

pub(super) async fn state_round_trips_and_expires(store: &dyn Store, ns: &str) {
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
    let big = "v".repeat(MAX_STATE_BYTES + 1);
    assert!(store.put_state(ns, "big", &big, at(60)).await.is_err());
    assert!(store.put_state(ns, "nul", "a\0b", at(60)).await.is_err());
    assert!(store.put_state(ns, "", "v", at(60)).await.is_err());
    assert_eq!(store.get_state(ns, "big", at(0)).await.unwrap(), None);
    store
        .put_state(ns, "max", &"v".repeat(MAX_STATE_BYTES), at(60))
        .await
        .unwrap();
    store.delete_state(ns, "max").await.unwrap();
}

pub(super) async fn state_is_taken_once(store: &Arc<dyn Store>, ns: &str) {
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

pub(super) async fn audit_events_are_listed_filtered_and_bounded(store: &dyn Store, ns: &str) {
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
    big.event = "x".repeat(MAX_AUDIT_EVENT_BYTES + 1);
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
