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
