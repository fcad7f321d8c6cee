//! The RFC 6750 answers of `@tollgate/verify`, computed by `tollgate-core` alone.
//!
//! `www/verify/test/fixtures/answers.json` holds, for tokens signed by the core and for
//! `Authorization` header values, exactly what the JS package must answer: the claims, or
//! the code, HTTP status, RFC 6750 error, `WWW-Authenticate` value and body, all built by
//! the core's `bearer::Refusal`. The JS tests replay
//! it through the wasm build, so the edge and the core cannot drift apart. (The core's
//! hostile token corpus, `crates/core/tests/fixtures/hostile.json`, is replayed as well.)
//!
//! The file is reproducible byte for byte (fixed seeds, deterministic Ed25519):
//! `fixture_is_up_to_date` fails when it is stale, and `TOLLGATE_WRITE_FIXTURES=1 cargo
//! test -p tollgate-wasm --test answers` rewrites it.

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{Value, json};
use tollgate_core::{
    Claims, Jwks, Policy, RawJson, SigningKey, Verifier,
    bearer::{self, BearerError, Refusal},
};

const ISSUER: &str = "https://auth.tollgate.test";
const AUDIENCE: &str = "https://api.tollgate.test";
const NOW: i64 = 1_780_000_000;
const TOLERANCE: u64 = 5;
/// Far enough ahead that the good token also passes on a real clock (workerd tests).
const FAR_EXP: i64 = 4_000_000_000;

fn key_a() -> SigningKey {
    SigningKey::from_seed("edge-a", &[0x5a; 32])
}

fn key_b() -> SigningKey {
    SigningKey::from_seed("edge-b", &[0x5b; 32])
}

fn jwks() -> Jwks {
    Jwks::new(vec![key_a().public_jwk(), key_b().public_jwk()]).expect("distinct kids")
}

fn verifier(realm: Option<&str>) -> (Verifier, Option<String>) {
    let policy = Policy::default()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .clock_tolerance(TOLERANCE);
    (Verifier::new(jwks(), policy), realm.map(str::to_string))
}

fn claims() -> Claims {
    let mut claims = Claims::new(FAR_EXP);
    claims.iss = Some(ISSUER.into());
    claims.sub = Some("partner-42".into());
    claims.client_id = Some("partner-42".into());
    claims.aud.0.push(AUDIENCE.into());
    claims.iat = Some(NOW - 60);
    claims.jti = Some("0b7e4c1d-answers".into());
    claims.scope = Some("orders:read orders:write".into());
    for (name, value) in [
        ("tenant", json!("acme ☂")),
        ("tier", json!(2)),
        ("ratio", json!(0.25)),
    ] {
        let raw = RawJson::from_value(&value).expect("JSON");
        claims.extra.insert(name.into(), raw);
    }
    claims
}

fn sign(key: &SigningKey, edit: impl FnOnce(&mut Claims)) -> String {
    let mut claims = claims();
    edit(&mut claims);
    key.sign(&claims).expect("claims serialise")
}

fn b64(text: &str) -> String {
    Base64UrlUnpadded::encode_string(text.as_bytes())
}

/// What the package answers for a refusal: the core's [`Refusal`], as `crates/wasm`
/// carries it.
fn refusal(refusal: &Refusal) -> Value {
    json!({
        "code": refusal.code(),
        "status": refusal.status(),
        "bearer_error": refusal.error().map(BearerError::as_str),
        "www_authenticate": refusal.www_authenticate(),
        "message": refusal.description(),
        "body": refusal.body(),
    })
}

fn answer(verifier: &(Verifier, Option<String>), token: &str, scopes: &[&str]) -> Value {
    match verifier.0.verify_with_scopes(token, NOW, scopes) {
        Ok(verified) => {
            let text = verified
                .claims()
                .to_json()
                .expect("verified claims serialise");
            json!({ "claims": serde_json::from_str::<Value>(&text).expect("claims are JSON") })
        }
        Err(error) => refusal(&Refusal::for_token(&error, verifier.1.as_deref(), scopes)),
    }
}

fn header_answer(realm: Option<&str>, authorization: Option<&str>, scopes: &[&str]) -> Value {
    let verifier = verifier(realm);
    match bearer::token_from_header(authorization) {
        Ok(token) => answer(&verifier, token, scopes),
        Err(error) => refusal(&Refusal::for_request(error, realm)),
    }
}

