//! Verification order and policy: RFC 7519 §4.1.4–§4.1.6 time boundaries, RFC 9068 §4
//! validation (`typ`, `iss`, `aud`, required claims), RFC 8725 §3.11 explicit typing, the
//! RFC 6750 §3.1 error mapping, and sign → verify through the issuer's own API.

mod common;

use common::{
    AUDIENCE, ISSUER, KID_A, NOW, Obj, claims, header, jwks, key_a, outcome, policy, signed,
    typical_claims, verifier,
};
use serde_json::json;
use tollgate_core::{
    ClaimsError, FormatError, Policy, RawJson, SignError, Verifier, VerifyError,
    bearer::BearerError,
};

fn code(verifier: &Verifier, token: &str, now: i64) -> Option<&'static str> {
    outcome(&verifier.verify(token, now))
}

fn with(claims: &Obj) -> String {
    signed(&header(KID_A), claims)
}

/// `token` with one bit of its signature's R flipped.
fn tamper(token: &str) -> String {
    let (h, p, s) = common::segments(token);
    let mut signature = common::unb64(s);
    signature[10] ^= 0x04;
    format!("{h}.{p}.{}", common::b64(&signature))
}

#[test]
fn rfc7519_time_boundaries_without_tolerance() {
    let v = Verifier::new(jwks(), policy().clock_tolerance(0));
    // exp: "MUST NOT be accepted on or after" it (RFC 7519 §4.1.4).
    assert_eq!(
        code(&v, &with(&claims().int("exp", NOW)), NOW),
        Some("expired")
    );
    assert_eq!(code(&v, &with(&claims().int("exp", NOW + 1)), NOW), None);
    // nbf: "MUST NOT be accepted before" it (RFC 7519 §4.1.5).
    assert_eq!(code(&v, &with(&claims().int("nbf", NOW)), NOW), None);
    let nbf = with(&claims().int("nbf", NOW + 1));
    assert_eq!(code(&v, &nbf, NOW), Some("not_yet_valid"));
    // iat in the future (RFC 9068 §4 leaves it to the verifier; we refuse it).
    assert_eq!(code(&v, &with(&claims().int("iat", NOW)), NOW), None);
    let iat = with(&claims().int("iat", NOW + 1));
    assert_eq!(code(&v, &iat, NOW), Some("issued_in_future"));
}

#[test]
fn rfc7519_extreme_times_and_tolerance_do_not_overflow() {
    let v = Verifier::new(jwks(), policy().clock_tolerance(u64::MAX));
    // i64::MAX - u64::MAX = i64::MIN and i64::MIN + u64::MAX = i64::MAX: the widest
    // window, computed without overflow.
    let extreme = with(
        &claims()
            .int("exp", i64::MIN + 1)
            .int("nbf", i64::MAX)
            .int("iat", i64::MAX),
    );
    for now in [i64::MIN, -1, 0, NOW, i64::MAX] {
        assert_eq!(code(&v, &extreme, now), None, "now = {now}");
    }
    let at_boundary = with(&claims().int("exp", i64::MIN));
    assert_eq!(code(&v, &at_boundary, i64::MAX), Some("expired"));
    let strict = Verifier::new(jwks(), policy());
    assert_eq!(code(&strict, &extreme, i64::MIN), Some("not_yet_valid"));
    assert_eq!(code(&strict, &with(&claims()), i64::MAX), Some("expired"));
    assert_eq!(
        code(&strict, &with(&claims()), i64::MIN),
        Some("issued_in_future")
    );
}

/// Repairs one claim of a token under construction.
type Fix = fn(Obj) -> Obj;

#[test]
fn rfc9068_4_checks_run_in_the_documented_order() {
    // Each step fixes the failure the previous one reported, revealing the next check:
    // typ → claim types → exp → nbf → iat → iss → aud → required claims → scopes.
    let v = verifier();
    let worst = claims()
        .str("exp", "soon")
        .int("nbf", NOW + 3600)
        .int("iat", NOW + 3600)
        .str("iss", "https://evil.example")
        .str("aud", "https://other.example")
        .without("jti")
        .str("scope", "profile");
    let steps: [(&str, Fix); 8] = [
        ("malformed", |c| c.int("exp", NOW - 3600)),
        ("expired", |c| c.int("exp", NOW + 600)),
        ("not_yet_valid", |c| c.without("nbf")),
        ("issued_in_future", |c| c.int("iat", NOW)),
        ("invalid_issuer", |c| c.str("iss", ISSUER)),
        ("invalid_audience", |c| c.str("aud", AUDIENCE)),
        ("missing_claim", |c| c.str("jti", "j")),
        ("insufficient_scope", |c| c.str("scope", "orders:read")),
    ];
    let wrong_typ = signed(&header(KID_A).str("typ", "JWT"), &worst);
    assert_eq!(
        outcome(&common::check(&v, &wrong_typ)),
        Some("invalid_type")
    );
    let mut current = worst;
    for (expected, fix) in steps {
        assert_eq!(outcome(&common::check(&v, &with(&current))), Some(expected));
        current = fix(current);
    }
    assert_eq!(outcome(&common::check(&v, &with(&current))), None);
}

