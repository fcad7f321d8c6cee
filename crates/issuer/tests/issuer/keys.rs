//! Signing keys: publish before use, activation, retirement, encryption at rest.

use base64ct::{Base64, Encoding};
use tempfile::TempDir;
use tollgate_core::Jwks;
use tollgate_issuer::{
    AppState, Settings, admin,
    clock::Clock,
    keys::{KeyRing, KeyState, RETIRE_GRACE_SECS},
    seal::{self, MasterKey},
    store::Store,
};

use crate::common::{Server, Setup, expect_token, manual_clock, now};

const GRANT: &str = "grant_type=client_credentials";

fn kids(jwks: &Jwks) -> Vec<String> {
    jwks.keys()
        .iter()
        .map(|k| k.kid().unwrap().to_string())
        .collect()
}

async fn token_kid(server: &Server, id: &str, secret: &str) -> String {
    let (token, _) = expect_token(server.token_basic(id, secret, GRANT).await).await;
    // Verified at the server's own time (tests move a manual clock).
    let at = server.state.clock().now();
    let verified = server.verifier().await.verify(&token, at).unwrap();
    verified.kid().unwrap().to_string()
}

#[tokio::test]
async fn a_rotated_key_is_published_before_it_signs_and_retired_after_the_last_token() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let setup = Setup {
        clock: clock.clone(),
        ..Setup::default()
    };
    let server = Server::start_with(dir.path(), setup).await;
    let (id, secret) = server.default_client().await;
    let old = token_kid(&server, &id, &secret).await;
    assert_eq!(kids(&server.jwks().await), [old.as_str()]);

    let new = admin::rotate_keys(&server.state, 600).await.unwrap();
    assert_eq!(new.state, KeyState::Pending);
    // Visible in the JWKS at once, not used yet.
    assert_eq!(kids(&server.jwks().await), [old.clone(), new.kid.clone()]);
    assert_eq!(token_kid(&server, &id, &secret).await, old);

    clock.advance_ms(599_000);
    assert_eq!(token_kid(&server, &id, &secret).await, old);
    // At the activation second itself, before any reload: every replica switches then.
    clock.advance_ms(1000);
    assert_eq!(token_kid(&server, &id, &secret).await, new.kid);
    server.state.keys().reload(clock.now()).await.unwrap();
    assert_eq!(token_kid(&server, &id, &secret).await, new.kid);
    assert_eq!(kids(&server.jwks().await), [new.kid.clone(), old.clone()]);

    // The old key leaves once the longest token it signed (3600 s) has expired.
    clock.advance_ms((3600 + RETIRE_GRACE_SECS) * 1000);
    server.state.keys().reload(clock.now()).await.unwrap();
    assert_eq!(kids(&server.jwks().await), [new.kid.as_str()]);
    let plan = admin::list_keys(&server.state).await.unwrap();
    assert_eq!(
        plan.iter().find(|k| k.kid == old).unwrap().state,
        KeyState::Retired
    );
}

#[tokio::test]
async fn keys_and_pepper_are_sealed_with_the_master_key() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("tollgate.db");
    let master = MasterKey::from_base64(&Base64::encode_string(&[7u8; 32])).unwrap();
    let setup = Setup {
        master: Some(master.clone()),
        ..Setup::default()
    };
    let server = Server::start_with(dir.path(), setup).await;
    let (id, secret) = server.default_client().await;
    let kid = token_kid(&server, &id, &secret).await;
    server.stop().await;

    let store = tollgate_issuer::store::open_path(&db).await.unwrap();
    let keys = store.keys.signing_keys().await.unwrap();
    assert!(
        keys.iter()
            .all(|k| k.protection == seal::SEALED && k.private_key.len() > 32)
    );
    assert_eq!(
        store
            .settings
            .setting("pepper")
            .await
            .unwrap()
            .unwrap()
            .protection,
        seal::SEALED
    );

    // Without the key, or with another one, the store does not open.
    let settings = || Settings::new("http://127.0.0.1");
    assert!(
        AppState::new(store.clone(), settings(), None)
            .await
            .is_err()
    );
    let wrong = MasterKey::from_base64(&Base64::encode_string(&[8u8; 32])).unwrap();
    assert!(
        AppState::new(store.clone(), settings(), Some(wrong))
            .await
            .is_err()
    );

    // With it, the same key signs and the same secret works.
    let setup = Setup {
        master: Some(master),
        ..Setup::default()
    };
    let server = Server::start_with(dir.path(), setup).await;
    assert_eq!(token_kid(&server, &id, &secret).await, kid);
}

#[tokio::test]
async fn a_plaintext_store_is_sealed_when_a_master_key_appears() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let (id, secret) = server.default_client().await;
    let kid = token_kid(&server, &id, &secret).await;
    let store = server.state.store();
    assert_eq!(
        store.keys.signing_keys().await.unwrap()[0].protection,
        seal::PLAIN
    );
    server.stop().await;

    let master = MasterKey::from_base64(&Base64::encode_string(&[9u8; 32])).unwrap();
    let setup = Setup {
        master: Some(master),
        ..Setup::default()
    };
    let server = Server::start_with(dir.path(), setup).await;
    assert_eq!(token_kid(&server, &id, &secret).await, kid);
    let store = server.state.store();
    assert_eq!(
        store.keys.signing_keys().await.unwrap()[0].protection,
        seal::SEALED
    );
    assert_eq!(
        store
            .settings
            .setting("pepper")
            .await
            .unwrap()
            .unwrap()
            .protection,
        seal::SEALED
    );
}

/// Forgets the stored public halves, as in a store written before they were kept.
async fn drop_public_keys(db: &std::path::Path) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE signing_keys SET public_key = NULL")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn public_halves_missing_from_an_older_store_are_recorded_by_the_next_start() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("tollgate.db");
    let master = MasterKey::from_base64(&Base64::encode_string(&[5u8; 32])).unwrap();
    let setup = Setup {
        master: Some(master.clone()),
        ..Setup::default()
    };
    let server = Server::start_with(dir.path(), setup).await;
    let served = server.jwks().await;
    server.stop().await;
    drop_public_keys(&db).await;

    let store: Store = tollgate_issuer::store::open_path(&db).await.unwrap();
    let public = || KeyRing::load_public(store.clone(), "http://127.0.0.1".into(), now());
    let err = public().await.unwrap_err().to_string();
    assert!(err.contains("predates stored public keys"), "{err}");

    // A start with the master key records them; then no master key is needed.
    AppState::new(
        store.clone(),
        Settings::new("http://127.0.0.1"),
        Some(master),
    )
    .await
    .unwrap();
    let ring = public().await.unwrap();
    assert!(
        ring.current().signer_at(now()).is_none(),
        "public halves only"
    );
    assert_eq!(Jwks::from_json(ring.current().jwks_json()).unwrap(), served);

    // A plaintext key's half is derived on the spot.
    let plain_dir = TempDir::new().unwrap();
    let server = Server::start(&plain_dir).await;
    let served = server.jwks().await;
    server.stop().await;
    let plain_db = plain_dir.path().join("tollgate.db");
    drop_public_keys(&plain_db).await;
    let store: Store = tollgate_issuer::store::open_path(&plain_db).await.unwrap();
    let ring = KeyRing::load_public(store, "http://127.0.0.1".into(), now())
        .await
        .unwrap();
    assert_eq!(Jwks::from_json(ring.current().jwks_json()).unwrap(), served);
}
