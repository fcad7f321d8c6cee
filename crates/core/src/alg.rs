//! `EdDSA` for jwt-compact, verified with `verify_strict`.
//!
//! jwt-compact's stock `Ed25519` verifies with dalek's lenient `verify`, which accepts a
//! signature by a small-order public key over any message (R = identity, S = 0). The
//! strict check also refuses non-canonical S and small-order R.

use alloc::borrow::Cow;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use jwt_compact::Algorithm;

/// The JOSE name of the only algorithm Tollgate signs and accepts.
pub const ALG: &str = "EdDSA";

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
