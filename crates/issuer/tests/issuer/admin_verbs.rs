//! Admin verbs through a running server's own state: `client update` reaches the next
//! token, `keys revoke` pulls a key out of the JWKS and introspection, and every action
//! and lockout lands in the audit trail exactly once.

use serde_json::Value;
use tempfile::TempDir;
use tollgate_issuer::{
    admin::{self, AdminError, ClientChanges, ClientSpec, Successor},
    keys::KeyState,
};

use crate::common::{CountingLockout, Server, Setup, basic, expect_error, expect_token, form};

const GRANT: &str = "grant_type=client_credentials";

async fn introspect(server: &Server, caller: (&str, &str), token: &str) -> Value {
    let response = server
        .post("/oauth/introspect")
        .header("authorization", basic(caller.0, caller.1))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("token", token)]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn actions(server: &Server) -> Vec<(String, String, String)> {
    tollgate_issuer::audit::list(server.state.store(), 0)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action, e.subject))
        .collect()
}

#[tokio::test]
async fn client_update_reaches_the_next_token_and_is_checked_like_create() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let (id, secret) = server.client(ClientSpec::new(["orders:read"])).await;
    let scoped = |scope: &str| format!("{GRANT}&scope={scope}");
    let refused = server
        .token_basic(&id, &secret, &scoped("orders:write"))
        .await;
    expect_error(refused, 400, "invalid_scope").await;

    let changes = ClientChanges {
        scopes: Some(vec!["orders:read orders:write".into()]),
        audiences: Some(vec!["https://api.example.com".into()]),
        ttl: Some(120),
        ..ClientChanges::default()
    };
    let view = admin::update_client(&server.state, &id, changes)
        .await
        .unwrap();
    assert_eq!(view.scopes, ["orders:read", "orders:write"]);
    // No poll interval to wait for: the server's own view is refreshed by the update.
    let (_, body) = expect_token(
        server
            .token_basic(&id, &secret, &scoped("orders:write"))
            .await,
    )
    .await;
    assert_eq!(body["expires_in"], 120);
    assert_eq!(body["scope"], "orders:write");

    for bad in [
        ClientChanges {
            ttl: Some(0),
            ..ClientChanges::default()
        },
        ClientChanges {
            scopes: Some(vec!["bad\"scope".into()]),
            ..ClientChanges::default()
        },
        ClientChanges {
            name: Some("line\nbreak".into()),
            ..ClientChanges::default()
        },
        ClientChanges::default(),
    ] {
        let err = admin::update_client(&server.state, &id, bad).await;
        assert!(matches!(err, Err(AdminError::Invalid(_))), "{err:?}");
    }
    let missing = admin::update_client(
        &server.state,
        "ghost",
        ClientChanges {
            ttl: Some(60),
            ..ClientChanges::default()
        },
    )
    .await;
    assert!(matches!(missing, Err(AdminError::NotFound(_))));
    // The old secret still works: an update never touches it.
    expect_token(server.token_basic(&id, &secret, GRANT).await).await;
    let logged = actions(&server).await;
    let update = ("serve".to_string(), "client.update".to_string(), id.clone());
    assert_eq!(
        logged.iter().filter(|a| **a == update).count(),
        1,
        "{logged:?}"
    );
}

