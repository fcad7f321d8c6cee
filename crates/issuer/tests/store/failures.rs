//! Failure counting: per (client, source), exact under concurrency, one lockout, growth,
//! no rows for unknown ids, reset, clear, prune.

use tollgate_issuer::store::{FailureOutcome, FailureState, LockoutPolicy, Store};

use crate::ev;

use crate::clients::client;

const SOURCE: &str = "198.51.100.1";

fn policy(threshold: u64) -> LockoutPolicy {
    LockoutPolicy::new(threshold, 10, 40)
}

async fn state(store: &Store, id: &str, source: &str) -> FailureState {
    store.lockout.auth_lookup(id, source).await.unwrap().1
}

pub(crate) async fn failures_are_counted_per_client_and_source(store: Store) {
    store
        .clients
        .create_client(&client("a", 1), &ev())
        .await
        .unwrap();
    store
        .clients
        .create_client(&client("b", 2), &ev())
        .await
        .unwrap();
    let p = policy(5);
    for _ in 0..3 {
        store
            .lockout
            .record_failure("a", SOURCE, 1_000, &p)
            .await
            .unwrap();
    }
    store
        .lockout
        .record_failure("a", "203.0.113.9", 2_000, &p)
        .await
        .unwrap();
    assert_eq!(state(&store, "a", SOURCE).await.failed_count, 3);
    assert_eq!(state(&store, "a", "203.0.113.9").await.failed_count, 1);
    assert!(state(&store, "b", SOURCE).await.is_clean());
    let listed = store.lockout.failures("a").await.unwrap();
    let sources: Vec<&str> = listed.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(sources, ["203.0.113.9", SOURCE], "most recent first");
}

async fn concurrent(store: &Store, n: usize, p: LockoutPolicy) -> Vec<FailureOutcome> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.lockout.record_failure("a", SOURCE, 5_000, &p).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap().unwrap());
    }
    outcomes
}

pub(crate) async fn concurrent_failures_are_counted_exactly(store: Store) {
    store
        .clients
        .create_client(&client("a", 1), &ev())
        .await
        .unwrap();
    let outcomes = concurrent(&store, 100, policy(1000)).await;
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, FailureOutcome::Counted(_)))
    );
    let mut counts: Vec<i64> = outcomes.iter().map(|o| o.state().failed_count).collect();
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=100).collect::<Vec<_>>(),
        "each saw the previous one"
    );
    assert_eq!(state(&store, "a", SOURCE).await.failed_count, 100);
}

pub(crate) async fn concurrent_failures_start_exactly_one_lockout(store: Store) {
    store
        .clients
        .create_client(&client("a", 1), &ev())
        .await
        .unwrap();
    let outcomes = concurrent(&store, 100, policy(5)).await;
    let count = |f: fn(&FailureOutcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    assert_eq!(count(|o| matches!(o, FailureOutcome::Counted(_))), 4);
    assert_eq!(count(|o| matches!(o, FailureOutcome::Locked(_))), 1);
    assert_eq!(count(|o| matches!(o, FailureOutcome::AlreadyLocked(_))), 95);
    let now = state(&store, "a", SOURCE).await;
    assert_eq!(
        (now.failed_count, now.lockouts, now.locked_until_ms),
        (0, 1, 15_000)
    );
}

pub(crate) async fn lockouts_double_up_to_the_cap(store: Store) {
    store
        .clients
        .create_client(&client("a", 1), &ev())
        .await
        .unwrap();
    let p = policy(2);
    let mut now = 0;
    let mut lengths = Vec::new();
    for _ in 0..4 {
        store
            .lockout
            .record_failure("a", SOURCE, now, &p)
            .await
            .unwrap();
        let outcome = store
            .lockout
            .record_failure("a", SOURCE, now, &p)
            .await
            .unwrap();
        let FailureOutcome::Locked(locked) = outcome else {
            panic!("the second failure locks: {outcome:?}");
        };
        let again = store
            .lockout
            .record_failure("a", SOURCE, now + 1, &p)
            .await
            .unwrap();
        assert_eq!(again, FailureOutcome::AlreadyLocked(locked));
        lengths.push(locked.locked_until_ms - now);
        now = locked.locked_until_ms;
    }
    assert_eq!(lengths, [10_000, 20_000, 40_000, 40_000]);
}

pub(crate) async fn unknown_ids_get_no_rows(store: Store) {
    let p = policy(1);
    let outcome = store
        .lockout
        .record_failure("ghost", SOURCE, 0, &p)
        .await
        .unwrap();
    assert!(matches!(outcome, FailureOutcome::Locked(_)), "{outcome:?}");
    assert!(store.lockout.failures("ghost").await.unwrap().is_empty());
    // Creating the id later starts it clean.
    store
        .clients
        .create_client(&client("ghost", 1), &ev())
        .await
        .unwrap();
    assert!(state(&store, "ghost", SOURCE).await.is_clean());
}

pub(crate) async fn reset_clear_and_prune(store: Store) {
    store
        .clients
        .create_client(&client("a", 1), &ev())
        .await
        .unwrap();
    let p = policy(3);
    for source in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        store
            .lockout
            .record_failure("a", source, 1_000, &p)
            .await
            .unwrap();
    }
    store
        .lockout
        .reset_failures("a", "192.0.2.1", 1_000)
        .await
        .unwrap();
    assert!(state(&store, "a", "192.0.2.1").await.is_clean());
    store
        .lockout
        .clear_failures("a", Some("192.0.2.2"), &ev())
        .await
        .unwrap();
    assert_eq!(store.lockout.failures("a").await.unwrap().len(), 1);
    store
        .lockout
        .record_failure("a", "192.0.2.4", 50_000, &p)
        .await
        .unwrap();
    // The three rows last written at 1 000 go, cleared or not; the fresh one stays.
    assert_eq!(store.lockout.prune_failures(10_000).await.unwrap(), 3);
    assert_eq!(store.lockout.failures("a").await.unwrap().len(), 1);
    store
        .lockout
        .clear_failures("a", None, &ev())
        .await
        .unwrap();
    assert!(store.lockout.failures("a").await.unwrap().is_empty());
    store.maintenance.compact().await.unwrap();
}

