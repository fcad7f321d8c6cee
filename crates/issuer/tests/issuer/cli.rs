//! The `tollgate` binary: CLI round trips, `serve`, `quickstart`, configuration, logs.

use std::{path::Path, process::Stdio, time::Duration};

use serde_json::Value;
use tempfile::TempDir;
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, BufReader},
    process::{Child, Command},
};
use tollgate_core::{Jwks, Policy, Verifier};

use crate::common::{basic, expect_error, expect_token, form, http, now};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_tollgate");
/// `serve` and `quickstart` on free loopback ports (tests run many servers at once).
const SERVE: [&str; 5] = [
    "serve",
    "--listen",
    "127.0.0.1:0",
    "--admin-listen",
    "127.0.0.1:0",
];
const QUICKSTART: [&str; 5] = [
    "quickstart",
    "--listen",
    "127.0.0.1:0",
    "--admin-listen",
    "127.0.0.1:0",
];

/// The binary in `dir`, with a clean environment.
pub(crate) fn tollgate(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .env_clear()
        .env("RUST_LOG", "warn")
        .kill_on_drop(true);
    command
}

/// Runs to completion; returns (success, stdout, stderr).
pub(crate) async fn run(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = tollgate(dir).args(args).output().await.unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

pub(crate) async fn json(dir: &Path, args: &[&str]) -> Value {
    let (ok, stdout, stderr) = run(dir, args).await;
    assert!(ok, "{args:?} failed: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
}

/// A running `serve`/`quickstart` and everything it printed before listening.
pub(crate) struct Running {
    child: Child,
    pub(crate) base: String,
    /// The admin listener.
    pub(crate) admin: String,
    printed: String,
}

/// `serve` on a free loopback port in `dir`, with `args`.
pub(crate) async fn serve(dir: &Path, args: &[&str]) -> Running {
    let mut command = tollgate(dir);
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ])
        .args(args);
    start(command).await
}

/// Sets a store up as an operator does: a first `serve` (which creates the store and its
/// master key file), stopped at once. Returns its stderr.
pub(crate) async fn first_serve(dir: &Path, args: &[&str]) -> String {
    let server = serve(dir, args).await;
    // One answer first: SIGTERM is handled once the server runs, not while it starts.
    let jwks = http().get(format!("{}/.well-known/jwks.json", server.base));
    assert_eq!(jwks.send().await.unwrap().status(), 200);
    let (clean_exit, stderr) = server.terminate().await;
    assert!(clean_exit, "{stderr}");
    stderr
}

pub(crate) async fn start(mut command: Command) -> Running {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = String::new();
    // Servers here always run an admin listener on a free port (`--admin-listen
    // 127.0.0.1:0`): `admin listening on` follows `listening on`.
    let wait = async {
        let mut base = None;
        while let Some(line) = lines.next_line().await.unwrap() {
            printed.push_str(&line);
            printed.push('\n');
            if let Some(addr) = line.strip_prefix("listening on ") {
                base = Some(format!("http://{addr}"));
            } else if let Some(addr) = line.strip_prefix("admin listening on ") {
                return base.zip(Some(format!("http://{addr}")));
            }
        }
        None
    };
    let (base, admin) = tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("exited before listening: {printed}"));
    Running {
        child,
        base,
        admin,
        printed,
    }
}

impl Running {
    /// Sends `signal` (e.g. `-HUP`) to the server.
    pub(crate) async fn signal(&self, signal: &str) {
        let pid = self.child.id().unwrap().to_string();
        let sent = Command::new("kill").args([signal, &pid]).status().await;
        assert!(sent.unwrap().success());
    }

    /// SIGTERM, then the exit status and stderr.
    pub(crate) async fn terminate(mut self) -> (bool, String) {
        let pid = self.child.id().unwrap().to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
        assert!(killed.success());
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .unwrap()
            .unwrap();
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .await
            .unwrap();
        (status.success(), stderr)
    }
}

