//! The operator's commands through the binary: `client update`, `keys revoke`, `audit`
//! (naming the OS user), text output for people, and `backup` of a live store restored
//! into a server that issues verifiable tokens.

use std::{path::Path, time::Duration};

use serde_json::Value;
use tempfile::TempDir;
use tollgate_core::{Jwks, Policy, Verifier};

use crate::{
    cli::{first_serve, json, mode, run, serve, tollgate},
    common::{basic, http, now},
};

/// The OS user the tests run as, as `id -un` names it.
fn os_user() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Runs with `$USER` claiming `ops-alice` (which the trail must not believe); returns
/// (success, stdout, stderr).
async fn claiming_alice(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = tollgate(dir)
        .env("USER", "ops-alice")
        .args(args)
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `2026-12-01T10:00:00Z`-shaped.
fn is_rfc3339_utc(text: &str) -> bool {
    let b = text.as_bytes();
    text.len() == 20
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'Z'
        && text
            .replace(['-', ':', 'T', 'Z'], "")
            .bytes()
            .all(|c| c.is_ascii_digit())
}

/// The value of `name:` in a `client show` block.
fn field<'a>(block: &'a str, name: &str) -> &'a str {
    block
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {block}"))
        .trim()
}

#[tokio::test]
async fn update_revoke_and_audit_through_the_cli_name_the_os_user_and_print_for_people() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    first_serve(d, &[]).await;
    let (ok, created, err) = claiming_alice(
        d,
        &[
            "client",
            "create",
            "--id",
            "p",
            "--scope",
            "a b",
            "--refresh",
        ],
    )
    .await;
    assert!(ok, "{err}");
    assert_eq!(field(&created, "client_id"), "p");
    assert_eq!(field(&created, "status"), "active");
    assert!(is_rfc3339_utc(field(&created, "created")), "{created}");
    let secret = field(&created, "client_secret").to_string();

    let updated = json(
        d,
        &[
            "client",
            "update",
            "p",
            "--scope",
            "c",
            "--ttl",
            "60",
            "--no-refresh",
            "--audience",
            "https://api.example.com",
            "--json",
        ],
    )
    .await;
    assert_eq!(updated["scopes"], serde_json::json!(["c"]));
    assert_eq!(
        (updated["ttl"].clone(), updated["refresh"].clone()),
        (60.into(), false.into())
    );
    assert!(updated["updated_at"].is_i64(), "--json keeps epoch seconds");
    let nothing = run(d, &["client", "update", "p"]).await;
    assert!(
        !nothing.0 && nothing.2.contains("nothing to change"),
        "{}",
        nothing.2
    );
    let bad = run(d, &["client", "update", "p", "--ttl", "0"]).await;
    assert!(!bad.0 && bad.2.contains("ttl must be between"), "{}", bad.2);

    let (ok, shown, _) = run(d, &["client", "show", "p"]).await;
    assert!(ok);
    assert_eq!(field(&shown, "scopes"), "c");
    assert_eq!(field(&shown, "audiences"), "https://api.example.com");
    assert_eq!(field(&shown, "token ttl"), "60 s");
    assert!(field(&shown, "refresh tokens").starts_with("no"));
    assert_eq!(field(&shown, "failures"), "none");
    assert_eq!(field(&shown, "previous secret"), "none");
    assert!(is_rfc3339_utc(field(&shown, "updated")), "{shown}");

    let (ok, keys, _) = run(d, &["keys", "list"]).await;
    assert!(ok);
    let first: Vec<&str> = keys.lines().next().unwrap().split('\t').collect();
    let leaked = first[0].to_string();
    assert_eq!(first[1], "active", "documented lower-case state: {keys}");
    assert!(
        is_rfc3339_utc(first[2].trim_start_matches("created=")),
        "{keys}"
    );
    let refused = claiming_alice(d, &["keys", "revoke", &leaked]).await;
    assert!(
        !refused.0 && refused.2.contains("--rotate"),
        "{}",
        refused.2
    );
    let revoked = claiming_alice(d, &["keys", "revoke", &leaked, "--rotate", "--json"]).await;
    assert!(revoked.0, "{}", revoked.2);
    let revoked: Value = serde_json::from_str(&revoked.1).unwrap();
    assert_eq!(revoked["revoked"]["state"], "revoked");
    assert_eq!(revoked["active"]["state"], "active");
    let (_, jwks, _) = run(d, &["jwks"]).await;
    assert!(
        !jwks.contains(&leaked),
        "a revoked key is not published: {jwks}"
    );
    let (_, keys, _) = run(d, &["keys", "list"]).await;
    assert!(keys.contains(&format!("{leaked}\trevoked\t")), "{keys}");

    // Under sudo the trail adds who sudo says ran it, as an unverified note, cleaned.
    let sudo = tollgate(d)
        .env("USER", "tollgate")
        .env("SUDO_USER", "someone-else@corp\n\u{1b}[2J")
        .args(["client", "enable", "p"])
        .output()
        .await
        .unwrap();
    assert!(sudo.status.success());
    // Without any environment the actor is the same OS user.
    assert!(run(d, &["client", "disable", "p"]).await.0);

    let events = json(d, &["audit", "--json"]).await;
    let rows: Vec<(String, String, String)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            (s("actor"), s("action"), s("subject"))
        })
        .collect();
    let new_kid = revoked["active"]["kid"].as_str().unwrap();
    let row = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    let me = os_user();
    assert_eq!(rows[0], row(&me, "client.create", "p"));
    assert_eq!(rows[1].1, "client.update");
    assert!(rows.contains(&row(&me, "keys.revoke", &leaked)), "{rows:?}");
    assert!(events[rows.len() - 1]["at_ms"].as_i64().unwrap() >= (now() - 60) * 1000);
    let sudo_note = format!("{me} (sudo from someone-else@corp??[2J, unverified)");
    assert!(
        rows.contains(&row(&sudo_note, "client.enable", "p")),
        "{rows:?}"
    );
    assert_eq!(rows.last().unwrap(), &row(&me, "client.disable", "p"));
    assert!(
        !events.to_string().contains("ops-alice"),
        "$USER names nobody"
    );
    let (ok, text, _) = run(d, &["audit"]).await;
    assert!(
        ok && text.contains(&format!("\t{me}\tclient.create\tp\t")),
        "{text}"
    );
    assert!(text.contains(&format!("activated {new_kid}")), "{text}");
    assert!(!text.contains(&secret), "no secret in the trail");
    let future = run(d, &["audit", "--since", "2999-01-01T00:00:00Z"]).await;
    assert!(future.0 && future.1.is_empty(), "{}", future.1);
    let garbage = run(d, &["audit", "--since", "yesterday"]).await;
    assert!(
        !garbage.0 && garbage.2.contains("RFC 3339"),
        "{}",
        garbage.2
    );
}

