//! Client authentication: both methods, every failure, reserved characters, secret
//! rotation, and no store write on a plain success.

use base64ct::{Base64, Encoding};
use tempfile::TempDir;
use tollgate_issuer::{admin, store::Client};

use crate::common::{
    CountingLockout, Server, Setup, basic, expect_error, expect_token, now, test_event,
};

#[tokio::test]
async fn client_authentication_errors() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let (id, secret) = server.default_client().await;
    let grant = "grant_type=client_credentials";

    // Both methods at once.
    let both = server
        .post("/oauth/token")
        .header("authorization", basic(&id, &secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("{grant}&client_secret={secret}"))
        .send()
        .await
        .unwrap();
    expect_error(both, 400, "invalid_request").await;

    // No credentials: 401 with a Basic challenge.
    let anonymous = server
        .post("/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(grant)
        .send()
        .await
        .unwrap();
    let headers = expect_error(anonymous, 401, "invalid_client").await;
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic realm=")
    );

    // Wrong secret over Basic or the form: 401 with the challenge (RFC 9110 §11.6.1).
    let basic_wrong = server.token_basic(&id, "wrong", grant).await;
    let headers = expect_error(basic_wrong, 401, "invalid_client").await;
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic realm=")
    );
    let post_wrong = server.token_post(&id, "wrong", grant).await;
    let headers = expect_error(post_wrong, 401, "invalid_client").await;
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic realm=")
    );

    // A malformed Basic header is a malformed request.
    let garbled = server
        .post("/oauth/token")
        .header("authorization", "Basic ***")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(grant)
        .send()
        .await
        .unwrap();
    expect_error(garbled, 400, "invalid_request").await;

    // A disabled client is refused with the right secret, and works again once enabled.
    admin::set_disabled(&server.state, &id, true).await.unwrap();
    let disabled = server.token_basic(&id, &secret, grant).await;
    expect_error(disabled, 401, "invalid_client").await;
    admin::set_disabled(&server.state, &id, false)
        .await
        .unwrap();
    expect_token(server.token_basic(&id, &secret, grant).await).await;
}

#[tokio::test]
async fn unknown_client_and_wrong_secret_answer_identically() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let (id, _) = server.default_client().await;
    let grant = "grant_type=client_credentials";
    let snapshot = |response: reqwest::Response| async move {
        let status = response.status();
        let mut headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "date" | "x-request-id"))
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
            .collect();
        headers.sort();
        (status, headers, response.bytes().await.unwrap())
    };
    let wrong = snapshot(server.token_basic(&id, "wrong", grant).await).await;
    let unknown = snapshot(server.token_basic("no-such-client", "wrong", grant).await).await;
    assert_eq!(wrong, unknown);
    let wrong = snapshot(server.token_post(&id, "wrong", grant).await).await;
    let unknown = snapshot(server.token_post("no-such-client", "wrong", grant).await).await;
    assert_eq!(wrong, unknown);
}

#[tokio::test]
async fn basic_credentials_with_reserved_characters() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    // Operator-chosen id and an imported secret, both with `:`, `%`, `+` and a space.
    let id = "acme:eu%2B+1";
    let secret = "s3:cr%et+with space";
    let now = now();
    let client = Client {
        id: id.into(),
        name: String::new(),
        scopes: vec!["read".into()],
        audiences: Vec::new(),
        access_ttl: 60,
        refresh_enabled: false,
        refresh_ttl: 60,
        disabled: false,
        secret_hash: server.state.hasher().client_secret(secret),
        previous_secret_hash: None,
        previous_secret_expires_at: None,
        created_at: now,
        updated_at: now,
    };
    server
        .state
        .store()
        .clients
        .create_client(&client, &test_event("client.create", id))
        .await
        .unwrap();
    let grant = "grant_type=client_credentials";

    let (token, _) = expect_token(server.token_basic(id, secret, grant).await).await;
    let verified = server.verifier().await.verify(&token, now).unwrap();
    assert_eq!(verified.claims().client_id.as_deref(), Some(id));
    expect_token(server.token_post(id, secret, grant).await).await;

    // Without form-encoding, `+` reads as a space: that is not the secret.
    let encoded_id: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    let raw = Base64::encode_string(format!("{encoded_id}:{secret}").as_bytes());
    let unencoded = server
        .post("/oauth/token")
        .header("authorization", format!("Basic {raw}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(grant)
        .send()
        .await
        .unwrap();
    expect_error(unencoded, 401, "invalid_client").await;
}

#[tokio::test]
async fn secret_rotation_with_grace_keeps_two_secrets() {
    let dir = TempDir::new().unwrap();
    let clock = crate::common::manual_clock();
    let setup = Setup {
        clock: clock.clone(),
        ..Setup::default()
    };
    let server = Server::start_with(dir.path(), setup).await;
    let (id, old) = server.default_client().await;
    let grant = "grant_type=client_credentials";

    let rotated = admin::rotate_secret(&server.state, &id, 60).await.unwrap();
    assert_ne!(rotated.client_secret, old);
    expect_token(server.token_basic(&id, &old, grant).await).await;
    expect_token(server.token_basic(&id, &rotated.client_secret, grant).await).await;
    clock.advance_ms(61_000);
    expect_error(
        server.token_basic(&id, &old, grant).await,
        401,
        "invalid_client",
    )
    .await;
    expect_token(server.token_basic(&id, &rotated.client_secret, grant).await).await;

    // Without grace the old secret stops at once.
    let again = admin::rotate_secret(&server.state, &id, 0).await.unwrap();
    let previous = rotated.client_secret;
    expect_error(
        server.token_basic(&id, &previous, grant).await,
        401,
        "invalid_client",
    )
    .await;
    expect_token(server.token_basic(&id, &again.client_secret, grant).await).await;
}

#[tokio::test]
async fn a_plain_success_writes_nothing_and_a_reset_writes_once() {
    let dir = TempDir::new().unwrap();
    let inner = tollgate_issuer::store::open_path(&dir.path().join("tollgate.db"))
        .await
        .unwrap();
    let (store, counting) = CountingLockout::wrap(inner);
    let setup = Setup {
        store: Some(store),
        ..Setup::default()
    };
    let server = Server::start_with(dir.path(), setup).await;
    let (id, secret) = server.default_client().await;
    let grant = "grant_type=client_credentials";

    let before = counting.writes();
    for _ in 0..20 {
        expect_token(server.token_basic(&id, &secret, grant).await).await;
    }
    assert_eq!(
        counting.writes(),
        before,
        "successful requests wrote to the store"
    );

    expect_error(
        server.token_basic(&id, "wrong", grant).await,
        401,
        "invalid_client",
    )
    .await;
    assert_eq!(counting.writes(), before + 1, "a failure is one write");
    expect_token(server.token_basic(&id, &secret, grant).await).await;
    assert_eq!(
        counting.writes(),
        before + 2,
        "the first success after it resets once"
    );
    expect_token(server.token_basic(&id, &secret, grant).await).await;
    assert_eq!(
        counting.writes(),
        before + 2,
        "later successes write nothing"
    );
}