#[test]
fn rfc7519_7_2_parse_then_verify_parsed() {
    let v = verifier();
    let token = with(&claims());
    // parse() alone does the size, structure and header checks.
    assert_eq!(v.parse("a.b").map(|_| ()), Err(FormatError::Malformed));
    let expired = with(&claims().int("exp", NOW - 3600));
    let untrusted = v.parse(&expired).expect("well-formed, known key");
    assert_eq!(
        v.verify_parsed(untrusted, NOW).map(|_| ()),
        Err(VerifyError::Claims(ClaimsError::Expired))
    );
    let untrusted = v.parse(&token).expect("well-formed");
    let verified = v.verify_parsed(untrusted, NOW).expect("valid");
    assert_eq!(verified.kid(), Some(KID_A));
    let forged = tamper(&token);
    assert!(matches!(
        v.verify(&forged, NOW),
        Err(VerifyError::Signature(_))
    ));
}

#[test]
fn rfc8725_3_11_typ_normalised_like_jose() {
    let token_with_typ = |typ: &str| signed(&header(KID_A).str("typ", typ), &claims());
    let default = verifier();
    for typ in [
        "at+jwt",
        "AT+JWT",
        "application/at+jwt",
        "Application/At+Jwt",
    ] {
        assert_eq!(code(&default, &token_with_typ(typ), NOW), None, "{typ}");
    }
    for typ in ["jwt", "at+jwt ", "applications/at+jwt", "at%2Bjwt", ""] {
        assert_eq!(
            code(&default, &token_with_typ(typ), NOW),
            Some("invalid_type"),
            "{typ}"
        );
    }
    // The required type is normalised the same way.
    let custom = Verifier::new(jwks(), policy().token_type(Some("application/Example+JWT")));
    assert_eq!(code(&custom, &token_with_typ("example+jwt"), NOW), None);
    assert_eq!(
        code(&custom, &token_with_typ("at+jwt"), NOW),
        Some("invalid_type")
    );
    // `None` accepts any type, or none.
    let any = Verifier::new(jwks(), policy().token_type(None));
    assert_eq!(code(&any, &token_with_typ("JWT"), NOW), None);
    let untyped = signed(&header(KID_A).without("typ"), &claims());
    assert_eq!(code(&any, &untyped, NOW), None);
}

#[test]
fn rfc9068_2_2_required_claims_are_configurable() {
    let minimal = with(&Obj::new().int("exp", NOW + 60));
    assert_eq!(code(&verifier(), &minimal, NOW), Some("invalid_issuer"));
    let only_exp = Verifier::new(jwks(), Policy::default().required_claims::<&str>(&[]));
    assert_eq!(code(&only_exp, &minimal, NOW), None);
    let tenant = Verifier::new(
        jwks(),
        Policy::default().required_claims(&["exp", "tenant"]),
    );
    assert_eq!(
        tenant.verify(&minimal, NOW).map(|_| ()),
        Err(VerifyError::Claims(ClaimsError::MissingClaim(
            "tenant".into()
        )))
    );
    let with_tenant = with(&Obj::new().int("exp", NOW + 60).str("tenant", "t1"));
    assert_eq!(code(&tenant, &with_tenant, NOW), None);
    // `exp` stays required even when the list omits it.
    assert_eq!(
        code(&only_exp, &with(&Obj::new().str("sub", "s")), NOW),
        Some("missing_claim")
    );
}

