//! Lockout per (client id, source): an attacker who knows a client id locks out only
//! itself; the number of wrong secrets evaluated per window is bounded, also under
//! concurrency; unknown ids cost memory only and answer byte for byte like known ones.
//! Sources are 127.0.0.x peer addresses, or forwarding headers from a trusted proxy.

use std::sync::Arc;

use tempfile::TempDir;
use tollgate_issuer::{admin, clock::ManualClock, config::LockoutScope};

use crate::common::{Server, Setup, expect_error, expect_token, http_from, manual_clock};

fn setup(clock: &Arc<ManualClock>, threshold: i64) -> Setup {
    Setup {
        settings: Box::new(move |s| {
            s.lockout.threshold = threshold;
            s.lockout.base_ms = 30_000;
            s.lockout.max_ms = 900_000;
        }),
        clock: clock.clone(),
        ..Setup::default()
    }
}

fn failures_total(server: &Server) -> u64 {
    let metrics = server.state.metrics().render();
    let line = metrics
        .lines()
        .find(|l| l.starts_with("tollgate_auth_failures_total "))
        .unwrap_or("tollgate_auth_failures_total 0");
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// The attack of the hardening report: an attacker re-locks the victim's id as soon as
/// each lock ends (it knows when from Retry-After), while the victim asks for a token
/// every simulated second. Per-source counting leaves the victim untouched.
#[tokio::test]
async fn an_attacker_locks_only_its_own_source_while_the_victim_keeps_getting_tokens() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let server = Server::start_with(dir.path(), setup(&clock, 5)).await;
    let (id, secret) = server.default_client().await;
    let attacker = http_from("127.0.0.2");
    let victim = http_from("127.0.0.1");

    let (mut victim_ok, mut attacker_locked) = (0, 0);
    for _ in 0..200 {
        let attempt = server.token_via(&attacker, &id, "guess", &[]).await;
        if attempt.status() == 429 {
            attacker_locked += 1;
        }
        let answer = server.token_via(&victim, &id, &secret, &[]).await;
        if answer.status() == 200 {
            victim_ok += 1;
        }
        clock.advance_ms(1000);
    }
    assert_eq!(victim_ok, 200, "the victim must not be locked out");
    assert!(
        attacker_locked >= 150,
        "attacker locked {attacker_locked}/200"
    );
    let view = admin::show_client(&server.state, &id).await.unwrap();
    assert_eq!(view.failures.len(), 1);
    assert_eq!(view.failures[0].source, "127.0.0.2");
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_address_is_the_source() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let mut setup = setup(&clock, 3);
    let base = setup.settings;
    setup.settings = Box::new(move |s| {
        base(s);
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    });
    let server = Server::start_with(dir.path(), setup).await;
    let (id, secret) = server.default_client().await;
    let proxy = http_from("127.0.0.1");
    let attacker = [("x-forwarded-for", "198.51.100.7")];
    for _ in 0..3 {
        server.token_via(&proxy, &id, "guess", &attacker).await;
    }
    let locked = server.token_via(&proxy, &id, &secret, &attacker).await;
    expect_error(locked, 429, "invalid_client").await;
    // A forged leftmost hop does not help the attacker: the proxy's view is rightmost.
    let forged = [("x-forwarded-for", "203.0.113.5, 198.51.100.7")];
    let still = server.token_via(&proxy, &id, &secret, &forged).await;
    expect_error(still, 429, "invalid_client").await;
    for victim in [
        [("x-forwarded-for", "203.0.113.5")],
        [("forwarded", "for=\"[2001:db8::1]:443\";proto=https")],
    ] {
        expect_token(server.token_via(&proxy, &id, &secret, &victim).await).await;
    }
}

#[tokio::test]
async fn client_scope_keeps_the_per_client_behaviour() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let mut setup = setup(&clock, 3);
    let base = setup.settings;
    setup.settings = Box::new(move |s| {
        base(s);
        s.lockout_scope = LockoutScope::Client;
    });
    let server = Server::start_with(dir.path(), setup).await;
    let (id, secret) = server.default_client().await;
    for _ in 0..3 {
        server
            .token_via(&http_from("127.0.0.2"), &id, "guess", &[])
            .await;
    }
    let victim = server
        .token_via(&http_from("127.0.0.3"), &id, &secret, &[])
        .await;
    expect_error(victim, 429, "invalid_client").await;
}

