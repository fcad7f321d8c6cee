//! `kill -9` in the middle of token, refresh and CLI traffic: after a restart nothing
//! that was acknowledged is lost or half-written, and every refresh token handed out
//! before the crash either works or belongs to a cleanly revoked family. On PostgreSQL
//! (one replica of several) and SQLite (the only process).

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use tempfile::TempDir;

use crate::{
    common::{basic, form, http},
    pg::fresh_database,
    replica::{Replica, cli, tollgate},
};

const GRANT: &str = "grant_type=client_credentials";

type Ledger = Arc<Mutex<Vec<(String, String)>>>;

async fn post(base: &str, id: &str, secret: &str, body: &str) -> Option<reqwest::Response> {
    http()
        .post(format!("{base}/oauth/token"))
        .header("authorization", basic(id, secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()
}

/// Token and refresh traffic for one client until the server goes away; the latest
/// refresh token it was handed is kept in `latest`.
async fn refresh_loop(
    base: String,
    id: String,
    secret: String,
    latest: Arc<Mutex<Option<String>>>,
) {
    let Some(first) = post(&base, &id, &secret, GRANT).await else {
        return;
    };
    let body: serde_json::Value = first.json().await.unwrap();
    let mut token = body["refresh_token"].as_str().unwrap().to_string();
    *latest.lock().unwrap() = Some(token.clone());
    loop {
        let grant = form(&[("grant_type", "refresh_token"), ("refresh_token", &token)]);
        let Some(response) = post(&base, &id, &secret, &grant).await else {
            return;
        };
        let Ok(body) = response.json::<serde_json::Value>().await else {
            return;
        };
        token = body["refresh_token"].as_str().unwrap().to_string();
        *latest.lock().unwrap() = Some(token.clone());
    }
}

async fn crash_and_recover(db: String) {
    let dir = TempDir::new().unwrap();
    let replica = Replica::start(dir.path(), &db, &[]).await;
    let keys_before = cli(dir.path(), &db, &["keys", "list"]).await;
    let mut loops = Vec::new();
    let mut latest = Vec::new();
    for _ in 0..6 {
        let created = cli(
            dir.path(),
            &db,
            &["client", "create", "--scope", "read", "--refresh"],
        )
        .await;
        let field = |n: &str| created[n].as_str().unwrap().to_string();
        let slot = Arc::new(Mutex::new(None));
        latest.push((
            field("client_id"),
            field("client_secret"),
            Arc::clone(&slot),
        ));
        loops.push(tokio::spawn(refresh_loop(
            replica.base.clone(),
            field("client_id"),
            field("client_secret"),
            slot,
        )));
    }
    // CLI writes race the crash too; only acknowledged ones are promised.
    let acknowledged: Ledger = Arc::default();
    let (cli_dir, cli_db, ledger) = (
        dir.path().to_path_buf(),
        db.clone(),
        Arc::clone(&acknowledged),
    );
    let admin = tokio::spawn(async move {
        for _ in 0..40 {
            let out = tollgate(&cli_dir, &cli_db)
                .args(["client", "create", "--scope", "read", "--json"])
                .output()
                .await
                .unwrap();
            if out.status.success() {
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                let field = |n: &str| v[n].as_str().unwrap().to_string();
                ledger
                    .lock()
                    .unwrap()
                    .push((field("client_id"), field("client_secret")));
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(800)).await;
    replica.kill().await;
    // And one CLI process killed in the middle of its write.
    let mut doomed = tollgate(dir.path(), &db)
        .args(["keys", "rotate", "--json"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    let _ = doomed.start_kill();
    let _ = doomed.wait().await;
    for task in loops {
        task.await.unwrap();
    }
    admin.await.unwrap();

    let replica = Replica::start(dir.path(), &db, &[]).await;
    let keys_after = cli(dir.path(), &db, &["keys", "list"]).await;
    for key in keys_before.as_array().unwrap() {
        assert!(
            keys_after.as_array().unwrap().contains(key),
            "key lost: {key}"
        );
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(!acknowledged.is_empty());
    for (id, secret) in &acknowledged {
        let answer = post(&replica.base, id, secret, GRANT).await.unwrap();
        assert_eq!(
            answer.status(),
            200,
            "client {id} created before the crash must work"
        );
    }
    for (id, secret, slot) in &latest {
        let token = slot.lock().unwrap().clone().expect("each loop got a token");
        let grant = form(&[("grant_type", "refresh_token"), ("refresh_token", &token)]);
        let answer = post(&replica.base, id, secret, &grant).await.unwrap();
        match answer.status().as_u16() {
            200 => {}
            400 => {
                // Spent by the request the crash cut off: the family is revoked whole.
                let body: serde_json::Value = answer.json().await.unwrap();
                assert_eq!(body["error"], "invalid_grant");
                let fresh = post(&replica.base, id, secret, GRANT).await.unwrap();
                assert_eq!(fresh.status(), 200, "the client itself keeps working");
            }
            other => panic!("refresh after the crash answered {other}"),
        }
    }
    replica.kill().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_load_loses_nothing_on_postgres() {
    crash_and_recover(fresh_database().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_load_loses_nothing_on_sqlite() {
    let dir = TempDir::new().unwrap();
    let db = format!("sqlite://{}", dir.path().join("tollgate.db").display());
    crash_and_recover(db).await;
}
