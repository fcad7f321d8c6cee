//! The audit trail: appended, listed in order from a time, pruned by age.

use tollgate_issuer::store::{AuditEvent, Store};

fn event(at_ms: i64, action: &str, subject: &str) -> AuditEvent {
    AuditEvent {
        at_ms,
        actor: "alice".into(),
        action: action.into(),
        subject: subject.into(),
        detail: format!("detail of {action}"),
    }
}

pub(crate) async fn events_are_listed_in_order_from_a_time_and_pruned(store: Store) {
    let events = [
        event(1_000, "client.create", "a"),
        event(2_000, "client.update", "a"),
        // Same millisecond: kept in the order recorded.
        event(2_000, "client.disable", "a"),
        event(3_000, "keys.revoke", "kid-1"),
    ];
    for e in &events {
        store.audit.record_event(e).await.unwrap();
    }
    assert_eq!(store.audit.events_since(0, 100).await.unwrap(), events);
    assert_eq!(
        store.audit.events_since(2_000, 100).await.unwrap(),
        events[1..]
    );
    assert_eq!(
        store.audit.events_since(2_000, 2).await.unwrap(),
        events[1..3]
    );
    assert!(
        store
            .audit
            .events_since(3_001, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.audit.prune_events(2_000).await.unwrap(), 1);
    assert_eq!(store.audit.events_since(0, 100).await.unwrap(), events[1..]);
}

pub(crate) async fn concurrent_events_are_all_kept(store: Store) {
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .audit
                    .record_event(&event(5_000, "client.lockout", &format!("c{i}")))
                    .await
                    .unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(store.audit.events_since(0, 1000).await.unwrap().len(), 32);
}
