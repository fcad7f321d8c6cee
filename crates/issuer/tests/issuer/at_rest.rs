//! Keys at rest, through the binary: the first `serve` creates a private master key file
//! and seals the signing key and the pepper with it; store files are private; sealing an
//! old plaintext store leaves no plaintext in any of its files; public commands need no
//! master key. Files are scanned byte for byte.

use std::{path::Path, time::Duration};

use tempfile::TempDir;
use tollgate_core::Jwks;
use tollgate_issuer::{
    AppState, Settings,
    seal::{self, MasterKey},
};

use crate::{
    cli::{first_serve, json, mode, run, serve, tollgate},
    common::{basic, expect_token, http},
};

const STORE_FILES: [&str; 3] = ["tollgate.db", "tollgate.db-wal", "tollgate.db-shm"];

/// The raw bytes of the store's files that exist now.
fn snapshot(dir: &Path) -> Vec<(&'static str, Vec<u8>)> {
    STORE_FILES
        .iter()
        .filter_map(|name| Some((*name, std::fs::read(dir.join(name)).ok()?)))
        .collect()
}

fn holds(files: &[(&str, Vec<u8>)], needle: &[u8]) -> Vec<String> {
    files
        .iter()
        .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// The active signing seed and the pepper, read through the library with `master`.
async fn secrets(dir: &Path, master: Option<MasterKey>) -> ([u8; 32], [u8; 32]) {
    let store = tollgate_issuer::store::open_path(&dir.join("tollgate.db"))
        .await
        .unwrap();
    let pepper = store
        .settings
        .setting(seal::PEPPER_SETTING)
        .await
        .unwrap()
        .unwrap();
    let pepper = seal::unprotect(
        master.as_ref(),
        &pepper.protection,
        seal::PEPPER_CONTEXT,
        &pepper.value,
    )
    .unwrap();
    let state = AppState::new(store, Settings::new("http://127.0.0.1"), master)
        .await
        .unwrap();
    let seed = *state
        .keys()
        .current()
        .signer_at(crate::common::now())
        .unwrap()
        .seed();
    (seed, pepper.as_slice().try_into().unwrap())
}

/// A token for the client in `created` from the server at `base`.
async fn token(base: &str, created: &serde_json::Value) {
    let (id, secret) = (
        created["client_id"].as_str().unwrap(),
        created["client_secret"].as_str().unwrap(),
    );
    let response = http()
        .post(format!("{base}/oauth/token"))
        .header("authorization", basic(id, secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    expect_token(response).await;
}

/// A command that must fail at start; bounded in time in case it serves instead.
async fn refused(dir: &Path, args: &[&str]) -> String {
    let out = tokio::time::timeout(Duration::from_secs(20), run(dir, args))
        .await
        .expect("the command should have refused to start");
    assert!(!out.0, "{args:?} should fail");
    out.2
}

#[tokio::test]
async fn a_first_serve_creates_a_private_key_file_and_keeps_no_secret_in_clear() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let server = serve(d, &[]).await;
    // Another process reads the key file the server created.
    let created = json(d, &["client", "create", "--scope", "read", "--json"]).await;
    token(&server.base, &created).await;
    for file in [
        "tollgate.key",
        "tollgate.db",
        "tollgate.db-wal",
        "tollgate.db-shm",
    ] {
        assert_eq!(mode(&d.join(file)), 0o600, "{file}");
    }
    let running = snapshot(d);
    assert_eq!(running.len(), 3, "the WAL files exist while serving");
    let (clean_exit, stderr) = server.terminate().await;
    assert!(clean_exit, "{stderr}");
    let stopped = snapshot(d);

    let master = seal::read_key_file(&d.join("tollgate.key"))
        .unwrap()
        .unwrap();
    let (seed, pepper) = secrets(d, Some(master)).await;
    for files in [&running, &stopped] {
        assert_eq!(holds(files, &seed), Vec::<String>::new(), "signing seed");
        assert_eq!(holds(files, &pepper), Vec::<String>::new(), "pepper");
    }
}

#[tokio::test]
async fn serve_refuses_store_and_key_files_other_users_can_read() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    first_serve(d, &[]).await;
    let chmod = |file: &str, mode: u32| {
        std::fs::set_permissions(d.join(file), std::fs::Permissions::from_mode(mode)).unwrap();
    };
    let serve_args = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
    ];
    chmod("tollgate.db", 0o644);
    let stderr = refused(d, &serve_args).await;
    assert!(
        stderr.contains("tollgate.db is accessible to other users (mode 0644)")
            && stderr.contains("chmod 600 tollgate.db"),
        "{stderr}"
    );
    chmod("tollgate.db", 0o600);
    chmod("tollgate.key", 0o640);
    let stderr = refused(d, &serve_args).await;
    assert!(
        stderr.contains("tollgate.key is accessible to other users (mode 0640)")
            && stderr.contains("chmod 600 tollgate.key"),
        "{stderr}"
    );
    chmod("tollgate.key", 0o600);
    first_serve(d, &[]).await;
}

