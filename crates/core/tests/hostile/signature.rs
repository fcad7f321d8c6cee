//! Hostile rows about keys and signatures: key selection (RFC 7515 §4.1.2–§4.1.6,
//! RFC 8725 §3.10) and the signature itself (RFC 8032 §5.1.7, RFC 7515 §5.2).

use crate::Case;
use crate::common::{
    KID_A, KID_B, SEED_ATTACKER, SEED_B, b64, claims, dalek, forge, header, hex, segments, signed,
    unb64,
};
use crate::format_rows::{valid, with_header};

const KID: Option<&str> = Some("unknown_kid");
const SIG: Option<&str> = Some("invalid_signature");

/// The group order ℓ = 2^252 + 27742317777372353535851937790883648493, little-endian.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The identity point (a small-order point, order 1).
pub(crate) const IDENTITY: [u8; 32] = {
    let mut p = [0; 32];
    p[0] = 1;
    p
};

/// A point of order 8 (from the curve's 8-torsion subgroup).
pub(crate) const ORDER_8: &str = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a";

fn signature_of(token: &str) -> Vec<u8> {
    unb64(segments(token).2)
}

/// `token` with its signature segment replaced by `signature`.
fn resign(token: &str, signature: &[u8]) -> String {
    let (h, p, _) = segments(token);
    format!("{h}.{p}.{}", b64(signature))
}

fn attacker_jwk() -> String {
    let key = tollgate_core::SigningKey::from_seed("attacker", &SEED_ATTACKER);
    key.public_jwk().to_value().to_string()
}

