//! Checks for the core's parsers: the token pipeline, key sets, the `Bearer` header, and a
//! differential of our verifier against jwt-compact and raw `verify_strict`.
//!
//! Every check is a function of the input bytes alone (fixed keys, fixed clock), and
//! panics only on a broken property, never on refused input.

use std::borrow::Cow;

use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::{Signature, Signer as _, VerifyingKey};
use jwt_compact::{Algorithm, AlgorithmExt as _, UntrustedToken, ValidationError};
use tollgate_core::{Claims, Jwk, Jwks, Policy, SigningKey, Verifier, VerifyError, bearer};

/// The verification time, seconds since the epoch.
pub const NOW: i64 = 1_780_000_000;
/// The accepted issuer and audience.
pub const ISSUER: &str = "https://auth.tollgate.test";
pub const AUDIENCE: &str = "https://api.tollgate.test";
/// The two published keys, and a key in no set.
pub const KID_A: &str = "2026-05-a";
pub const KID_B: &str = "2026-05-b";
const SEED_A: [u8; 32] = [0xa1; 32];
const SEED_B: [u8; 32] = [0xb2; 32];
const SEED_ATTACKER: [u8; 32] = [0xee; 32];

/// The header a differential case gets when its input names none.
const DEFAULT_HEADER: &str = r#"{"alg":"EdDSA","kid":"2026-05-a","typ":"at+jwt"}"#;
/// The order of the Ed25519 group, little-endian (RFC 8032 §5.1).
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The fixed key set and policy every check runs against.
#[derive(Debug)]
pub struct Fixture {
    verifier: Verifier,
    a: ed25519_dalek::SigningKey,
    b: ed25519_dalek::SigningKey,
    attacker: ed25519_dalek::SigningKey,
    /// A token key A signed, checked against every accepted key set.
    signed_by_a: String,
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

impl Fixture {
    /// Keys A and B published with their `kid`s; issuer, audience and 30 s tolerance.
    pub fn new() -> Self {
        let jwks = Jwks::new(vec![
            SigningKey::from_seed(KID_A, &SEED_A).public_jwk(),
            SigningKey::from_seed(KID_B, &SEED_B).public_jwk(),
        ])
        // invariant: two distinct kids on two valid keys.
        .expect("the fixture key set is valid");
        let policy = Policy::default()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .clock_tolerance(30);
        let a = ed25519_dalek::SigningKey::from_bytes(&SEED_A);
        Self {
            verifier: Verifier::new(jwks, policy),
            signed_by_a: sign(&a, DEFAULT_HEADER.as_bytes(), b"{}"),
            a,
            b: ed25519_dalek::SigningKey::from_bytes(&SEED_B),
            attacker: ed25519_dalek::SigningKey::from_bytes(&SEED_ATTACKER),
        }
    }

