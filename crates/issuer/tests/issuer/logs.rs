//! Logs for operators, from the real binary with JSON logs at trace level: one startup
//! line, one line per request (client id once authenticated, grant, outcome, status,
//! latency as a number, trusted-proxy-aware source), lockout lines naming client and
//! source, SIGHUP reloading the keys — and no secret, token or `Authorization` value.

use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

use crate::{
    cli::{first_serve, json, start, tollgate},
    common::{basic, expect_error, expect_token, http},
};

/// The JSON log lines (the `fields` of each event) whose message is `message`.
fn lines<'a>(stderr: &'a str, message: &'a str) -> impl Iterator<Item = Value> + 'a {
    stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| v["fields"].clone())
        .filter(move |f| f["message"] == message)
}

async fn token(base: &str, authorization: &str, forwarded_for: &str) -> reqwest::Response {
    http()
        .post(format!("{base}/oauth/token"))
        .header("authorization", authorization)
        .header("x-forwarded-for", forwarded_for)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap()
}

async fn client(dir: &Path) -> (String, String) {
    let created = json(dir, &["client", "create", "--scope", "read", "--json"]).await;
    let field = |k: &str| created[k].as_str().unwrap().to_string();
    (field("client_id"), field("client_secret"))
}

#[tokio::test]
async fn operators_read_who_what_and_how_fast_and_never_a_secret() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    first_serve(d, &[]).await;
    let (id, secret) = client(d).await;
    let mut command = tollgate(d);
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--admin-listen"])
        .args([
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--lockout-threshold",
            "2",
        ])
        .args(["--trusted-proxies", "127.0.0.1/32"])
        .env("RUST_LOG", "trace");
    let server = start(command).await;

    let good = basic(&id, &secret);
    let (access_token, _) = expect_token(token(&server.base, &good, "203.0.113.7").await).await;
    let wrong = basic(&id, "not-the-secret");
    expect_error(
        token(&server.base, &wrong, "198.51.100.9").await,
        401,
        "invalid_client",
    )
    .await;
    expect_error(
        token(&server.base, &wrong, "198.51.100.9").await,
        429,
        "invalid_client",
    )
    .await;
    // The server answered, so its SIGHUP handler is installed.
    server.signal("-HUP").await;
    let mut reloaded = false;
    for _ in 0..50 {
        let response = http().get(format!("{}/healthz", server.base)).send().await;
        reloaded = response.is_ok_and(|r| r.status() == 200);
        if reloaded {
            break;
        }
    }
    assert!(reloaded, "the server stopped answering after SIGHUP");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (base, admin) = (server.base.clone(), server.admin.clone());
    let (clean_exit, stderr) = server.terminate().await;
    assert!(clean_exit, "{stderr}");

    let started: Vec<Value> = lines(&stderr, "tollgate started").collect();
    assert_eq!(started.len(), 1, "{stderr}");
    assert_eq!(started[0]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(started[0]["store"], "sqlite");
    assert_eq!(started[0]["listen"], base.trim_start_matches("http://"));
    assert_eq!(started[0]["admin"], admin.trim_start_matches("http://"));
    assert_eq!(started[0]["issuer"], base);
    assert!(
        !stderr.contains("listening on"),
        "addresses go to stdout once: {stderr}"
    );

    let tokens: Vec<Value> = lines(&stderr, "request")
        .filter(|f| f["source"] != "127.0.0.1")
        .collect();
    assert_eq!(tokens.len(), 3, "{stderr}");
    let issued = &tokens[0];
    assert_eq!(issued["client_id"], format!("{id:?}"));
    assert_eq!(issued["grant"], "client_credentials");
    assert_eq!(
        (&issued["outcome"], &issued["status"]),
        (&"ok".into(), &200.into())
    );
    assert!(
        issued["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{issued}"
    );
    assert_eq!(issued["source"], "203.0.113.7");
    // A failed authentication names no client: its id is whatever the caller sent.
    for (failed, outcome, status) in [
        (&tokens[1], "invalid_client", 401),
        (&tokens[2], "locked", 429),
    ] {
        assert!(failed.get("client_id").is_none(), "{failed}");
        assert_eq!(
            (&failed["outcome"], &failed["status"]),
            (&outcome.into(), &status.into())
        );
        assert_eq!(failed["source"], "198.51.100.9");
    }
    let lockout = lines(
        &stderr,
        "client locked for this source after repeated failed authentications",
    )
    .next()
    .unwrap_or_else(|| panic!("no lockout line: {stderr}"));
    assert_eq!(lockout["client_id"], format!("{id:?}"));
    assert_eq!(lockout["source"], "198.51.100.9");
    let reload = lines(&stderr, "SIGHUP: signing keys reloaded").next();
    assert!(reload.is_some_and(|r| r["published"] == 1), "{stderr}");

    for (what, value) in [
        ("secret", secret.as_str()),
        ("token", access_token.as_str()),
        ("Basic credentials", good.trim_start_matches("Basic ")),
        (
            "wrong Basic credentials",
            wrong.trim_start_matches("Basic "),
        ),
        ("wrong secret", "not-the-secret"),
    ] {
        assert!(
            !stderr.contains(value),
            "a {what} reached the trace-level logs"
        );
    }
}
