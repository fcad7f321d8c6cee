//! The hostile corpus: tokens an attacker (or a broken client) can send, each with the
//! `code()` it must get, run through one [`Verifier`] and never allowed to panic.
//!
//! Rows live in `hostile/format.rs` (structure, algorithm, `crit`),
//! `hostile/signature.rs` (key selection and signature) and `hostile/claims.rs` (good
//! signature, refused or accepted for the claims). Each row names the RFC section it
//! exercises.
//!
//! # Fixture: `tests/fixtures/hostile.json`
//!
//! The corpus is also written out so other implementations (the JS package, through the
//! wasm API) replay exactly the same tokens and expect exactly the same codes. The file is
//! one JSON object:
//!
//! | member            | meaning                                                              |
//! |-------------------|----------------------------------------------------------------------|
//! | `description`     | a one-line pointer back to this file                                 |
//! | `jwks`            | the public key set to build the verifier from (`{"keys":[...]}`)     |
//! | `issuer`          | the one accepted `iss`                                               |
//! | `audience`        | the one accepted `aud`                                               |
//! | `clock_tolerance` | seconds of skew allowed on `exp`, `nbf`, `iat`                       |
//! | `max_token_size`  | the size cap in bytes (the default, 8192)                            |
//! | `token_type`      | the required `typ` (the default, `at+jwt`)                           |
//! | `required_claims` | the claims every token must carry (the default, RFC 9068 §2.2)       |
//! | `now`             | the verification time, seconds since the epoch                       |
//! | `required_scopes` | scopes every token is checked for after verification                 |
//! | `cases`           | array of `{name, source, code, token}`                               |
//!
//! In `cases`, `code` is the expected stable error code, or `null` when the token must be
//! accepted; `source` names the RFC section the row exercises; `token` is the exact string
//! to verify. Keys come from fixed seeds and Ed25519 signing is deterministic, so the file
//! is reproducible byte for byte: the `fixture_is_up_to_date` test fails when it differs
//! from what the corpus produces, and `TOLLGATE_WRITE_FIXTURES=1 cargo test -p
//! tollgate-core --test hostile` rewrites it.

#[path = "hostile/claims.rs"]
mod claims_rows;
mod common;
#[path = "hostile/format.rs"]
mod format_rows;
#[path = "hostile/signature.rs"]
mod signature_rows;

use core::panic::AssertUnwindSafe;
use std::{panic::catch_unwind, sync::OnceLock};

use common::{
    AUDIENCE, ISSUER, KID_A, NOW, REQUIRED_SCOPES, TOLERANCE, check, claims, header, jwks, outcome,
    signed, verifier,
};
use serde::{Deserialize, Serialize};
use tollgate_core::{
    DEFAULT_MAX_TOKEN_SIZE, Policy, RFC9068_REQUIRED, TOKEN_TYPE, Verifier, VerifyError,
};

/// One row: a name, the RFC section it exercises, the expected code (`None`: accepted)
/// and how to build the token.
pub(crate) struct Case {
    name: &'static str,
    source: &'static str,
    code: Option<&'static str>,
    build: fn() -> String,
}

impl Case {
    pub(crate) fn new(
        name: &'static str,
        source: &'static str,
        code: Option<&'static str>,
        build: fn() -> String,
    ) -> Self {
        Self {
            name,
            source,
            code,
            build,
        }
    }
}

/// Every row with its token, in fixture order; built once per test binary (signing is
/// slow in unoptimised builds).
fn corpus() -> &'static [(Case, String)] {
    static CORPUS: OnceLock<Vec<(Case, String)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut cases = format_rows::cases();
        cases.extend(signature_rows::cases());
        cases.extend(claims_rows::cases());
        cases
            .into_iter()
            .map(|case| {
                let token = (case.build)();
                (case, token)
            })
            .collect()
    })
}

