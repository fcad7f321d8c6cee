//! Encryption at rest with `TOLLGATE_MASTER_KEY`: XChaCha20-Poly1305 with a random
//! 192-bit nonce, the row's identity as associated data (a sealed value cannot be moved
//! to another row).

use base64ct::{Base64, Base64Unpadded, Base64Url, Base64UrlUnpadded, Encoding};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use zeroize::Zeroizing;

use crate::secrets::random_bytes;

/// `protection` of a value stored in clear.
pub const PLAIN: &str = "plain";
/// `protection` of a value sealed with the master key.
pub const SEALED: &str = "xchacha20poly1305";

const NONCE_LEN: usize = 24;

/// Why a sealed value could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// `TOLLGATE_MASTER_KEY` is not 32 bytes of base64.
    #[error(
        "TOLLGATE_MASTER_KEY must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)"
    )]
    BadMasterKey,
    /// The store holds sealed values but no master key was given.
    #[error("the store is encrypted: set TOLLGATE_MASTER_KEY")]
    MasterKeyRequired,
    /// Decryption failed: wrong master key or tampered data.
    #[error("TOLLGATE_MASTER_KEY does not open this store (wrong key or tampered data)")]
    WrongKey,
    /// A protection scheme this version does not know.
    #[error("unknown protection {0:?}")]
    Unknown(String),
}

/// The key that seals private signing keys and the pepper.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey").finish_non_exhaustive()
    }
}

impl MasterKey {
    /// Reads a master key from base64 (standard or URL-safe, padded or not).
    pub fn from_base64(text: &str) -> Result<Self, SealError> {
        fn decode<E: Encoding>(text: &str) -> Option<Zeroizing<[u8; 32]>> {
            let mut key = Zeroizing::new([0u8; 32]);
            let len = E::decode(text, key.as_mut_slice()).ok()?.len();
            (len == 32).then_some(key)
        }
        let text = text.trim();
        decode::<Base64>(text)
            .or_else(|| decode::<Base64Unpadded>(text))
            .or_else(|| decode::<Base64Url>(text))
            .or_else(|| decode::<Base64UrlUnpadded>(text))
            .map(Self)
            .ok_or(SealError::BadMasterKey)
    }

    /// Encrypts `plaintext` bound to `context`; returns nonce ‖ ciphertext.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        let nonce = random_bytes::<NONCE_LEN>();
        let cipher = XChaCha20Poly1305::new(self.0.as_slice().into());
        let payload = Payload {
            msg: plaintext,
            aad: context.as_bytes(),
        };
        // invariant: encryption into a Vec only fails past 256 GiB of plaintext.
        let ciphertext = cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .expect("XChaCha20-Poly1305 encryption");
        [nonce.as_slice(), &ciphertext].concat()
    }

    /// Decrypts a value sealed with [`seal`](Self::seal) under the same `context`.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        if sealed.len() < NONCE_LEN {
            return Err(SealError::WrongKey);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let cipher = XChaCha20Poly1305::new(self.0.as_slice().into());
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .map(Zeroizing::new)
            .map_err(|_| SealError::WrongKey)
    }
}

/// Reads a stored value under its `protection`.
pub fn unprotect(
    master: Option<&MasterKey>,
    protection: &str,
    context: &str,
    stored: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    match (protection, master) {
        (PLAIN, _) => Ok(Zeroizing::new(stored.to_vec())),
        (SEALED, Some(key)) => key.open(context, stored),
        (SEALED, None) => Err(SealError::MasterKeyRequired),
        (other, _) => Err(SealError::Unknown(other.to_string())),
    }
}

/// Protects a value for storage: sealed when a master key is set.
pub fn protect(master: Option<&MasterKey>, context: &str, value: &[u8]) -> (Vec<u8>, &'static str) {
    match master {
        Some(key) => (key.seal(context, value), SEALED),
        None => (value.to_vec(), PLAIN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_context_binding() {
        let key = MasterKey::from_base64(&Base64::encode_string(&[9u8; 32])).unwrap();
        let sealed = key.seal("kid-1", b"seed");
        assert_ne!(&sealed[NONCE_LEN..], b"seed");
        assert_eq!(key.open("kid-1", &sealed).unwrap().as_slice(), b"seed");
        assert!(matches!(
            key.open("kid-2", &sealed),
            Err(SealError::WrongKey)
        ));
        let other = MasterKey::from_base64(&Base64UrlUnpadded::encode_string(&[8u8; 32])).unwrap();
        assert!(matches!(
            other.open("kid-1", &sealed),
            Err(SealError::WrongKey)
        ));
    }

    #[test]
    fn master_key_must_be_32_bytes() {
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
    }
}
