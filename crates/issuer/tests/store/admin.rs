//! Admin changes: each commits with its audit event; clients are listed a page at a time.

use tollgate_issuer::store::{LockoutPolicy, Store, StoreError};

use crate::{clients::client, ev};

/// Every admin change commits with its event, and a change that does not happen leaves
/// no event.
pub(crate) async fn an_admin_change_and_its_audit_event_commit_together(store: Store) {
    let count = async || store.audit.events_since(0, 1000).await.unwrap().len();
    let p = LockoutPolicy::new(1, 10, 40);
    store
        .clients
        .create_client(&client("a", 1), &ev())
        .await
        .unwrap();
    assert_eq!(count().await, 1, "a create writes one event");
    let duplicate = store.clients.create_client(&client("a", 2), &ev()).await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))));
    assert_eq!(count().await, 1, "a refused create writes none");

    store
        .lockout
        .record_failure("a", "192.0.2.1", 1_000, &p)
        .await
        .unwrap();
    assert!(
        store
            .clients
            .set_secret("a", &[5; 32], None, 2, &ev())
            .await
            .unwrap()
    );
    assert!(
        store.lockout.failures("a").await.unwrap().is_empty(),
        "a new secret ends the lockout in the same transaction"
    );
    assert!(
        !store
            .clients
            .set_secret("nobody", &[5; 32], None, 2, &ev())
            .await
            .unwrap()
    );
    assert_eq!(count().await, 2);

    assert!(
        !store
            .clients
            .update_client(&client("nobody", 1), &ev())
            .await
            .unwrap()
    );
    assert!(
        store
            .clients
            .update_client(&client("a", 1), &ev())
            .await
            .unwrap()
    );
    assert_eq!(count().await, 3);

    store
        .lockout
        .record_failure("a", "192.0.2.1", 1_000, &p)
        .await
        .unwrap();
    assert!(
        store
            .clients
            .set_disabled("a", true, 3, &ev())
            .await
            .unwrap()
    );
    assert_eq!(store.lockout.failures("a").await.unwrap().len(), 1);
    assert!(
        store
            .clients
            .set_disabled("a", false, 4, &ev())
            .await
            .unwrap()
    );
    assert!(
        store.lockout.failures("a").await.unwrap().is_empty(),
        "re-enabling ends the lockout"
    );
    assert!(
        !store
            .clients
            .set_disabled("nobody", true, 4, &ev())
            .await
            .unwrap()
    );
    assert_eq!(count().await, 5);

    store
        .lockout
        .clear_failures("a", None, &ev())
        .await
        .unwrap();
    assert_eq!(count().await, 6, "an unlock writes its event");
    assert!(
        !store
            .keys
            .revoke_signing_key("ghost", None, 5, &ev())
            .await
            .unwrap()
    );
    assert_eq!(count().await, 6, "a refused revocation writes none");

    assert!(store.clients.delete_client("a", &ev()).await.unwrap());
    assert!(!store.clients.delete_client("a", &ev()).await.unwrap());
    assert_eq!(count().await, 7);
}

/// `client list` reads clients a page at a time, by id, with each page's failure states.
pub(crate) async fn clients_are_listed_by_page_in_id_order(store: Store) {
    let ids: Vec<String> = (0..25).map(|i| format!("c{:02}", (i * 7) % 25)).collect();
    for id in &ids {
        store
            .clients
            .create_client(&client(id, 1), &ev())
            .await
            .unwrap();
    }
    let p = LockoutPolicy::new(5, 10, 40);
    for id in ["c05", "c12", "c12", "c24"] {
        store
            .lockout
            .record_failure(id, "192.0.2.1", 1_000, &p)
            .await
            .unwrap();
    }
    let page = async |after: Option<&str>| -> Vec<String> {
        let clients = store.clients.clients_page(after, 10).await.unwrap();
        clients.into_iter().map(|c| c.id).collect()
    };
    let expected = |from: usize, to: usize| -> Vec<String> {
        (from..to).map(|i| format!("c{i:02}")).collect()
    };
    assert_eq!(page(None).await, expected(0, 10));
    assert_eq!(page(Some("c09")).await, expected(10, 20));
    assert_eq!(page(Some("c19")).await, expected(20, 25));
    assert!(page(Some("c24")).await.is_empty());

    let failures = store
        .lockout
        .failures_between(Some("c09"), "c19")
        .await
        .unwrap();
    let listed: Vec<(&str, i64)> = failures
        .iter()
        .map(|(id, _, state)| (id.as_str(), state.failed_count))
        .collect();
    assert_eq!(listed, [("c12", 2)], "only the page's own clients");
    let first = store.lockout.failures_between(None, "c09").await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].0, "c05");
}
