//! Signing keys: decoded once into memory, refreshed from the store on a timer so that
//! `tollgate keys rotate` (another process) reaches every running server.
//!
//! Life of a key: created and published in the JWKS at once; signs from `activate_at`
//! (so verifiers holding an embedded JWKS can be updated first); stops signing when a
//! newer key activates; leaves the JWKS once every token it may have signed has expired
//! (the longest client lifetime plus [`RETIRE_GRACE_SECS`]). A revoked key (a leaked
//! one) leaves the JWKS and stops signing at once, whatever its schedule.

mod stored;

use std::sync::{Arc, RwLock};

use serde::Serialize;
use tollgate_core::{Jwks, Policy, SigningKey, Verifier};

use self::stored::{corrupt, decode, public_jwk};
pub use self::stored::{ensure_first_key, generate, prepare, thumbprint};
use crate::{
    error::SetupError,
    seal::MasterKey,
    store::{Store, StoredKey},
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
    /// Withdrawn by an operator: neither published nor used again.
    Revoked,
}

impl KeyState {
    /// The documented lower-case name (`active`, `retiring`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Retiring => "retiring",
            Self::Retired => "retired",
            Self::Revoked => "revoked",
        }
    }
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
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
}

/// Works out each key's state at `now`, given the longest access-token lifetime.
///
/// The active key is the latest started key that is not revoked. A superseded key stays
/// published until the longest token it may have signed has expired: that is timed from
/// the activation of the key started after it, revoked or not, since it stopped signing
/// then.
pub fn plan(keys: &[StoredKey], now: i64, max_ttl: i64) -> Vec<KeyInfo> {
    let mut order: Vec<&StoredKey> = keys.iter().collect();
    order.sort_by(|a, b| {
        (a.activate_at, a.created_at, &a.kid).cmp(&(b.activate_at, b.created_at, &b.kid))
    });
    let started: Vec<&&StoredKey> = order.iter().filter(|k| k.activate_at <= now).collect();
    let active = started.iter().rev().find(|k| k.revoked_at.is_none());
    order
        .iter()
        .map(|key| {
            let position = started.iter().position(|k| k.kid == key.kid);
            let (state, published_until) = match position {
                _ if key.revoked_at.is_some() => (KeyState::Revoked, None),
                None => (KeyState::Pending, None),
                Some(_) if active.is_some_and(|a| a.kid == key.kid) => (KeyState::Active, None),
                Some(i) => {
                    let until = started
                        .get(i + 1)
                        .map_or(now, |next| next.activate_at)
                        .saturating_add(max_ttl)
                        .saturating_add(RETIRE_GRACE_SECS);
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
                revoked_at: key.revoked_at,
            }
        })
        .collect()
}

/// The activation time and kid of the key that becomes active next, if any is pending.
fn upcoming(rows: &[StoredKey], plan_now: &[KeyInfo], max_ttl: i64) -> Option<(i64, String)> {
    let at = plan_now
        .iter()
        .filter(|k| k.state == KeyState::Pending)
        .map(|k| k.activate_at)
        .min()?;
    let then = plan(rows, at, max_ttl);
    let kid = then.into_iter().find(|k| k.state == KeyState::Active)?.kid;
    Some((at, kid))
}

/// What a key ring may read from the store.
#[derive(Clone, Debug)]
pub enum Secrets {
    /// Only the public halves: the JWKS and each key's state, no signer (`jwks`,
    /// `keys list`: no master key needed).
    PublicOnly,
    /// The active private key too, opened with the master key (`None`: a store kept in
    /// plaintext with `--insecure-plaintext-keys`).
    Private(Option<MasterKey>),
}

fn row_of<'a>(rows: &'a [StoredKey], kid: &str) -> Result<&'a StoredKey, SetupError> {
    rows.iter()
        .find(|r| r.kid == kid)
        .ok_or_else(|| corrupt(format!("key {kid} vanished")))
}

/// The keys in force at one moment: what the token, JWKS and introspection routes use.
#[derive(Debug)]
pub struct KeySet {
    signer: Option<Arc<SigningKey>>,
    /// The key that takes over at its activation time, decoded ahead, so that every
    /// replica switches at that second rather than at its next reload.
    next: Option<(i64, Arc<SigningKey>)>,
    jwks_json: Arc<str>,
    verifier: Option<Verifier>,
    plan: Vec<KeyInfo>,
}

