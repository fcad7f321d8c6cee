//! Hostile rows refused before the key is chosen: structure (RFC 7515 §3.1, §7.1;
//! RFC 7519 §7.2), algorithm (RFC 8725 §2.1, §3.1) and `crit` (RFC 7515 §4.1.11).

use jwt_compact::{Algorithm as _, AlgorithmSignature as _, alg::Hs256, alg::Hs256Key};

use crate::Case;
use crate::common::{
    KID_A, KID_B, Obj, SEED_A, SEED_B, b64, claims, compact, dalek, forge, header, jwks, segments,
    signed,
};

const ALG: Option<&str> = Some("alg_not_allowed");
const CRIT: Option<&str> = Some("crit_unsupported");
const MALFORMED: Option<&str> = Some("malformed");

pub(crate) fn valid() -> String {
    signed(&header(KID_A), &claims())
}

pub(crate) fn with_header(header: &Obj) -> String {
    signed(header, &claims())
}

/// Sets the low bit of the last base64url character: non-zero trailing bits that a
/// lenient decoder ignores (RFC 4648 §3.5), so the bytes are unchanged.
fn noncanonical(segment: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    assert!(segment.len() % 4 != 0, "a segment with trailing bits");
    let last = segment.as_bytes()[segment.len() - 1];
    let index = ALPHABET.iter().position(|&c| c == last).expect("base64url");
    let bumped = char::from(ALPHABET[index | 1]);
    format!("{}{bumped}", &segment[..segment.len() - 1])
}

/// Signs `header.payload` given as already-encoded segments.
fn sign_segments(header: &str, payload: &str) -> String {
    use ed25519_dalek::Signer as _;
    let input = format!("{header}.{payload}");
    let signature = dalek(&SEED_A).sign(input.as_bytes());
    format!("{input}.{}", b64(&signature.to_bytes()))
}

/// A valid token whose `segment` (0 header, 1 payload, 2 signature) contains `needle`,
/// found by shifting `~>?` (bytes that encode to `-` and `_`) along `jti`; deterministic.
fn token_containing(segment: usize, needle: char) -> String {
    (0..64)
        .map(|n| {
            signed(
                &header(KID_A),
                &claims().str("jti", &format!("{}~>?~>?", "x".repeat(n))),
            )
        })
        .find(|t| {
            t.split('.')
                .nth(segment)
                .is_some_and(|s| s.contains(needle))
        })
        .expect("some jti length yields the character")
}

/// The standard-alphabet (RFC 4648 §4) spelling of a base64url segment.
fn standard(segment: &str) -> String {
    segment.replace('-', "+").replace('_', "/")
}

fn hs256(secret: &[u8]) -> String {
    let header = Obj::new()
        .str("alg", "HS256")
        .str("kid", KID_A)
        .str("typ", "at+jwt");
    let input = format!(
        "{}.{}",
        b64(header.json().as_bytes()),
        b64(claims().json().as_bytes())
    );
    let mac = Hs256.sign(&Hs256Key::new(secret), input.as_bytes());
    format!("{input}.{}", b64(&mac.as_bytes()))
}

