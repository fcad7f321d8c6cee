//! Caspio-style refresh tokens: opt-in, single use, rotation, reuse detection.

use std::sync::Arc;

use serde_json::Value;
use tempfile::TempDir;
use tollgate_issuer::{
    admin::ClientSpec,
    clock::{Clock, ManualClock},
};

use crate::common::{Server, Setup, expect_error, expect_token, form, manual_clock, now};

async fn refresh_client(server: &Server) -> (String, String) {
    let mut spec = ClientSpec::new(["api", "reports"]);
    spec.ttl = 86_400;
    spec.refresh = true;
    spec.refresh_ttl = 31_536_000;
    server.client(spec).await
}

async fn refresh(
    server: &Server,
    id: &str,
    secret: &str,
    token: &str,
    extra: &str,
) -> reqwest::Response {
    let mut body = form(&[("grant_type", "refresh_token"), ("refresh_token", token)]);
    body.push_str(extra);
    server.token_basic(id, secret, &body).await
}

/// A server on `clock` whose clients hold at most `families` refresh-token families.
async fn with_max_families(dir: &TempDir, clock: &Arc<ManualClock>, families: u32) -> Server {
    let setup = Setup {
        clock: clock.clone(),
        settings: Box::new(move |s| s.refresh_max_families = families),
        ..Setup::default()
    };
    Server::start_with(dir.path(), setup).await
}

fn refresh_token(body: &Value) -> String {
    body["refresh_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let (id, secret) = refresh_client(&server).await;

    let (_, first) = expect_token(
        server
            .token_post(&id, &secret, "grant_type=client_credentials")
            .await,
    )
    .await;
    assert_eq!(first["expires_in"], 86_400);
    let r1 = refresh_token(&first);
    assert!(r1.len() >= 43, "at least 256 bits");

    let (access, second) = expect_token(refresh(&server, &id, &secret, &r1, "").await).await;
    let r2 = refresh_token(&second);
    assert_ne!(r1, r2);
    assert_eq!(second["scope"], "api reports");
    let claims = server
        .verifier()
        .await
        .verify(&access, now())
        .unwrap()
        .into_claims();
    assert_eq!(claims.client_id.as_deref(), Some(id.as_str()));

    // r1 is spent: presenting it again revokes r2 as well.
    expect_error(
        refresh(&server, &id, &secret, &r1, "").await,
        400,
        "invalid_grant",
    )
    .await;
    expect_error(
        refresh(&server, &id, &secret, &r2, "").await,
        400,
        "invalid_grant",
    )
    .await;
    assert!(
        server
            .state
            .metrics()
            .render()
            .contains("tollgate_refresh_token_reuse_total 1")
    );

    // A fresh grant starts a new, unaffected family.
    let (_, third) = expect_token(
        server
            .token_basic(&id, &secret, "grant_type=client_credentials")
            .await,
    )
    .await;
    expect_token(refresh(&server, &id, &secret, &refresh_token(&third), "").await).await;
}

#[tokio::test]
async fn refresh_scope_may_narrow_and_errors_do_not_spend_the_token() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let (id, secret) = refresh_client(&server).await;
    let (_, body) = expect_token(
        server
            .token_post(&id, &secret, "grant_type=client_credentials")
            .await,
    )
    .await;
    let token = refresh_token(&body);

    let wider = refresh(&server, &id, &secret, &token, "&scope=admin").await;
    expect_error(wider, 400, "invalid_scope").await;
    let missing = server
        .token_basic(&id, &secret, "grant_type=refresh_token")
        .await;
    expect_error(missing, 400, "invalid_request").await;
    let garbage = refresh(&server, &id, &secret, "not-a-token", "").await;
    expect_error(garbage, 400, "invalid_grant").await;

    let (_, narrowed) =
        expect_token(refresh(&server, &id, &secret, &token, "&scope=reports").await).await;
    assert_eq!(narrowed["scope"], "reports");
    // The grant itself keeps its original scope.
    let (_, next) =
        expect_token(refresh(&server, &id, &secret, &refresh_token(&narrowed), "").await).await;
    assert_eq!(next["scope"], "api reports");
}