/// A file's permission bits.
pub(crate) fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[tokio::test]
async fn client_commands_round_trip() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let missing = run(d, &["client", "list"]).await;
    assert!(
        !missing.0 && missing.2.contains("tollgate.db does not exist"),
        "only serve and quickstart create a store: {}",
        missing.2
    );
    assert!(!d.join("tollgate.db").exists());
    first_serve(d, &[]).await;
    let created = json(
        d,
        &[
            "client",
            "create",
            "--id",
            "partner-7",
            "--name",
            "Partner 7",
            "--scope",
            "a b",
            "--audience",
            "https://api.example",
            "--audience",
            "https://b.example",
            "--ttl",
            "2",
            "--refresh",
            "--refresh-ttl",
            "600",
            "--json",
        ],
    )
    .await;
    assert!(
        d.join("tollgate.db").exists() && d.join("tollgate.key").exists(),
        "the default store and its key are created in the cwd"
    );
    assert_eq!(created["client_id"], "partner-7");
    assert_eq!(created["client_secret"].as_str().unwrap().len(), 43);
    assert_eq!(created["scopes"], serde_json::json!(["a", "b"]));
    assert_eq!(
        created["audiences"],
        serde_json::json!(["https://api.example", "https://b.example"])
    );
    assert_eq!(
        (created["ttl"].clone(), created["refresh"].clone()),
        (2.into(), true.into())
    );
    assert_eq!(created["refresh_ttl"], 600);

    let generated = json(d, &["client", "create", "--scope", "x", "--json"]).await;
    assert!(generated["client_id"].as_str().unwrap().len() >= 16);
    let duplicate = run(
        d,
        &["client", "create", "--id", "partner-7", "--scope", "x"],
    )
    .await;
    assert!(
        !duplicate.0 && duplicate.2.contains("already exists"),
        "{}",
        duplicate.2
    );
    let bad_ttl = run(d, &["client", "create", "--scope", "x", "--ttl", "0"]).await;
    assert!(!bad_ttl.0);

    let list = json(d, &["client", "list", "--json"]).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|c| c.get("client_secret").is_none())
    );
    let shown = json(d, &["client", "show", "partner-7", "--json"]).await;
    assert_eq!(shown["name"], "Partner 7");
    assert_eq!(shown["failures"], serde_json::json!([]));

    let rotated = json(
        d,
        &[
            "client",
            "rotate-secret",
            "partner-7",
            "--grace",
            "60",
            "--json",
        ],
    )
    .await;
    assert_ne!(rotated["client_secret"], created["client_secret"]);
    assert!(rotated["previous_secret_expires_at"].as_i64().unwrap() > now());
    let disabled = json(d, &["client", "disable", "partner-7", "--json"]).await;
    assert_eq!(disabled["disabled"], true);
    let deleted = json(d, &["client", "delete", "partner-7", "--json"]).await;
    assert_eq!(deleted["deleted"], true);
    let gone = run(d, &["client", "show", "partner-7", "--json"]).await;
    assert!(!gone.0 && gone.2.contains("no client"), "{}", gone.2);
}

#[tokio::test]
async fn key_commands_and_jwks() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    first_serve(d, &[]).await;
    let keys = json(d, &["keys", "list", "--json"]).await;
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert_eq!(keys[0]["state"], "active");
    let rotated = json(d, &["keys", "rotate", "--activate-after", "60", "--json"]).await;
    assert_eq!(rotated["state"], "pending");
    let (ok, stdout, _) = run(d, &["jwks"]).await;
    assert!(ok);
    let jwks = Jwks::from_json(stdout.trim()).unwrap();
    let kids: Vec<_> = jwks.keys().iter().map(|k| k.kid().unwrap()).collect();
    assert_eq!(
        kids,
        [
            keys[0]["kid"].as_str().unwrap(),
            rotated["kid"].as_str().unwrap()
        ]
    );
}

