//! Key handling: RFC 8037 §2 OKP JWKs and RFC 7517 §5 key sets, both ways; refusal of
//! weak (small-order) keys, private members, duplicate or missing `kid`s, wrong `kty`,
//! `crv`, `alg`, `use` and `key_ops`, and bad `x` encodings (RFC 8032 §5.1.3); and the
//! small-order forgery that `verify_strict` (RFC 8032 §5.1.7 with the cofactorless,
//! small-order-refusing check) stops.

mod common;

use common::{KID_A, KID_B, NOW, b64, claims, dalek, forge, header, hex, jwks, key_a, policy};
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use jwt_compact::Algorithm as _;
use tollgate_core::{Jwk, Jwks, KeyError, Policy, SigningKey, StrictEd25519, Verifier};

/// The eight points of the 8-torsion subgroup (RFC 7748 §5 / the small-order points
/// RFC 8032 verifiers must handle): identity, orders 2, 4 and 8.
const SMALL_ORDER: [&str; 8] = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
];

fn set_of(jwk: &str) -> String {
    format!(r#"{{"keys":[{jwk}]}}"#)
}

fn okp(x: &str) -> String {
    format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","kid":"k"}}"#)
}

fn load_code(json: &str) -> &'static str {
    Jwks::from_json(json)
        .map(|_| "ok")
        .unwrap_or_else(|e| e.code())
}

/// `x` with the low (trailing, unused) bit of its last character set: same bytes to a
/// lenient decoder, refused by a strict one (RFC 4648 §3.5).
fn low_bit_set(x: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = x.as_bytes()[x.len() - 1];
    let index = ALPHABET.iter().position(|&c| c == last).expect("base64url");
    format!("{}{}", &x[..x.len() - 1], char::from(ALPHABET[index | 1]))
}

fn good_x() -> String {
    b64(key_a().public_jwk().verifying_key().as_bytes())
}

#[test]
fn rfc8037_jwks_round_trip() {
    let set = jwks();
    let json = set.to_json();
    assert_eq!(Jwks::from_json(&json), Ok(set.clone()));
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let first = &value["keys"][0];
    let members: Vec<&str> = first
        .as_object()
        .expect("a JWK is an object")
        .keys()
        .map(String::as_str)
        .collect();
    // Exactly the public members of RFC 8037 §2 plus kid/alg/use; never `d`.
    let mut sorted = members.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["alg", "crv", "kid", "kty", "use", "x"]);
    assert_eq!(first["kty"], "OKP");
    assert_eq!(first["crv"], "Ed25519");
    assert_eq!(first["alg"], "EdDSA");
    assert_eq!(first["use"], "sig");
    assert_eq!(first["kid"], KID_A);
    assert_eq!(first["x"], good_x());
    // One JWK alone reads back too.
    assert_eq!(
        Jwk::from_json(&first.to_string()).as_ref(),
        Ok(&set.keys()[0])
    );
}

#[test]
fn rfc8032_small_order_keys_are_refused_as_weak() {
    for point in SMALL_ORDER {
        let bytes: [u8; 32] = hex(point).try_into().expect("32 bytes");
        let key = VerifyingKey::from_bytes(&bytes).expect("small-order points decode");
        assert!(key.is_weak(), "{point} is small-order");
        assert_eq!(
            load_code(&set_of(&okp(&b64(&bytes)))),
            "jwk_weak",
            "{point}"
        );
        assert_eq!(
            Jwk::new(Some("w".into()), key),
            Err(KeyError::WeakKey("w".into()))
        );
    }
}

#[test]
fn rfc8032_small_order_forgery_is_refused_by_verify_strict() {
    // Under the identity key, R = identity and S = 0 satisfy [S]B = R + [k]A for every
    // message: a lenient verifier accepts this "signature" on anything.
    let identity: [u8; 32] = hex(SMALL_ORDER[0]).try_into().expect("32 bytes");
    let weak = VerifyingKey::from_bytes(&identity).expect("identity decodes");
    let mut forged = [0u8; 64];
    forged[..32].copy_from_slice(&identity);
    let forged = Signature::from_bytes(&forged);
    for message in [&b"eyJhbGciOiJFZERTQSJ9.e30"[..], b"", b"any message at all"] {
        assert!(
            weak.verify(message, &forged).is_ok(),
            "lenient verify accepts"
        );
        assert!(!StrictEd25519.verify_signature(&forged, &weak, message));
    }
    // jwt-compact's stock Ed25519 verifies leniently: this is why Tollgate does not use it.
    let stock = jwt_compact::alg::Ed25519;
    assert!(stock.verify_signature(&forged, &weak, b"anything"));
}