/// `name  required-scopes  expected-code`; `-` is none, scopes are comma-separated.
const TOKEN_ROWS: &str = "
    signed_by_core            orders:read             -
    second_key                -                       -
    alg_ed25519_name          -                       -
    insufficient_scope        orders:delete           insufficient_scope
    insufficient_scope_two    orders:read,admin:all   insufficient_scope
    expired                   -                       expired
    expired_within_tolerance  -                       -
    not_yet_valid             -                       not_yet_valid
    issued_in_future          -                       issued_in_future
    wrong_issuer              -                       invalid_issuer
    wrong_audience            -                       invalid_audience
    missing_jti               -                       missing_claim
    unknown_kid               -                       unknown_kid
    payload_swapped           -                       invalid_signature
    alg_hs256                 -                       alg_not_allowed
    not_a_jwt                 -                       malformed
    too_large                 -                       too_large
";

/// `name  realm  scopes  expected-code  Authorization...`; the header is the rest of the
/// line (`<none>`: no header), with `{good}` and `{expired}` standing for those tokens.
const HEADER_ROWS: &str = "
    no_header                 -           -              missing_token       <none>
    no_header_realm           orders-api  -              missing_token       <none>
    empty_header              -           -              missing_token       
    basic_scheme              -           -              missing_token       Basic cGFydG5lcjpzZWNyZXQ=
    bearer_without_token      -           -              invalid_request     Bearer
    two_tokens                -           -              invalid_request     Bearer a b
    comma_list                -           -              invalid_request     Bearer a, Bearer b
    good_token                -           orders:read    -                   Bearer {good}
    lowercase_scheme          -           -              -                   bearer {good}
    good_token_missing_scope  -           orders:delete  insufficient_scope  Bearer {good}
    expired_token             -           -              expired             Bearer {expired}
    expired_token_realm       orders-api  -              expired             Bearer {expired}
    garbage_token             -           -              malformed           Bearer abc.def
";

