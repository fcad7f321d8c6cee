//! Signing keys: decoded once into memory, refreshed from the store on a timer so that
//! `tollgate keys rotate` (another process) reaches every running server.
//!
//! Life of a key: created and published in the JWKS at once; signs from `activate_at`
//! (so verifiers holding an embedded JWKS can be updated first); stops signing when a
//! newer key activates; leaves the JWKS once every token it may have signed has expired
//! (the longest client lifetime plus [`RETIRE_GRACE_SECS`]).

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use serde::Serialize;
use tollgate_core::{Jwks, Policy, SigningKey, Verifier};
use zeroize::Zeroizing;

use crate::{
    error::SetupError,
    seal::{self, MasterKey},
    secrets::random_bytes,
    store::{Store, StoreError, StoredKey},
};

/// Extra time a retired key stays published after its last token could expire: covers
/// clock skew between replicas and their reload interval.
pub const RETIRE_GRACE_SECS: i64 = 300;

/// Where a key is in its life at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Published, not yet signing.
    Pending,
    /// Published and signing new tokens.
    Active,
    /// Published for tokens it signed earlier; no longer signing.
    Retiring,
    /// No longer published.
    Retired,
}

/// One key's schedule, as `keys list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// Key id (RFC 7638 JWK thumbprint).
    pub kid: String,
    /// State at the time of the plan.
    pub state: KeyState,
    /// Creation and publication time.
    pub created_at: i64,
    /// When it starts (or started) signing.
    pub activate_at: i64,
    /// When it leaves the JWKS, once superseded.
    pub published_until: Option<i64>,
}

/// Works out each key's state at `now`, given the longest access-token lifetime.
pub fn plan(keys: &[StoredKey], now: i64, max_ttl: i64) -> Vec<KeyInfo> {
    let mut order: Vec<&StoredKey> = keys.iter().collect();
    order.sort_by(|a, b| {
        (a.activate_at, a.created_at, &a.kid).cmp(&(b.activate_at, b.created_at, &b.kid))
    });
    let started: Vec<&&StoredKey> = order.iter().filter(|k| k.activate_at <= now).collect();
    order
        .iter()
        .map(|key| {
            let position = started.iter().position(|k| k.kid == key.kid);
            let (state, published_until) = match position {
                None => (KeyState::Pending, None),
                Some(i) if i + 1 == started.len() => (KeyState::Active, None),
                Some(i) => {
                    let until = started[i + 1].activate_at + max_ttl + RETIRE_GRACE_SECS;
                    let state = if now < until {
                        KeyState::Retiring
                    } else {
                        KeyState::Retired
                    };
                    (state, Some(until))
                }
            };
            KeyInfo {
                kid: key.kid.clone(),
                state,
                created_at: key.created_at,
                activate_at: key.activate_at,
                published_until,
            }
        })
        .collect()
}

/// The RFC 7638 thumbprint of a key's public half: a stable, collision-free `kid`.
pub fn thumbprint(seed: &[u8; 32]) -> String {
    SigningKey::from_seed("", seed).public_jwk().thumbprint()
}

fn key_context(kid: &str) -> String {
    format!("tollgate signing key {kid}")
}

/// Generates a key that publishes now and signs from `activate_at`, sealed if a master
/// key is given.
pub fn generate(master: Option<&MasterKey>, now: i64, activate_at: i64) -> StoredKey {
    let seed = Zeroizing::new(random_bytes::<32>());
    let kid = thumbprint(&seed);
    let (private_key, protection) = seal::protect(master, &key_context(&kid), seed.as_slice());
    StoredKey {
        kid,
        private_key,
        protection: protection.to_string(),
        created_at: now,
        activate_at,
    }
}

fn decode(master: Option<&MasterKey>, row: &StoredKey) -> Result<SigningKey, SetupError> {
    let bytes = seal::unprotect(
        master,
        &row.protection,
        &key_context(&row.kid),
        &row.private_key,
    )?;
    let seed: &[u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("key {} is not 32 bytes", row.kid)))?;
    // The kid is the key's thumbprint: a mismatch means a corrupted or swapped row.
    if thumbprint(seed) != row.kid {
        return Err(StoreError::Corrupt(format!("key {} does not match its kid", row.kid)).into());
    }
    Ok(SigningKey::from_seed(row.kid.clone(), seed))
}

