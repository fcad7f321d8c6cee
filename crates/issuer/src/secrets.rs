//! Client secrets and refresh tokens: server-generated, 256-bit, stored only as
//! HMAC-SHA-256 digests under a server pepper, compared in constant time.
//!
//! High-entropy secrets need no slow password hash: nobody can brute-force 2^256, and a
//! keyed digest makes a stolen table useless without the pepper.

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::store::Digest;

/// Bytes of entropy in every secret, refresh token and generated id part.
pub const SECRET_BYTES: usize = 32;

/// Fills a fresh array from the operating system's CSPRNG.
///
/// # Panics
/// If the OS has no randomness to give; nothing secure can continue then.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // invariant: getrandom only fails when the OS RNG is unavailable.
    getrandom::fill(&mut bytes).expect("the operating system RNG is unavailable");
    bytes
}

/// A new secret or refresh token: 256 random bits as unpadded base64url (43 characters,
/// all unreserved, so form-encoding leaves it unchanged).
pub fn generate_secret() -> Zeroizing<String> {
    let bytes = Zeroizing::new(random_bytes::<SECRET_BYTES>());
    Zeroizing::new(Base64UrlUnpadded::encode_string(bytes.as_slice()))
}

/// A random identifier of `N` bytes as unpadded base64url (client ids, `jti`, families).
pub fn random_id<const N: usize>() -> String {
    Base64UrlUnpadded::encode_string(&random_bytes::<N>())
}

/// What a digest is of: keeps secrets and refresh tokens in separate domains.
#[derive(Clone, Copy, Debug)]
enum Purpose {
    ClientSecret,
    RefreshToken,
}

/// Computes keyed digests under the server pepper.
#[derive(Clone)]
pub struct Hasher {
    pepper: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").finish_non_exhaustive()
    }
}

impl Hasher {
    /// A hasher keyed by `pepper`.
    pub fn new(pepper: Zeroizing<[u8; 32]>) -> Self {
        Self { pepper }
    }

    /// The digest stored for a client secret.
    pub fn client_secret(&self, secret: &str) -> Digest {
        self.digest(Purpose::ClientSecret, secret.as_bytes())
    }

    /// The digest stored for a refresh token.
    pub fn refresh_token(&self, token: &str) -> Digest {
        self.digest(Purpose::RefreshToken, token.as_bytes())
    }

    fn digest(&self, purpose: Purpose, value: &[u8]) -> Digest {
        // invariant: HMAC accepts keys of any length.
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.pepper.as_slice()).expect("HMAC takes any key");
        mac.update(match purpose {
            Purpose::ClientSecret => b"tollgate client secret v1\0",
            Purpose::RefreshToken => b"tollgate refresh token v1\0",
        });
        mac.update(value);
        mac.finalize().into_bytes().into()
    }
}

/// Constant-time equality of two digests.
pub fn digest_eq(a: &Digest, b: &Digest) -> Choice {
    a.as_slice().ct_eq(b.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_256_bit_and_unreserved() {
        let s = generate_secret();
        assert_eq!(s.len(), 43);
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(*s, *generate_secret());
    }

    #[test]
    fn digests_depend_on_pepper_and_purpose() {
        let a = Hasher::new(Zeroizing::new([1; 32]));
        let b = Hasher::new(Zeroizing::new([2; 32]));
        assert_eq!(a.client_secret("x"), a.client_secret("x"));
        assert_ne!(a.client_secret("x"), b.client_secret("x"));
        assert_ne!(a.client_secret("x"), a.refresh_token("x"));
        assert!(bool::from(digest_eq(
            &a.client_secret("x"),
            &a.client_secret("x")
        )));
        assert!(!bool::from(digest_eq(
            &a.client_secret("x"),
            &a.client_secret("y")
        )));
    }
}
