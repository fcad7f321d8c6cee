//! Helpers shared by the integration tests: deterministic keys, the verifier configuration
//! the hostile corpus and its JSON fixture use, an order-preserving JSON object builder,
//! and a forger that signs arbitrary header and payload bytes (RFC 7515 §3.1 compact
//! serialization: `b64(header).b64(payload).b64(signature)`).

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::Signer as _;
use tollgate_core::{AccessToken, Claims, Jwks, Policy, SigningKey, Verifier, VerifyError};

/// The accepted issuer.
pub(crate) const ISSUER: &str = "https://auth.tollgate.test";
/// The accepted audience.
pub(crate) const AUDIENCE: &str = "https://api.tollgate.test";
/// The verification time, seconds since the epoch.
pub(crate) const NOW: i64 = 1_780_000_000;
/// Clock tolerance on `exp`, `nbf` and `iat`, in seconds.
pub(crate) const TOLERANCE: u64 = 30;
/// The same tolerance as a signed number of seconds, for time arithmetic.
pub(crate) const SKEW: i64 = 30;
/// Scopes every token in the corpus is checked for.
pub(crate) const REQUIRED_SCOPES: [&str; 1] = ["orders:read"];

/// The two keys of the published set, and an attacker's key that is in no set.
pub(crate) const KID_A: &str = "2026-05-a";
pub(crate) const KID_B: &str = "2026-05-b";
pub(crate) const SEED_A: [u8; 32] = [0xa1; 32];
pub(crate) const SEED_B: [u8; 32] = [0xb2; 32];
pub(crate) const SEED_ATTACKER: [u8; 32] = [0xee; 32];

/// Strict unpadded base64url (RFC 7515 §2).
pub(crate) fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes strict unpadded base64url, panicking on bad input (test data only).
pub(crate) fn unb64(text: &str) -> Vec<u8> {
    Base64UrlUnpadded::decode_vec(text).expect("test data is base64url")
}

/// Decodes hex, panicking on bad input (test data only).
pub(crate) fn hex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0, "odd-length hex");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("test data is hex"))
        .collect()
}

pub(crate) fn dalek(seed: &[u8; 32]) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(seed)
}

pub(crate) fn key_a() -> SigningKey {
    SigningKey::from_seed(KID_A, &SEED_A)
}

pub(crate) fn key_b() -> SigningKey {
    SigningKey::from_seed(KID_B, &SEED_B)
}

/// The published set: keys A and B, both with a `kid`.
pub(crate) fn jwks() -> Jwks {
    Jwks::new(vec![key_a().public_jwk(), key_b().public_jwk()]).expect("two distinct kids")
}

/// Issuer, audience and tolerance above; every other setting is the default
/// (8 KiB cap, `typ` `at+jwt`, RFC 9068 required claims).
pub(crate) fn policy() -> Policy {
    Policy::default()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .clock_tolerance(TOLERANCE)
}

pub(crate) fn verifier() -> Verifier {
    Verifier::new(jwks(), policy())
}

/// Verifies the way the corpus does: at [`NOW`], requiring [`REQUIRED_SCOPES`].
pub(crate) fn check(verifier: &Verifier, token: &str) -> Result<AccessToken, VerifyError> {
    verifier.verify_with_scopes(token, NOW, &REQUIRED_SCOPES)
}

/// `None` when accepted, else the stable error code.
pub(crate) fn outcome(result: &Result<AccessToken, VerifyError>) -> Option<&'static str> {
    result.as_ref().err().map(VerifyError::code)
}

/// Joins three already-chosen byte strings as a compact JWS.
pub(crate) fn compact(header: &[u8], payload: &[u8], signature: &[u8]) -> String {
    format!("{}.{}.{}", b64(header), b64(payload), b64(signature))
}

/// Signs `b64(header).b64(payload)` with `key`, whatever the bytes are.
pub(crate) fn forge(key: &ed25519_dalek::SigningKey, header: &[u8], payload: &[u8]) -> String {
    let signing_input = format!("{}.{}", b64(header), b64(payload));
    let signature = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64(&signature.to_bytes()))
}

/// The three segments of a compact token.
pub(crate) fn segments(token: &str) -> (&str, &str, &str) {
    let mut parts = token.splitn(3, '.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s)) => (h, p, s),
        _ => panic!("not a three-segment token: {token}"),
    }
}

/// A JSON object that keeps member order and may repeat names, so tokens are
/// byte-for-byte reproducible and can carry duplicates on purpose.
#[derive(Clone, Debug, Default)]
pub(crate) struct Obj(Vec<(String, String)>);

impl Obj {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Sets `name` to the raw JSON text `value`, replacing an earlier value.
    pub(crate) fn raw(mut self, name: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
        self
    }

    /// Appends `name` even if it is already present.
    pub(crate) fn repeat(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.push((name.to_string(), value.into()));
        self
    }

    pub(crate) fn str(self, name: &str, value: &str) -> Self {
        self.raw(name, json_string(value))
    }

    pub(crate) fn int(self, name: &str, value: i64) -> Self {
        self.raw(name, value.to_string())
    }

    pub(crate) fn without(mut self, name: &str) -> Self {
        self.0.retain(|(n, _)| n != name);
        self
    }

    pub(crate) fn json(&self) -> String {
        let members: Vec<String> = self
            .0
            .iter()
            .map(|(n, v)| format!("{}:{v}", json_string(n)))
            .collect();
        format!("{{{}}}", members.join(","))
    }
}

pub(crate) fn json_string(value: &str) -> String {
    serde_json::to_string(value).expect("a string always serialises")
}

/// The header Tollgate signs: `{"alg":"EdDSA","kid":...,"typ":"at+jwt"}`.
pub(crate) fn header(kid: &str) -> Obj {
    Obj::new()
        .str("alg", "EdDSA")
        .str("kid", kid)
        .str("typ", "at+jwt")
}

/// Typical RFC 9068 §2.2 claims, valid at [`NOW`] under [`policy`].
pub(crate) fn claims() -> Obj {
    Obj::new()
        .str("iss", ISSUER)
        .str("sub", "partner-42")
        .str("aud", AUDIENCE)
        .int("exp", NOW + 600)
        .int("iat", NOW - 5)
        .str("jti", "7f9c2ba4-e88f-4c0a-9d1b-3c5e8a2f6b10")
        .str("client_id", "partner-42")
        .str("scope", "orders:read orders:write")
}

/// `header` and `claims` signed by key A.
pub(crate) fn signed(header: &Obj, claims: &Obj) -> String {
    forge(
        &dalek(&SEED_A),
        header.json().as_bytes(),
        claims.json().as_bytes(),
    )
}

/// The same claims as [`claims`], as the typed [`Claims`] the issuer signs.
pub(crate) fn typical_claims() -> Claims {
    let mut claims = Claims::new(NOW + 600);
    claims.iss = Some(ISSUER.into());
    claims.sub = Some("partner-42".into());
    claims.aud.0.push(AUDIENCE.into());
    claims.iat = Some(NOW - 5);
    claims.jti = Some("7f9c2ba4-e88f-4c0a-9d1b-3c5e8a2f6b10".into());
    claims.client_id = Some("partner-42".into());
    claims.scope = Some("orders:read orders:write".into());
    claims
}