pub(crate) fn cases() -> Vec<Case> {
    vec![
        // Key selection: exact `kid`; none only with a one-key set.
        Case::new("kid_missing_two_keys", "RFC 7515 §4.1.4", KID, || {
            with_header(&header(KID_A).without("kid"))
        }),
        Case::new("kid_null_two_keys", "RFC 7515 §4.1.4", KID, || {
            with_header(&header(KID_A).raw("kid", "null"))
        }),
        Case::new("kid_unknown", "RFC 7515 §4.1.4", KID, || {
            with_header(&header("2026-04-z"))
        }),
        Case::new("kid_path_traversal", "RFC 8725 §3.10", KID, || {
            with_header(&header("../../etc/passwd"))
        }),
        Case::new("kid_sql_injection", "RFC 8725 §3.10", KID, || {
            with_header(&header("' OR 1=1 --"))
        }),
        Case::new("kid_very_long", "RFC 8725 §3.10", KID, || {
            with_header(&header(&"k".repeat(3000)))
        }),
        Case::new("kid_nul_suffix", "RFC 8725 §3.10", KID, || {
            with_header(&header(&format!("{KID_A}\0")))
        }),
        Case::new("kid_case_variant", "RFC 7515 §4.1.4", KID, || {
            with_header(&header(&KID_A.to_uppercase()))
        }),
        Case::new("kid_empty", "RFC 7515 §4.1.4", KID, || {
            with_header(&header(""))
        }),
        Case::new("kid_attacker_with_jku", "RFC 8725 §3.10", KID, || {
            let h = header("attacker").str("jku", "https://evil.example/jwks.json");
            forge(
                &dalek(&SEED_ATTACKER),
                h.json().as_bytes(),
                claims().json().as_bytes(),
            )
        }),
        Case::new(
            "jwk_header_attacker_no_kid",
            "RFC 7515 §4.1.3",
            KID,
            || {
                let h = header(KID_A).without("kid").raw("jwk", attacker_jwk());
                forge(
                    &dalek(&SEED_ATTACKER),
                    h.json().as_bytes(),
                    claims().json().as_bytes(),
                )
            },
        ),
        Case::new("jwk_header_attacker_kid_a", "RFC 7515 §4.1.3", SIG, || {
            let h = header(KID_A).raw("jwk", attacker_jwk());
            forge(
                &dalek(&SEED_ATTACKER),
                h.json().as_bytes(),
                claims().json().as_bytes(),
            )
        }),
        Case::new("x5u_attacker_kid_a", "RFC 7515 §4.1.5", SIG, || {
            let h = header(KID_A).str("x5u", "https://evil.example/cert.pem");
            forge(
                &dalek(&SEED_ATTACKER),
                h.json().as_bytes(),
                claims().json().as_bytes(),
            )
        }),
        // Signature.
        Case::new("signature_empty", "RFC 8032 §5.1.7", SIG, || {
            resign(&valid(), b"")
        }),
        Case::new("signature_63_bytes", "RFC 8032 §5.1.7", SIG, || {
            resign(&valid(), &signature_of(&valid())[..63])
        }),
        Case::new("signature_65_bytes", "RFC 8032 §5.1.7", SIG, || {
            let mut s = signature_of(&valid());
            s.push(0);
            resign(&valid(), &s)
        }),
        Case::new("signature_s_plus_ell", "RFC 8032 §5.1.7", SIG, || {
            let mut s = signature_of(&valid());
            let mut carry = 0u16;
            for (byte, l) in s[32..].iter_mut().zip(ELL) {
                let sum = u16::from(*byte) + u16::from(l) + carry;
                *byte = sum.to_le_bytes()[0];
                carry = sum >> 8;
            }
            assert_eq!(carry, 0, "S + ℓ fits in 32 bytes");
            resign(&valid(), &s)
        }),
        Case::new("signature_s_all_ones", "RFC 8032 §5.1.7", SIG, || {
            let mut s = signature_of(&valid());
            s[32..].fill(0xff);
            resign(&valid(), &s)
        }),
        Case::new(
            "signature_r_identity_s_zero",
            "RFC 8032 §5.1.7",
            SIG,
            || {
                let mut s = [0u8; 64];
                s[..32].copy_from_slice(&IDENTITY);
                resign(&valid(), &s)
            },
        ),
        Case::new("signature_small_order_r", "RFC 8032 §5.1.7", SIG, || {
            let mut s = signature_of(&valid());
            s[..32].copy_from_slice(&hex(ORDER_8));
            resign(&valid(), &s)
        }),
        // Passes the cofactorless equation, as OpenSSL and BoringSSL check it: only the
        // small-order `R` refusal stands between this and acceptance.
        Case::new(
            "signature_identity_r_satisfies_equation",
            "RFC 8032 §5.1.7",
            SIG,
            || identity_r_forgery(&valid()),
        ),
        Case::new("signature_all_zero", "RFC 8032 §5.1.7", SIG, || {
            resign(&valid(), &[0; 64])
        }),
        Case::new("signature_from_other_token", "RFC 7515 §5.2", SIG, || {
            let other = signed(&header(KID_A), &claims().str("sub", "partner-43"));
            resign(&valid(), &signature_of(&other))
        }),
        Case::new("signature_key_b_kid_a", "RFC 7515 §5.2", SIG, || {
            forge(
                &dalek(&SEED_B),
                header(KID_A).json().as_bytes(),
                claims().json().as_bytes(),
            )
        }),
        Case::new("signature_attacker_kid_a", "RFC 7515 §5.2", SIG, || {
            forge(
                &dalek(&SEED_ATTACKER),
                header(KID_A).json().as_bytes(),
                claims().json().as_bytes(),
            )
        }),
        Case::new("tampered_header", "RFC 7515 §5.2", SIG, || {
            let t = valid();
            let (_, p, s) = segments(&t);
            let h = header(KID_A).str("typ", "AT+JWT");
            format!("{}.{p}.{s}", b64(h.json().as_bytes()))
        }),
        Case::new("tampered_payload", "RFC 7515 §5.2", SIG, || {
            let t = valid();
            let (h, _, s) = segments(&t);
            let p = claims().int("exp", i64::MAX);
            format!("{h}.{}.{s}", b64(p.json().as_bytes()))
        }),
        Case::new("tampered_kid_swap", "RFC 7515 §5.2", SIG, || {
            let t = valid();
            let (_, p, s) = segments(&t);
            format!("{}.{p}.{s}", b64(header(KID_B).json().as_bytes()))
        }),
    ]
}

/// `token` re-signed by key A with `R` = the identity and `S = k·a`, so that
/// `[S]B = R + [k]A` holds: a signature a lenient verifier accepts.
fn identity_r_forgery(token: &str) -> String {
    use curve25519_dalek::scalar::Scalar;
    use sha2::{Digest as _, Sha512};
    let (h, p, _) = segments(token);
    let message = format!("{h}.{p}");
    let expanded = Sha512::digest(crate::common::SEED_A);
    let mut secret = [0u8; 32];
    secret.copy_from_slice(&expanded[..32]);
    // RFC 8032 §5.1.5 clamping.
    secret[0] &= 248;
    secret[31] &= 127;
    secret[31] |= 64;
    let a = Scalar::from_bytes_mod_order(secret);
    let public = dalek(&crate::common::SEED_A).verifying_key().to_bytes();
    let k = Scalar::from_hash(
        Sha512::new()
            .chain_update(IDENTITY)
            .chain_update(public)
            .chain_update(message.as_bytes()),
    );
    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice(&IDENTITY);
    signature[32..].copy_from_slice((k * a).as_bytes());
    resign(token, &signature)
}