#[test]
fn rfc8032_small_order_r_is_refused_under_a_good_key() {
    let key = dalek(&common::SEED_A);
    let good = key.verifying_key();
    for point in SMALL_ORDER {
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(&hex(point));
        let signature = Signature::from_bytes(&bytes);
        assert!(
            !StrictEd25519.verify_signature(&signature, &good, b"m"),
            "{point}"
        );
    }
}

#[test]
fn rfc8032_5_1_3_non_canonical_y_is_refused() {
    // y = p + 3 (p = 2^255 - 19): decodes in dalek to the point with y = 3, which is not
    // small-order; RFC 8032 §5.1.3 says decoding fails when y >= p.
    let mut bytes = [0xffu8; 32];
    bytes[0] = 0xed + 3;
    bytes[31] = 0x7f;
    let key = VerifyingKey::from_bytes(&bytes).expect("dalek decodes y >= p");
    assert!(!key.is_weak());
    assert_eq!(load_code(&set_of(&okp(&b64(&bytes)))), "jwk_invalid");
    assert_eq!(
        Jwk::new(None, key),
        Err(KeyError::InvalidKey(String::new()))
    );
}

#[test]
fn rfc8037_2_bad_x_is_invalid() {
    let x = good_x();
    let key = key_a().public_jwk();
    let bytes = key.verifying_key().as_bytes();
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2; // y = 2: x² has no square root.
    let cases = [
        ("31 bytes", b64(&bytes[..31])),
        ("33 bytes", b64(&[bytes.as_slice(), &[0]].concat())),
        ("empty", String::new()),
        ("padded", format!("{x}=")),
        (
            "standard alphabet",
            b64(&[0xfb; 32]).replace('-', "+").replace('_', "/"),
        ),
        ("non-canonical trailing bits", low_bit_set(&x)),
        ("not a point", b64(&not_a_point)),
    ];
    for (name, bad) in cases {
        assert_ne!(bad, x, "{name}");
        assert_eq!(load_code(&set_of(&okp(&bad))), "jwk_invalid", "{name}");
    }
    assert_eq!(
        load_code(&set_of(r#"{"kty":"OKP","crv":"Ed25519","kid":"k"}"#)),
        "jwk_invalid",
        "missing x"
    );
}

#[test]
fn rfc8037_2_wrong_key_types_are_unsupported() {
    let x = good_x();
    let cases = [
        format!(r#"{{"kty":"EC","crv":"Ed25519","x":"{x}"}}"#),
        format!(r#"{{"kty":"oct","k":"{x}"}}"#),
        format!(r#"{{"kty":"RSA","n":"{x}","e":"AQAB"}}"#),
        format!(r#"{{"kty":"OKP","crv":"X25519","x":"{x}"}}"#),
        format!(r#"{{"kty":"OKP","crv":"Ed448","x":"{x}"}}"#),
        format!(r#"{{"kty":"OKP","x":"{x}"}}"#),
        format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","alg":"ES256"}}"#),
        format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","alg":"ed25519"}}"#),
        format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","alg":"Ed448"}}"#),
        format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","use":"enc"}}"#),
        format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","key_ops":["sign"]}}"#),
    ];
    for jwk in cases {
        assert_eq!(load_code(&set_of(&jwk)), "jwk_unsupported", "{jwk}");
    }
    // The permitted optional members are accepted, `alg` under either name (RFC 9864 §2.2).
    for ok in [
        format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","key_ops":["verify"]}}"#),
        format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","alg":"EdDSA"}}"#),
        format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","alg":"Ed25519"}}"#),
    ] {
        assert_eq!(load_code(&set_of(&ok)), "ok", "{ok}");
    }
}

#[test]
fn rfc7517_private_members_are_refused() {
    let x = good_x();
    let d = b64(&common::SEED_A);
    let jwk = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","d":"{d}","kid":"k"}}"#);
    assert_eq!(load_code(&set_of(&jwk)), "jwk_private");
    assert_eq!(Jwk::from_json(&jwk), Err(KeyError::PrivateKey("k".into())));
    // `d` is refused whatever else the key is.
    assert_eq!(
        load_code(&set_of(r#"{"kty":"RSA","d":"AQAB"}"#)),
        "jwk_private"
    );
}

#[test]
fn rfc7517_5_set_shape_and_kid_rules() {
    let a = key_a().public_jwk().to_value();
    let b = common::key_b().public_jwk().to_value();
    let mut a_again = b.clone();
    a_again["kid"] = KID_A.into();
    let mut no_kid = b.clone();
    no_kid.as_object_mut().expect("object").remove("kid");
    let cases = [
        (
            format!(r#"{{"keys":[{a},{a_again}]}}"#),
            "jwk_duplicate_kid",
        ),
        (format!(r#"{{"keys":[{a},{no_kid}]}}"#), "jwk_missing_kid"),
        (r#"{"keys":[]}"#.to_string(), "jwks_empty"),
        (r#"{"keys":{}}"#.to_string(), "jwks_malformed"),
        (r#"{"key":[]}"#.to_string(), "jwks_malformed"),
        (format!("[{a}]"), "jwks_malformed"),
        ("not json".to_string(), "jwks_malformed"),
        // RFC 7517 §4, §5: a JWK and a set are JSON objects, never arrays of their members.
        (
            format!(r#"{{"keys":[["OKP","Ed25519",{}]]}}"#, a["x"]),
            "jwks_malformed",
        ),
        (r#"{"keys":[],"keys":[]}"#.to_string(), "jwks_malformed"),
        // Unknown members are skipped unread, as before.
        (format!(r#"{{"keys":[{a}],"other":"\ud800"}}"#), "ok"),
        (format!(r#"{{"keys":[{a},{b}]}}"#), "ok"),
        (format!(r#"{{"keys":[{no_kid}]}}"#), "ok"),
    ];
    for (json, code) in cases {
        assert_eq!(load_code(&json), code, "{json}");
    }
    assert_eq!(Jwks::new(Vec::new()), Err(KeyError::Empty));
}

#[test]
fn rfc7517_key_error_codes_and_messages() {
    let cases = [
        (KeyError::Malformed, "jwks_malformed"),
        (KeyError::Empty, "jwks_empty"),
        (KeyError::Unsupported("x".into()), "jwk_unsupported"),
        (KeyError::InvalidKey("k".into()), "jwk_invalid"),
        (KeyError::WeakKey("k".into()), "jwk_weak"),
        (KeyError::PrivateKey("k".into()), "jwk_private"),
        (KeyError::DuplicateKid("k".into()), "jwk_duplicate_kid"),
        (KeyError::MissingKid, "jwk_missing_kid"),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code);
        assert!(!error.to_string().is_empty());
    }
    assert_eq!(
        KeyError::WeakKey("2026-05".into()).to_string(),
        r#"key "2026-05" is a weak (small-order) key"#
    );
}

#[test]
fn rfc7515_4_1_4_kid_selection() {
    let payload = claims().json();
    let token =
        |h: &common::Obj, seed| forge(&dalek(seed), h.json().as_bytes(), payload.as_bytes());
    // One key with a kid: a token without kid selects it; a wrong kid does not.
    let one = Verifier::new(
        Jwks::new(vec![key_a().public_jwk()]).expect("one"),
        policy(),
    );
    let no_kid = token(&header(KID_A).without("kid"), &common::SEED_A);
    assert_eq!(
        one.verify(&no_kid, NOW).map(|t| t.kid().map(str::to_owned)),
        Ok(Some(KID_A.into()))
    );
    let other = token(&header(KID_B), &common::SEED_A);
    assert_eq!(
        one.verify(&other, NOW).map(|_| ()).map_err(|e| e.code()),
        Err("unknown_kid")
    );
    // One key without kid: only tokens without kid select it.
    let anonymous = Jwk::new(None, *key_a().public_jwk().verifying_key()).expect("good key");
    let anon = Verifier::new(Jwks::new(vec![anonymous]).expect("one"), policy());
    assert!(anon.verify(&no_kid, NOW).is_ok_and(|t| t.kid().is_none()));
    let named = token(&header(KID_A), &common::SEED_A);
    assert_eq!(
        anon.verify(&named, NOW).map(|_| ()).map_err(|e| e.code()),
        Err("unknown_kid")
    );
    // Two keys: kid is required, and selects exactly.
    let two = Verifier::new(jwks(), Policy::default());
    assert_eq!(
        two.parse(&no_kid).map(|_| ()).map_err(|e| e.code()),
        Err("unknown_kid")
    );
    let b = token(&header(KID_B), &common::SEED_B);
    assert_eq!(
        two.verify(&b, NOW).map(|t| t.kid().map(str::to_owned)),
        Ok(Some(KID_B.into()))
    );
}

#[test]
fn rfc8032_5_1_5_signing_key_seed_and_debug() {
    let key = SigningKey::from_seed("2026-05", &[9; 32]);
    assert_eq!(*key.seed(), [9; 32]);
    assert_eq!(key.kid(), "2026-05");
    let debug = format!("{key:?}");
    assert_eq!(debug, r#"SigningKey { kid: "2026-05", .. }"#);
}
