//! The behaviour every [`Store`] backend must show, written once against the trait. Each
//! backend's tests call [`run_conformance_suite`] (SQLite in memory and on a file; PostgreSQL
//! in a fresh database on the server `STSBRIDGE_TEST_POSTGRES_URL` names).
//!
//! The suite uses fresh random namespaces, so leftovers from an earlier run do not disturb it,
//! and times around 2001-09-09 so it never meets real data. Revocations are not namespaced, so
//! the revocation checks put the run's id into every target value and look only at those. The
//! suite needs the database to itself while it runs: `purge_expired` counts are checked exactly.
//!
//! One file per part of the trait (`one_time`, `revocations`, `state_audit`, `mfa`); `setup`
//! holds what they share. `release_0` is not part of the suite: it checks the rows of the
//! databases in `tests/fixtures/store/`, made by the release before `sqlx::migrate!`.

mod mfa;
mod one_time;
pub(crate) mod release_0;
mod revocations;
mod setup;
mod state_audit;

use std::sync::Arc;

use crate::store::Store;

/// Runs every check against `store`. Takes an `Arc` because the concurrency checks spawn tasks
/// that must own a handle.
///
/// # Panics
///
/// On the first check the store fails: this is a test harness.
pub(crate) async fn run_conformance_suite(store: &Arc<dyn Store>) {
    let run = uuid::Uuid::new_v4().simple().to_string();
    let ns = |name: &str| format!("conformance-{run}-{name}");

    store.ping().await.expect("ping");
    one_time::first_use_then_replay(store.as_ref(), &ns("replay")).await;
    one_time::replay_neither_extends_nor_shortens(store.as_ref(), &ns("keep")).await;
    one_time::namespaces_and_ids_are_exact(store.as_ref(), &ns("a"), &ns("b")).await;
    one_time::expiry_makes_the_id_fresh_again(store.as_ref(), &ns("expiry")).await;
    one_time::keys_are_bounded(store.as_ref(), &ns("bounds")).await;
    one_time::one_winner_among_concurrent_callers(store, &ns("race")).await;
    one_time::distinct_ids_do_not_interfere(store, &ns("many")).await;
    revocations::revocations_round_trip_for_every_kind(store.as_ref(), &ns("rev-kinds")).await;
    revocations::revocations_are_listed_until_they_expire(store.as_ref(), &ns("rev-expiry")).await;
    revocations::revocations_are_listed_newest_first(store.as_ref(), &ns("rev-order")).await;
    revocations::revocation_fields_are_bounded(store.as_ref(), &ns("rev-bounds")).await;
    state_audit::state_round_trips_and_expires(store.as_ref(), &ns("state")).await;
    state_audit::audit_events_are_listed_filtered_and_bounded(store.as_ref(), &ns("audit")).await;
    state_audit::state_is_taken_once(store, &ns("state-race")).await;
    mfa::mfa_attempts_lock_the_device_until_the_lock_ends(store.as_ref(), &ns("mfa-lock")).await;
    mfa::mfa_windows_end_and_devices_are_exact(store.as_ref(), &ns("mfa-window")).await;
    mfa::mfa_devices_and_policies_are_bounded(store.as_ref(), &ns("mfa-bounds")).await;
    mfa::concurrent_mfa_attempts_are_counted_one_by_one(store, &ns("mfa-race")).await;
    // The revocation checks above leave only rows that expire before the purge checks start.
    one_time::purge_removes_only_expired_rows(store.as_ref(), &ns("purge")).await;
    revocations::purge_removes_expired_revocations(store.as_ref(), &ns("rev-purge")).await;
    mfa::purge_removes_ended_mfa_counts(store.as_ref(), &ns("mfa-purge")).await;
    store.ping().await.expect("ping after the suite");
}