pub(crate) async fn a_reset_never_lifts_a_lock(store: Store) {
    store
        .clients
        .create_client(&client("a", 1), &ev())
        .await
        .unwrap();
    let p = policy(1);
    let locked = store
        .lockout
        .record_failure("a", SOURCE, 1_000, &p)
        .await
        .unwrap();
    let until = locked.state().locked_until_ms;
    store
        .lockout
        .reset_failures("a", SOURCE, until - 1)
        .await
        .unwrap();
    assert!(state(&store, "a", SOURCE).await.is_locked(until - 1));
    store
        .lockout
        .reset_failures("a", SOURCE, until)
        .await
        .unwrap();
    assert!(state(&store, "a", SOURCE).await.is_clean());
}

pub(crate) async fn every_client_and_failure_change_moves_a_mark(store: Store) {
    let start = store.lockout.change_marks().await.unwrap();
    store
        .clients
        .create_client(&client("a", 1), &ev())
        .await
        .unwrap();
    let created = store.lockout.change_marks().await.unwrap();
    assert!(created.clients > start.clients);
    store
        .clients
        .set_disabled("a", true, 5, &ev())
        .await
        .unwrap();
    let disabled = store.lockout.change_marks().await.unwrap();
    assert!(disabled.clients > created.clients);
    assert_eq!(disabled.failures, start.failures, "no failure written yet");

    let p = policy(2);
    store
        .lockout
        .record_failure("a", SOURCE, 1_000, &p)
        .await
        .unwrap();
    store
        .lockout
        .record_failure("a", SOURCE, 1_000, &p)
        .await
        .unwrap();
    // Refused while locked: not a write, no new mark.
    store
        .lockout
        .record_failure("a", SOURCE, 1_001, &p)
        .await
        .unwrap();
    store
        .lockout
        .clear_failures("a", None, &ev())
        .await
        .unwrap();
    let changes = store
        .lockout
        .failures_since(start.failures, 100)
        .await
        .unwrap();
    let seqs: Vec<i64> = changes.iter().map(|c| c.seq).collect();
    assert_eq!(
        seqs.len(),
        1,
        "one row, holding its latest write: {changes:?}"
    );
    assert!(
        changes[0].state.is_clean(),
        "the unlock is visible as a clean state"
    );
    assert_eq!(
        store.lockout.change_marks().await.unwrap().failures,
        seqs[0]
    );
    let first_two = store
        .lockout
        .failures_since(start.failures, 1)
        .await
        .unwrap();
    assert_eq!(first_two.len(), 1, "the limit holds");
    assert!(
        store
            .lockout
            .failures_since(seqs[0], 100)
            .await
            .unwrap()
            .is_empty()
    );
    store.clients.delete_client("a", &ev()).await.unwrap();
    assert!(store.lockout.change_marks().await.unwrap().clients > disabled.clients);
}