impl KeySet {
    /// The key that signs new tokens at `now` (none if every key is still pending, or
    /// the ring reads public halves only).
    pub fn signer_at(&self, now: i64) -> Option<&SigningKey> {
        match &self.next {
            Some((at, key)) if now >= *at => Some(key),
            _ => self.signer.as_deref(),
        }
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
        secrets: &Secrets,
        previous: Option<&KeySet>,
    ) -> Result<Self, SetupError> {
        let plan = plan(rows, now, max_ttl);
        // Active key first: verifiers that try keys in order hit it at once.
        let mut jwks = Vec::new();
        for state in [KeyState::Active, KeyState::Pending, KeyState::Retiring] {
            for info in plan.iter().filter(|k| k.state == state) {
                jwks.push(public_jwk(row_of(rows, &info.kid)?, secrets)?);
            }
        }
        let active = plan.iter().find(|k| k.state == KeyState::Active);
        let signer = match (active, secrets) {
            (Some(info), Secrets::Private(master)) => {
                let known = previous
                    .and_then(|p| p.signer.clone())
                    .filter(|key| key.kid() == info.kid);
                match known {
                    Some(key) => Some(key),
                    None => Some(Arc::new(decode(master.as_ref(), row_of(rows, &info.kid)?)?)),
                }
            }
            _ => None,
        };
        let next = match secrets {
            Secrets::Private(master) => upcoming(rows, &plan, max_ttl)
                .map(|(at, kid)| {
                    let known = previous
                        .and_then(|p| p.next.as_ref())
                        .filter(|(_, key)| key.kid() == kid)
                        .map(|(_, key)| Arc::clone(key));
                    let key = match known {
                        Some(key) => key,
                        None => Arc::new(decode(master.as_ref(), row_of(rows, &kid)?)?),
                    };
                    Ok::<_, SetupError>((at, key))
                })
                .transpose()?,
            Secrets::PublicOnly => None,
        };
        let (jwks_json, verifier) = match Jwks::new(jwks) {
            Ok(set) => (
                set.to_json(),
                Some(Verifier::new(set, Policy::default().issuer(issuer))),
            ),
            Err(_) => (r#"{"keys":[]}"#.to_string(), None),
        };
        Ok(Self {
            signer,
            next,
            jwks_json: jwks_json.into(),
            verifier,
            plan,
        })
    }
}

/// The shared, periodically refreshed [`KeySet`].
#[derive(Debug)]
pub struct KeyRing {
    store: Store,
    secrets: Secrets,
    issuer: String,
    current: RwLock<Arc<KeySet>>,
}

impl KeyRing {
    /// Loads the keys for signing: the active private key is opened with `master`
    /// (`None` for a plaintext store). Run [`prepare`] first on a store that may be new.
    pub async fn load(
        store: Store,
        master: Option<MasterKey>,
        issuer: String,
        now: i64,
    ) -> Result<Self, SetupError> {
        Self::with_secrets(store, Secrets::Private(master), issuer, now).await
    }

    /// Loads the public halves only: the JWKS and the plan, without any master key.
    pub async fn load_public(store: Store, issuer: String, now: i64) -> Result<Self, SetupError> {
        Self::with_secrets(store, Secrets::PublicOnly, issuer, now).await
    }

    async fn with_secrets(
        store: Store,
        secrets: Secrets,
        issuer: String,
        now: i64,
    ) -> Result<Self, SetupError> {
        let rows = store.keys.signing_keys().await?;
        let max_ttl = store.clients.max_access_ttl().await?;
        let set = KeySet::build(&rows, now, max_ttl, &issuer, &secrets, None)?;
        Ok(Self {
            store,
            secrets,
            issuer,
            current: RwLock::new(Arc::new(set)),
        })
    }

    /// The master key that seals new keys, if configured.
    pub fn master(&self) -> Option<&MasterKey> {
        match &self.secrets {
            Secrets::Private(master) => master.as_ref(),
            Secrets::PublicOnly => None,
        }
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
    /// at `now`. The signer already decoded is reused.
    pub async fn reload(&self, now: i64) -> Result<(), SetupError> {
        let rows = self.store.keys.signing_keys().await?;
        let max_ttl = self.store.clients.max_access_ttl().await?;
        let previous = self.current();
        let set = KeySet::build(
            &rows,
            now,
            max_ttl,
            &self.issuer,
            &self.secrets,
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

#[cfg(test)]
mod tests;
