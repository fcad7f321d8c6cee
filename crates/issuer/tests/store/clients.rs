//! Clients: create, read, list, secrets and their grace, disable, delete.

use tollgate_issuer::store::{Client, Digest, LockoutPolicy, RefreshToken, Store, StoreError};

use crate::ev;

pub(crate) fn client(id: &str, secret: u8) -> Client {
    Client {
        id: id.into(),
        name: format!("client {id}"),
        scopes: vec!["read".into(), "write".into()],
        audiences: vec!["https://api.example.com".into()],
        access_ttl: 3600,
        refresh_enabled: true,
        refresh_ttl: 86_400,
        disabled: false,
        secret_hash: [secret; 32],
        previous_secret_hash: None,
        previous_secret_expires_at: None,
        created_at: 1_000,
        updated_at: 1_000,
    }
}

pub(crate) async fn clients_round_trip(store: Store) {
    store.maintenance.ping().await.unwrap();
    assert_eq!(store.clients.max_access_ttl().await.unwrap(), 0);
    let b = client("b", 2);
    let mut a = client("a", 1);
    a.access_ttl = 7200;
    store.clients.create_client(&b, &ev()).await.unwrap();
    store.clients.create_client(&a, &ev()).await.unwrap();
    assert!(matches!(
        store.clients.create_client(&a, &ev()).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.clients.client("a").await.unwrap(), Some(a.clone()));
    assert_eq!(
        store.clients.client("A").await.unwrap(),
        None,
        "ids are case-sensitive"
    );
    assert_eq!(
        store.clients.clients().await.unwrap(),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(store.clients.max_access_ttl().await.unwrap(), 7200);
    let (found, failures) = store.lockout.auth_lookup("a", "192.0.2.1").await.unwrap();
    assert_eq!(found, Some(a));
    assert!(failures.is_clean() && !failures.is_locked(0));
    assert_eq!(
        store
            .lockout
            .auth_lookup("zz", "192.0.2.1")
            .await
            .unwrap()
            .0,
        None
    );
}

pub(crate) async fn secrets_rotate_with_grace_and_clients_disable(store: Store) {
    store
        .clients
        .create_client(&client("a", 1), &ev())
        .await
        .unwrap();
    let next: Digest = [9; 32];
    assert!(
        store
            .clients
            .set_secret("a", &next, Some(([1; 32], 5_000)), 2_000, &ev())
            .await
            .unwrap()
    );
    let a = store.clients.client("a").await.unwrap().unwrap();
    assert_eq!(a.secret_hash, next);
    assert_eq!(a.previous_secret_hash, Some([1; 32]));
    assert_eq!(a.previous_secret_expires_at, Some(5_000));
    assert_eq!(a.updated_at, 2_000);
    assert!(
        store
            .clients
            .set_secret("a", &[7; 32], None, 3_000, &ev())
            .await
            .unwrap()
    );
    let a = store.clients.client("a").await.unwrap().unwrap();
    assert_eq!(
        (a.previous_secret_hash, a.previous_secret_expires_at),
        (None, None)
    );
    assert!(
        !store
            .clients
            .set_secret("nobody", &next, None, 0, &ev())
            .await
            .unwrap()
    );

    assert!(
        store
            .clients
            .set_disabled("a", true, 4_000, &ev())
            .await
            .unwrap()
    );
    assert!(store.clients.client("a").await.unwrap().unwrap().disabled);
    assert!(
        store
            .clients
            .set_disabled("a", false, 4_001, &ev())
            .await
            .unwrap()
    );
    assert!(!store.clients.client("a").await.unwrap().unwrap().disabled);
    assert!(
        !store
            .clients
            .set_disabled("nobody", true, 0, &ev())
            .await
            .unwrap()
    );
}

pub(crate) async fn deleting_a_client_removes_its_failures_and_refresh_tokens(store: Store) {
    store
        .clients
        .create_client(&client("a", 1), &ev())
        .await
        .unwrap();
    let policy = LockoutPolicy::new(5, 30, 900);
    store
        .lockout
        .record_failure("a", "192.0.2.1", 10, &policy)
        .await
        .unwrap();
    let token = crate::tokens::refresh("a", "fam", 100);
    store
        .tokens
        .insert_refresh_token(&[3; 32], &token, 10)
        .await
        .unwrap();
    assert!(store.clients.delete_client("a", &ev()).await.unwrap());
    assert!(!store.clients.delete_client("a", &ev()).await.unwrap());
    assert!(store.lockout.failures("a").await.unwrap().is_empty());
    assert_eq!(
        store.tokens.refresh_token(&[3; 32]).await.unwrap(),
        None::<RefreshToken>
    );
    // Re-created under the same id, it starts with nothing.
    store
        .clients
        .create_client(&client("a", 2), &ev())
        .await
        .unwrap();
    assert!(store.lockout.failures("a").await.unwrap().is_empty());
}

pub(crate) async fn updates_change_settings_and_keep_secrets_and_state(store: Store) {
    let mut a = client("a", 1);
    a.previous_secret_hash = Some([7; 32]);
    a.previous_secret_expires_at = Some(9_000);
    store.clients.create_client(&a, &ev()).await.unwrap();
    let marks = store.lockout.change_marks().await.unwrap();
    let changed = Client {
        name: "renamed".into(),
        scopes: vec!["orders:read".into()],
        audiences: vec!["https://a.example".into(), "https://b.example".into()],
        access_ttl: 60,
        refresh_enabled: false,
        refresh_ttl: 120,
        updated_at: 2_000,
        // Fields update_client must not write:
        disabled: true,
        secret_hash: [0; 32],
        previous_secret_hash: None,
        previous_secret_expires_at: None,
        created_at: 5,
        ..a.clone()
    };
    assert!(store.clients.update_client(&changed, &ev()).await.unwrap());
    let expected = Client {
        disabled: false,
        secret_hash: a.secret_hash,
        previous_secret_hash: a.previous_secret_hash,
        previous_secret_expires_at: a.previous_secret_expires_at,
        created_at: a.created_at,
        ..changed.clone()
    };
    assert_eq!(store.clients.client("a").await.unwrap(), Some(expected));
    assert!(store.lockout.change_marks().await.unwrap().clients > marks.clients);
    let ghost = Client {
        id: "ghost".into(),
        ..changed
    };
    assert!(!store.clients.update_client(&ghost, &ev()).await.unwrap());
    assert_eq!(store.clients.client("ghost").await.unwrap(), None);
}
