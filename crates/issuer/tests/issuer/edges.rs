//! Answers around the handlers: JSON bodies for 404/405/408/413/431, request ids, and
//! the admin listener.

use std::time::Duration;

use reqwest::Response;
use serde_json::Value;
use tempfile::TempDir;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tollgate_issuer::telemetry::valid_request_id;

use crate::common::{Server, Setup, http};

/// Asserts a small JSON edge answer; returns its request id.
async fn expect_edge(response: Response, status: u16, code: &str) -> String {
    assert_eq!(response.status().as_u16(), status);
    let headers = response.headers().clone();
    assert_eq!(headers["cache-control"], "no-store", "{status}");
    assert_eq!(headers["content-type"], "application/json", "{status}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    let id = headers["x-request-id"].to_str().unwrap().to_string();
    assert!(valid_request_id(&headers["x-request-id"]), "{id}");
    id
}

#[tokio::test]
async fn edge_statuses_answer_small_json_that_is_not_cached() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let get = |path: &str| http().get(server.url(path));

    let unknown = get("/no/such/path").send().await.unwrap();
    expect_edge(unknown, 404, "not_found").await;

    let wrong_method = get("/oauth/token").send().await.unwrap();
    assert!(
        wrong_method.headers()["allow"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    expect_edge(wrong_method, 405, "invalid_request").await;

    let too_large = server
        .post("/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a".repeat(17 * 1024))
        .send()
        .await
        .unwrap();
    expect_edge(too_large, 413, "invalid_request").await;

    let big_headers = get("/healthz")
        .header("x-padding", "a".repeat(20 * 1024))
        .send()
        .await
        .unwrap();
    expect_edge(big_headers, 431, "invalid_request").await;
    let many_headers = (0..120).fold(get("/healthz"), |request, i| {
        request.header(format!("x-h{i}"), "1")
    });
    expect_edge(many_headers.send().await.unwrap(), 431, "invalid_request").await;
}

/// The status line, headers and body of one answer read from a raw socket.
async fn read_answer(stream: &mut (impl AsyncReadExt + Unpin)) -> (String, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    let read = async {
        loop {
            let n = stream.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(str::to_string)
                    })
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if body.len() >= length || n == 0 {
                    return (head.to_string(), body.to_string());
                }
            }
            assert!(n > 0, "closed before an answer: {text}");
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_trickled_body_gets_408_json_with_a_request_id() {
    let dir = TempDir::new().unwrap();
    let setup = Setup {
        settings: Box::new(|s| s.limits.request_timeout = Duration::from_secs(1)),
        ..Setup::default()
    };
    let server = Server::start_with(dir.path(), setup).await;
    let mut stream = TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream
        .write_all(
            b"POST /oauth/token HTTP/1.1\r\nHost: a\r\n\
              Content-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 100\r\nX-Request-Id: slow-body-1\r\n\r\ngrant",
        )
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // One body byte every 200 ms: never 100 bytes before the timeout.
    let trickle = tokio::spawn(async move {
        for _ in 0..20 {
            if writer.write_all(b"x").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let (head, body) = read_answer(&mut reader).await;
    trickle.abort();
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    let head = head.to_ascii_lowercase();
    assert!(head.contains("x-request-id: slow-body-1"), "{head}");
    assert!(head.contains("cache-control: no-store"), "{head}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn request_ids_are_kept_only_when_short_and_plain() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let id_for = |ids: &[&str]| {
        let mut request = http().get(server.url("/healthz"));
        for id in ids {
            request = request.header("x-request-id", *id);
        }
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_string()
        }
    };
    let longest = "A".repeat(64);
    for kept in ["trace-me", "a.b_C-9", longest.as_str()] {
        assert_eq!(id_for(&[kept]).await, kept);
    }
    let too_long = "A".repeat(65);
    for refused in [
        &[too_long.as_str()][..],
        &["two words"],
        &["id:with:colons"],
        &["line\tbreak"],
        &["\"quoted\""],
        &["one", "two"],
    ] {
        let id = id_for(refused).await;
        assert!(!refused.contains(&id.as_str()), "{refused:?} was kept");
        assert!(
            id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'),
            "{id} is not a fresh UUID"
        );
    }
}

#[tokio::test]
async fn metrics_answer_only_on_the_admin_listener() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(&dir).await;
    let public = http().get(server.url("/metrics")).send().await.unwrap();
    expect_edge(public, 404, "not_found").await;
    let admin = |path: &str| http().get(format!("{}{path}", server.admin_base)).send();
    let metrics = admin("/metrics").await.unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    assert!(
        metrics
            .text()
            .await
            .unwrap()
            .contains("tollgate_http_request_duration_seconds")
    );
    for path in ["/healthz", "/readyz"] {
        assert_eq!(admin(path).await.unwrap().status(), 200, "{path}");
    }
    // The OAuth endpoints are not on the admin listener.
    expect_edge(
        admin("/.well-known/jwks.json").await.unwrap(),
        404,
        "not_found",
    )
    .await;
    server.stop().await;
}
