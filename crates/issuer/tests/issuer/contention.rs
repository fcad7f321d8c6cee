//! Several processes on one SQLite store: `serve` and a command started at the same
//! instant both succeed, and a store another process holds locked answers fast.

use std::time::{Duration, Instant};

use sqlx::{Connection as _, sqlite::SqliteConnection};
use tempfile::TempDir;

use crate::{
    cli::{run, serve},
    common::{Server, basic, expect_token, http},
};

const GRANT: &str = "grant_type=client_credentials";

/// `tollgate serve &` followed at once by `tollgate client create`, as every
/// provider-style guide does: the command waits for the store being created (migrations,
/// master key, pepper, first key) instead of failing, and `serve` survives it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serve_and_a_command_started_together_both_succeed_every_time() {
    for round in 0..20 {
        let dir = TempDir::new().unwrap();
        let d = dir.path();
        let create = [
            "client", "create", "--id", "partner", "--scope", "read", "--json",
        ];
        let (server, (created, stdout, stderr)) =
            tokio::time::timeout(Duration::from_secs(60), async {
                tokio::join!(serve(d, &[]), run(d, &create))
            })
            .await
            .unwrap_or_else(|_| panic!("round {round} took over a minute"));
        assert!(created, "round {round}: client create failed: {stderr}");
        let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let secret = body["client_secret"].as_str().unwrap_or_default();
        assert!(!secret.is_empty(), "round {round}: no secret in {stdout}");
        // The server is up and knows the client the command created.
        let response = http()
            .post(format!("{}/oauth/token", server.base))
            .header("authorization", basic("partner", secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(GRANT)
            .send()
            .await
            .unwrap();
        expect_token(response).await;
        let (clean_exit, serve_stderr) = server.terminate().await;
        assert!(clean_exit, "round {round}: serve failed: {serve_stderr}");
    }
}

/// A store that truly does not exist stays an error, and the command creates nothing.
#[tokio::test]
async fn a_command_on_a_missing_store_fails_and_creates_nothing() {
    let dir = TempDir::new().unwrap();
    let (ok, _, stderr) = run(dir.path(), &["client", "list"]).await;
    assert!(
        !ok && stderr.contains("tollgate.db does not exist"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files created: {left:?}");
}

/// While another process holds SQLite's write lock, a wrong secret (which must count a
/// failure) is answered within the store timeout (1.5 s) as 503 with `Retry-After` or
/// its ordinary 401, never left to the request timeout (408).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_store_answers_a_wrong_secret_fast() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let (id, secret) = server.default_client().await;
    expect_token(server.token_basic(&id, &secret, GRANT).await).await;

    let url = format!("sqlite://{}", dir.path().join("tollgate.db").display());
    let mut holder = SqliteConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("BEGIN EXCLUSIVE")
        .execute(&mut holder)
        .await
        .unwrap();
    for _ in 0..3 {
        let started = Instant::now();
        let response = server.token_basic(&id, "wrong", GRANT).await;
        let took = started.elapsed();
        let status = response.status().as_u16();
        assert!(took < Duration::from_millis(2500), "answered in {took:?}");
        match status {
            503 => assert!(response.headers().contains_key("retry-after")),
            401 => {}
            other => panic!("answered {other} in {took:?}"),
        }
    }
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    holder.close().await.unwrap();
    // Released, the store counts failures again.
    let response = server.token_basic(&id, "wrong", GRANT).await;
    assert_eq!(response.status(), 401);
    server.stop().await;
}