fn token_for(name: &str) -> String {
    let good = || sign(&key_a(), |_| {});
    let other = || sign(&key_b(), |c| c.jti = Some("other".into()));
    match name {
        "signed_by_core" | "insufficient_scope" | "insufficient_scope_two" => good(),
        "second_key" => other(),
        "alg_ed25519_name" => {
            // RFC 9864 §2.2's name, signed by key A's seed outside the core.
            use ed25519_dalek::Signer as _;
            let header = b64(r#"{"alg":"Ed25519","kid":"edge-a","typ":"at+jwt"}"#);
            let payload = b64(&claims().to_json().expect("claims serialise"));
            let input = format!("{header}.{payload}");
            let signature =
                ed25519_dalek::SigningKey::from_bytes(&[0x5a; 32]).sign(input.as_bytes());
            let signature = Base64UrlUnpadded::encode_string(&signature.to_bytes());
            format!("{input}.{signature}")
        }
        "expired" => sign(&key_a(), |c| c.exp = NOW - 6),
        "expired_within_tolerance" => sign(&key_a(), |c| c.exp = NOW - 4),
        "not_yet_valid" => sign(&key_a(), |c| c.nbf = Some(NOW + 6)),
        "issued_in_future" => sign(&key_a(), |c| c.iat = Some(NOW + 6)),
        "wrong_issuer" => sign(&key_a(), |c| c.iss = Some("https://evil.test".into())),
        "wrong_audience" => sign(&key_a(), |c| c.aud.0 = vec!["https://other.test".into()]),
        "missing_jti" => sign(&key_a(), |c| c.jti = None),
        "unknown_kid" => sign(&SigningKey::from_seed("edge-a-bis", &[0xee; 32]), |_| {}),
        "payload_swapped" => {
            let (good, other) = (good(), other());
            let good: Vec<&str> = good.split('.').collect();
            let other: Vec<&str> = other.split('.').collect();
            format!("{}.{}.{}", good[0], other[1], good[2])
        }
        "alg_hs256" => {
            let header = b64(r#"{"alg":"HS256","kid":"edge-a"}"#);
            format!("{header}.{}.{}", b64("{}"), b64("not a signature"))
        }
        "not_a_jwt" => "not-a-jwt".into(),
        "too_large" => "a".repeat(9000),
        other => panic!("no token for row {other}"),
    }
}

/// `-` → none, else a comma-separated list.
fn list(cell: &str) -> Vec<&str> {
    if cell == "-" {
        Vec::new()
    } else {
        cell.split(',').collect()
    }
}

fn optional(cell: &str) -> Option<&str> {
    (cell != "-").then_some(cell)
}

fn fixture_text() -> String {
    let plain = verifier(None);
    let tokens: Vec<Value> = cells(TOKEN_ROWS)
        .map(|cells| {
            let (name, scopes) = (cells[0], list(cells[1]));
            let token = token_for(name);
            let answer = answer(&plain, &token, &scopes);
            assert_eq!(answer["code"].as_str(), optional(cells[2]), "{name}");
            json!({ "name": name, "token": token, "scopes": scopes, "answer": answer })
        })
        .collect();

    let good = sign(&key_a(), |_| {});
    let expired = sign(&key_a(), |c| c.exp = NOW - 60);
    let headers: Vec<Value> = HEADER_ROWS
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut rest = line.trim_start();
            let mut next = || {
                let (cell, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                rest = tail.trim_start();
                cell
            };
            let (name, realm, scopes, expected) = (next(), optional(next()), list(next()), next());
            let authorization = match rest.trim_end() {
                "<none>" => None,
                header => Some(
                    header
                        .replace("{good}", &good)
                        .replace("{expired}", &expired),
                ),
            };
            let answer = header_answer(realm, authorization.as_deref(), &scopes);
            assert_eq!(answer["code"].as_str(), optional(expected), "{name}");
            json!({
                "name": name,
                "realm": realm,
                "authorization": authorization,
                "scopes": scopes,
                "answer": answer,
            })
        })
        .collect();

    let fixture = json!({
        "description": "RFC 6750 answers of @tollgate/verify; generated by crates/wasm/tests/answers.rs",
        "jwks": serde_json::from_str::<Value>(&jwks().to_json()).expect("JWKS is JSON"),
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "clock_tolerance": TOLERANCE,
        "now": NOW,
        "tokens": tokens,
        "headers": headers,
        "jwks_cases": jwks_cases(),
    });
    let mut text = serde_json::to_string_pretty(&fixture).expect("fixture serialises");
    text.push('\n');
    text
}

/// `name  expected KeyError code`.
const JWKS_ROWS: &str = "
    not_json        jwks_malformed
    array           jwks_malformed
    empty           jwks_empty
    private_member  jwk_private
    rsa             jwk_unsupported
    x25519          jwk_unsupported
    alg_rs256       jwk_unsupported
    use_enc         jwk_unsupported
    short_x         jwk_invalid
    weak_key        jwk_weak
    duplicate_kid   jwk_duplicate_kid
    missing_kid     jwk_missing_kid
";

fn jwks_for(name: &str) -> String {
    let xa = key_a().public_jwk().to_value()["x"].clone();
    let xb = key_b().public_jwk().to_value()["x"].clone();
    let okp = |x: &Value| json!({"kty": "OKP", "crv": "Ed25519", "x": x});
    let with = |mut jwk: Value, member: &str, value: &str| {
        jwk[member] = json!(value);
        jwk
    };
    let set = |keys: Vec<Value>| json!({ "keys": keys }).to_string();
    // The identity point (y = 1): small order, it would accept forged signatures.
    let identity = json!(format!("AQ{}", "A".repeat(41)));
    match name {
        "not_json" => "{keys".into(),
        "array" => "[]".into(),
        "empty" => set(vec![]),
        "private_member" => set(vec![with(okp(&xa), "d", "AAAA")]),
        "rsa" => set(vec![json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"})]),
        "x25519" => set(vec![with(okp(&xa), "crv", "X25519")]),
        "alg_rs256" => set(vec![with(okp(&xa), "alg", "RS256")]),
        "use_enc" => set(vec![with(okp(&xa), "use", "enc")]),
        "short_x" => set(vec![okp(&json!("AAAA"))]),
        "weak_key" => set(vec![okp(&identity)]),
        "duplicate_kid" => set(vec![with(okp(&xa), "kid", "a"), with(okp(&xb), "kid", "a")]),
        "missing_kid" => set(vec![with(okp(&xa), "kid", "a"), okp(&xb)]),
        other => panic!("no key set for row {other}"),
    }
}

/// Key sets the core refuses, with the `KeyError` code it gives.
fn jwks_cases() -> Vec<Value> {
    cells(JWKS_ROWS)
        .map(|cells| {
            let (name, expected) = (cells[0], cells[1]);
            let text = jwks_for(name);
            let code = Jwks::from_json(&text).expect_err(name).code();
            assert_eq!(code, expected, "{name}");
            json!({ "name": name, "jwks": text, "code": code })
        })
        .collect()
}

/// The whitespace-separated cells of each non-blank line of a table.
fn cells(table: &str) -> impl Iterator<Item = Vec<&str>> {
    table
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .filter(|cells| !cells.is_empty())
}

#[test]
fn fixture_is_up_to_date() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../www/verify/test/fixtures/answers.json"
    );
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
