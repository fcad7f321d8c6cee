//! RFC 6819 §4.3.5 (online guessing): the token endpoint does not tell, by its answer or its
//! time, a disabled client from a known client with a wrong secret. An unknown id gets the
//! same answer bytes; its time is reported (its failure is counted in memory, not in the
//! store, so it is faster — client ids are not secrets).
//!
//! A real `tollgate serve` process on 127.0.0.1 with a real SQLite file. Requests of the
//! classes compared are interleaved (rotating order, one keep-alive connection) so that
//! drift and load on the shared machine hit every class alike. For each class pair the
//! shift is the Hodges–Lehmann estimate (median of all pairwise differences) with its
//! distribution-free Moses confidence interval at 99.9 %. "Indistinguishable" is an
//! equivalence test: the whole interval lies within ±`MARGIN` of the median request time.
//! A positive control (a malformed Basic header, refused before any lookup) must come out
//! *distinguishable* under the same rule, so the test is known to have the power to fail.
//!
//! The lockout would lock an id after a few failures: the server runs with
//! `--lockout-threshold 1000`, above the samples sent per id.

// Helpers outside #[test] functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::{
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

use base64ct::{Base64, Encoding};
use tempfile::TempDir;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

const BIN: &str = env!("CARGO_BIN_EXE_tollgate");
/// Requests per class; below the lockout threshold the server runs with.
const SAMPLES: usize = 400;
const LOCKOUT_THRESHOLD: &str = "1000";
/// Warm-up requests per class, not counted (connection, caches, first failure rows).
const WARM_UP: usize = 20;
/// Equivalence margin, as a fraction of the median request time.
const MARGIN: f64 = 0.10;
/// z for a two-sided 99.9 % interval.
const Z: f64 = 3.29;
/// Wall-clock bound on the whole measurement.
const TIME_BOUND: Duration = Duration::from_secs(20);

/// Runs the binary to completion in `dir`; panics with its stderr on failure.
async fn tollgate(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .current_dir(dir)
        .env_clear()
        .args(args)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// Creates a client and returns its secret.
async fn create_client(dir: &Path, id: &str) -> String {
    let args = ["client", "create", "--id", id, "--scope", "read", "--json"];
    let created: serde_json::Value = serde_json::from_str(&tollgate(dir, &args).await).unwrap();
    created["client_secret"].as_str().unwrap().to_string()
}

/// `tollgate serve` on a free port; returns the process and its base URL.
async fn serve(dir: &Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .current_dir(dir)
        .env_clear()
        .env("RUST_LOG", "error")
        .args(["serve", "--listen", "127.0.0.1:0", "--admin-listen", "off"])
        .args(["--lockout-threshold", LOCKOUT_THRESHOLD])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(addr) = line.strip_prefix("listening on ") {
                return format!("http://{addr}");
            }
        }
        panic!("tollgate exited before listening");
    };
    let base = tokio::time::timeout(Duration::from_secs(30), listening)
        .await
        .unwrap();
    (child, base)
}

/// RFC 6749 §2.3.1 `client_secret_basic`.
fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        Base64::encode_string(format!("{id}:{secret}").as_bytes())
    )
}

/// One timed `client_credentials` request; asserts the answer is `status` and returns
/// the time to the last body byte, with the body.
async fn timed(http: &reqwest::Client, url: &str, authorization: &str) -> (f64, u16, String) {
    let start = Instant::now();
    let response = http
        .post(url)
        .header("authorization", authorization)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    (start.elapsed().as_secs_f64() * 1e6, status, body)
}

/// Hodges–Lehmann shift of `b` over `a` and its Moses confidence interval (µs).
fn shift(a: &[f64], b: &[f64]) -> (f64, f64, f64) {
    let mut diffs: Vec<f64> = b
        .iter()
        .flat_map(|y| a.iter().map(move |x| y - x))
        .collect();
    diffs.sort_by(f64::total_cmp);
    let (n, m) = (a.len() as f64, b.len() as f64);
    let sd = (n * m * (n + m + 1.0) / 12.0).sqrt();
    // The k-th smallest and largest differences bound the interval (normal approximation
    // of the Mann-Whitney critical value).
    let k = ((n * m / 2.0 - Z * sd).floor() as usize).max(1);
    let median = diffs[diffs.len() / 2];
    (median, diffs[k - 1], diffs[diffs.len() - k])
}

fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// The classes of request measured, by `Authorization` value.
struct Classes {
    wrong_secret: String,
    disabled: String,
    unknown: String,
    malformed: String,
}

#[tokio::test]
async fn rfc6819_disabled_client_and_wrong_secret_are_indistinguishable() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    // The server creates the store; the CLI registers clients beside it.
    let (_server, base) = serve(d).await;
    // Ids of one length, secrets of one length: only the state of the client differs.
    let known_secret = create_client(d, "timing-known").await;
    let disabled_secret = create_client(d, "timing-dsbld").await;
    tollgate(d, &["client", "disable", "timing-dsbld"]).await;
    let wrong = "x".repeat(known_secret.len());
    let classes = Classes {
        wrong_secret: basic("timing-known", &wrong),
        disabled: basic("timing-dsbld", &disabled_secret),
        unknown: basic("timing-unknw", &wrong),
        malformed: "Basic !".to_string(),
    };
    let url = format!("{base}/oauth/token");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();

    let order = [
        &classes.wrong_secret,
        &classes.disabled,
        &classes.unknown,
        &classes.malformed,
    ];
    let mut samples: [Vec<f64>; 4] = Default::default();
    let mut bodies: [Option<(u16, String)>; 4] = Default::default();
    let started = Instant::now();
    for round in 0..WARM_UP + SAMPLES {
        assert!(started.elapsed() < TIME_BOUND, "measurement took too long");
        // Rotate which class goes first, so none always follows the same one.
        for i in (0..order.len()).map(|i| (i + round) % order.len()) {
            let (micros, status, body) = timed(&http, &url, order[i]).await;
            let expected = bodies[i].get_or_insert_with(|| (status, body.clone()));
            assert_eq!((status, &body), (expected.0, &expected.1), "answers vary");
            if round >= WARM_UP {
                samples[i].push(micros);
            }
        }
    }
    let [wrong_secret, disabled, unknown, malformed] = &samples;

    // Same answer: status and body byte for byte.
    assert_eq!(bodies[0].as_ref().map(|b| b.0), Some(401));
    assert_eq!(
        bodies[0], bodies[1],
        "disabled and wrong-secret answers differ"
    );
    assert_eq!(
        bodies[0], bodies[2],
        "unknown-id and wrong-secret answers differ"
    );
    assert_eq!(bodies[3].as_ref().map(|b| b.0), Some(400));

    let margin = MARGIN * median(wrong_secret);
    let report = |name: &str, other: &[f64]| {
        let (hl, low, high) = shift(wrong_secret, other);
        eprintln!(
            "{name}: median {:.0} µs vs wrong secret {:.0} µs; shift {hl:+.1} µs, \
             99.9 % CI [{low:+.1}, {high:+.1}], margin ±{margin:.1}",
            median(other),
            median(wrong_secret),
        );
        (low, high)
    };
    let (low, high) = report("disabled", disabled);
    let (u_low, u_high) = report("unknown id", unknown);
    let (c_low, c_high) = report("malformed (control)", malformed);
    eprintln!(
        "{} requests in {:?}",
        4 * (WARM_UP + SAMPLES),
        started.elapsed()
    );

    assert!(
        c_high < -margin || c_low > margin,
        "the control is not distinguishable: the test has no power on this machine"
    );
    assert!(
        -margin < low && high < margin,
        "a disabled client is distinguishable"
    );
    // Unknown ids answer byte for byte like wrong secrets, but their failures are kept in
    // memory instead of written to the store: faster, and measurably so. Client ids are
    // not secrets (every token carries one); the figure is reported, not bounded.
    eprintln!(
        "unknown id: shift interval [{u_low:+.1}, {u_high:+.1}] µs (not bounded: ids are not secrets)"
    );
}
