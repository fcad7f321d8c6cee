//! Brute-force lockout: threshold, growth, reset, persistence, exact concurrent counting,
//! isolation between clients. Time moves through a manual clock, never by sleeping.

use std::sync::Arc;

use tempfile::TempDir;
use tollgate_issuer::{admin, clock::ManualClock};

use crate::common::{Server, Setup, basic, expect_error, expect_token, manual_clock};

const GRANT: &str = "grant_type=client_credentials";

/// Threshold 3, first lockout 10 s, capped at 40 s.
fn setup(clock: &Arc<ManualClock>, threshold: i64) -> Setup {
    Setup {
        settings: Box::new(move |s| {
            s.lockout.threshold = threshold;
            s.lockout.base_ms = 10_000;
            s.lockout.max_ms = 40_000;
        }),
        clock: clock.clone(),
        ..Setup::default()
    }
}

async fn fail(server: &Server, id: &str, status: u16) -> reqwest::header::HeaderMap {
    expect_error(
        server.token_basic(id, "wrong", GRANT).await,
        status,
        "invalid_client",
    )
    .await
}

/// (failed attempts, lockouts, locked now) of the one source these tests use.
async fn failures(server: &Server, id: &str) -> (i64, i64, bool) {
    let view = admin::show_client(&server.state, id).await.unwrap();
    match view.failures.as_slice() {
        [] => (0, 0, false),
        [one] => (
            one.failed_attempts,
            one.lockouts,
            one.locked_until.is_some(),
        ),
        many => panic!("one source expected, got {many:?}"),
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> u64 {
    headers["retry-after"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn threshold_locks_even_the_right_secret_and_only_that_client() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let server = Server::start_with(dir.path(), setup(&clock, 3)).await;
    let (id, secret) = server.default_client().await;
    let (other, other_secret) = server.default_client().await;

    fail(&server, &id, 401).await;
    fail(&server, &id, 401).await;
    let headers = fail(&server, &id, 429).await;
    assert_eq!(retry_after(&headers), 10);
    let locked = server.token_basic(&id, &secret, GRANT).await;
    let headers = expect_error(locked, 429, "invalid_client").await;
    assert!((1..=10).contains(&retry_after(&headers)));
    // Another client is untouched.
    expect_token(server.token_basic(&other, &other_secret, GRANT).await).await;
    assert_eq!(failures(&server, &other).await, (0, 0, false));

    clock.advance_ms(10_000);
    expect_token(server.token_basic(&id, &secret, GRANT).await).await;
    assert_eq!(failures(&server, &id).await, (0, 0, false));
}

#[tokio::test]
async fn lockouts_grow_up_to_the_cap_and_a_success_resets_the_growth() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let server = Server::start_with(dir.path(), setup(&clock, 3)).await;
    let (id, secret) = server.default_client().await;

    for expected in [10, 20, 40, 40] {
        fail(&server, &id, 401).await;
        fail(&server, &id, 401).await;
        assert_eq!(retry_after(&fail(&server, &id, 429).await), expected);
        // Attempts while locked are refused without extending the lock.
        assert_eq!(retry_after(&fail(&server, &id, 429).await), expected);
        clock.advance_ms(i64::try_from(expected).unwrap() * 1000);
    }
    expect_token(server.token_basic(&id, &secret, GRANT).await).await;
    fail(&server, &id, 401).await;
    fail(&server, &id, 401).await;
    assert_eq!(retry_after(&fail(&server, &id, 429).await), 10);
}

#[tokio::test]
async fn a_success_resets_the_count() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let server = Server::start_with(dir.path(), setup(&clock, 3)).await;
    let (id, secret) = server.default_client().await;
    fail(&server, &id, 401).await;
    fail(&server, &id, 401).await;
    expect_token(server.token_basic(&id, &secret, GRANT).await).await;
    fail(&server, &id, 401).await;
    fail(&server, &id, 401).await;
    fail(&server, &id, 429).await;
}

#[tokio::test]
async fn unknown_ids_are_counted_and_locked_like_known_ones_in_memory() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let server = Server::start_with(dir.path(), setup(&clock, 3)).await;
    fail(&server, "ghost", 401).await;
    fail(&server, "ghost", 401).await;
    assert_eq!(retry_after(&fail(&server, "ghost", 429).await), 10);
    fail(&server, "another-ghost", 401).await;
    assert_eq!(server.state.unknown_ids().len(), 2);
}

#[tokio::test]
async fn the_count_and_the_lock_survive_a_restart() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let server = Server::start_with(dir.path(), setup(&clock, 3)).await;
    let (id, secret) = server.default_client().await;
    let (locked, locked_secret) = server.default_client().await;
    fail(&server, &id, 401).await;
    fail(&server, &id, 401).await;
    for _ in 0..3 {
        server.token_basic(&locked, "wrong", GRANT).await;
    }
    server.stop().await;

    let server = Server::start_with(dir.path(), setup(&clock, 3)).await;
    fail(&server, &id, 429).await;
    let still = server.token_basic(&locked, &locked_secret, GRANT).await;
    expect_error(still, 429, "invalid_client").await;
    clock.advance_ms(10_000);
    expect_token(server.token_basic(&locked, &locked_secret, GRANT).await).await;
    expect_token(server.token_basic(&id, &secret, GRANT).await).await;
}

/// Sends `n` bad attempts at once; returns their statuses.
async fn hammer(server: &Server, id: &str, n: usize) -> Vec<u16> {
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let request = server
                .post("/oauth/token")
                .header("authorization", basic(id, "wrong"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(GRANT)
                .send();
            tokio::spawn(request)
        })
        .collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap().unwrap().status().as_u16());
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_hundred_concurrent_failures_are_counted_exactly() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let server = Server::start_with(dir.path(), setup(&clock, 1000)).await;
    let (id, secret) = server.default_client().await;
    let (other, other_secret) = server.default_client().await;
    let statuses = hammer(&server, &id, 100).await;
    assert!(statuses.iter().all(|s| *s == 401));
    assert_eq!(failures(&server, &id).await, (100, 0, false));
    let metrics = server.state.metrics().render();
    assert!(
        metrics.contains("tollgate_auth_failures_total 100"),
        "{metrics}"
    );
    expect_token(server.token_basic(&other, &other_secret, GRANT).await).await;
    expect_token(server.token_basic(&id, &secret, GRANT).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_hundred_concurrent_failures_start_exactly_one_lockout() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let server = Server::start_with(dir.path(), setup(&clock, 5)).await;
    let (id, secret) = server.default_client().await;
    let (other, other_secret) = server.default_client().await;
    let statuses = hammer(&server, &id, 100).await;
    // The first four failures are counted, the fifth locks, every later one is refused.
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 4);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 96);
    assert_eq!(failures(&server, &id).await, (0, 1, true));
    assert!(
        server
            .state
            .metrics()
            .render()
            .contains("tollgate_lockouts_total 1\n")
    );
    expect_error(
        server.token_basic(&id, &secret, GRANT).await,
        429,
        "invalid_client",
    )
    .await;
    expect_token(server.token_basic(&other, &other_secret, GRANT).await).await;
}

#[tokio::test]
async fn operators_can_end_a_lockout() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let server = Server::start_with(dir.path(), setup(&clock, 3)).await;
    let (id, _) = server.default_client().await;
    for _ in 0..3 {
        server.token_basic(&id, "wrong", GRANT).await;
    }
    let rotated = admin::rotate_secret(&server.state, &id, 0).await.unwrap();
    expect_token(server.token_basic(&id, &rotated.client_secret, GRANT).await).await;
}
