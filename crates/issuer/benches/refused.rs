//! CPU cost of refused token requests against a normal one, through the whole service
//! (layers, form parsing, authentication, signing) on a real SQLite store.
//!
//! Run: `nice -n 19 cargo bench -p tollgate-issuer --bench refused`. Each refused body is
//! the worst of its kind that fits the 16 KiB cap; a figure far above the normal request's
//! means an unauthenticated sender can buy our CPU cheaply.
//!
//! Besides criterion's wall-clock figures, a measured loop prints the process CPU time per
//! request (all threads, SQLite's included; Linux `schedstat`) and its ratio to the
//! normal request: on a shared machine that is the steadier figure.

#![allow(clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{Request, header},
};
use base64ct::{Base64, Encoding};
use criterion::{Criterion, criterion_group, criterion_main};
use tollgate_issuer::{AppState, Settings, admin::ClientSpec};
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

/// The bodies to compare, with whether they carry the client's credentials (refused
/// bodies without them carry none: failed-authentication bookkeeping is measured
/// elsewhere, and would lock the client during the run).
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
        // One 16 KiB percent-encoded scope, authenticated: decoded, then the client is
        // authenticated, then the scope is refused.
        (
            "percent_scope",
            format!("{grant}&scope={}", "%41".repeat((CAP - 50) / 3)),
            true,
        ),
        // ~500 space-separated scopes: each compared with the allowed ones.
        (
            "many_scopes",
            format!("{grant}&scope={}", "ab+".repeat((CAP - 50) / 3)),
            true,
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
        // A valid body without credentials.
        ("no_credentials", grant, false),
    ]
}

fn request(body: &str, authorization: Option<&str>) -> Request<Body> {
    let mut request = Request::post("/oauth/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap();
    if let Some(value) = authorization {
        let value = header::HeaderValue::from_str(value).unwrap();
        request.headers_mut().insert(header::AUTHORIZATION, value);
    }
    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

/// A runtime, the store's directory, the service, and the client's Basic credentials.
fn setup() -> (
    tokio::runtime::Runtime,
    tempfile::TempDir,
    axum::Router,
    String,
) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let (state, good) = rt.block_on(async {
        let store = tollgate_issuer::store::open_path(&dir.path().join("t.db"))
            .await
            .unwrap();
        let settings = Settings::new("http://127.0.0.1:1");
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
        (state, basic(created.client_secret.as_str()))
    });
    (rt, dir, tollgate_issuer::app(state), good)
}

fn refused(c: &mut Criterion) {
    let (rt, _dir, app, good) = setup();
    let mut group = c.benchmark_group("token_request");
    for (name, body, authenticated) in bodies() {
        assert!(body.len() <= CAP, "{name} is {} bytes", body.len());
        let authorization = authenticated.then_some(good.as_str());
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

/// CPU time of every thread of this process so far (Linux; `None` elsewhere).
fn process_cpu() -> Option<std::time::Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path().join("schedstat");
        let text = std::fs::read_to_string(path).ok()?;
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(std::time::Duration::from_nanos(total))
}

/// CPU per request for each body over a fixed number of requests, and its ratio to the
/// normal request's.
fn cpu_per_request(_: &mut Criterion) {
    const REQUESTS: u32 = 3_000;
    let Some(_) = process_cpu() else {
        return;
    };
    let (rt, _dir, app, good) = setup();
    // Warm up: prepared statements, caches, the allocator.
    let (_, warm, _) = &bodies()[0];
    for _ in 0..REQUESTS / 10 {
        rt.block_on(app.clone().oneshot(request(warm, Some(&good))))
            .unwrap();
    }
    let mut normal = None;
    println!("\nCPU per request ({REQUESTS} requests each):");
    for (name, body, authenticated) in bodies() {
        let authorization = authenticated.then_some(good.as_str());
        let before = process_cpu().unwrap();
        for _ in 0..REQUESTS {
            let response = rt
                .block_on(app.clone().oneshot(request(&body, authorization)))
                .unwrap();
            assert_eq!(response.status().is_success(), name == "normal", "{name}");
        }
        let per = (process_cpu().unwrap() - before) / REQUESTS;
        let base = *normal.get_or_insert(per);
        println!(
            "  {name:<18} {:>8.1} µs  {:.2}× normal",
            per.as_secs_f64() * 1e6,
            per.as_secs_f64() / base.as_secs_f64()
        );
    }
}

criterion_group!(benches, refused, cpu_per_request);
criterion_main!(benches);
