//! Settings and signing keys.

use tollgate_issuer::store::{Setting, Store, StoredKey};

use crate::ev;

fn key(kid: &str, created_at: i64) -> StoredKey {
    StoredKey {
        kid: kid.into(),
        private_key: vec![7; 32],
        public_key: Some([8; 32]),
        protection: "plain".into(),
        created_at,
        activate_at: created_at + 10,
        revoked_at: None,
    }
}

pub(crate) async fn settings_insert_once_and_reseal_conditionally(store: Store) {
    let plain = Setting {
        value: vec![1; 32],
        protection: "plain".into(),
    };
    assert!(
        store
            .settings
            .insert_setting("pepper", &plain)
            .await
            .unwrap()
    );
    let other = Setting {
        value: vec![2; 32],
        protection: "plain".into(),
    };
    assert!(
        !store
            .settings
            .insert_setting("pepper", &other)
            .await
            .unwrap()
    );
    assert_eq!(
        store.settings.setting("pepper").await.unwrap(),
        Some(plain.clone())
    );
    let sealed = Setting {
        value: vec![3; 56],
        protection: "xchacha20poly1305".into(),
    };
    store
        .settings
        .reseal_setting("pepper", "xchacha20poly1305", &other)
        .await
        .unwrap();
    assert_eq!(
        store.settings.setting("pepper").await.unwrap(),
        Some(plain),
        "protection must match"
    );
    store
        .settings
        .reseal_setting("pepper", "plain", &sealed)
        .await
        .unwrap();
    assert_eq!(
        store.settings.setting("pepper").await.unwrap(),
        Some(sealed)
    );
    assert_eq!(store.settings.setting("missing").await.unwrap(), None);
}

pub(crate) async fn replicas_racing_on_first_start_create_one_key(store: Store) {
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .keys
                    .insert_signing_key(&key(&format!("kid-{i}"), 100), true, None)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        created += usize::from(task.await.unwrap());
    }
    assert_eq!(created, 1);
    assert_eq!(store.keys.signing_keys().await.unwrap().len(), 1);
    assert!(
        !store
            .keys
            .insert_signing_key(&key("late", 200), true, None)
            .await
            .unwrap()
    );
    assert!(
        store
            .keys
            .insert_signing_key(&key("rotated", 200), false, None)
            .await
            .unwrap()
    );
    assert_eq!(store.keys.signing_keys().await.unwrap().len(), 2);
}

pub(crate) async fn keys_are_listed_oldest_first_and_resealed_conditionally(store: Store) {
    for (kid, at) in [("c", 300), ("a", 100), ("b", 200)] {
        store
            .keys
            .insert_signing_key(&key(kid, at), false, None)
            .await
            .unwrap();
    }
    let kids: Vec<String> = store
        .keys
        .signing_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid.clone())
        .collect();
    assert_eq!(kids, ["a", "b", "c"]);
    let mut sealed = key("a", 100);
    sealed.private_key = vec![9; 72];
    sealed.protection = "xchacha20poly1305".into();
    store
        .keys
        .reseal_signing_key("a", "plain", &sealed)
        .await
        .unwrap();
    store
        .keys
        .reseal_signing_key("a", "plain", &key("a", 100))
        .await
        .unwrap();
    assert_eq!(store.keys.signing_keys().await.unwrap()[0], sealed);
}

pub(crate) async fn missing_public_halves_are_filled_once(store: Store) {
    let mut legacy = key("old", 100);
    legacy.public_key = None;
    store
        .keys
        .insert_signing_key(&legacy, false, None)
        .await
        .unwrap();
    store.keys.set_public_key("old", &[4; 32]).await.unwrap();
    store.keys.set_public_key("old", &[5; 32]).await.unwrap();
    assert_eq!(
        store.keys.signing_keys().await.unwrap()[0].public_key,
        Some([4; 32])
    );
    store.maintenance.scrub().await.unwrap();
    assert_eq!(store.keys.signing_keys().await.unwrap().len(), 1);
}

pub(crate) async fn revoking_a_key_activates_its_successor_in_one_step(store: Store) {
    for (kid, at) in [("old", 100), ("next", 200)] {
        store
            .keys
            .insert_signing_key(&key(kid, at), false, None)
            .await
            .unwrap();
    }
    let row = |kid: &'static str| {
        let store = store.clone();
        async move {
            store
                .keys
                .signing_keys()
                .await
                .unwrap()
                .into_iter()
                .find(|k| k.kid == kid)
                .unwrap()
        }
    };
    // A missing successor changes nothing: the key stays unrevoked.
    assert!(
        !store
            .keys
            .revoke_signing_key("old", Some("missing"), 150, &ev())
            .await
            .unwrap()
    );
    assert_eq!(row("old").await.revoked_at, None);
    assert!(
        store
            .keys
            .revoke_signing_key("old", Some("next"), 150, &ev())
            .await
            .unwrap()
    );
    assert_eq!(row("old").await.revoked_at, Some(150));
    assert_eq!(row("next").await.activate_at, 150, "activated now");
    assert!(
        !store
            .keys
            .revoke_signing_key("old", None, 160, &ev())
            .await
            .unwrap(),
        "revoked once"
    );
    assert_eq!(row("old").await.revoked_at, Some(150));
    assert!(
        !store
            .keys
            .revoke_signing_key("ghost", None, 160, &ev())
            .await
            .unwrap()
    );
    // A revoked key cannot be the successor of another.
    store
        .keys
        .insert_signing_key(&key("third", 300), false, None)
        .await
        .unwrap();
    assert!(
        !store
            .keys
            .revoke_signing_key("third", Some("old"), 170, &ev())
            .await
            .unwrap()
    );
    assert_eq!(row("third").await.revoked_at, None);
    // Activation never moves later.
    assert!(
        store
            .keys
            .revoke_signing_key("third", Some("next"), 900, &ev())
            .await
            .unwrap()
    );
    assert_eq!(row("next").await.activate_at, 150);
}