/// The keys in force at one moment: what the token, JWKS and introspection routes use.
#[derive(Debug)]
pub struct KeySet {
    signer: Option<Arc<SigningKey>>,
    jwks_json: Arc<str>,
    verifier: Option<Verifier>,
    plan: Vec<KeyInfo>,
    decoded: HashMap<String, Arc<SigningKey>>,
}

impl KeySet {
    /// The key that signs new tokens (none only if every key is still pending).
    pub fn signer(&self) -> Option<&SigningKey> {
        self.signer.as_deref()
    }

    /// The published JWKS, `{"keys":[...]}`.
    pub fn jwks_json(&self) -> &str {
        &self.jwks_json
    }

    /// A verifier for our own tokens (any published key, our issuer).
    pub fn verifier(&self) -> Option<&Verifier> {
        self.verifier.as_ref()
    }

    /// Every key's state.
    pub fn plan(&self) -> &[KeyInfo] {
        &self.plan
    }

    fn build(
        rows: &[StoredKey],
        now: i64,
        max_ttl: i64,
        issuer: &str,
        master: Option<&MasterKey>,
        previous: Option<&KeySet>,
    ) -> Result<Self, SetupError> {
        let mut decoded = HashMap::new();
        for row in rows {
            let known = previous.and_then(|p| p.decoded.get(&row.kid)).cloned();
            let key = match known {
                Some(key) => key,
                None => Arc::new(decode(master, row)?),
            };
            decoded.insert(row.kid.clone(), key);
        }
        let plan = plan(rows, now, max_ttl);
        let published = |state: KeyState| {
            plan.iter()
                .filter(move |k| k.state == state)
                .filter_map(|k| decoded.get(&k.kid))
                .map(|k| k.public_jwk())
        };
        // Active key first: verifiers that try keys in order hit it at once.
        let jwks: Vec<_> = published(KeyState::Active)
            .chain(published(KeyState::Pending))
            .chain(published(KeyState::Retiring))
            .collect();
        let signer = plan
            .iter()
            .find(|k| k.state == KeyState::Active)
            .and_then(|k| decoded.get(&k.kid).cloned());
        let (jwks_json, verifier) = match Jwks::new(jwks) {
            Ok(set) => (
                set.to_json(),
                Some(Verifier::new(set, Policy::default().issuer(issuer))),
            ),
            Err(_) => (r#"{"keys":[]}"#.to_string(), None),
        };
        Ok(Self {
            signer,
            jwks_json: jwks_json.into(),
            verifier,
            plan,
            decoded,
        })
    }
}

/// The shared, periodically refreshed [`KeySet`].
#[derive(Debug)]
pub struct KeyRing {
    store: Arc<dyn Store>,
    master: Option<MasterKey>,
    issuer: String,
    current: RwLock<Arc<KeySet>>,
}

impl KeyRing {
    /// Loads the keys, creating the first one on a new store and sealing any plaintext
    /// key when a master key is set.
    pub async fn load(
        store: Arc<dyn Store>,
        master: Option<MasterKey>,
        issuer: String,
        now: i64,
    ) -> Result<Self, SetupError> {
        ensure_first_key(store.as_ref(), master.as_ref(), now).await?;
        if let Some(master) = &master {
            seal_plain_keys(store.as_ref(), master).await?;
        }
        let rows = store.signing_keys().await?;
        let max_ttl = store.max_access_ttl().await?;
        let set = KeySet::build(&rows, now, max_ttl, &issuer, master.as_ref(), None)?;
        Ok(Self {
            store,
            master,
            issuer,
            current: RwLock::new(Arc::new(set)),
        })
    }

    /// The master key that seals new keys, if configured.
    pub fn master(&self) -> Option<&MasterKey> {
        self.master.as_ref()
    }