    /// The published verification key with this `kid`.
    fn public(&self, kid: &str) -> Option<VerifyingKey> {
        match kid {
            KID_A => Some(self.a.verifying_key()),
            KID_B => Some(self.b.verifying_key()),
            _ => None,
        }
    }
}

/// Arbitrary bytes as a token, and as a claims payload.
pub fn token(fx: &Fixture, data: &[u8]) {
    checked_verdict(fx, &String::from_utf8_lossy(data));
    if let Ok(claims) = Claims::from_json(data) {
        // invariant: claims that were read never shadow a registered name.
        let json = claims.to_json().expect("read claims serialise");
        let again = Claims::from_json(json.as_bytes());
        assert_eq!(again.as_ref(), Ok(&claims), "claims round-trip: {json}");
    }
}

/// Arbitrary bytes as a key set and as one key: what is accepted is usable and round-trips.
pub fn jwks(fx: &Fixture, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(set) = Jwks::from_json(&text) {
        assert!(!set.keys().is_empty(), "an accepted set has a key");
        for (i, key) in set.keys().iter().enumerate() {
            assert!(!key.verifying_key().is_weak(), "small-order key accepted");
            assert_eq!(
                key.thumbprint().len(),
                43,
                "thumbprint is 32 bytes in base64url"
            );
            let repeated = set.keys()[..i].iter().any(|k| k.kid() == key.kid());
            assert!(!repeated, "repeated kid accepted");
        }
        assert_eq!(
            Jwks::from_json(&set.to_json()).as_ref(),
            Ok(&set),
            "set round-trip"
        );
        let verifier = Verifier::new(set, Policy::default());
        let _ = verifier.verify(&fx.signed_by_a, NOW);
    }
    if let Ok(key) = Jwk::from_json(&text) {
        let again = Jwk::from_json(&key.to_value().to_string());
        assert_eq!(again.as_ref(), Ok(&key), "key round-trip");
    }
}

/// Arbitrary bytes as an `Authorization` value: a token found is one `b64token` of it.
pub fn bearer(data: &[u8]) {
    let value = String::from_utf8_lossy(data);
    match bearer::token_from_header(Some(&value)) {
        Ok(token) => {
            assert!(value.contains(token), "the token comes from the header");
            let body = token.trim_end_matches('=');
            let b64 = |c: char| c.is_ascii_alphanumeric() || "-._~+/".contains(c);
            assert!(
                !body.is_empty() && body.chars().all(b64),
                "b64token: {token:?}"
            );
            let again = format!("Bearer {token}");
            assert_eq!(bearer::token_from_header(Some(&again)), Ok(token));
        }
        Err(err) => assert!(matches!(err.status(), 400 | 401), "{err:?}"),
    }
}

/// A token signed from the input, mutated, then judged by three verifiers that must agree.
pub fn differential(fx: &Fixture, data: &[u8]) {
    let _ = differential_verdict(fx, data);
}

/// [`differential`], returning the agreed signature verdict (`None`: the token was refused
/// before its signature) and whether jwt-compact gave one too.
pub fn differential_verdict(fx: &Fixture, data: &[u8]) -> Option<(bool, bool)> {
    let token = Case::read(data)?.token(fx);
    // Only structurally valid tokens (ours reached the signature) are compared.
    let ours = verdict(fx, &token)?;
    let raw = raw_verdict(fx, &token);
    assert_eq!(Some(ours), raw, "ours vs verify_strict on {token}");
    let reference = jwt_compact_verdict(fx, &token);
    if let Some(reference) = reference {
        assert_eq!(ours, reference, "ours vs jwt-compact on {token}");
    }
    Some((ours, reference.is_some()))
}

/// Our verdict, and a check that an accepted signature is one `verify_strict` accepts.
fn checked_verdict(fx: &Fixture, token: &str) {
    if verdict(fx, token) == Some(true) {
        assert_eq!(
            raw_verdict(fx, token),
            Some(true),
            "accepted a bad signature: {token}"
        );
    }
}

/// Our verdict on the signature: `None` when the token was refused before the signature
/// was checked.
fn verdict(fx: &Fixture, token: &str) -> Option<bool> {
    let result = fx.verifier.verify(token, NOW);
    if let Err(err) = &result {
        assert!(!err.code().is_empty(), "every refusal has a code");
        assert!(matches!(err.bearer_error().status(), 400..=403), "{err:?}");
    }
    match result {
        Ok(_) | Err(VerifyError::Claims(_)) => Some(true),
        Err(VerifyError::Signature(_)) => Some(false),
        Err(_) => None,
    }
}

/// `verify_strict` on the signed part, with the key the header's `kid` names; `None` when
/// the token has no such structure.
fn raw_verdict(fx: &Fixture, token: &str) -> Option<bool> {
    let (signed, signature) = token.rsplit_once('.')?;
    let (header, _) = signed.split_once('.')?;
    let header = Base64UrlUnpadded::decode_vec(header).ok()?;
    let header: serde_json::Value = serde_json::from_slice(&header).ok()?;
    let key = fx.public(header.get("kid")?.as_str()?)?;
    let Ok(signature) = Base64UrlUnpadded::decode_vec(signature) else {
        return Some(false);
    };
    let Ok(signature) = Signature::from_slice(&signature) else {
        return Some(false);
    };
    Some(key.verify_strict(signed.as_bytes(), &signature).is_ok())
}

/// jwt-compact's parser and integrity check with a `verify_strict` algorithm; `None` when
/// it cannot parse the token or its claims.
fn jwt_compact_verdict(fx: &Fixture, token: &str) -> Option<bool> {
    let untrusted = UntrustedToken::new(token).ok()?;
    let key = fx.public(untrusted.header().key_id.as_deref()?)?;
    match ReferenceEd25519
        .validator::<serde_json::Value>(&key)
        .validate(&untrusted)
    {
        Ok(_) => Some(true),
        Err(
            ValidationError::InvalidSignature
            | ValidationError::InvalidSignatureLen { .. }
            | ValidationError::MalformedSignature(_),
        ) => Some(false),
        Err(_) => None,
    }
}

/// `EdDSA` as a plain jwt-compact algorithm over dalek's `verify_strict`.
struct ReferenceEd25519;

impl Algorithm for ReferenceEd25519 {
    type SigningKey = ed25519_dalek::SigningKey;
    type VerifyingKey = VerifyingKey;
    type Signature = Signature;

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("EdDSA")
    }