#[test]
fn rfc9068_4_several_issuers_and_audiences() {
    let v = Verifier::new(
        jwks(),
        policy()
            .issuer("https://old-auth.example")
            .audience("https://b.example"),
    );
    let old = with(&claims().str("iss", "https://old-auth.example"));
    assert_eq!(code(&v, &old, NOW), None);
    let aud = with(&claims().raw("aud", r#"["https://x.example","https://b.example"]"#));
    assert_eq!(code(&v, &aud, NOW), None);
    // With no issuer or audience configured, any is accepted.
    let open = Verifier::new(jwks(), Policy::default());
    let elsewhere = with(
        &claims()
            .str("iss", "https://a.example")
            .str("aud", "https://c.example"),
    );
    assert_eq!(code(&open, &elsewhere, NOW), None);
}

#[test]
fn rfc8725_3_7_size_cap_is_exact() {
    let token = with(&claims());
    let at = Verifier::new(jwks(), policy().max_token_size(token.len()));
    assert_eq!(code(&at, &token, NOW), None);
    let below = Verifier::new(jwks(), policy().max_token_size(token.len() - 1));
    assert_eq!(code(&below, &token, NOW), Some("too_large"));
    assert_eq!(below.parse(&token).map(|_| ()), Err(FormatError::TooLarge));
}

/// A real signature failure (`SignatureError` cannot be built outside the crate).
fn bad_signature() -> VerifyError {
    verifier()
        .verify(&tamper(&with(&claims())), NOW)
        .expect_err("forged")
}

#[test]
fn rfc6750_3_1_codes_and_mapping() {
    let cases: [(VerifyError, &str, &str, u16); 14] = [
        (
            FormatError::Malformed.into(),
            "malformed",
            "invalid_token",
            401,
        ),
        (
            FormatError::TooLarge.into(),
            "too_large",
            "invalid_token",
            401,
        ),
        (
            FormatError::AlgNotAllowed.into(),
            "alg_not_allowed",
            "invalid_token",
            401,
        ),
        (
            FormatError::CritUnsupported.into(),
            "crit_unsupported",
            "invalid_token",
            401,
        ),
        (
            FormatError::UnknownKid.into(),
            "unknown_kid",
            "invalid_token",
            401,
        ),
        (bad_signature(), "invalid_signature", "invalid_token", 401),
        (ClaimsError::Expired.into(), "expired", "invalid_token", 401),
        (
            ClaimsError::NotYetValid.into(),
            "not_yet_valid",
            "invalid_token",
            401,
        ),
        (
            ClaimsError::IssuedInFuture.into(),
            "issued_in_future",
            "invalid_token",
            401,
        ),
        (
            ClaimsError::InvalidIssuer.into(),
            "invalid_issuer",
            "invalid_token",
            401,
        ),
        (
            ClaimsError::InvalidAudience.into(),
            "invalid_audience",
            "invalid_token",
            401,
        ),
        (
            ClaimsError::InvalidType.into(),
            "invalid_type",
            "invalid_token",
            401,
        ),
        (
            ClaimsError::MissingClaim("jti".into()).into(),
            "missing_claim",
            "invalid_token",
            401,
        ),
        (
            ClaimsError::InsufficientScope.into(),
            "insufficient_scope",
            "insufficient_scope",
            403,
        ),
    ];
    for (error, code, bearer, status) in cases {
        assert_eq!(error.code(), code);
        assert_eq!(error.bearer_error().as_str(), bearer, "{code}");
        assert_eq!(error.bearer_error().status(), status, "{code}");
        assert!(!error.to_string().is_empty(), "{code}");
        assert!(core::error::Error::source(&error).is_some(), "{code}");
    }
    assert_eq!(ClaimsError::Malformed.code(), "malformed");
    assert_eq!(BearerError::InvalidRequest.status(), 400);
    assert_eq!(
        VerifyError::from(ClaimsError::MissingClaim("jti".into())).to_string(),
        "token is missing the jti claim"
    );
}

#[test]
fn rfc9068_sign_then_verify_round_trip() {
    let key = key_a();
    let mut claims = typical_claims();
    let tenant = RawJson::from_value(&json!({"id": 7, "tags": ["a", "b"]})).expect("JSON");
    claims.extra.insert("tenant".into(), tenant);
    let token = key.sign(&claims).expect("signable");
    let (h, _, _) = common::segments(&token);
    // The header Tollgate signs (RFC 9068 §2.1, RFC 8037 §3.1).
    assert_eq!(
        common::unb64(h),
        br#"{"alg":"EdDSA","kid":"2026-05-a","typ":"at+jwt"}"#
    );
    let verified = common::check(&verifier(), &token).expect("valid");
    assert_eq!(verified.kid(), Some(KID_A));
    assert_eq!(verified.claims(), &claims);
    assert!(
        verified
            .require_scopes(&["orders:read", "orders:write"])
            .is_ok()
    );
    assert_eq!(
        verified
            .require_scopes(&["orders:read", "admin"])
            .map_err(|e| e.code()),
        Err("insufficient_scope")
    );
    assert_eq!(verified.into_claims(), claims);
}

#[test]
fn rfc7519_4_sign_refuses_extras_that_shadow_registered_claims() {
    for name in tollgate_core::REGISTERED {
        let mut claims = typical_claims();
        claims
            .extra
            .insert(name.into(), RawJson::from_value(&1).expect("JSON"));
        let err = key_a()
            .sign(&claims)
            .expect_err("shadowing a registered claim");
        assert_eq!(err, SignError::ReservedClaim(name.into()));
        assert_eq!(err.code(), "reserved_claim");
    }
}