#[tokio::test]
async fn public_commands_need_no_master_key_and_the_others_refuse_without_it() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    first_serve(d, &[]).await;
    std::fs::rename(d.join("tollgate.key"), d.join("backup.key")).unwrap();

    let (ok, stdout, stderr) = run(d, &["jwks"]).await;
    assert!(ok, "{stderr}");
    let jwks = Jwks::from_json(stdout.trim()).unwrap();
    let listed = json(d, &["keys", "list", "--json"]).await;
    assert_eq!(listed[0]["state"], "active");
    assert_eq!(jwks.keys()[0].kid(), listed[0]["kid"].as_str());

    for args in [
        &["client", "create", "--scope", "x"][..],
        &["keys", "rotate"],
    ] {
        let stderr = refused(d, args).await;
        assert!(
            stderr.contains("tollgate.key does not exist")
                && stderr.contains("TOLLGATE_MASTER_KEY"),
            "{args:?}: {stderr}"
        );
    }
    // A sealed store's serve does not make up a new key either.
    let stderr = refused(
        d,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ],
    )
    .await;
    assert!(stderr.contains("the store is sealed"), "{stderr}");
    assert!(!d.join("tollgate.key").exists());

    let key = std::fs::read_to_string(d.join("backup.key")).unwrap();
    let out = tollgate(d)
        .args(["client", "create", "--scope", "x"])
        .env("TOLLGATE_MASTER_KEY", key.trim())
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let listed = json(
        d,
        &[
            "--master-key-file",
            "backup.key",
            "client",
            "list",
            "--json",
        ],
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn sealing_a_plaintext_store_leaves_no_plaintext_in_its_files() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let insecure = "--insecure-plaintext-keys";
    let server = serve(d, &[insecure]).await;
    let created = json(d, &[insecure, "client", "create", "--scope", "r", "--json"]).await;
    token(&server.base, &created).await;
    let (clean_exit, stderr) = server.terminate().await;
    assert!(clean_exit, "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("WARN") && l.contains(insecure) && l.contains("plaintext")),
        "{stderr}"
    );
    assert!(!d.join("tollgate.key").exists());
    let plain = snapshot(d);
    let (seed, pepper) = secrets(d, None).await;
    // The scan finds plaintext where there is some (the db file or its WAL).
    assert!(!holds(&plain, &seed).is_empty());
    assert!(!holds(&plain, &pepper).is_empty());

    // The default start creates the key, seals both secrets and compacts the store.
    let server = serve(d, &[]).await;
    assert_eq!(mode(&d.join("tollgate.key")), 0o600);
    token(&server.base, &created).await;
    let running = snapshot(d);
    let (clean_exit, stderr) = server.terminate().await;
    assert!(clean_exit, "{stderr}");
    let stopped = snapshot(d);
    for files in [&running, &stopped] {
        assert_eq!(holds(files, &seed), Vec::<String>::new(), "signing seed");
        assert_eq!(holds(files, &pepper), Vec::<String>::new(), "pepper");
    }
    let master = seal::read_key_file(&d.join("tollgate.key"))
        .unwrap()
        .unwrap();
    assert_eq!(secrets(d, Some(master)).await, (seed, pepper));
}

#[tokio::test]
async fn a_master_key_from_the_environment_is_used_as_given_and_checked_first() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let out = tollgate(d)
        .args(["quickstart", "--listen", "127.0.0.1:0"])
        .env("TOLLGATE_MASTER_KEY", "c2hvcnQ=")
        .output();
    let out = tokio::time::timeout(Duration::from_secs(20), out)
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("TOLLGATE_MASTER_KEY must be 32 random bytes"),
        "{stderr}"
    );
    assert!(!d.join("tollgate.db").exists(), "a bad key leaves no store");

    let key = MasterKey::generate();
    let mut command = tollgate(d);
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ])
        .env("TOLLGATE_MASTER_KEY", key.to_base64().as_str());
    let server = crate::cli::start(command).await;
    let jwks = http().get(format!("{}/.well-known/jwks.json", server.base));
    assert_eq!(jwks.send().await.unwrap().status(), 200);
    let (clean_exit, stderr) = server.terminate().await;
    assert!(clean_exit, "{stderr}");
    assert!(
        !d.join("tollgate.key").exists(),
        "the given key is not written"
    );
    let (seed, _) = secrets(d, Some(key)).await;
    assert!(holds(&snapshot(d), &seed).is_empty());
}
