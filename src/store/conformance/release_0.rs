//! The rows of the databases in `tests/fixtures/store/`, which the release before
//! `sqlx::migrate!` (commit 031c09c) made through the `Store` API: after a backend has adopted
//! a copy, [`rows_are_intact_and_usable`] reads every row back through the trait and writes
//! more. Times are seconds after 1_800_000_000, as in the fixtures' README.

use std::path::PathBuf;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use crate::store::{AuditRecord, MfaAttempt, MfaLockPolicy, Revocation, RevocationTarget, Store};

/// A fixture file by name, under `tests/fixtures/store/`.
pub(crate) fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/store")
        .join(name)
}

/// The versions the release recorded in `schema_migrations`.
pub(crate) const VERSIONS: [i64; 5] = [1, 2, 3, 4, 5];

fn t(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
}

fn revocation(target: RevocationTarget, at: i64, reason: Option<&str>) -> Revocation {
    Revocation::new(target, t(at), t(at), reason.map(str::to_owned))
}

/// The revocations the release stored, newest first.
fn revocations() -> [Revocation; 3] {
    [
        revocation(
            RevocationTarget::AccessKey("ASIAFIXTURE0000001".into()),
            30,
            Some("key found in a public repository"),
        ),
        revocation(
            RevocationTarget::Subject {
                provider: "arn:aws:iam::123456789012:oidc-provider/idp.example".into(),
                subject: "alice@example".into(),
            },
            20,
            None,
        ),
        revocation(
            RevocationTarget::Role("arn:aws:iam::123456789012:role/deploy".into()),
            10,
            Some("offboarding"),
        ),
    ]
}

const ALICE_MFA: &str = "arn:aws:iam::123456789012:mfa/alice";
const BOB_MFA: &str = "arn:aws:iam::123456789012:mfa/bob";

/// Reads back every row the release wrote, then writes and reads new ones, and purges all.
///
/// # Panics
///
/// On the first row that is not as the release left it: this is a test harness.
pub(crate) async fn rows_are_intact_and_usable(store: &dyn Store) {
    let now = t(100);
    for (namespace, id) in [("saml", "_assertion-1"), ("oidc-jti", "jti-1")] {
        assert!(
            !store.use_once(namespace, id, t(3_600), now).await.unwrap(),
            "{namespace}/{id} is still used"
        );
    }
    assert_eq!(store.list_revocations(now).await.unwrap(), revocations());
    for (namespace, id, value) in [
        ("web-session", "0f1e2d", "sealed-session-value"),
        ("signin-token", "a1b2c3", "sealed-token-value"),
    ] {
        let kept = store.get_state(namespace, id, now).await.unwrap();
        assert_eq!(kept.as_deref(), Some(value), "{namespace}/{id}");
    }
    let events =
        |n: &[u32]| -> Vec<String> { n.iter().map(|n| format!("{{\"fixture\":{n}}}")).collect() };
    let listed = store.list_audit_events(t(0), None, 100, now).await.unwrap();
    assert_eq!(listed, events(&[1, 2, 3]));
    let alice = store
        .list_audit_events(t(0), Some("alice@example"), 100, now)
        .await
        .unwrap();
    assert_eq!(alice, events(&[1]));
    assert!(store.mfa_locked(BOB_MFA, t(81)).await.unwrap());
    assert!(!store.mfa_locked(ALICE_MFA, t(81)).await.unwrap());

    // Usable: the counters go on from where the release left them, new rows join the old.
    let policy = MfaLockPolicy {
        max_attempts: 5,
        window: TimeDelta::minutes(15),
        lockout: TimeDelta::minutes(15),
    };
    assert_eq!(
        store
            .record_mfa_attempt(ALICE_MFA, policy, t(90))
            .await
            .unwrap(),
        MfaAttempt::Counted { attempts: 3 }
    );
    let newest = revocation(
        RevocationTarget::Role("arn:aws:iam::1:role/new".into()),
        40,
        None,
    );
    store.add_revocation(&newest).await.unwrap();
    let mut expected = vec![newest];
    expected.extend(revocations());
    assert_eq!(store.list_revocations(now).await.unwrap(), expected);
    store
        .add_audit_events(&[AuditRecord {
            at: t(90),
            subject: Some("alice@example".into()),
            principal: None,
            event: "{\"fixture\":4}".into(),
            expires_at: t(90 + 86_400),
        }])
        .await
        .unwrap();
    let alice = store
        .list_audit_events(t(0), Some("alice@example"), 100, now)
        .await
        .unwrap();
    assert_eq!(alice, events(&[1, 4]));
    assert!(
        store
            .use_once("saml", "_assertion-2", t(3_600), now)
            .await
            .unwrap()
    );
    store
        .put_state("web-session", "new", "v", t(3_600))
        .await
        .unwrap();

    // Long after everything has expired, a purge leaves nothing.
    let later = t(1_000_000);
    // 3 one-time ids, 4 revocations, 3 states, 4 audit events, 2 MFA devices.
    assert_eq!(store.purge_expired(later).await.unwrap(), 16);
    assert!(store.list_revocations(now).await.unwrap().is_empty());
    assert!(
        store
            .list_audit_events(t(0), None, 100, now)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.get_state("web-session", "0f1e2d", now).await.unwrap(),
        None
    );
}
