//! Two `tollgate serve` processes on one PostgreSQL database: lockout counted exactly
//! across both, admin changes seen by both, refresh reuse caught by both, one key set.

use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use crate::{
    common::{basic, expect_error, expect_token, form, http},
    pg::fresh_database,
    replica::{Replica, cli},
};

const GRANT: &str = "grant_type=client_credentials";

async fn token(replica: &Replica, id: &str, secret: &str, body: &str) -> reqwest::Response {
    http()
        .post(replica.url("/oauth/token"))
        .header("authorization", basic(id, secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn pair(dir: &TempDir, db: &str, extra: &[&str]) -> [Replica; 2] {
    [
        Replica::start(dir.path(), db, extra).await,
        Replica::start(dir.path(), db, extra).await,
    ]
}

async fn create(dir: &TempDir, db: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["client", "create", "--scope", "read"];
    args.extend_from_slice(extra);
    let created = cli(dir.path(), db, &args).await;
    let field = |name: &str| created[name].as_str().unwrap().to_string();
    (field("client_id"), field("client_secret"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lockout_is_counted_exactly_across_replicas_and_enforced_by_both() {
    let (dir, db) = (TempDir::new().unwrap(), fresh_database().await);
    let replicas = pair(&dir, &db, &["--lockout-threshold", "5"]).await;
    let (id, secret) = create(&dir, &db, &[]).await;
    // Alternate: failures 1..4 are counted wherever they land, the fifth locks.
    for i in 0..5 {
        let status = if i < 4 { 401 } else { 429 };
        let answer = token(&replicas[i % 2], &id, "guess", GRANT).await;
        expect_error(answer, status, "invalid_client").await;
    }
    // The replica that locked enforces it at once; the other within one poll of its
    // in-memory view (a wrong secret there is refused at once: the store will not count
    // it while locked).
    let locked = token(&replicas[0], &id, &secret, GRANT).await;
    expect_error(locked, 429, "invalid_client").await;
    let wrong = token(&replicas[1], &id, "guess", GRANT).await;
    expect_error(wrong, 429, "invalid_client").await;
    let started = std::time::Instant::now();
    while token(&replicas[1], &id, &secret, GRANT).await.status() != 429 {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "lock not seen in 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // 100 concurrent bad attempts spread over both replicas: exactly one lockout, and
    // exactly threshold-1 answers say "wrong secret".
    let (id, _) = create(&dir, &db, &[]).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..100 {
        let (url, auth) = (replicas[i % 2].url("/oauth/token"), basic(&id, "guess"));
        tasks.spawn(async move {
            http()
                .post(url)
                .header("authorization", auth)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(GRANT)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = tasks.join_next().await {
        statuses.push(status.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 4);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 96);
    let shown = cli(dir.path(), &db, &["client", "show", &id]).await;
    assert_eq!(shown["failures"][0]["lockouts"], 1, "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failure_count_over_100_concurrent_attempts_is_exact_across_replicas() {
    let (dir, db) = (TempDir::new().unwrap(), fresh_database().await);
    let replicas = pair(&dir, &db, &["--lockout-threshold", "1000"]).await;
    let (id, _) = create(&dir, &db, &[]).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..100 {
        let (url, auth) = (replicas[i % 2].url("/oauth/token"), basic(&id, "guess"));
        tasks.spawn(async move {
            let client = http();
            let request = client
                .post(url)
                .header("authorization", auth)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(GRANT);
            request.send().await.unwrap().status().as_u16()
        });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.unwrap(), 401);
    }
    let shown = cli(dir.path(), &db, &["client", "show", &id]).await;
    assert_eq!(shown["failures"][0]["failed_attempts"], 100, "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cli_changes_and_refresh_reuse_are_seen_by_both_replicas() {
    let (dir, db) = (TempDir::new().unwrap(), fresh_database().await);
    let replicas = pair(&dir, &db, &[]).await;
    let (id, secret) = create(&dir, &db, &["--refresh"]).await;
    for replica in &replicas {
        expect_token(token(replica, &id, &secret, GRANT).await).await;
    }
    let rotated = cli(dir.path(), &db, &["client", "rotate-secret", &id]).await;
    let new_secret = rotated["client_secret"].as_str().unwrap();
    for replica in &replicas {
        // The new secret works at once (a mismatch with the view is re-checked in the
        // store); the old one stops within the view's poll bound.
        expect_token(token(replica, &id, new_secret, GRANT).await).await;
        refused_within_bound(replica, &id, &secret).await;
    }

    // A refresh token spent at one replica is a reuse at the other: the family is gone.
    let (_, body) = expect_token(token(&replicas[0], &id, new_secret, GRANT).await).await;
    let first = body["refresh_token"].as_str().unwrap().to_string();
    let refresh = |t: &str| form(&[("grant_type", "refresh_token"), ("refresh_token", t)]);
    let (_, body) =
        expect_token(token(&replicas[0], &id, new_secret, &refresh(&first)).await).await;
    let second = body["refresh_token"].as_str().unwrap().to_string();
    let reused = token(&replicas[1], &id, new_secret, &refresh(&first)).await;
    expect_error(reused, 400, "invalid_grant").await;
    let revoked = token(&replicas[0], &id, new_secret, &refresh(&second)).await;
    expect_error(revoked, 400, "invalid_grant").await;

    cli(dir.path(), &db, &["client", "disable", &id]).await;
    for replica in &replicas {
        refused_within_bound(replica, &id, new_secret).await;
    }
}

/// A change made by another process reaches a replica's in-memory view within one
/// poll (250 ms) plus a reload: refused within a second, and for good.
async fn refused_within_bound(replica: &Replica, id: &str, secret: &str) {
    let started = std::time::Instant::now();
    while token(replica, id, secret, GRANT).await.status() == 200 {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "still accepted after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    expect_error(
        token(replica, id, secret, GRANT).await,
        401,
        "invalid_client",
    )
    .await;
}

async fn jwks(replica: &Replica) -> Value {
    let response = http()
        .get(replica.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

/// The `kid` of the key that signed a token, verified against `replica`'s key set.
async fn kid_of(replica: &Replica, token: &str) -> String {
    let set = tollgate_core::Jwks::from_json(&jwks(replica).await.to_string()).unwrap();
    let verifier = tollgate_core::Verifier::new(set, tollgate_core::Policy::default());
    let verified = verifier.verify(token, crate::common::now()).unwrap();
    verified.kid().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn both_replicas_publish_one_key_set_and_switch_keys_together() {
    let (dir, db) = (TempDir::new().unwrap(), fresh_database().await);
    // Uncached key sets, so a 3 s lead is long enough (rotate keeps the lead at least
    // the JWKS max-age plus one reload); the CLI reads the same file as the replicas.
    let config = dir.path().join("tollgate.toml");
    std::fs::write(&config, "jwks_max_age_secs = 0\nkey_reload_secs = 1\n").unwrap();
    let config = config.to_str().unwrap();
    let replicas = pair(&dir, &db, &["--config", config]).await;
    assert_eq!(jwks(&replicas[0]).await, jwks(&replicas[1]).await);
    let (id, secret) = create(&dir, &db, &[]).await;
    let (before, _) = expect_token(token(&replicas[0], &id, &secret, GRANT).await).await;
    let old_kid = kid_of(&replicas[0], &before).await;

    let rotated = cli(
        dir.path(),
        &db,
        &[
            "--config",
            config,
            "keys",
            "rotate",
            "--activate-after",
            "3",
        ],
    )
    .await;
    let new_kid = rotated["kid"].as_str().unwrap().to_string();
    // Published by both within a reload interval, before it signs anything.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for replica in &replicas {
        let set = jwks(replica).await;
        let kids: Vec<&str> = set["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        assert!(kids.contains(&new_kid.as_str()) && kids.contains(&old_kid.as_str()));
        let (now, _) = expect_token(token(replica, &id, &secret, GRANT).await).await;
        assert_eq!(
            kid_of(replica, &now).await,
            old_kid,
            "the new key waits for its activation"
        );
    }
    assert_eq!(jwks(&replicas[0]).await, jwks(&replicas[1]).await);
    let activate_at = rotated["activate_at"].as_i64().unwrap();
    while tollgate_issuer::clock::Clock::now(&tollgate_issuer::clock::SystemClock) <= activate_at {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for replica in &replicas {
        let (after, _) = expect_token(token(replica, &id, &secret, GRANT).await).await;
        assert_eq!(
            kid_of(replica, &after).await,
            new_kid,
            "both sign with the new key from its activation"
        );
    }
}

/// Plain `client_credentials` issuance must not write: with every table refusing writes,
/// twenty token requests still succeed, while a failed authentication (which must be
/// counted) trips the refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_plain_success_writes_nothing_on_postgres() {
    use sqlx::{Connection as _, Executor as _};

    let (dir, db) = (TempDir::new().unwrap(), fresh_database().await);
    let [replica, _] = pair(&dir, &db, &[]).await;
    let (id, secret) = create(&dir, &db, &[]).await;
    expect_token(token(&replica, &id, &secret, GRANT).await).await;

    let mut conn = sqlx::PgConnection::connect(&db).await.unwrap();
    conn.execute(
        "CREATE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'a write on the read path'; END $$",
    )
    .await
    .unwrap();
    for table in [
        "clients",
        "auth_failures",
        "refresh_tokens",
        "signing_keys",
        "settings",
    ] {
        let trigger = format!(
            "CREATE TRIGGER refuse_writes BEFORE INSERT OR UPDATE OR DELETE ON {table} \
             FOR EACH STATEMENT EXECUTE FUNCTION refuse_writes()"
        );
        conn.execute(sqlx::AssertSqlSafe(trigger)).await.unwrap();
    }
    for _ in 0..20 {
        expect_token(token(&replica, &id, &secret, GRANT).await).await;
    }
    // Positive control: a failure is a write, and the trigger refuses it.
    let failure = token(&replica, &id, "guess", GRANT).await;
    assert_eq!(failure.status(), 500);
}
