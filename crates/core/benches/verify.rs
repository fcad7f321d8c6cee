//! Verify of a typical token against the raw `verify_strict` of the same bytes.
//!
//! The token carries the RFC 9068 §2.2 claims a Tollgate issuer puts in a client
//! credentials token. `raw_verify_strict` checks the same signature over the same signing
//! input with the bytes already decoded: the difference is what the JWT layer costs
//! (size cap, base64url, header, key selection, claims). `parse` is the part before the
//! signature, for reference.
//!
//! Run with `cargo bench -p tollgate-core --bench verify`; results are in the crate README.

use core::{hint::black_box, time::Duration};
use std::time::Instant;

use base64ct::{Base64UrlUnpadded, Encoding};
use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::Signature;
use tollgate_core::{Claims, Jwks, Policy, SigningKey, Verifier};

const NOW: i64 = 1_780_000_000;

fn typical_claims() -> Claims {
    let mut claims = Claims::new(NOW + 3600);
    claims.iss = Some("https://auth.example.com".into());
    claims.sub = Some("partner-42".into());
    claims.aud.0.push("https://api.example.com".into());
    claims.iat = Some(NOW);
    claims.jti = Some("01JQ6Z8Y2V6M3K7T9W4X5N0P1R".into());
    claims.client_id = Some("partner-42".into());
    claims.scope = Some("orders:read orders:write".into());
    claims
}

fn bench(c: &mut Criterion) {
    let key = SigningKey::from_seed("2026-05", &[7; 32]);
    let other = SigningKey::from_seed("2026-02", &[8; 32]);
    let jwks = Jwks::new(vec![other.public_jwk(), key.public_jwk()]).expect("two keys");
    let verifier = Verifier::new(
        jwks,
        Policy::default()
            .issuer("https://auth.example.com")
            .audience("https://api.example.com")
            .clock_tolerance(30),
    );
    let token = key.sign(&typical_claims()).expect("signable");
    println!("token: {} bytes", token.len());
    assert!(
        verifier
            .verify_with_scopes(&token, NOW, &["orders:read"])
            .is_ok()
    );

    let (signing_input, encoded) = token.rsplit_once('.').expect("three segments");
    let signature = Base64UrlUnpadded::decode_vec(encoded).expect("base64url");
    let signature = Signature::from_slice(&signature).expect("64 bytes");
    let public = *key.public_jwk().verifying_key();
    assert!(
        public
            .verify_strict(signing_input.as_bytes(), &signature)
            .is_ok()
    );

    let jwt = || verifier.verify(black_box(&token), black_box(NOW)).is_ok();
    let raw = || {
        black_box(&public)
            .verify_strict(black_box(signing_input.as_bytes()), black_box(&signature))
            .is_ok()
    };

    // The two are measured interleaved: each timed call is followed by an untimed call of
    // the other, so both see the same machine load and the ratio stays meaningful on a
    // busy host.
    let mut group = c.benchmark_group("verify");
    group.bench_function("jwt_verify", |b| b.iter_custom(|n| paired(n, jwt, raw)));
    group.bench_function("raw_verify_strict", |b| {
        b.iter_custom(|n| paired(n, raw, jwt))
    });
    group.bench_function("parse_only", |b| {
        b.iter(|| verifier.parse(black_box(&token)).map(|_| ()))
    });
    group.finish();
}

/// Total time of `n` calls of `timed`, each followed by an untimed call of `other`.
fn paired(n: u64, timed: impl Fn() -> bool, other: impl Fn() -> bool) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..n {
        let start = Instant::now();
        let ok = timed();
        total += start.elapsed();
        assert!(ok && other());
    }
    total
}

criterion_group! {
    name = benches;
    // Bounded so a full run takes about a minute.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(15))
        .sample_size(60);
    targets = bench
}
criterion_main!(benches);
