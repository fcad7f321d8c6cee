//! Signing keys as stored: generated with their public half in clear, the seed sealed
//! with the master key; decoded and checked against their `kid` when read.

use tollgate_core::{Jwk, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use super::Secrets;
use crate::{
    error::SetupError,
    seal::{self, MasterKey},
    secrets::random_bytes,
    store::{Store, StoreError, StoredKey},
};

/// The RFC 7638 thumbprint of a key's public half: a stable, collision-free `kid`.
pub fn thumbprint(seed: &[u8; 32]) -> String {
    SigningKey::from_seed("", seed).public_jwk().thumbprint()
}

fn key_context(kid: &str) -> String {
    format!("tollgate signing key {kid}")
}

pub(super) fn corrupt(message: String) -> SetupError {
    StoreError::Corrupt(message).into()
}

/// Generates a key that publishes now and signs from `activate_at`, sealed if a master
/// key is given. Its public half is kept in clear.
pub fn generate(master: Option<&MasterKey>, now: i64, activate_at: i64) -> StoredKey {
    let seed = Zeroizing::new(random_bytes::<32>());
    let public = SigningKey::from_seed("", &seed).public_jwk();
    let kid = public.thumbprint();
    let (private_key, protection) = seal::protect(master, &key_context(&kid), seed.as_slice());
    StoredKey {
        kid,
        private_key,
        public_key: Some(public.verifying_key().to_bytes()),
        protection: protection.to_string(),
        created_at: now,
        activate_at,
        revoked_at: None,
    }
}

pub(super) fn decode(
    master: Option<&MasterKey>,
    row: &StoredKey,
) -> Result<SigningKey, SetupError> {
    let bytes = seal::unprotect(
        master,
        &row.protection,
        &key_context(&row.kid),
        &row.private_key,
    )?;
    let seed: &[u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| corrupt(format!("key {} is not 32 bytes", row.kid)))?;
    // The kid is the key's thumbprint: a mismatch means a corrupted or swapped row.
    if thumbprint(seed) != row.kid {
        return Err(corrupt(format!("key {} does not match its kid", row.kid)));
    }
    Ok(SigningKey::from_seed(row.kid.clone(), seed))
}

/// A key's public JWK, from its stored public half, checked against its `kid`.
pub(super) fn public_jwk(row: &StoredKey, secrets: &Secrets) -> Result<Jwk, SetupError> {
    let bytes = match (row.public_key, secrets) {
        (Some(bytes), _) => bytes,
        // A key stored before public halves were kept: derive it where the seed opens.
        (None, Secrets::Private(master)) => public_half(&decode(master.as_ref(), row)?),
        (None, Secrets::PublicOnly) if row.protection == seal::PLAIN => {
            public_half(&decode(None, row)?)
        }
        (None, Secrets::PublicOnly) => {
            return Err(SetupError::Config(format!(
                "signing key {} predates stored public keys: start `tollgate serve` once \
                 with the master key to record them",
                row.kid
            )));
        }
    };
    let bad = || corrupt(format!("public key of {} is invalid", row.kid));
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| bad())?;
    let jwk = Jwk::new(Some(row.kid.clone()), key).map_err(|_| bad())?;
    // The kid is the thumbprint of the public half: a mismatch means a swapped column.
    if jwk.thumbprint() != row.kid {
        return Err(corrupt(format!(
            "public key of {} does not match its kid",
            row.kid
        )));
    }
    Ok(jwk)
}

fn public_half(key: &SigningKey) -> [u8; 32] {
    key.public_jwk().verifying_key().to_bytes()
}

/// Readies the keys of a store about to sign: creates the first key on a new store,
/// records missing public halves, and seals plaintext keys when a master key is given.
/// Returns whether a plaintext key was replaced (the store should then be compacted).
pub async fn prepare(
    store: &Store,
    master: Option<&MasterKey>,
    now: i64,
) -> Result<bool, SetupError> {
    ensure_first_key(store, master, now).await?;
    record_public_keys(store, master).await?;
    match master {
        Some(master) => seal_plain_keys(store, master).await,
        None => Ok(false),
    }
}

/// Creates the first signing key if the store has none (active at once).
pub async fn ensure_first_key(
    store: &Store,
    master: Option<&MasterKey>,
    now: i64,
) -> Result<(), SetupError> {
    if store.keys.signing_keys().await?.is_empty() {
        store
            .keys
            .insert_signing_key(&generate(master, now, now), true, None)
            .await?;
    }
    Ok(())
}

async fn record_public_keys(store: &Store, master: Option<&MasterKey>) -> Result<(), SetupError> {
    for row in store.keys.signing_keys().await? {
        if row.public_key.is_none() {
            let public = public_half(&decode(master, &row)?);
            store.keys.set_public_key(&row.kid, &public).await?;
        }
    }
    Ok(())
}

async fn seal_plain_keys(store: &Store, master: &MasterKey) -> Result<bool, SetupError> {
    let mut sealed_any = false;
    for row in store.keys.signing_keys().await? {
        if row.protection != seal::PLAIN {
            continue;
        }
        let key = decode(None, &row)?;
        let private_key = master.seal(&key_context(&row.kid), key.seed().as_slice());
        let sealed = StoredKey {
            kid: row.kid.clone(),
            private_key,
            public_key: row.public_key,
            protection: seal::SEALED.to_string(),
            created_at: row.created_at,
            activate_at: row.activate_at,
            revoked_at: row.revoked_at,
        };
        store
            .keys
            .reseal_signing_key(&row.kid, seal::PLAIN, &sealed)
            .await?;
        sealed_any = true;
        tracing::info!(kid = %row.kid, "sealed a plaintext signing key with the master key");
    }
    Ok(sealed_any)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_half_that_does_not_match_its_kid_is_refused() {
        let (a, b) = (generate(None, 0, 0), generate(None, 0, 0));
        assert!(public_jwk(&a, &Secrets::PublicOnly).is_ok());
        let mut swapped = a.clone();
        swapped.public_key = b.public_key;
        let err = public_jwk(&swapped, &Secrets::PublicOnly).unwrap_err();
        assert!(err.to_string().contains("does not match its kid"), "{err}");
        // Without a stored half, a plaintext seed gives it; a sealed one needs the key.
        let mut legacy = a.clone();
        legacy.public_key = None;
        assert_eq!(
            public_jwk(&legacy, &Secrets::PublicOnly).unwrap(),
            public_jwk(&a, &Secrets::PublicOnly).unwrap()
        );
        let master = MasterKey::generate();
        let mut sealed = generate(Some(&master), 0, 0);
        sealed.public_key = None;
        assert!(public_jwk(&sealed, &Secrets::PublicOnly).is_err());
        assert!(public_jwk(&sealed, &Secrets::Private(Some(master))).is_ok());
    }
}
