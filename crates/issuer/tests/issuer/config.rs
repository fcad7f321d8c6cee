//! Configuration precedence through the binary: flags over environment over file.

use tempfile::TempDir;

use crate::cli::{json, run, tollgate};

#[tokio::test]
async fn flags_override_environment_override_the_config_file() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("tollgate.toml"),
        "database = \"sqlite://from-file.db\"\nlockout_threshold = 7\n",
    )
    .unwrap();
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
    assert!(d.join("from-file.db").exists());

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
    assert!(d.join("from-env.db").exists());

    let out = tollgate(d)
        .args([
            "--config",
            "tollgate.toml",
            "--database",
            "sqlite://from-flag.db",
            "client",
            "list",
        ])
        .env("TOLLGATE_DATABASE_URL", "sqlite://from-env.db")
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    assert!(d.join("from-flag.db").exists());

    std::fs::write(d.join("bad.toml"), "no_such_key = 1\n").unwrap();
    let bad = run(d, &["--config", "bad.toml", "jwks"]).await;
    assert!(!bad.0 && bad.2.contains("bad.toml"), "{}", bad.2);
}
