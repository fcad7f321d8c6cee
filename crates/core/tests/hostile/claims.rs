//! Hostile rows with a good signature by key A, refused (or accepted) for their claims
//! (RFC 7519 §4.1, RFC 9068 §2.2 and §4, RFC 8693 §4.2), their `typ` (RFC 9068 §2.1,
//! RFC 8725 §3.11) or their size and nesting (RFC 8725 §3.7, RFC 8259 §9).

use crate::Case;
use crate::common::{
    AUDIENCE, ISSUER, KID_A, NOW, Obj, SEED_A, SKEW, b64, claims, dalek, forge, header, signed,
};

const AUD: Option<&str> = Some("invalid_audience");
const EXPIRED: Option<&str> = Some("expired");
const FUTURE: Option<&str> = Some("issued_in_future");
const ISS: Option<&str> = Some("invalid_issuer");
const MALFORMED: Option<&str> = Some("malformed");
const MISSING: Option<&str> = Some("missing_claim");
const NBF: Option<&str> = Some("not_yet_valid");
const SCOPE: Option<&str> = Some("insufficient_scope");
const TOO_LARGE: Option<&str> = Some("too_large");
const TYP: Option<&str> = Some("invalid_type");

fn with(claims: Obj) -> String {
    signed(&header(KID_A), &claims)
}

fn typ(value: &str) -> String {
    signed(&header(KID_A).str("typ", value), &claims())
}

/// Length of the unpadded base64url encoding of `n` bytes.
fn b64_len(n: usize) -> usize {
    (4 * n).div_ceil(3)
}

/// A valid token of exactly `len` bytes, padded by a `pad` claim (and, when the
/// lengths do not line up, a `pad` header member).
fn token_of_len(len: usize) -> String {
    for header_pad in 0..4 {
        let h = header(KID_A).str("pad", &"h".repeat(header_pad));
        let h_len = b64_len(h.json().len());
        let c_len = claims().str("pad", "").json().len();
        // header "." payload "." 86-character signature, for `n` pad characters.
        let total = |n: usize| h_len + 1 + b64_len(c_len + n) + 1 + 86;
        if let Some(n) = (0..len)
            .take_while(|&n| total(n) <= len)
            .find(|&n| total(n) == len)
        {
            let token = signed(&h, &claims().str("pad", &"p".repeat(n)));
            assert_eq!(token.len(), len);
            return token;
        }
    }
    panic!("no padding gives a {len}-byte token")
}

