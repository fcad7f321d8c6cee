//! The split path, for runtimes with a native Ed25519 (WebCrypto's `Ed25519`):
//! [`Verifier::prepare`] does every check but the signature equation and says what the
//! equation needs; [`Verifier::verify_pending`] takes the equation's answer and checks the
//! claims.
//!
//! The order is [`Verifier::verify`]'s: size, structure, header, key, the signature's
//! encoding (`S < L`, `R` canonical and not of small order), then — outside — the equation,
//! then `typ` and the claims. Keys were checked when the set was loaded (not weak,
//! canonical). Both paths give every token the same answer and the same code: the checks
//! left to the outside implementation are the ones every Ed25519 implementation does alike.

use alloc::{string::String, vec::Vec};
use core::fmt;

use crate::{
    error::{FormatError, SignatureError, VerifyError},
    verify::{AccessToken, Verifier},
};

/// A token checked up to the signature equation. It owns what the claims check needs, so
/// it can wait across an `await` while the equation is computed.
pub struct PendingToken {
    payload: Vec<u8>,
    token_type: Option<String>,
    key_index: usize,
    signing_input_len: usize,
    signature: [u8; 64],
}

impl PendingToken {
    /// Which key of the verifier's set (`verifier.keys().keys()[i]`) must have signed.
    pub fn key_index(&self) -> usize {
        self.key_index
    }

    /// The signing input is the token's first `n` bytes (header `.` payload, as sent).
    pub fn signing_input_len(&self) -> usize {
        self.signing_input_len
    }

    /// The 64-byte signature `R ‖ S`, its encoding already checked.
    pub fn signature(&self) -> &[u8; 64] {
        &self.signature
    }
}

impl fmt::Debug for PendingToken {
    // The payload stays out of logs: half a token is still a bearer's business.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingToken")
            .field("key_index", &self.key_index)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Checks size, structure, header, key selection and the signature's encoding: all of
    /// [`verify`](Self::verify) before the signature equation. Refusals are format or
    /// signature errors with the codes `verify` gives.
    pub fn prepare(&self, token: &str) -> Result<PendingToken, VerifyError> {
        let untrusted = self.parse(token)?;
        let signature = untrusted.acceptable_signature()?;
        let signing_input_len = untrusted.signing_input().len();
        let key = untrusted.key();
        let key_index = self
            .keys()
            .keys()
            .iter()
            .position(|k| core::ptr::eq(k, key))
            .ok_or(FormatError::UnknownKid)?;
        let (payload, token_type) = untrusted.into_parts();
        Ok(PendingToken {
            payload,
            token_type,
            key_index,
            signing_input_len,
            signature,
        })
    }

    /// Finishes a token from [`prepare`](Self::prepare) on this verifier: `signature_valid`
    /// is the answer of Ed25519 verification of [`PendingToken::signature`] over the
    /// signing input with key [`PendingToken::key_index`]. Then `typ` and the claims at
    /// `now`, as [`verify`](Self::verify) checks them.
    pub fn verify_pending(
        &self,
        pending: PendingToken,
        signature_valid: bool,
        now: i64,
    ) -> Result<AccessToken, VerifyError> {
        if !signature_valid {
            return Err(SignatureError.into());
        }
        let kid = self
            .keys()
            .keys()
            .get(pending.key_index)
            .and_then(|k| k.kid());
        self.accept(&pending.payload, pending.token_type.as_deref(), kid, now)
    }

    /// [`verify_pending`](Self::verify_pending), then [`AccessToken::require_scopes`].
    pub fn verify_pending_with_scopes<S: AsRef<str>>(
        &self,
        pending: PendingToken,
        signature_valid: bool,
        now: i64,
        scopes: &[S],
    ) -> Result<AccessToken, VerifyError> {
        let token = self.verify_pending(pending, signature_valid, now)?;
        token.require_scopes(scopes)?;
        Ok(token)
    }
}