#[tokio::test]
async fn refresh_tokens_are_bound_to_their_client_and_expire() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let setup = Setup {
        clock: clock.clone(),
        ..Setup::default()
    };
    let server = Server::start_with(dir.path(), setup).await;
    let (id, secret) = refresh_client(&server).await;
    let (other, other_secret) = refresh_client(&server).await;
    let (_, body) = expect_token(
        server
            .token_post(&id, &secret, "grant_type=client_credentials")
            .await,
    )
    .await;
    let token = refresh_token(&body);

    let stolen = refresh(&server, &other, &other_secret, &token, "").await;
    expect_error(stolen, 400, "invalid_grant").await;
    // The owner can still use it: a foreign attempt does not spend it.
    let (_, body) = expect_token(refresh(&server, &id, &secret, &token, "").await).await;

    clock.advance_ms(31_536_000 * 1000);
    let expired = refresh(&server, &id, &secret, &refresh_token(&body), "").await;
    expect_error(expired, 400, "invalid_grant").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refreshes_of_one_token_succeed_at_most_once() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let (id, secret) = refresh_client(&server).await;
    let (_, body) = expect_token(
        server
            .token_post(&id, &secret, "grant_type=client_credentials")
            .await,
    )
    .await;
    let token = refresh_token(&body);
    let body = form(&[("grant_type", "refresh_token"), ("refresh_token", &token)]);
    let handles: Vec<_> = (0..10)
        .map(|_| {
            tokio::spawn(
                server
                    .post("/oauth/token")
                    .header("authorization", crate::common::basic(&id, &secret))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body.clone())
                    .send(),
            )
        })
        .collect();
    let mut winners = Vec::new();
    for handle in handles {
        let response = handle.await.unwrap().unwrap();
        match response.status().as_u16() {
            200 => winners.push(response.json::<Value>().await.unwrap()),
            400 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(winners.len(), 1);
    // Everyone else was a reuse, so even the winner's new token is revoked.
    let next = refresh(&server, &id, &secret, &refresh_token(&winners[0]), "").await;
    expect_error(next, 400, "invalid_grant").await;
}

#[tokio::test]
async fn secrets_and_refresh_tokens_are_not_stored_in_clear() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let (id, secret) = refresh_client(&server).await;
    let (_, body) = expect_token(
        server
            .token_post(&id, &secret, "grant_type=client_credentials")
            .await,
    )
    .await;
    let token = refresh_token(&body);
    server.stop().await;
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let contains = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(contains(&id), "the scan does see stored values");
    assert!(!contains(&secret));
    assert!(!contains(&token));
}

#[tokio::test]
async fn a_family_ends_refresh_ttl_after_its_first_token_however_often_it_rotates() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let setup = Setup {
        clock: clock.clone(),
        ..Setup::default()
    };
    let server = Server::start_with(dir.path(), setup).await;
    let mut spec = ClientSpec::new(["api"]);
    spec.refresh = true;
    spec.refresh_ttl = 1000;
    let (id, secret) = server.client(spec).await;
    let grant = "grant_type=client_credentials";
    let (_, body) = expect_token(server.token_post(&id, &secret, grant).await).await;
    let mut token = refresh_token(&body);
    // Rotate every 300 s: the family still ends 1000 s after its first token.
    for _ in 0..3 {
        clock.advance_ms(300_000);
        let (_, body) = expect_token(refresh(&server, &id, &secret, &token, "").await).await;
        token = refresh_token(&body);
    }
    clock.advance_ms(100_001);
    let ended = refresh(&server, &id, &secret, &token, "").await;
    expect_error(ended, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_client_holds_at_most_refresh_max_families_and_the_oldest_go_first() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let server = with_max_families(&dir, &clock, 3).await;
    let (id, secret) = refresh_client(&server).await;
    let mut tokens = Vec::new();
    for _ in 0..5 {
        let grant = "grant_type=client_credentials";
        let (_, body) = expect_token(server.token_post(&id, &secret, grant).await).await;
        tokens.push(refresh_token(&body));
        clock.advance_ms(1000);
    }
    for old in &tokens[..2] {
        let gone = refresh(&server, &id, &secret, old, "").await;
        expect_error(gone, 400, "invalid_grant").await;
    }
    for live in &tokens[2..] {
        expect_token(refresh(&server, &id, &secret, live, "").await).await;
    }
}

#[tokio::test]
async fn a_failed_mint_spends_no_refresh_token_and_evicts_no_family() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let server = with_max_families(&dir, &clock, 1).await;
    let (id, secret) = refresh_client(&server).await;
    let grant = "grant_type=client_credentials";
    let (_, body) = expect_token(server.token_post(&id, &secret, grant).await).await;
    let first = refresh_token(&body);

    // Back before the only key signs: no token can be minted.
    clock.advance_ms(-3_600_000);
    server.state.keys().reload(clock.now()).await.unwrap();
    let refused = refresh(&server, &id, &secret, &first, "").await;
    expect_error(refused, 503, "temporarily_unavailable").await;
    let refused = server.token_post(&id, &secret, grant).await;
    expect_error(refused, 503, "temporarily_unavailable").await;

    // Once a key signs again, the retry is served: the token was not spent, and the
    // failed client_credentials request started no family that would have evicted it.
    clock.advance_ms(3_600_000);
    server.state.keys().reload(clock.now()).await.unwrap();
    let (_, body) = expect_token(refresh(&server, &id, &secret, &first, "").await).await;
    assert_ne!(refresh_token(&body), first);
}