pub(crate) fn cases() -> Vec<Case> {
    vec![
        // Payload shape.
        Case::new("payload_not_json", "RFC 7519 §7.2", MALFORMED, || {
            forge(
                &dalek(&SEED_A),
                header(KID_A).json().as_bytes(),
                b"not json",
            )
        }),
        Case::new("payload_json_array", "RFC 7519 §7.2", MALFORMED, || {
            forge(&dalek(&SEED_A), header(KID_A).json().as_bytes(), b"[]")
        }),
        Case::new("duplicate_exp", "RFC 7519 §4", MALFORMED, || {
            with(claims().repeat("exp", (NOW + 86_400).to_string()))
        }),
        Case::new("duplicate_iss", "RFC 7519 §4", MALFORMED, || {
            with(claims().repeat("iss", r#""https://evil.example""#))
        }),
        // Claim types: times are JSON integers (RFC 7519 §2 NumericDate).
        Case::new("exp_string", "RFC 7519 §4.1.4", MALFORMED, || {
            with(claims().str("exp", &(NOW + 600).to_string()))
        }),
        Case::new("exp_float", "RFC 7519 §4.1.4", MALFORMED, || {
            with(claims().raw("exp", format!("{}.0", NOW + 600)))
        }),
        Case::new("exp_1e300", "RFC 7519 §4.1.4", MALFORMED, || {
            with(claims().raw("exp", "1e300"))
        }),
        Case::new("exp_above_i64", "RFC 7519 §4.1.4", MALFORMED, || {
            with(claims().raw("exp", "9223372036854775808"))
        }),
        Case::new("exp_null", "RFC 7519 §4.1.4", MALFORMED, || {
            with(claims().raw("exp", "null"))
        }),
        Case::new("iat_string", "RFC 7519 §4.1.6", MALFORMED, || {
            with(claims().str("iat", &NOW.to_string()))
        }),
        Case::new("iss_number", "RFC 7519 §4.1.1", MALFORMED, || {
            with(claims().raw("iss", "1"))
        }),
        Case::new("sub_number", "RFC 7519 §4.1.2", MALFORMED, || {
            with(claims().raw("sub", "42"))
        }),
        Case::new("aud_number", "RFC 7519 §4.1.3", MALFORMED, || {
            with(claims().raw("aud", "1"))
        }),
        Case::new(
            "aud_array_with_number",
            "RFC 7519 §4.1.3",
            MALFORMED,
            || with(claims().raw("aud", format!(r#"["{AUDIENCE}",1]"#))),
        ),
        Case::new("scope_array", "RFC 8693 §4.2", MALFORMED, || {
            with(claims().raw("scope", r#"["orders:read"]"#))
        }),
        // Times, with a 30 s tolerance.
        Case::new("exp_missing", "RFC 9068 §2.2", MISSING, || {
            with(claims().without("exp"))
        }),
        Case::new("exp_at_boundary", "RFC 7519 §4.1.4", EXPIRED, || {
            with(claims().int("exp", NOW - SKEW))
        }),
        Case::new("exp_one_second_left", "RFC 7519 §4.1.4", None, || {
            with(claims().int("exp", NOW - SKEW + 1))
        }),
        Case::new("exp_i64_min", "RFC 7519 §4.1.4", EXPIRED, || {
            with(claims().int("exp", i64::MIN))
        }),
        Case::new("exp_i64_max", "RFC 7519 §4.1.4", None, || {
            with(claims().int("exp", i64::MAX))
        }),
        Case::new("nbf_i64_max", "RFC 7519 §4.1.5", NBF, || {
            with(claims().int("nbf", i64::MAX))
        }),
        Case::new("nbf_minus_i64_max", "RFC 7519 §4.1.5", None, || {
            with(claims().int("nbf", -i64::MAX))
        }),
        Case::new("nbf_beyond_tolerance", "RFC 7519 §4.1.5", NBF, || {
            with(claims().int("nbf", NOW + SKEW + 1))
        }),
        Case::new("nbf_within_tolerance", "RFC 7519 §4.1.5", None, || {
            with(claims().int("nbf", NOW + SKEW))
        }),
        Case::new("iat_in_future", "RFC 7519 §4.1.6", FUTURE, || {
            with(claims().int("iat", NOW + SKEW + 1))
        }),
        Case::new("iat_i64_max", "RFC 7519 §4.1.6", FUTURE, || {
            with(claims().int("iat", i64::MAX))
        }),
        Case::new("expired_and_wrong_issuer", "RFC 9068 §4", EXPIRED, || {
            with(
                claims()
                    .int("exp", NOW - 3600)
                    .str("iss", "https://evil.example"),
            )
        }),
        // Issuer and audience (RFC 9068 §4).
        Case::new("iss_wrong", "RFC 9068 §4", ISS, || {
            with(claims().str("iss", "https://evil.example"))
        }),
        Case::new("iss_missing", "RFC 9068 §4", ISS, || {
            with(claims().without("iss"))
        }),
        Case::new("iss_trailing_slash", "RFC 9068 §4", ISS, || {
            with(claims().str("iss", &format!("{ISSUER}/")))
        }),
        Case::new("aud_wrong", "RFC 9068 §4", AUD, || {
            with(claims().str("aud", "https://other-api.example"))
        }),
        Case::new("aud_missing", "RFC 9068 §4", AUD, || {
            with(claims().without("aud"))
        }),
        Case::new("aud_empty_array", "RFC 7519 §4.1.3", AUD, || {
            with(claims().raw("aud", "[]"))
        }),
        Case::new("aud_array_without_ours", "RFC 7519 §4.1.3", AUD, || {
            with(claims().raw("aud", r#"["https://a.example","https://b.example"]"#))
        }),
        Case::new("aud_array_with_ours", "RFC 7519 §4.1.3", None, || {
            with(claims().raw("aud", format!(r#"["https://a.example","{AUDIENCE}"]"#)))
        }),
        // `typ`, compared as jose does: case-insensitive, optional `application/`.
        Case::new("typ_missing", "RFC 9068 §4", TYP, || {
            signed(&header(KID_A).without("typ"), &claims())
        }),
        Case::new("typ_jwt", "RFC 8725 §3.11", TYP, || typ("JWT")),
        Case::new("typ_application_jwt", "RFC 8725 §3.11", TYP, || {
            typ("application/jwt")
        }),
        Case::new("typ_double_prefix", "RFC 9068 §2.1", TYP, || {
            typ("application/application/at+jwt")
        }),
        Case::new("typ_with_parameter", "RFC 9068 §2.1", TYP, || {
            typ("at+jwt; charset=utf-8")
        }),
        Case::new("typ_application_upper", "RFC 9068 §2.1", None, || {
            typ("application/AT+JWT")
        }),
        Case::new("typ_upper", "RFC 9068 §2.1", None, || typ("AT+JWT")),
        // Claims RFC 9068 §2.2 requires, checked after the times, issuer and audience.
        Case::new("sub_missing", "RFC 9068 §2.2", MISSING, || {
            with(claims().without("sub"))
        }),
        Case::new("client_id_missing", "RFC 9068 §2.2", MISSING, || {
            with(claims().without("client_id"))
        }),
        Case::new("jti_missing", "RFC 9068 §2.2", MISSING, || {
            with(claims().without("jti"))
        }),
        Case::new("iat_missing", "RFC 9068 §2.2", MISSING, || {
            with(claims().without("iat"))
        }),
        // Scopes: the corpus requires `orders:read` (RFC 6750 §3.1 insufficient_scope).
        Case::new("scope_missing", "RFC 6750 §3.1", SCOPE, || {
            with(claims().without("scope"))
        }),
        Case::new("scope_other", "RFC 6750 §3.1", SCOPE, || {
            with(claims().str("scope", "profile orders:write"))
        }),
        Case::new("scope_prefix", "RFC 8693 §4.2", SCOPE, || {
            with(claims().str("scope", "orders:readonly"))
        }),
        Case::new("scope_case", "RFC 8693 §4.2", SCOPE, || {
            with(claims().str("scope", "ORDERS:READ"))
        }),
        Case::new("scope_comma_separated", "RFC 8693 §4.2", SCOPE, || {
            with(claims().str("scope", "orders:read,orders:write"))
        }),
        Case::new("scope_extra_spaces", "RFC 8693 §4.2", None, || {
            with(claims().str("scope", "  orders:write   orders:read "))
        }),
        Case::new("extra_claims_unicode", "RFC 7519 §4.3", None, || {
            with(
                claims()
                    .str("name", "Zoë ✓ \u{1F600}")
                    .raw("roles", r#"["a",{"b":[1,2.5,null]}]"#),
            )
        }),
        // Size and nesting.
        Case::new("deep_nesting_arrays", "RFC 8259 §9", MALFORMED, || {
            with(claims().raw("deep", format!("{}{}", "[".repeat(2500), "]".repeat(2500))))
        }),
        Case::new("deep_nesting_objects", "RFC 8259 §9", MALFORMED, || {
            with(claims().raw(
                "deep",
                format!("{}1{}", r#"{"a":"#.repeat(600), "}".repeat(600)),
            ))
        }),
        Case::new(
            "deep_nesting_10000_over_cap",
            "RFC 8725 §3.7",
            TOO_LARGE,
            || with(claims().raw("deep", "[".repeat(10_000))),
        ),
        Case::new("size_exactly_8192", "RFC 8725 §3.7", None, || {
            token_of_len(8192)
        }),
        Case::new("size_8193", "RFC 8725 §3.7", TOO_LARGE, || {
            token_of_len(8193)
        }),
        Case::new("size_1_mib_garbage", "RFC 8725 §3.7", TOO_LARGE, || {
            format!("{}.{}.{}", b64(&[b'{'; 3 << 12]), "A".repeat(1 << 14), "A")
        }),
    ]
}
