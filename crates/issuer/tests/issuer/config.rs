//! Configuration precedence through the binary: flags over environment over file.

use std::path::Path;

use tempfile::TempDir;

use crate::cli::{first_serve, json, run, tollgate};

async fn clients(dir: &Path, db: &str) -> usize {
    let listed = json(dir, &["--database", db, "client", "list", "--json"]).await;
    listed.as_array().unwrap().len()
}

#[tokio::test]
async fn flags_override_environment_override_the_config_file() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("tollgate.toml"),
        "database = \"sqlite://from-file.db\"\nlockout_threshold = 7\n",
    )
    .unwrap();
    // Only `serve` creates a store; both share the key file beside them.
    for db in ["sqlite://from-file.db", "sqlite://from-env.db"] {
        first_serve(d, &["--database", db]).await;
    }
    json(
        d,
        &[
            "--config",
            "tollgate.toml",
            "client",
            "create",
            "--scope",
            "x",
            "--json",
        ],
    )
    .await;
    assert_eq!(clients(d, "sqlite://from-file.db").await, 1);

    let out = tollgate(d)
        .args([
            "--config",
            "tollgate.toml",
            "client",
            "create",
            "--scope",
            "x",
        ])
        .env("TOLLGATE_DATABASE_URL", "sqlite://from-env.db")
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    assert_eq!(clients(d, "sqlite://from-env.db").await, 1);
    assert_eq!(clients(d, "sqlite://from-file.db").await, 1);

    let from_flag = tollgate(d)
        .args([
            "--config",
            "tollgate.toml",
            "--database",
            "sqlite://from-nowhere.db",
            "client",
            "list",
        ])
        .env("TOLLGATE_DATABASE_URL", "sqlite://from-env.db")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&from_flag.stderr);
    assert!(
        !from_flag.status.success() && stderr.contains("from-nowhere.db does not exist"),
        "the flag names the store: {stderr}"
    );

    std::fs::write(d.join("bad.toml"), "no_such_key = 1\n").unwrap();
    let bad = run(d, &["--config", "bad.toml", "jwks"]).await;
    assert!(!bad.0 && bad.2.contains("bad.toml"), "{}", bad.2);
}

#[tokio::test]
async fn out_of_range_settings_are_refused_at_start_with_their_name() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let flag = run(d, &["serve", "--lockout-threshold", "0"]).await;
    assert!(
        !flag.0 && flag.2.contains("--lockout-threshold"),
        "{}",
        flag.2
    );
    let huge = run(d, &["serve", "--lockout-base-secs", "1e17"]).await;
    assert!(
        !huge.0 && huge.2.contains("--lockout-base-secs"),
        "{}",
        huge.2
    );
    std::fs::write(
        d.join("big.toml"),
        "lockout_base_secs = 100000000000000000\n",
    )
    .unwrap();
    let file = run(d, &["--config", "big.toml", "serve"]).await;
    assert!(
        !file.0 && file.2.contains("lockout_base_secs"),
        "{}",
        file.2
    );
    let env = tollgate(d)
        .args(["serve"])
        .env("TOLLGATE_LOCKOUT_MAX_SECS", "86401")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8(env.stderr).unwrap();
    assert!(
        !env.status.success() && stderr.contains("lockout-max-secs"),
        "{stderr}"
    );
    assert!(
        !d.join("tollgate.db").exists(),
        "a refused start creates nothing"
    );
}

#[tokio::test]
async fn client_unlock_clears_one_source_or_all() {
    use tollgate_issuer::admin::ClientSpec;

    use crate::common::{Server, http_from};

    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let server = Server::start(&dir).await;
    let mut spec = ClientSpec::new(["read"]);
    spec.id = Some("partner".into());
    let (id, _) = server.client(spec).await;
    for source in ["127.0.0.9", "127.0.0.10"] {
        for _ in 0..5 {
            server
                .token_via(&http_from(source), &id, "guess", &[])
                .await;
        }
    }
    // The in-process server keeps its keys in plaintext.
    let plain = "--insecure-plaintext-keys";
    let shown = json(d, &[plain, "client", "show", "partner", "--json"]).await;
    let failures = shown["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2, "{shown}");
    assert!(
        failures.iter().all(|f| f["locked_until"].is_i64()),
        "{shown}"
    );
    let one = json(
        d,
        &[
            plain,
            "client",
            "unlock",
            "partner",
            "--source",
            "127.0.0.9",
            "--json",
        ],
    )
    .await;
    assert_eq!(one["failures"][0]["source"], "127.0.0.10", "{one}");
    let all = json(d, &[plain, "client", "unlock", "partner", "--json"]).await;
    assert_eq!(all["failures"], serde_json::json!([]));
    let missing = run(d, &[plain, "client", "unlock", "nobody"]).await;
    assert!(
        !missing.0 && missing.2.contains("no client"),
        "{}",
        missing.2
    );
}
