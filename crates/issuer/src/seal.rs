//! Encryption at rest with the master key (`tollgate.key`, or `TOLLGATE_MASTER_KEY`):
//! XChaCha20-Poly1305 with a random 192-bit nonce, the row's identity as associated data
//! (a sealed value cannot be moved to another row).
//!
//! Also the files that hold secrets: the key file is created once (never replaced), and
//! a key or store file other users can read is refused.

use std::{
    fs::{File, OpenOptions},
    io::{self, Read as _, Write as _},
    path::Path,
};

use base64ct::{Base64, Base64Unpadded, Base64Url, Base64UrlUnpadded, Encoding};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use zeroize::Zeroizing;

use crate::{
    secrets::random_bytes,
    store::{Store, StoreResult},
};

/// `protection` of a value stored in clear.
pub const PLAIN: &str = "plain";
/// `protection` of a value sealed with the master key.
pub const SEALED: &str = "xchacha20poly1305";

/// Name of the setting that holds the secret-hashing pepper.
pub const PEPPER_SETTING: &str = "pepper";
/// Associated data of the sealed pepper.
pub const PEPPER_CONTEXT: &str = "tollgate setting pepper";

const NONCE_LEN: usize = 24;
/// A key file is one base64 line; anything much longer is not a key file.
const MAX_KEY_FILE_LEN: u64 = 256;

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
    #[error(
        "the store is sealed: give its master key (tollgate.key beside the store, \
         --master-key-file or TOLLGATE_MASTER_KEY)"
    )]
    MasterKeyRequired,
    /// Decryption failed: wrong master key or tampered data.
    #[error("the master key does not open this store (wrong key or tampered data)")]
    WrongKey,
    /// The key file cannot be read or created, or does not hold a key.
    #[error("master key file {path}: {reason}")]
    KeyFile {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file holding secrets that other users may read or write.
    #[error(
        "{path} is accessible to other users (mode {mode:04o}); it holds secrets: \
         run `chmod 600 {path}`"
    )]
    NotPrivate {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
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

    /// A new random key.
    pub fn generate() -> Self {
        Self(Zeroizing::new(random_bytes()))
    }

    /// The key in standard padded base64, the key file's format.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(Base64::encode_string(self.0.as_slice()))
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

/// Whether the store holds any sealed value (then it cannot be used without its key).
pub async fn store_is_sealed(store: &Store) -> StoreResult<bool> {
    let pepper = store.settings.setting(PEPPER_SETTING).await?;
    let keys = store.keys.signing_keys().await?;
    Ok(pepper.is_some_and(|p| p.protection != PLAIN) || keys.iter().any(|k| k.protection != PLAIN))
}

fn key_file_error(path: &Path, reason: impl std::fmt::Display) -> SealError {
    SealError::KeyFile {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// Reads the master key file at `path`; `None` if there is no such file.
pub fn read_key_file(path: &Path) -> Result<Option<MasterKey>, SealError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(key_file_error(path, e)),
    };
    let mut text = Zeroizing::new(String::new());
    file.take(MAX_KEY_FILE_LEN)
        .read_to_string(&mut text)
        .map_err(|e| key_file_error(path, e))?;
    MasterKey::from_base64(&text)
        .map(Some)
        .map_err(|_| key_file_error(path, "not 32 bytes of base64"))
}

/// Reads the key file at `path`, or creates it (mode 0600) with a new random key. An
/// existing file is never replaced, even by a process racing this one. Returns the key
/// and whether this call created the file.
pub fn read_or_create_key_file(path: &Path) -> Result<(MasterKey, bool), SealError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let key = read_key_file(path)?.ok_or_else(|| key_file_error(path, "vanished"))?;
            return Ok((key, false));
        }
        Err(e) => return Err(key_file_error(path, e)),
    };
    let key = MasterKey::generate();
    let line = Zeroizing::new(format!("{}\n", key.to_base64().as_str()));
    file.write_all(line.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| key_file_error(path, e))?;
    Ok((key, true))
}

/// Refuses a file that users other than its owner may read or write (secrets leak, or
/// can be swapped). A missing file passes: it is created private.
pub fn check_private(path: &Path) -> Result<(), SealError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = match std::fs::metadata(path) {
            Ok(meta) => meta.permissions().mode() & 0o7777,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(key_file_error(path, e)),
        };
        if mode & 0o077 != 0 {
            return Err(SealError::NotPrivate {
                path: path.display().to_string(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
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
    fn the_key_file_is_created_private_once_and_read_back() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("tollgate.key");
        assert!(read_key_file(&path).unwrap().is_none());
        let (created, fresh) = read_or_create_key_file(&path).unwrap();
        assert!(fresh);
        check_private(&path).unwrap();
        let (again, fresh) = read_or_create_key_file(&path).unwrap();
        assert!(!fresh, "an existing key file is never replaced");
        let sealed = created.seal("ctx", b"value");
        assert_eq!(again.open("ctx", &sealed).unwrap().as_slice(), b"value");
        std::fs::write(&path, "short\n").unwrap();
        assert!(matches!(
            read_key_file(&path),
            Err(SealError::KeyFile { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn files_other_users_can_read_are_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "x").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = check_private(&path).unwrap_err().to_string();
        assert!(
            err.contains("mode 0644") && err.contains("chmod 600"),
            "{err}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        check_private(&path).unwrap();
    }

    #[test]
    fn master_key_must_be_32_bytes() {
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
    }
}
