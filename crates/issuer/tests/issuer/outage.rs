//! The database goes away: once the in-memory view is older than its limit (1 s), the
//! token endpoint answers 503 with `Retry-After` and an RFC 6749 body, each answer
//! within 2 s (stopped server, and a server that stopped answering),
//! `/readyz` fails while `/healthz` stays up, and service resumes by itself. Each test
//! runs its own PostgreSQL cluster, since it stops it.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use tempfile::TempDir;
use tokio::process::Command;

use crate::{
    common::{basic, http},
    replica::{Replica, cli},
};

const GRANT: &str = "grant_type=client_credentials";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/postgres")
}

/// A private cluster in `dir`; returns its URL.
async fn cluster(dir: &Path, verb: &str) -> String {
    let out = Command::new(script())
        .arg(verb)
        .arg(dir)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "postgres {verb}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim()
        .strip_prefix("export TOLLGATE_TEST_POSTGRES_URL=")
        .unwrap_or_default()
        .to_string()
}

/// Sends SIGSTOP or SIGCONT to the cluster's postmaster and every backend.
async fn signal_cluster(dir: &Path, signal: &str) {
    let pid_file = std::fs::read_to_string(dir.join("data/postmaster.pid")).unwrap();
    let pid = pid_file.lines().next().unwrap().trim().to_string();
    // The postmaster first: stopped, it forks no backend that would escape the signal.
    let postmaster = Command::new("kill").args([signal, &pid]).status();
    assert!(postmaster.await.unwrap().success(), "kill {signal} {pid}");
    let children = Command::new("pkill").args([signal, "-P", &pid]).status();
    assert!(children.await.unwrap().success(), "pkill {signal} -P {pid}");
}

/// One token request: (status, Retry-After, error code, how long it took).
async fn attempt(
    replica: &Replica,
    id: &str,
    secret: &str,
) -> (u16, Option<String>, String, Duration) {
    let started = Instant::now();
    let response = http()
        .post(replica.url("/oauth/token"))
        .header("authorization", basic(id, secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(GRANT)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let body: serde_json::Value = response.json().await.unwrap();
    let code = body["error"].as_str().unwrap_or("").to_string();
    (status, retry, code, started.elapsed())
}

async fn status_of(replica: &Replica, path: &str) -> u16 {
    let response = http().get(replica.url(path)).send().await.unwrap();
    response.status().as_u16()
}

async fn expect_outage(replica: &Replica, id: &str, secret: &str) {
    // For up to the view's age limit known clients are still served from memory; after
    // that, every answer is a fast 503.
    let began = Instant::now();
    loop {
        let (status, _, _, took) = attempt(replica, id, secret).await;
        assert!(took < Duration::from_secs(2), "answered in {took:?}");
        if status == 503 {
            break;
        }
        assert_eq!(status, 200);
        let limit = tollgate_issuer::directory::MAX_AGE + Duration::from_millis(500);
        assert!(
            began.elapsed() < limit,
            "still served from memory after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for _ in 0..3 {
        let (status, retry, code, took) = attempt(replica, id, secret).await;
        assert_eq!((status, code.as_str()), (503, "temporarily_unavailable"));
        assert!(retry.is_some(), "503 carries Retry-After");
        assert!(took < Duration::from_secs(2), "answered in {took:?}");
    }
    assert_eq!(status_of(replica, "/readyz").await, 503);
    assert_eq!(status_of(replica, "/healthz").await, 200);
}

async fn expect_recovery(replica: &Replica, id: &str, secret: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, ..) = attempt(replica, id, secret).await;
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery: still {status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status_of(replica, "/readyz").await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_or_frozen_database_gives_503_fast_and_service_resumes() {
    let (work, pg) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let db = cluster(pg.path(), "start").await;
    let replica = Replica::start(work.path(), &db, &["--db-timeout-ms", "1000"]).await;
    let created = cli(work.path(), &db, &["client", "create", "--scope", "read"]).await;
    let (id, secret) = (
        created["client_id"].as_str().unwrap().to_string(),
        created["client_secret"].as_str().unwrap().to_string(),
    );
    assert_eq!(attempt(&replica, &id, &secret).await.0, 200);

    cluster(pg.path(), "pause").await;
    expect_outage(&replica, &id, &secret).await;
    cluster(pg.path(), "resume").await;
    expect_recovery(&replica, &id, &secret).await;

    // Frozen: connections stay open but nothing answers.
    signal_cluster(pg.path(), "-STOP").await;
    expect_outage(&replica, &id, &secret).await;
    signal_cluster(pg.path(), "-CONT").await;
    expect_recovery(&replica, &id, &secret).await;
    replica.kill().await;
    cluster(pg.path(), "stop").await;
}