    /// The keys in force now.
    pub fn current(&self) -> Arc<KeySet> {
        // A poisoned lock still holds a complete KeySet: writers only swap an Arc.
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Re-reads the keys from the store (two cheap SELECTs) and recomputes their states
    /// at `now`. Already decoded keys are reused.
    pub async fn reload(&self, now: i64) -> Result<(), SetupError> {
        let rows = self.store.signing_keys().await?;
        let max_ttl = self.store.max_access_ttl().await?;
        let previous = self.current();
        let set = KeySet::build(
            &rows,
            now,
            max_ttl,
            &self.issuer,
            self.master.as_ref(),
            Some(&previous),
        )?;
        let set = Arc::new(set);
        match self.current.write() {
            Ok(mut guard) => *guard = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
        Ok(())
    }
}

/// Creates the first signing key if the store has none (active at once).
pub async fn ensure_first_key(
    store: &dyn Store,
    master: Option<&MasterKey>,
    now: i64,
) -> Result<(), SetupError> {
    if store.signing_keys().await?.is_empty() {
        store
            .insert_signing_key(&generate(master, now, now), true)
            .await?;
    }
    Ok(())
}

async fn seal_plain_keys(store: &dyn Store, master: &MasterKey) -> Result<(), SetupError> {
    for row in store.signing_keys().await? {
        if row.protection != seal::PLAIN {
            continue;
        }
        let key = decode(None, &row)?;
        let private_key = master.seal(&key_context(&row.kid), key.seed().as_slice());
        let sealed = StoredKey {
            kid: row.kid.clone(),
            private_key,
            protection: seal::SEALED.to_string(),
            created_at: row.created_at,
            activate_at: row.activate_at,
        };
        store
            .reseal_signing_key(&row.kid, seal::PLAIN, &sealed)
            .await?;
        tracing::info!(kid = %row.kid, "sealed a plaintext signing key with the master key");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kid: &str, created_at: i64, activate_at: i64) -> StoredKey {
        StoredKey {
            kid: kid.into(),
            private_key: Vec::new(),
            protection: seal::PLAIN.into(),
            created_at,
            activate_at,
        }
    }

    fn states(plan: &[KeyInfo]) -> Vec<(&str, KeyState)> {
        plan.iter().map(|k| (k.kid.as_str(), k.state)).collect()
    }

    #[test]
    fn rotation_publishes_first_and_retires_after_the_longest_token() {
        let keys = [row("a", 0, 0), row("b", 100, 200)];
        let ttl = 60;
        assert_eq!(
            states(&plan(&keys, 150, ttl)),
            [("a", KeyState::Active), ("b", KeyState::Pending)]
        );
        assert_eq!(
            states(&plan(&keys, 200, ttl)),
            [("a", KeyState::Retiring), ("b", KeyState::Active)]
        );
        let last = 200 + ttl + RETIRE_GRACE_SECS;
        assert_eq!(plan(&keys, last - 1, ttl)[0].state, KeyState::Retiring);
        assert_eq!(plan(&keys, last, ttl)[0].state, KeyState::Retired);
        assert_eq!(plan(&keys, last, ttl)[0].published_until, Some(last));
    }

    #[test]
    fn a_later_rotation_with_an_earlier_activation_wins_first() {
        let keys = [row("a", 0, 0), row("slow", 10, 1000), row("fast", 20, 20)];
        assert_eq!(
            states(&plan(&keys, 30, 0)),
            [
                ("a", KeyState::Retiring),
                ("fast", KeyState::Active),
                ("slow", KeyState::Pending)
            ]
        );
        assert_eq!(plan(&keys, 1000, 0)[1].state, KeyState::Retiring);
        assert_eq!(plan(&keys, 1000, 0)[2].state, KeyState::Active);
    }

    #[test]
    fn thumbprint_matches_rfc_8037_example() {
        use base64ct::{Base64UrlUnpadded, Encoding};
        // RFC 8037 Appendix A.1 private key; A.3 gives its RFC 7638 thumbprint.
        let d =
            Base64UrlUnpadded::decode_vec("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A").unwrap();
        let seed: [u8; 32] = d.try_into().unwrap();
        assert_eq!(
            thumbprint(&seed),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }
}