#[tokio::test]
async fn serve_issues_tokens_picks_up_rotations_and_stops_on_sigterm() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    first_serve(d, &[]).await;
    let created = json(d, &["client", "create", "--scope", "read", "--json"]).await;
    let (id, secret) = (
        created["client_id"].as_str().unwrap(),
        created["client_secret"].as_str().unwrap(),
    );
    let mut command = tollgate(d);
    command
        .args(SERVE)
        .env("TOLLGATE_KEY_RELOAD_SECS", "1")
        .env(
            "TOLLGATE_TOKEN_PATHS",
            "/connect/token,/v2/auth/oauth2-token",
        )
        .env("RUST_LOG", "trace");
    let server = start(command).await;

    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", id),
        ("client_secret", secret),
    ]);
    let response = http()
        .post(format!("{}/connect/token", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let (token, _) = expect_token(response).await;
    let basic_response = http()
        .post(format!("{}/oauth/token", server.base))
        .header("authorization", basic(id, secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    expect_token(basic_response).await;
    let wrong = http()
        .post(format!("{}/oauth/token", server.base))
        .header("authorization", basic(id, "wrong"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    expect_error(wrong, 401, "invalid_client").await;
    let jwks_url = format!("{}/.well-known/jwks.json", server.base);
    let jwks = http()
        .get(&jwks_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let verifier = Verifier::new(
        Jwks::from_json(&jwks).unwrap(),
        Policy::default().issuer(&server.base),
    );
    verifier.verify(&token, now()).unwrap();

    // `keys rotate` from another process reaches the running server.
    let rotated = json(d, &["keys", "rotate", "--activate-after", "3600", "--json"]).await;
    let new_kid = rotated["kid"].as_str().unwrap().to_string();
    let mut published = false;
    for _ in 0..100 {
        let text = http()
            .get(&jwks_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text.contains(&new_kid) {
            published = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(published, "the new key never appeared in the served JWKS");

    // Metrics answer on the admin listener only; health on both.
    let metrics = http()
        .get(format!("{}/metrics", server.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics
            .text()
            .await
            .unwrap()
            .contains("tollgate_tokens_issued_total")
    );
    let public = http()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404);
    for base in [&server.base, &server.admin] {
        let health = http().get(format!("{base}/readyz")).send().await.unwrap();
        assert_eq!(health.status(), 200, "{base}");
    }

    let (clean_exit, stderr) = server.terminate().await;
    assert!(
        clean_exit,
        "serve did not exit cleanly on SIGTERM: {stderr}"
    );
    // Nothing secret reaches the logs, even at trace level.
    assert!(stderr.contains("tollgate started"), "{stderr}");
    let encoded = basic(id, secret);
    for secret_text in [secret, token.as_str(), encoded.trim_start_matches("Basic ")] {
        assert!(!stderr.contains(secret_text), "a secret value was logged");
    }
}

#[tokio::test]
async fn quickstart_serves_a_demo_client_and_refuses_an_existing_store() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let mut command = tollgate(d);
    command.args(QUICKSTART);
    let server = start(command).await;
    let printed = &server.printed;
    let secret = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("client_secret: "))
        .expect("secret printed")
        .to_string();
    assert!(printed.contains("client_id:     demo"));
    assert!(printed.contains(&format!(
        "curl -u 'demo:{secret}' -d grant_type=client_credentials {}/oauth/token",
        server.base
    )));
    assert!(printed.contains(&format!("-d client_id=demo -d client_secret={secret}")));
    assert!(printed.contains("tollgate jwks"));
    assert!(
        printed.contains("sealed with the master key in tollgate.key (mode 0600)"),
        "{printed}"
    );
    for file in [
        "tollgate.key",
        "tollgate.db",
        "tollgate.db-wal",
        "tollgate.db-shm",
    ] {
        assert_eq!(mode(&d.join(file)), 0o600, "{file}");
    }
    let response = http()
        .post(format!("{}/oauth/token", server.base))
        .header("authorization", basic("demo", &secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    expect_token(response).await;
    let (clean_exit, _) = server.terminate().await;
    assert!(clean_exit);

    let again = run(d, &QUICKSTART).await;
    assert!(!again.0);
    assert!(again.2.contains("already exists"), "{}", again.2);
}

#[tokio::test]
async fn serve_and_quickstart_refuse_a_public_address_without_an_issuer_before_binding() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    // A documentation address (RFC 5737): binding it would fail anyway, so the check
    // must come first for the message to name the issuer.
    for command in ["serve", "quickstart"] {
        let (ok, _, stderr) = run(
            d,
            &[
                command,
                "--listen",
                "192.0.2.1:8080",
                "--admin-listen",
                "off",
            ],
        )
        .await;
        assert!(!ok, "{command} started");
        assert!(stderr.contains("--issuer"), "{command}: {stderr}");
        assert!(
            !d.join("tollgate.db").exists(),
            "{command} created a store before refusing"
        );
    }
}