pub(crate) fn cases() -> Vec<Case> {
    vec![
        // Controls: accepted, so the refusals below are about the change they make.
        Case::new("valid_baseline", "RFC 9068 §2.2", None, valid),
        Case::new("valid_key_b", "RFC 7515 §4.1.4", None, || {
            forge(
                &dalek(&SEED_B),
                header(KID_B).json().as_bytes(),
                claims().json().as_bytes(),
            )
        }),
        Case::new("jku_x5u_x5c_ignored", "RFC 8725 §3.10", None, || {
            with_header(
                &header(KID_A)
                    .str("jku", "https://evil.example/jwks.json")
                    .str("x5u", "https://evil.example/cert.pem")
                    .raw("x5c", r#"["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]"#),
            )
        }),
        // Structure.
        Case::new("empty_token", "RFC 7519 §7.2", MALFORMED, String::new),
        Case::new("only_dots", "RFC 7519 §7.2", MALFORMED, || "..".into()),
        Case::new("two_segments", "RFC 7515 §7.1", MALFORMED, || {
            let t = valid();
            let (h, p, _) = segments(&t);
            format!("{h}.{p}")
        }),
        Case::new("four_segments", "RFC 7515 §7.1", MALFORMED, || {
            format!("{}.", valid())
        }),
        Case::new(
            "five_segments_jwe_shape",
            "RFC 7516 §7.1",
            MALFORMED,
            || {
                let t = valid();
                let (h, p, s) = segments(&t);
                format!("{h}.{p}.{s}.{p}.{s}")
            },
        ),
        Case::new("padding_header", "RFC 7515 §2", MALFORMED, || {
            let t = valid();
            let (h, p, _) = segments(&t);
            sign_segments(&format!("{h}="), p)
        }),
        Case::new("padding_payload", "RFC 7515 §2", MALFORMED, || {
            let t = valid();
            let (h, p, _) = segments(&t);
            sign_segments(h, &format!("{p}="))
        }),
        Case::new("padding_signature", "RFC 7515 §2", MALFORMED, || {
            format!("{}==", valid())
        }),
        Case::new(
            "noncanonical_bits_header",
            "RFC 4648 §3.5",
            MALFORMED,
            || {
                let t = signed(&header(KID_A).str("pad", "h"), &claims());
                let (h, p, _) = segments(&t);
                sign_segments(&noncanonical(h), p)
            },
        ),
        Case::new(
            "noncanonical_bits_payload",
            "RFC 4648 §3.5",
            MALFORMED,
            || {
                let t = signed(&header(KID_A), &claims().str("jti", "a"));
                let (h, p, _) = segments(&t);
                sign_segments(h, &noncanonical(p))
            },
        ),
        Case::new(
            "noncanonical_bits_signature",
            "RFC 4648 §3.5",
            MALFORMED,
            || {
                let t = valid();
                let (h, p, s) = segments(&t);
                format!("{h}.{p}.{}", noncanonical(s))
            },
        ),
        Case::new(
            "standard_base64_plus_payload",
            "RFC 7515 §2",
            MALFORMED,
            || {
                let t = token_containing(1, '-');
                let (h, p, _) = segments(&t);
                sign_segments(h, &standard(p))
            },
        ),
        Case::new(
            "standard_base64_slash_payload",
            "RFC 7515 §2",
            MALFORMED,
            || {
                let t = token_containing(1, '_');
                let (h, p, _) = segments(&t);
                sign_segments(h, &standard(p))
            },
        ),
        Case::new(
            "standard_base64_signature",
            "RFC 7515 §2",
            MALFORMED,
            || {
                let t = token_containing(2, '_');
                let (h, p, s) = segments(&t);
                format!("{h}.{p}.{}", standard(s))
            },
        ),
        Case::new("leading_space", "RFC 7515 §7.1", MALFORMED, || {
            format!(" {}", valid())
        }),
        Case::new("trailing_newline", "RFC 7515 §7.1", MALFORMED, || {
            format!("{}\n", valid())
        }),
        Case::new("bearer_prefix", "RFC 6750 §2.1", MALFORMED, || {
            format!("Bearer {}", valid())
        }),
        Case::new("header_not_json", "RFC 7515 §5.2", MALFORMED, || {
            forge(&dalek(&SEED_A), b"not json", claims().json().as_bytes())
        }),
        Case::new("header_json_array", "RFC 7515 §5.2", MALFORMED, || {
            forge(&dalek(&SEED_A), br#"["EdDSA"]"#, claims().json().as_bytes())
        }),
        Case::new("header_not_utf8", "RFC 7515 §5.2", MALFORMED, || {
            forge(
                &dalek(&SEED_A),
                b"{\"alg\":\"EdDSA\xff\"}",
                claims().json().as_bytes(),
            )
        }),
        Case::new("header_missing_alg", "RFC 7515 §4.1.1", MALFORMED, || {
            with_header(&header(KID_A).without("alg"))
        }),
        Case::new("header_duplicate_alg", "RFC 7515 §4", MALFORMED, || {
            with_header(&header(KID_A).repeat("alg", r#""none""#))
        }),
        Case::new("header_alg_array", "RFC 7515 §4.1.1", MALFORMED, || {
            with_header(&header(KID_A).raw("alg", r#"["EdDSA"]"#))
        }),
        Case::new("header_kid_number", "RFC 7515 §4.1.4", MALFORMED, || {
            with_header(&header(KID_A).raw("kid", "1"))
        }),
        Case::new("header_cty_nested_jwt", "RFC 7519 §5.2", MALFORMED, || {
            with_header(&header(KID_A).str("cty", "JWT"))
        }),
        Case::new("header_deep_nesting", "RFC 8259 §9", MALFORMED, || {
            with_header(&header(KID_A).raw("x", "[".repeat(3000)))
        }),
        // Algorithm: only Ed25519 (`EdDSA` or `Ed25519`), whatever else the header says.
        Case::new("alg_none_unsigned", "RFC 8725 §2.1", ALG, || {
            let h = header(KID_A).str("alg", "none");
            compact(h.json().as_bytes(), claims().json().as_bytes(), b"")
        }),
        Case::new("alg_none_signed", "RFC 8725 §2.1", ALG, || {
            with_header(&header(KID_A).str("alg", "none"))
        }),
        Case::new("alg_none_uppercase", "RFC 8725 §2.1", ALG, || {
            with_header(&header(KID_A).str("alg", "NONE"))
        }),
        Case::new("alg_hs256_public_key_secret", "RFC 8725 §2.1", ALG, || {
            hs256(key_bytes(KID_A).as_slice())
        }),
        Case::new("alg_hs256_jwks_secret", "RFC 8725 §2.1", ALG, || {
            hs256(jwks().to_json().as_bytes())
        }),
        Case::new("alg_rs256", "RFC 8725 §3.1", ALG, || {
            with_header(&header(KID_A).str("alg", "RS256"))
        }),
        Case::new("alg_es256", "RFC 8725 §3.1", ALG, || {
            with_header(&header(KID_A).str("alg", "ES256"))
        }),
        // RFC 9864's fully specified name for the same algorithm, exactly as written.
        Case::new("alg_ed25519_name", "RFC 9864 §2.2", None, || {
            with_header(&header(KID_A).str("alg", "Ed25519"))
        }),
        Case::new("alg_ed25519_lowercase", "RFC 9864 §2.2", ALG, || {
            with_header(&header(KID_A).str("alg", "ed25519"))
        }),
        Case::new("alg_ed448", "RFC 9864 §2.2", ALG, || {
            with_header(&header(KID_A).str("alg", "Ed448"))
        }),
        Case::new("alg_lowercase", "RFC 7515 §4.1.1", ALG, || {
            with_header(&header(KID_A).str("alg", "eddsa"))
        }),
        Case::new("alg_empty", "RFC 7515 §4.1.1", ALG, || {
            with_header(&header(KID_A).str("alg", ""))
        }),
        // Critical extensions: none is understood.
        Case::new("crit_exp", "RFC 7515 §4.1.11", CRIT, || {
            with_header(&header(KID_A).raw("crit", r#"["exp"]"#).int("exp", 1))
        }),
        Case::new("crit_empty", "RFC 7515 §4.1.11", CRIT, || {
            with_header(&header(KID_A).raw("crit", "[]"))
        }),
        Case::new("crit_b64_false", "RFC 7797 §6", CRIT, || {
            with_header(&header(KID_A).raw("b64", "false").raw("crit", r#"["b64"]"#))
        }),
    ]
}

/// The raw public key bytes of the set's key `kid`.
fn key_bytes(kid: &str) -> Vec<u8> {
    let set = jwks();
    let jwk = set
        .keys()
        .iter()
        .find(|k| k.kid() == Some(kid))
        .expect("key in set");
    jwk.verifying_key().as_bytes().to_vec()
}