#[tokio::test]
async fn a_revoked_key_leaves_the_jwks_at_once_and_its_tokens_introspect_inactive() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let (id, secret) = server.default_client().await;
    let caller = (id.as_str(), secret.as_str());
    let (old_token, _) = expect_token(server.token_basic(&id, &secret, GRANT).await).await;
    let leaked = admin::list_keys(&server.state).await.unwrap()[0]
        .kid
        .clone();

    // The only active key is refused without a successor; nothing changes.
    let refused = admin::revoke_key(&server.state, &leaked, Successor::Unchanged).await;
    assert!(
        matches!(refused, Err(AdminError::Invalid(_))),
        "{refused:?}"
    );
    assert_eq!(
        introspect(&server, caller, &old_token).await["active"],
        true
    );

    let pending = admin::rotate_keys(&server.state, 3600).await.unwrap();
    let revoked = admin::revoke_key(
        &server.state,
        &leaked,
        Successor::Activate(pending.kid.clone()),
    )
    .await
    .unwrap();
    assert_eq!(revoked.revoked.state, KeyState::Revoked);
    assert_eq!(revoked.active.unwrap().kid, pending.kid);
    let kids: Vec<String> = server
        .jwks()
        .await
        .keys()
        .iter()
        .map(|k| k.kid().unwrap().to_string())
        .collect();
    assert_eq!(
        kids,
        [pending.kid.as_str()],
        "only the successor is published"
    );
    assert_eq!(
        introspect(&server, caller, &old_token).await,
        serde_json::json!({"active": false})
    );
    // The next token is signed by the successor, with no gap.
    let (fresh, _) = expect_token(server.token_basic(&id, &secret, GRANT).await).await;
    let verified = server.verifier().await.verify(&fresh, crate::common::now());
    assert!(verified.is_ok(), "{verified:?}");
    assert_eq!(introspect(&server, caller, &fresh).await["active"], true);

    // `--rotate`: a fresh key replaces the active one in one step.
    let again = admin::revoke_key(&server.state, &pending.kid, Successor::New)
        .await
        .unwrap();
    let new_kid = again.active.unwrap().kid;
    assert_ne!(new_kid, pending.kid);
    expect_token(server.token_basic(&id, &secret, GRANT).await).await;
    let twice = admin::revoke_key(&server.state, &leaked, Successor::Unchanged).await;
    assert!(matches!(twice, Err(AdminError::Invalid(_))));
    let unknown = admin::revoke_key(&server.state, "nope", Successor::New).await;
    assert!(matches!(unknown, Err(AdminError::NoKey(_))));

    let logged: Vec<(String, String)> = actions(&server)
        .await
        .into_iter()
        .filter(|(_, action, _)| action.starts_with("keys."))
        .map(|(_, action, subject)| (action, subject))
        .collect();
    let entry = |a: &str, s: &str| (a.to_string(), s.to_string());
    assert_eq!(
        logged,
        [
            entry("keys.rotate", &pending.kid),
            entry("keys.revoke", &leaked),
            entry("keys.revoke", &pending.kid),
        ]
    );
}

#[tokio::test]
async fn a_lockout_is_one_audit_event_however_long_the_attack_goes_on() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let (id, secret) = server.default_client().await;
    // Threshold 5 by default; 45 more attempts hit the lock and record nothing.
    for _ in 0..50 {
        let response = server.token_basic(&id, "wrong", GRANT).await;
        assert!(response.status().is_client_error());
    }
    let lockouts: Vec<_> = tollgate_issuer::audit::list(server.state.store(), 0)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "client.lockout")
        .collect();
    assert_eq!(lockouts.len(), 1, "{lockouts:?}");
    assert_eq!(
        (lockouts[0].actor.as_str(), lockouts[0].subject.as_str()),
        ("serve", id.as_str())
    );
    assert!(
        lockouts[0].detail.starts_with("source 127.0.0.1"),
        "{:?}",
        lockouts[0].detail
    );
    assert!(!lockouts[0].detail.contains(&secret) && !lockouts[0].detail.contains("wrong"));
    // An unknown id gets no row and no event.
    for _ in 0..10 {
        server.token_basic("nobody", "wrong", GRANT).await;
    }
    let events = tollgate_issuer::audit::list(server.state.store(), 0)
        .await
        .unwrap();
    assert!(events.iter().all(|e| e.subject != "nobody"));
}

/// A view that cannot refresh after a committed create or rotation costs a warning, not
/// the one-time secret: the command still returns it, the audit event is committed with
/// the change, and the secret works once the view catches up.
#[tokio::test]
async fn a_view_that_fails_to_refresh_never_loses_a_one_time_secret() {
    let dir = TempDir::new().unwrap();
    let inner = tollgate_issuer::store::open_path(&dir.path().join("tollgate.db"))
        .await
        .unwrap();
    let (store, lockout) = CountingLockout::wrap(inner);
    let setup = Setup {
        store: Some(store),
        ..Setup::default()
    };
    let server = Server::start_with(dir.path(), setup).await;

    lockout.fail_marks(true);
    let created = admin::create_client(&server.state, ClientSpec::new(["read"]))
        .await
        .expect("the secret is returned although the view did not refresh");
    let id = created.client.client_id.clone();
    let rotated = admin::rotate_secret(&server.state, &id, 0)
        .await
        .expect("the new secret is returned although the view did not refresh");
    lockout.fail_marks(false);
    assert!(!created.client_secret.is_empty() && !rotated.client_secret.is_empty());
    let trail: Vec<_> = actions(&server)
        .await
        .into_iter()
        .map(|(_, action, _)| action)
        .collect();
    assert_eq!(trail, ["client.create", "client.rotate_secret"]);

    server.state.refresh_directory().await.unwrap();
    expect_token(server.token_basic(&id, &rotated.client_secret, GRANT).await).await;
    expect_error(
        server.token_basic(&id, &created.client_secret, GRANT).await,
        401,
        "invalid_client",
    )
    .await;
}