/// Sends `secrets` for `id` all at once through `client` (one source, its connections
/// kept across bursts as a real client's are); returns the statuses in order.
async fn burst(
    server: &Server,
    client: &reqwest::Client,
    id: &str,
    secrets: &[String],
) -> Vec<u16> {
    let handles: Vec<_> = secrets
        .iter()
        .map(|secret| {
            let (client, server_url) = (client.clone(), server.url("/oauth/token"));
            let auth = crate::common::basic(id, secret);
            tokio::spawn(async move {
                client
                    .post(server_url)
                    .header("authorization", auth)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("grant_type=client_credentials")
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap());
    }
    statuses
}

/// 200 concurrent attempts per burst, the correct secret at a random position: never more
/// than `threshold` wrong secrets are evaluated in a window, and the correct secret is
/// refused once the lock has started.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_evaluate_at_most_threshold_wrong_secrets_per_window() {
    const THRESHOLD: u64 = 5;
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let server = Server::start_with(dir.path(), setup(&clock, 5)).await;
    let (id, secret) = server.default_client().await;
    let client = http_from("127.0.0.4");
    for round in 0..8_usize {
        let position = (round * 37 + 11) % 200;
        let secrets: Vec<String> = (0..200)
            .map(|i| {
                if i == position {
                    secret.clone()
                } else {
                    format!("guess-{i}")
                }
            })
            .collect();
        let before = failures_total(&server);
        let statuses = burst(&server, &client, &id, &secrets).await;
        let evaluated = failures_total(&server) - before;
        let unauthorized = statuses.iter().filter(|s| **s == 401).count() as u64;
        let locked = statuses.iter().filter(|s| **s == 429).count() as u64;
        if statuses[position] == 200 {
            // A success resets the count: at most threshold-1 before it, threshold after.
            assert!(
                evaluated < 2 * THRESHOLD,
                "round {round}: {evaluated} evaluated"
            );
        } else {
            assert_eq!(statuses[position], 429, "round {round}");
            assert_eq!(evaluated, THRESHOLD, "round {round}");
            assert_eq!((unauthorized, locked), (THRESHOLD - 1, 200 - THRESHOLD + 1));
        }
        admin::unlock(&server.state, &id, None).await.unwrap();
    }
}

#[tokio::test]
async fn a_new_client_starts_clean_even_if_its_id_was_probed_before() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let server = Server::start_with(dir.path(), setup(&clock, 3)).await;
    let from = http_from("127.0.0.1");
    for _ in 0..3 {
        server
            .token_via(&from, "future-partner", "guess", &[])
            .await;
    }
    let probed = server
        .token_via(&from, "future-partner", "guess", &[])
        .await;
    expect_error(probed, 429, "invalid_client").await;
    let mut spec = tollgate_issuer::admin::ClientSpec::new(["read"]);
    spec.id = Some("future-partner".into());
    let (id, secret) = server.client(spec).await;
    expect_token(server.token_via(&from, &id, &secret, &[]).await).await;
}

#[tokio::test]
async fn enable_rotate_and_unlock_clear_the_failure_state() {
    let dir = TempDir::new().unwrap();
    let clock = manual_clock();
    let server = Server::start_with(dir.path(), setup(&clock, 3)).await;
    let (id, secret) = server.default_client().await;
    let (a, b) = (http_from("127.0.0.5"), http_from("127.0.0.6"));
    let lock = |client: reqwest::Client| {
        let (server, id) = (&server, id.clone());
        async move {
            for _ in 0..3 {
                server.token_via(&client, &id, "guess", &[]).await;
            }
        }
    };
    lock(a.clone()).await;
    lock(b.clone()).await;
    let view = admin::unlock(&server.state, &id, Some("127.0.0.5"))
        .await
        .unwrap();
    assert_eq!(view.failures.len(), 1, "only the named source is unlocked");
    expect_token(server.token_via(&a, &id, &secret, &[]).await).await;
    expect_error(
        server.token_via(&b, &id, &secret, &[]).await,
        429,
        "invalid_client",
    )
    .await;

    admin::set_disabled(&server.state, &id, true).await.unwrap();
    let view = admin::set_disabled(&server.state, &id, false)
        .await
        .unwrap();
    assert!(view.failures.is_empty());
    expect_token(server.token_via(&b, &id, &secret, &[]).await).await;

    lock(a.clone()).await;
    let rotated = admin::rotate_secret(&server.state, &id, 0).await.unwrap();
    expect_token(server.token_via(&a, &id, &rotated.client_secret, &[]).await).await;
}
