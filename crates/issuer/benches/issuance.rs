//! The two pieces of cryptography every token costs — one Ed25519 signature (with
//! precomputed basepoint tables) and one HMAC-SHA-256 of the presented secret — measured
//! alone, so `scripts/bench` can put the whole request next to them.
//!
//! Run: `cargo bench -p tollgate-issuer --bench issuance`.

#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use tollgate_core::{Claims, SigningKey};
use tollgate_issuer::secrets::Hasher;
use zeroize::Zeroizing;

fn claims() -> Claims {
    let now = 1_780_000_000;
    let mut claims = Claims::new(now + 3600);
    claims.iss = Some("https://auth.example.com".into());
    claims.sub = Some("partner-42".into());
    claims.client_id = Some("partner-42".into());
    claims.aud.0.push("https://api.example.com".into());
    claims.iat = Some(now);
    claims.jti = Some("Q2xpZW50Q3JlZGVudGlhbHM".into());
    claims.scope = Some("orders:read orders:write".into());
    claims
}

fn bench(c: &mut Criterion) {
    let key = SigningKey::from_seed("bench", &[7u8; 32]);
    let claims = claims();
    let hasher = Hasher::new(Zeroizing::new([9u8; 32]));
    let secret = "4s3cr3t-0f-f0rty-thr33-ch4r4ct3rs-b4s364url";
    let mut group = c.benchmark_group("issuance");
    group.bench_function("ed25519_sign", |b| b.iter(|| key.sign(&claims).unwrap()));
    group.bench_function("hmac_client_secret", |b| {
        b.iter(|| hasher.client_secret(secret))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