async fn token(base: &str, id: &str, secret: &str) -> reqwest::Response {
    http()
        .post(format!("{base}/oauth/token"))
        .header("authorization", basic(id, secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap()
}

/// Token requests (reads) and failed ones (writes: failure rows, lockouts) until `stop`,
/// bounded to 3 s and 4000 requests; returns the number of tokens issued.
async fn load(
    base: String,
    id: String,
    secret: String,
    stop: tokio::sync::watch::Receiver<bool>,
) -> usize {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    let mut issued = 0;
    for i in 0..4000 {
        if *stop.borrow() || tokio::time::Instant::now() > deadline {
            break;
        }
        let wrong = i % 4 == 0;
        let response = token(&base, &id, if wrong { "wrong" } else { &secret }).await;
        issued += usize::from(response.status() == 200);
    }
    issued
}

#[tokio::test]
async fn a_backup_taken_under_load_restores_into_a_server_that_issues_verifiable_tokens() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    first_serve(d, &[]).await;
    let client = json(
        d,
        &[
            "client", "create", "--id", "svc", "--scope", "read", "--json",
        ],
    )
    .await;
    let secret = client["client_secret"].as_str().unwrap().to_string();
    json(
        d,
        &[
            "client", "create", "--id", "victim", "--scope", "read", "--json",
        ],
    )
    .await;
    let server = serve(d, &[]).await;
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let reads = tokio::spawn(load(
        server.base.clone(),
        "svc".into(),
        secret.clone(),
        stop.clone(),
    ));
    let writes = tokio::spawn(load(
        server.base.clone(),
        "victim".into(),
        "wrong".into(),
        stop,
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let backups = TempDir::new().unwrap();
    let copy = backups.path().join("tollgate-backup.db");
    let copy_arg = copy.to_str().unwrap();
    let done = json(d, &["backup", copy_arg, "--json"]).await;
    assert!(done["bytes"].as_u64().unwrap() > 0);
    assert_eq!(
        mode(&copy),
        0o600,
        "the copy holds sealed secrets: owner only"
    );
    let again = run(d, &["backup", copy_arg]).await;
    assert!(
        !again.0 && again.2.contains("already exists"),
        "{}",
        again.2
    );
    stop_tx.send(true).unwrap();
    assert!(
        reads.await.unwrap() > 0,
        "tokens were issued during the backup"
    );
    writes.await.unwrap();
    let (clean, stderr) = server.terminate().await;
    assert!(clean, "{stderr}");

    // Restore: the copy and the master key file, into a new directory.
    let restored = TempDir::new().unwrap();
    let r = restored.path();
    std::fs::copy(&copy, r.join("tollgate.db")).unwrap();
    std::fs::copy(d.join("tollgate.key"), r.join("tollgate.key")).unwrap();
    let server = serve(r, &[]).await;
    let response = token(&server.base, "svc", &secret).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let jwks = http()
        .get(format!("{}/.well-known/jwks.json", server.base))
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
    let verified = verifier.verify(body["access_token"].as_str().unwrap(), now());
    assert!(verified.is_ok(), "{verified:?}");
    let (clean, stderr) = server.terminate().await;
    assert!(clean, "{stderr}");
}

#[tokio::test]
async fn backup_refuses_postgres_and_points_to_pg_dump() {
    let dir = TempDir::new().unwrap();
    let url = "postgres://tollgate@127.0.0.1:1/none";
    let (ok, _, stderr) = run(dir.path(), &["--database", url, "backup", "x.db"]).await;
    assert!(!ok && stderr.contains("pg_dump"), "{stderr}");
    assert!(!dir.path().join("x.db").exists());
}

#[tokio::test]
async fn a_key_revoked_by_the_cli_leaves_a_running_servers_jwks_within_one_reload() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    first_serve(d, &[]).await;
    let client = json(
        d,
        &[
            "client", "create", "--id", "svc", "--scope", "read", "--json",
        ],
    )
    .await;
    let secret = client["client_secret"].as_str().unwrap().to_string();
    let server = serve(d, &["--key-reload-secs", "1"]).await;
    let response = token(&server.base, "svc", &secret).await;
    let body: Value = response.json().await.unwrap();
    let old_token = body["access_token"].as_str().unwrap().to_string();
    let keys = json(d, &["keys", "list", "--json"]).await;
    let leaked = keys[0]["kid"].as_str().unwrap().to_string();
    let revoked = json(d, &["keys", "revoke", &leaked, "--rotate", "--json"]).await;
    let successor = revoked["active"]["kid"].as_str().unwrap().to_string();

    let jwks_url = format!("{}/.well-known/jwks.json", server.base);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let jwks = http()
            .get(&jwks_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if !jwks.contains(&leaked) {
            assert!(jwks.contains(&successor), "{jwks}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still published: {jwks}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let introspected: Value = http()
        .post(format!("{}/oauth/introspect", server.base))
        .header("authorization", basic("svc", &secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={old_token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(introspected, serde_json::json!({"active": false}));
    let fresh = token(&server.base, "svc", &secret).await;
    assert_eq!(fresh.status(), 200, "the successor signs with no gap");
    let (clean, stderr) = server.terminate().await;
    assert!(clean, "{stderr}");
}

#[tokio::test]
async fn client_show_prints_each_sources_failures_and_lockout_and_unlock_is_audited() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    first_serve(d, &[]).await;
    json(
        d,
        &[
            "client", "create", "--id", "svc", "--scope", "read", "--json",
        ],
    )
    .await;
    let server = serve(d, &[]).await;
    // Threshold 5: the fifth failure locks and is answered 429 already.
    for _ in 0..4 {
        assert_eq!(token(&server.base, "svc", "wrong").await.status(), 401);
    }
    assert_eq!(token(&server.base, "svc", "wrong").await.status(), 429);
    let (ok, shown, _) = run(d, &["client", "show", "svc"]).await;
    assert!(ok);
    assert_eq!(field(&shown, "status"), "locked (some sources)");
    let source = shown
        .lines()
        .find(|l| l.starts_with("  127.0.0.1\t"))
        .unwrap_or_else(|| panic!("no source line: {shown}"));
    let parts: Vec<&str> = source.trim().split('\t').collect();
    assert_eq!(parts[1..3], ["failed_attempts=0", "lockouts=1"], "{source}");
    let until = parts[3].strip_prefix("locked until ").unwrap();
    assert!(is_rfc3339_utc(until), "{source}");

    let (ok, unlocked, err) =
        claiming_alice(d, &["client", "unlock", "svc", "--source", "127.0.0.1"]).await;
    assert!(ok, "{err}");
    assert_eq!(field(&unlocked, "failures"), "none");
    let events = json(d, &["audit", "--json"]).await;
    let actions: Vec<(&str, &str)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    assert!(
        actions.contains(&("serve", "client.lockout")),
        "{actions:?}"
    );
    assert!(
        actions.contains(&(os_user().as_str(), "client.unlock")),
        "{actions:?}"
    );
    let (clean, stderr) = server.terminate().await;
    assert!(clean, "{stderr}");
}
