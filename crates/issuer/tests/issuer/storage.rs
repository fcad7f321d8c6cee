//! What outsiders can make the store cost: unknown client ids write nothing, failure
//! rows are pruned when stale, the WAL is checkpointed back to nothing.

use std::path::Path;

use reqwest::Response;
use tempfile::TempDir;
use tollgate_issuer::store::{LockoutPolicy, Store};

use crate::common::{Server, Setup, http_from};

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Status, headers (less the per-request ones) and body of an answer.
async fn answer_bytes(response: Response) -> (u16, Vec<(String, Vec<u8>)>, Vec<u8>) {
    let status = response.status().as_u16();
    let mut headers: Vec<(String, Vec<u8>)> = response
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id"))
        .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
        .collect();
    headers.sort();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_random_client_ids_writes_nothing_and_memory_stays_bounded() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    server.default_client().await;
    let db = dir.path().join("tollgate.db");
    let wal = dir.path().join("tollgate.db-wal");
    server.state.store().maintenance.compact().await.unwrap();
    let before = (file_len(&db), file_len(&wal));

    let client = http_from("127.0.0.7");
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let (client, server_url) = (client.clone(), server.url("/oauth/token"));
        tasks.spawn(async move {
            for i in 0..250 {
                let auth = crate::common::basic(&format!("random-{worker}-{i}"), "guess");
                let status = client
                    .post(&server_url)
                    .header("authorization", auth)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("grant_type=client_credentials")
                    .send()
                    .await
                    .unwrap()
                    .status();
                assert_eq!(status, 401);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    assert_eq!(
        (file_len(&db), file_len(&wal)),
        before,
        "the store must not grow"
    );
    let held = server.state.unknown_ids().len();
    assert!(held <= tollgate_issuer::lockout::UNKNOWN_ID_CAPACITY);
    assert!(held >= 1900, "the limiter holds the recent ids ({held})");
}

#[tokio::test]
async fn unknown_and_known_ids_get_byte_identical_answers() {
    let dir = TempDir::new().unwrap();
    let clock = crate::common::manual_clock();
    let setup = Setup {
        clock: clock.clone(),
        ..Setup::default()
    };
    let server = Server::start_with(dir.path(), setup).await;
    let (known, _) = server.default_client().await;
    let from = http_from("127.0.0.8");
    let unknown = format!("{known}x");
    for attempt in 1..=7 {
        let a = answer_bytes(server.token_via(&from, &known, "guess", &[]).await).await;
        let b = answer_bytes(server.token_via(&from, &unknown, "guess", &[]).await).await;
        assert_eq!(a, b, "attempt {attempt}");
        assert_eq!(
            a.0,
            if attempt < 5 { 401 } else { 429 },
            "attempt {attempt}"
        );
    }
}

#[tokio::test]
async fn stale_failure_rows_are_pruned_and_the_wal_is_truncated() {
    let dir = TempDir::new().unwrap();
    let server = Server::start_with(dir.path(), Setup::default()).await;
    let (id, _) = server.default_client().await;
    let store: Store = tollgate_issuer::store::open_path(&dir.path().join("tollgate.db"))
        .await
        .unwrap();
    let policy = LockoutPolicy::new(5, 30, 900);
    for i in 0..500 {
        store
            .lockout
            .record_failure(&id, &format!("198.51.100.{}", i % 250), 1000 + i, &policy)
            .await
            .unwrap();
    }
    assert_eq!(store.lockout.failures(&id).await.unwrap().len(), 250);
    assert!(file_len(&dir.path().join("tollgate.db-wal")) > 0);
    store.maintenance.compact().await.unwrap();
    assert_eq!(file_len(&dir.path().join("tollgate.db-wal")), 0);
    // Rows whose last failure and lock both ended before the cutoff go.
    assert_eq!(store.lockout.prune_failures(1_000_000).await.unwrap(), 250);
    assert!(store.lockout.failures(&id).await.unwrap().is_empty());
    // Unknown ids never get a row, even through the store directly.
    store
        .lockout
        .record_failure("ghost", "192.0.2.1", 1, &policy)
        .await
        .unwrap();
    assert!(store.lockout.failures("ghost").await.unwrap().is_empty());
}

/// The in-memory view's cost per client, for the figure in docs/benchmarks.md.
#[tokio::test]
async fn the_client_view_costs_under_a_kibibyte_per_client() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    for i in 0..200 {
        let mut spec = tollgate_issuer::admin::ClientSpec::new(["orders:read", "orders:write"]);
        spec.name = format!("Partner {i}");
        spec.audiences = vec!["https://api.example.com".into()];
        server.client(spec).await;
    }
    let (clients, bytes) = server.state.directory().footprint();
    assert_eq!(clients, 200);
    let per_client = bytes / clients;
    eprintln!(
        "client view: {per_client} bytes per client, {} KiB per 10,000",
        per_client * 10
    );
    assert!(
        (200..1024).contains(&per_client),
        "{per_client} bytes per client"
    );
}
