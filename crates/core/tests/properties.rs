//! Property tests.
//!
//! - RFC 7515 §5.2 integrity: any single-character mutation, truncation or insertion of
//!   a valid token never verifies, and never panics.
//! - RFC 9068 §2.2 claims: sign → verify round-trips arbitrary claim values (arbitrary
//!   strings in `iss`, `sub`, `jti`, `client_id`, `scope`, `aud`, arbitrary extra claims,
//!   arbitrary `exp`/`iat` on either side of now).
//! - RFC 8725 §3.1 hostile input: arbitrary strings, arbitrary segments and arbitrary
//!   signed JSON never panic the verifier.
//!
//! Case counts are modest: signature checks dominate and the suite must stay fast in
//! unoptimised builds.

mod common;

use std::sync::OnceLock;

use common::{KID_A, NOW, SEED_A, b64, dalek, forge, header, jwks, key_a, signed, verifier};
use proptest::prelude::*;
use serde_json::Value;
use tollgate_core::{Claims, Policy, REGISTERED, RawJson, Verifier};

/// A valid token and the verifier that accepts it, built once.
fn fixture() -> &'static (Verifier, String) {
    static FIXTURE: OnceLock<(Verifier, String)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let verifier = verifier();
        let token = signed(&header(KID_A), &common::claims());
        assert!(
            verifier.verify(&token, NOW).is_ok(),
            "the base token verifies"
        );
        (verifier, token)
    })
}

/// Arbitrary JSON for extra claims: scalars, then arrays and objects of them. Floats are
/// left out: they need not survive a decimal round trip bit for bit.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

prop_compose! {
    fn arbitrary_claims()(
        iss in any::<String>(),
        sub in any::<String>(),
        aud in prop::collection::vec(any::<String>(), 1..4),
        exp in (NOW + 1)..=i64::MAX,
        iat in i64::MIN..=NOW,
        nbf in prop::option::of(i64::MIN..=NOW),
        jti in any::<String>(),
        client_id in any::<String>(),
        scope in any::<String>(),
        extra in prop::collection::btree_map(
            any::<String>().prop_filter("not a registered claim", |k| !REGISTERED.contains(&k.as_str())),
            json_value(),
            0..4,
        ),
    ) -> Claims {
        let mut claims = Claims::new(exp);
        claims.iss = Some(iss);
        claims.sub = Some(sub);
        claims.aud.0 = aud;
        claims.iat = Some(iat);
        claims.nbf = nbf;
        claims.jti = Some(jti);
        claims.client_id = Some(client_id);
        claims.scope = Some(scope);
        claims.extra = extra
            .into_iter()
            .map(|(name, value)| (name, RawJson::from_value(&value).expect("JSON")))
            .collect();
        claims
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn rfc7515_single_character_mutation_never_verifies(
        at in any::<prop::sample::Index>(),
        replacement in any::<char>(),
    ) {
        let (verifier, token) = fixture();
        let i = at.index(token.len());
        let original = char::from(token.as_bytes()[i]);
        prop_assume!(replacement != original);
        let mut mutated = token.clone();
        mutated.replace_range(i..=i, replacement.encode_utf8(&mut [0; 4]));
        prop_assert!(verifier.verify(&mutated, NOW).is_err());
    }

    #[test]
    fn rfc7515_truncation_never_verifies(at in any::<prop::sample::Index>()) {
        let (verifier, token) = fixture();
        let cut = at.index(token.len());
        prop_assert!(verifier.verify(&token[..cut], NOW).is_err());
        prop_assert!(verifier.verify(&token[cut + 1..], NOW).is_err());
    }

    #[test]
    fn rfc7515_insertion_never_verifies(
        at in any::<prop::sample::Index>(),
        inserted in any::<char>(),
    ) {
        let (verifier, token) = fixture();
        let mut longer = token.clone();
        longer.insert(at.index(token.len() + 1), inserted);
        prop_assert!(verifier.verify(&longer, NOW).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn rfc9068_sign_verify_round_trip(claims in arbitrary_claims()) {
        let token = key_a().sign(&claims).expect("extras avoid registered names");
        let verifier = Verifier::new(jwks(), Policy::default());
        let verified = verifier.verify(&token, NOW).expect("a fresh token verifies");
        prop_assert_eq!(verified.claims(), &claims);
        let scopes: Vec<&str> = claims.scopes().collect();
        prop_assert!(verified.require_scopes(&scopes).is_ok());
        // With an issuer and audience taken from the claims, it still verifies.
        let pinned = Verifier::new(
            jwks(),
            Policy::default().issuer(claims.iss.clone().unwrap_or_default()).audience(claims.aud.0[0].clone()),
        );
        prop_assert!(pinned.verify(&token, NOW).is_ok());
    }

    #[test]
    fn rfc7519_arbitrary_signed_payloads_never_panic(payload in json_value(), raw in any::<Vec<u8>>()) {
        // A good signature over JSON of any shape, or over arbitrary bytes: the claims
        // reader may refuse it, but only with an error.
        let verifier = Verifier::new(jwks(), Policy::default().token_type(None));
        let key = dalek(&SEED_A);
        let h = header(KID_A).json();
        for body in [payload.to_string().into_bytes(), raw] {
            let token = forge(&key, h.as_bytes(), &body);
            if let Err(e) = verifier.verify(&token, NOW) {
                prop_assert!(!e.code().is_empty());
                prop_assert!(e.code() != "invalid_signature");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rfc8725_arbitrary_strings_never_panic(input in any::<String>()) {
        let (verifier, _) = fixture();
        prop_assert!(verifier.verify(&input, NOW).is_err());
    }

    #[test]
    fn rfc8725_token_shaped_strings_never_panic(input in "[A-Za-z0-9_=+/.-]{0,400}") {
        let (verifier, _) = fixture();
        prop_assert!(verifier.verify(&input, NOW).is_err());
    }

    #[test]
    fn rfc8725_arbitrary_segments_never_panic(
        h in any::<Vec<u8>>(),
        p in any::<Vec<u8>>(),
        s in prop::collection::vec(any::<u8>(), 0..80),
    ) {
        let (verifier, _) = fixture();
        let token = format!("{}.{}.{}", b64(&h), b64(&p), b64(&s));
        prop_assert!(verifier.verify(&token, NOW).is_err());
        // The same with our header, so the signature check is reached.
        let ours = format!("{}.{}.{}", b64(header(KID_A).json().as_bytes()), b64(&p), b64(&s));
        prop_assert!(verifier.verify(&ours, NOW).is_err());
    }
}
