//! `EdDSA` for jwt-compact, verified with `verify_strict`.
//!
//! jwt-compact's stock `Ed25519` verifies with dalek's lenient `verify`, which accepts a
//! signature by a small-order public key over any message (R = identity, S = 0). The
//! strict check also refuses non-canonical S and small-order R.

use alloc::borrow::Cow;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use jwt_compact::Algorithm;

/// The JOSE name Tollgate signs with (RFC 8037), kept for the verifiers already deployed.
pub const ALG: &str = "EdDSA";

/// The names a token header or a JWK `alg` may give Ed25519: RFC 8037's `EdDSA` and RFC
/// 9864's fully specified `Ed25519`, exactly as written. Both mean the one algorithm the
/// verifier uses; nothing else is accepted.
pub const ALGS: [&str; 2] = [ALG, "Ed25519"];

/// Whether `name` is one of [`ALGS`].
pub(crate) fn is_ed25519(name: &str) -> bool {
    ALGS.contains(&name)
}

/// Ed25519 (RFC 8037) with strict verification.
#[derive(Clone, Copy, Debug, Default)]
pub struct StrictEd25519;

impl Algorithm for StrictEd25519 {
    type SigningKey = SigningKey;
    type VerifyingKey = VerifyingKey;
    type Signature = Signature;

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(ALG)
    }

    fn sign(&self, signing_key: &SigningKey, message: &[u8]) -> Signature {
        signing_key.sign(message)
    }

    fn verify_signature(&self, signature: &Signature, key: &VerifyingKey, message: &[u8]) -> bool {
        key.verify_strict(message, signature).is_ok()
    }
}