/// RFC 8725 §3 attacks, at least 40 of them, each row named once.
#[test]
fn rfc8725_corpus_is_large_and_names_are_unique() {
    let corpus = corpus();
    let refusals = corpus.iter().filter(|(c, _)| c.code.is_some()).count();
    assert!(refusals >= 40, "only {refusals} hostile tokens");
    let mut names: Vec<&str> = corpus.iter().map(|(c, _)| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), corpus.len(), "duplicate row names");
}

/// Every row, as its RFC section says: the expected code (or acceptance), never a panic.
#[test]
fn rfc8725_every_token_gets_its_code_without_panic() {
    let verifier = verifier();
    let mut wrong = Vec::new();
    for (case, token) in corpus() {
        let result = catch_unwind(AssertUnwindSafe(|| check(&verifier, token)));
        let Ok(result) = result else {
            wrong.push(format!("{}: panicked", case.name));
            continue;
        };
        let got = outcome(&result);
        if got != case.code {
            wrong.push(format!(
                "{}: expected {:?}, got {got:?}",
                case.name, case.code
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} rows wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The split path (`prepare`, an outside equation, `verify_pending`) gives every row the
/// answer of `verify`, even with a lenient equation that accepts small-order `R`s, as
/// OpenSSL's and BoringSSL's do: the encoding checks before it make up the difference.
#[test]
fn split_path_with_a_lenient_equation_gives_every_row_its_code() {
    use ed25519_dalek::{Signature, Verifier as _};
    let verifier = verifier();
    let mut decided_by_encoding = 0;
    for (case, token) in corpus() {
        let split = verifier.prepare(token).and_then(|pending| {
            let key = verifier.keys().keys()[pending.key_index()].verifying_key();
            let message = &token.as_bytes()[..pending.signing_input_len()];
            let valid = key
                .verify(message, &Signature::from_bytes(pending.signature()))
                .is_ok();
            verifier.verify_pending_with_scopes(pending, valid, NOW, &REQUIRED_SCOPES)
        });
        assert_eq!(outcome(&split), case.code, "{}", case.name);
        // Rows the lenient equation alone would accept: the encoding checks decide them.
        if let Ok(untrusted) = verifier.parse(token) {
            let signature = common::unb64(common::segments(token).2);
            let lenient = Signature::from_slice(&signature).is_ok_and(|sig| {
                let key = untrusted.key().verifying_key();
                key.verify(untrusted.signing_input(), &sig).is_ok()
            });
            decided_by_encoding += usize::from(lenient && case.code == Some("invalid_signature"));
        }
    }
    assert!(
        decided_by_encoding >= 1,
        "no row tells a lenient equation apart"
    );
}

/// RFC 7519 §7.2: the JWS is validated before its claims are used.
#[test]
fn rfc7519_7_2_claim_refusals_only_after_a_good_signature() {
    // A token with a broken signature learns nothing about its claims: every row refused
    // in the claims phase, with one signature bit flipped, must be refused as
    // `invalid_signature` instead.
    let verifier = verifier();
    let mut seen = 0;
    for (case, token) in corpus() {
        let Err(VerifyError::Claims(_)) = check(&verifier, token) else {
            continue;
        };
        seen += 1;
        let (h, p, s) = common::segments(token);
        let mut signature = common::unb64(s);
        signature[40] ^= 0x01;
        let broken = format!("{h}.{p}.{}", common::b64(&signature));
        assert_eq!(
            outcome(&check(&verifier, &broken)),
            Some("invalid_signature"),
            "{}",
            case.name
        );
    }
    assert!(seen >= 30, "only {seen} claims-phase rows");
}

#[test]
fn rfc8259_9_deep_nesting_10000_under_a_raised_cap_is_malformed() {
    // RFC 8259 §9 lets parsers limit nesting; with the size cap out of the way, 10 000
    // nested arrays in the payload or the header must still be refused, not overflow.
    let verifier = Verifier::new(jwks(), common::policy().max_token_size(64 * 1024));
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    for token in [
        signed(&header(KID_A), &claims().raw("deep", deep.as_str())),
        signed(&header(KID_A), &claims().raw("deep", "[".repeat(10_000))),
        signed(&header(KID_A).raw("deep", deep.as_str()), &claims()),
    ] {
        assert!(token.len() > DEFAULT_MAX_TOKEN_SIZE);
        assert_eq!(outcome(&check(&verifier, &token)), Some("malformed"));
    }
}

#[derive(Serialize)]
struct Fixture {
    description: &'static str,
    jwks: FixtureJwks,
    issuer: &'static str,
    audience: &'static str,
    clock_tolerance: u64,
    max_token_size: usize,
    token_type: &'static str,
    required_claims: Vec<&'static str>,
    now: i64,
    required_scopes: Vec<&'static str>,
    cases: Vec<FixtureCase>,
}

/// The published set with a fixed member order, whatever serde_json's map order is.
#[derive(Serialize, Deserialize)]
struct FixtureJwks {
    keys: Vec<FixtureJwk>,
}

#[derive(Serialize, Deserialize)]
struct FixtureJwk {
    kty: String,
    crv: String,
    x: String,
    kid: String,
    alg: String,
    #[serde(rename = "use")]
    use_: String,
}

#[derive(Serialize)]
struct FixtureCase {
    name: &'static str,
    source: &'static str,
    code: Option<&'static str>,
    token: String,
}

fn fixture_text() -> String {
    let fixture = Fixture {
        description: "Tollgate hostile token corpus; generated by crates/core/tests/hostile.rs",
        jwks: serde_json::from_str(&jwks().to_json()).expect("the set reads as JWKs"),
        issuer: ISSUER,
        audience: AUDIENCE,
        clock_tolerance: TOLERANCE,
        max_token_size: DEFAULT_MAX_TOKEN_SIZE,
        token_type: TOKEN_TYPE,
        required_claims: RFC9068_REQUIRED.to_vec(),
        now: NOW,
        required_scopes: REQUIRED_SCOPES.to_vec(),
        cases: corpus()
            .iter()
            .map(|(case, token)| FixtureCase {
                name: case.name,
                source: case.source,
                code: case.code,
                token: token.clone(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&fixture).expect("fixture serialises");
    text.push('\n');
    text
}

/// The corpus as a fixture (format above), so other implementations replay it.
#[test]
fn fixture_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hostile.json");
    let expected = fixture_text();
    if std::env::var_os("TOLLGATE_WRITE_FIXTURES").is_some_and(|v| v == "1") {
        std::fs::write(path, &expected).expect("write the fixture");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == expected,
        "{path} is stale: rerun with TOLLGATE_WRITE_FIXTURES=1"
    );
}

/// The fixture alone configures a verifier that gives every row its code.
#[test]
fn fixture_replays_with_the_documented_configuration() {
    // What another implementation does: build the verifier from the fixture alone.
    let text = fixture_text();
    let fixture: serde_json::Value = serde_json::from_str(&text).expect("fixture is JSON");
    let jwks = tollgate_core::Jwks::from_json(&fixture["jwks"].to_string()).expect("jwks");
    let max_size = fixture["max_token_size"].as_u64().expect("max_token_size");
    let policy = Policy::default()
        .issuer(fixture["issuer"].as_str().expect("issuer"))
        .audience(fixture["audience"].as_str().expect("audience"))
        .clock_tolerance(fixture["clock_tolerance"].as_u64().expect("tolerance"))
        .max_token_size(usize::try_from(max_size).expect("fits usize"));
    let verifier = Verifier::new(jwks, policy);
    let now = fixture["now"].as_i64().expect("now");
    let scopes: Vec<&str> = fixture["required_scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    let cases = fixture["cases"].as_array().expect("cases");
    for case in cases {
        let token = case["token"].as_str().expect("token");
        let got = verifier.verify_with_scopes(token, now, &scopes);
        assert_eq!(
            got.err().map(|e| e.code()),
            case["code"].as_str(),
            "{}",
            case["name"]
        );
    }
}
