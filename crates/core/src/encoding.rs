//! The checks on an Ed25519 signature that need no curve arithmetic.
//!
//! dalek's `verify_strict` refuses a signature whose `S` is not below the group order `L`
//! (RFC 8032 §5.1.7) or whose `R` is a point of small order; OpenSSL and BoringSSL, behind
//! WebCrypto, check `S` but accept a small-order `R` when the equation holds. Done here,
//! before either, the checks make both give the same answer: what is left is the equation
//! `[S]B = R + [k]A`, which both compute cofactorless and compare as canonical encodings.
//!
//! `R` is compared against the encodings of the eight small-order points, not decompressed:
//! a byte comparison costs nothing, and an `R` that is not on the curve fails the equation
//! in every implementation anyway.

/// The group order `L = 2^252 + 27742317777372353535851937790883648493`, little-endian.
const ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The `y` coordinates (sign bit cleared) of the eight small-order points, and the two
/// non-canonical ones `p` and `p + 1` that reduce to `0` and `1`: the list libsodium's
/// `has_small_order` checks. With either sign bit this is every small-order encoding.
const SMALL_ORDER_Y: [[u8; 32]; 7] = [
    // y = 0: the two points of order 4.
    [0; 32],
    // y = 1: the identity.
    y_small(1),
    // The order-8 points, and their negations.
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    // y = p - 1 = -1: the point of order 2.
    y_below_p(1),
    // y = p and y = p + 1: non-canonical 0 and 1.
    y_below_p(0),
    y_above_p(1),
];

/// `y` for a small value.
const fn y_small(value: u8) -> [u8; 32] {
    let mut y = [0; 32];
    y[0] = value;
    y
}

/// `p - below` for `below` ≤ 19 (`p = 2^255 - 19`).
const fn y_below_p(below: u8) -> [u8; 32] {
    let mut y = [0xff; 32];
    y[0] = 0xed - below;
    y[31] = 0x7f;
    y
}

/// `p + above` for `above` ≤ 18.
const fn y_above_p(above: u8) -> [u8; 32] {
    let mut y = y_below_p(0);
    y[0] += above;
    y
}

/// Whether a 64-byte signature can verify at all: `S < L`, and `R` a canonical encoding of
/// a point that is not of small order.
pub(crate) fn signature_is_acceptable(signature: &[u8; 64]) -> bool {
    let (r, s) = signature.split_at(32);
    let mut y = [0u8; 32];
    y.copy_from_slice(r);
    y[31] &= 0x7f;
    below(s, &ORDER) && below(&y, &y_below_p(0)) && !SMALL_ORDER_Y.contains(&y)
}

/// `a < b` for little-endian integers of the same length (public values: no need for
/// constant time).
fn below(a: &[u8], b: &[u8]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{ORDER, SMALL_ORDER_Y, below, signature_is_acceptable, y_below_p};

    fn signature(r: [u8; 32], s: [u8; 32]) -> [u8; 64] {
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&r);
        sig[32..].copy_from_slice(&s);
        sig
    }

    /// An `R` that is canonical and not of small order (the base point's encoding).
    const BASE_Y: [u8; 32] = [
        0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
        0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
        0x66, 0x66,
    ];

    #[test]
    fn rfc8032_5_1_7_s_must_be_below_l() {
        let mut l_minus_1 = ORDER;
        l_minus_1[0] -= 1;
        let mut l_plus_1 = ORDER;
        l_plus_1[0] += 1;
        assert!(signature_is_acceptable(&signature(BASE_Y, [0; 32])));
        assert!(signature_is_acceptable(&signature(BASE_Y, l_minus_1)));
        assert!(!signature_is_acceptable(&signature(BASE_Y, ORDER)));
        assert!(!signature_is_acceptable(&signature(BASE_Y, l_plus_1)));
        assert!(!signature_is_acceptable(&signature(BASE_Y, [0xff; 32])));
    }

    #[test]
    fn small_order_and_non_canonical_r_are_refused() {
        for y in SMALL_ORDER_Y {
            for sign in [0, 0x80] {
                let mut r = y;
                r[31] |= sign;
                assert!(!signature_is_acceptable(&signature(r, [1; 32])), "{r:02x?}");
            }
        }
        // Every y ≥ p is non-canonical.
        for above in 0..=18 {
            let mut y = y_below_p(0);
            y[0] += above;
            assert!(!signature_is_acceptable(&signature(y, [1; 32])));
        }
        assert!(signature_is_acceptable(&signature(y_below_p(2), [1; 32])));
    }

    #[test]
    fn below_is_little_endian() {
        assert!(below(&[0, 1], &[1, 1]));
        assert!(below(&[0xff, 0], &[0, 1]));
        assert!(!below(&[0, 1], &[0xff, 0]));
        assert!(!below(&[3, 3], &[3, 3]));
    }

    /// The table and the order agree with curve25519-dalek's own checks.
    #[test]
    fn agrees_with_curve25519_dalek() {
        use curve25519_dalek::{
            constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION},
            edwards::CompressedEdwardsY,
            scalar::Scalar,
        };
        for point in EIGHT_TORSION {
            let r = point.compress().to_bytes();
            assert!(!signature_is_acceptable(&signature(r, [1; 32])), "{r:02x?}");
        }
        for y in SMALL_ORDER_Y {
            for sign in [0, 0x80] {
                let mut r = y;
                r[31] |= sign;
                let point = CompressedEdwardsY(r).decompress();
                assert!(point.is_none_or(|p| p.is_small_order()), "{r:02x?}");
            }
        }
        // A fixed walk of points and scalar-like byte strings.
        let mut point = ED25519_BASEPOINT_POINT;
        let mut bytes = [0x5au8; 32];
        for i in 0..500u32 {
            point += ED25519_BASEPOINT_POINT;
            for (j, b) in bytes.iter_mut().enumerate() {
                *b = b.wrapping_mul(31).wrapping_add((i as u8) ^ (j as u8));
            }
            // Scalars near L: clear the top bits on some rounds.
            let mut s = bytes;
            if i % 2 == 0 {
                s[31] &= 0x1f;
            }
            let canonical = bool::from(Scalar::from_canonical_bytes(s).is_some());
            let r = point.compress().to_bytes();
            assert_eq!(signature_is_acceptable(&signature(r, s)), canonical);
        }
    }
}