    fn sign(&self, key: &Self::SigningKey, message: &[u8]) -> Signature {
        key.sign(message)
    }

    fn verify_signature(&self, signature: &Signature, key: &VerifyingKey, message: &[u8]) -> bool {
        key.verify_strict(message, signature).is_ok()
    }
}

/// `b64(header).b64(payload).b64(signature)` signed by `key`.
fn sign(key: &ed25519_dalek::SigningKey, header: &[u8], payload: &[u8]) -> String {
    let signed = format!("{}.{}", b64(header), b64(payload));
    let signature = key.sign(signed.as_bytes());
    format!("{signed}.{}", b64(&signature.to_bytes()))
}

fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// What is done to a freshly signed token before it is judged.
#[derive(Clone, Copy, Debug)]
enum Mutation {
    None,
    FlipSignatureBit,
    /// S + L: the same signature with a non-canonical scalar (malleability).
    NonCanonicalS,
    /// R = identity, S = 0: the forgery that works under small-order keys.
    SmallOrderForgery,
    /// Signed by a key in no set, under a published `kid`.
    AttackerKey,
    /// Signed by the other published key.
    OtherKey,
    TamperSignedPart,
    TruncateSignature,
    PadSignature,
    HighBitS,
}

const MUTATIONS: [Mutation; 10] = [
    Mutation::None,
    Mutation::FlipSignatureBit,
    Mutation::NonCanonicalS,
    Mutation::SmallOrderForgery,
    Mutation::AttackerKey,
    Mutation::OtherKey,
    Mutation::TamperSignedPart,
    Mutation::TruncateSignature,
    Mutation::PadSignature,
    Mutation::HighBitS,
];

/// A differential input: mutation byte, two argument bytes, then `header 0xFF payload`, or
/// only the payload under [`DEFAULT_HEADER`]. (0xFF never occurs in UTF-8 JSON.)
#[derive(Debug)]
struct Case<'a> {
    mutation: Mutation,
    args: [u8; 2],
    header: &'a [u8],
    payload: &'a [u8],
}

impl<'a> Case<'a> {
    fn read(data: &'a [u8]) -> Option<Self> {
        let [kind, a, b, rest @ ..] = data else {
            return None;
        };
        let (header, payload) = match rest.iter().position(|&byte| byte == 0xff) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (DEFAULT_HEADER.as_bytes(), rest),
        };
        Some(Self {
            mutation: MUTATIONS[usize::from(*kind) % MUTATIONS.len()],
            args: [*a, *b],
            header,
            payload,
        })
    }

    fn token(&self, fx: &Fixture) -> String {
        let key = match self.mutation {
            Mutation::AttackerKey => &fx.attacker,
            Mutation::OtherKey => &fx.b,
            _ => &fx.a,
        };
        let token = sign(key, self.header, self.payload);
        let (signed, signature) = token
            .rsplit_once('.')
            // invariant: `sign` joins three segments with dots.
            .expect("a signed token has a signature segment");
        let mut sig = Base64UrlUnpadded::decode_vec(signature)
            // invariant: `sign` wrote the segment in base64url.
            .expect("our own signature segment decodes");
        let [a, b] = self.args.map(usize::from);
        match self.mutation {
            Mutation::FlipSignatureBit => sig[a % 64] ^= 1 << (b % 8),
            Mutation::NonCanonicalS => add_group_order(&mut sig[32..]),
            Mutation::SmallOrderForgery => {
                sig.fill(0);
                sig[0] = 1;
            }
            Mutation::HighBitS => sig[63] |= 0x80,
            _ => {}
        }
        let mut signed = signed.to_string();
        let mut signature = b64(&sig);
        match self.mutation {
            Mutation::TamperSignedPart => {
                let i = a % signed.len();
                let c = if signed.as_bytes()[i] == b'A' {
                    "B"
                } else {
                    "A"
                };
                signed.replace_range(i..=i, c);
            }
            Mutation::TruncateSignature => signature.truncate(signature.len() - 1 - a % 4),
            Mutation::PadSignature => signature.push_str(if b % 2 == 0 { "=" } else { "==" }),
            _ => {}
        }
        format!("{signed}.{signature}")
    }
}

/// `s += L` on a little-endian 32-byte scalar (no overflow: s < 2^253 and L < 2^253).
fn add_group_order(s: &mut [u8]) {
    let mut carry = 0u16;
    for (byte, order) in s.iter_mut().zip(GROUP_ORDER) {
        let sum = u16::from(*byte) + u16::from(order) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
}
