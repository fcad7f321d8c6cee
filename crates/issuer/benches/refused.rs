//! CPU cost of refused token requests against a normal one, through the whole service
//! (layers, form parsing, authentication, signing) on a real SQLite store.
//!
//! Run: `nice -n 19 cargo bench -p tollgate-issuer --bench refused`. Each refused body is
//! the worst of its kind that fits the 16 KiB cap; a figure far above the normal request's
//! means an unauthenticated sender can buy our CPU cheaply.

#![allow(clippy::unwrap_used, missing_docs)]

use std::{net::SocketAddr, sync::Arc};

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{Request, header},
};
use base64ct::{Base64, Encoding};
use criterion::{Criterion, criterion_group, criterion_main};
use tollgate_issuer::{AppState, Settings, admin::ClientSpec, store::SqliteStore};
use tower::ServiceExt as _;

const CAP: usize = 16 * 1024;

/// Appends `name=value&` pairs from `pair(i)` while they fit in `cap` bytes.
fn fill(mut body: String, cap: usize, pair: impl Fn(usize) -> String) -> String {
    for i in 0.. {
        let next = pair(i);
        if body.len() + next.len() + 1 > cap {
            break;
        }
        if !body.is_empty() {
            body.push('&');
        }
        body.push_str(&next);
    }
    body
}

/// The bodies to compare, with whether they carry the client's credentials.
fn bodies() -> Vec<(&'static str, String, bool)> {
    let grant = "grant_type=client_credentials".to_string();
    let prefix = "n".repeat(240);
    vec![
        ("normal", grant.clone(), true),
        // ~3,000 distinct short names: refused at the 65th.
        (
            "many_names",
            fill(String::new(), CAP, |i| format!("p{i}=")),
            false,
        ),
        // 64 distinct 240-byte names sharing a prefix, then a repeat of the first.
        (
            "long_names_repeat",
            {
                let mut body = fill(String::new(), CAP - 300, |i| {
                    if i < 63 {
                        format!("{prefix}{i:03}=")
                    } else {
                        String::new()
                    }
                });
                body.push_str(&format!("&{prefix}000="));
                body
            },
            false,
        ),
        // One 16 KiB percent-encoded value, no credentials.
        (
            "percent_value",
            format!("{grant}&scope={}", "%41".repeat((CAP - 50) / 3)),
            false,
        ),
        // 63 `resource` values, percent-encoded, with valid credentials (refused as
        // an unknown target after authentication).
        (
            "resources",
            fill(grant.clone(), CAP, |i| {
                if i < 62 {
                    format!("resource={}", "%2F".repeat(80))
                } else {
                    String::new()
                }
            }),
            true,
        ),
        // Separators only.
        ("separators", "&".repeat(CAP), false),
        // A valid request with a wrong secret.
        ("wrong_secret", grant, false),
    ]
}

fn request(body: &str, authorization: &str) -> Request<Body> {
    let mut request = Request::post("/oauth/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, authorization)
        .body(Body::from(body.to_string()))
        .unwrap();
    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

fn refused(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let (state, good, bad) = rt.block_on(async {
        let store = Arc::new(
            SqliteStore::open_path(&dir.path().join("t.db"))
                .await
                .unwrap(),
        );
        let mut settings = Settings::new("http://127.0.0.1:1");
        // The wrong-secret rows must not end in a lockout while measuring.
        settings.lockout = tollgate_issuer::store::LockoutPolicy::new(1000, 1, 1);
        let state = AppState::new(store, settings, None).await.unwrap();
        let created = tollgate_issuer::admin::create_client(&state, ClientSpec::new(["read"]))
            .await
            .unwrap();
        let id = created.client.client_id;
        let basic = |secret: &str| {
            format!(
                "Basic {}",
                Base64::encode_string(format!("{id}:{secret}").as_bytes())
            )
        };
        let good = basic(created.client_secret.as_str());
        let bad = basic("wrong");
        (state, good, bad)
    });
    let app = tollgate_issuer::app(state);
    let mut group = c.benchmark_group("token_request");
    for (name, body, authenticated) in bodies() {
        assert!(body.len() <= CAP, "{name} is {} bytes", body.len());
        let authorization = if authenticated { &good } else { &bad };
        let expect_ok = name == "normal";
        group.bench_function(name, |b| {
            b.iter(|| {
                let response = rt
                    .block_on(app.clone().oneshot(request(&body, authorization)))
                    .unwrap();
                assert_eq!(response.status().is_success(), expect_ok, "{name}");
            });
        });
    }
    group.finish();
}

criterion_group!(benches, refused);
criterion_main!(benches);
