//! Signing-key administration: list, rotate, revoke.

use serde::Serialize;

use super::{AdminError, MAX_TTL, rules::invalid};
use crate::{
    AppState, audit,
    keys::{self, KeyInfo, KeyState},
    store::StoreError,
};

/// Every signing key and its state now.
pub async fn list_keys(state: &AppState) -> Result<Vec<KeyInfo>, AdminError> {
    state.keys().reload(state.clock().now()).await?;
    Ok(state.keys().current().plan().to_vec())
}

fn find(keys: Vec<KeyInfo>, kid: &str) -> Result<KeyInfo, AdminError> {
    keys.into_iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| AdminError::NoKey(kid.to_string()))
}

/// Adds a key, published now, signing `activate_after` seconds from now.
pub async fn rotate_keys(state: &AppState, activate_after: i64) -> Result<KeyInfo, AdminError> {
    if !(0..=MAX_TTL).contains(&activate_after) {
        return Err(invalid(format!(
            "activate-after must be between 0 and {MAX_TTL} seconds"
        )));
    }
    let lead = lead_time(state, activate_after);
    let kid = insert_key(state, lead, true).await?;
    find(list_keys(state).await?, &kid)
        .map_err(|_| StoreError::Corrupt("new key not found".into()).into())
}

/// The lead a planned rotation gets: at least the JWKS `max-age` plus one key reload, so
/// no cache still holds a key set without the new key when it starts to sign. `0` is the
/// emergency rotation, signing at once (verifiers fetching the set refetch on the new
/// `kid`).
fn lead_time(state: &AppState, activate_after: i64) -> i64 {
    if activate_after == 0 {
        return 0;
    }
    let settings = state.settings();
    let cached = settings
        .jwks_max_age
        .saturating_add(settings.key_reload.as_secs());
    activate_after.max(i64::try_from(cached).unwrap_or(MAX_TTL).min(MAX_TTL))
}

/// Adds a new key signing `activate_after` seconds from now; `audited`, with its own
/// `keys.rotate` event (a successor created by `keys revoke --rotate` is named in the
/// revocation's event instead).
async fn insert_key(
    state: &AppState,
    activate_after: i64,
    audited: bool,
) -> Result<String, AdminError> {
    let now = state.clock().now();
    let key = keys::generate(
        state.keys().master(),
        now,
        now.saturating_add(activate_after),
    );
    let detail = format!("activate_after {activate_after} s");
    let event = audited.then(|| audit::event(state, "keys.rotate", &key.kid, detail));
    state
        .store()
        .keys
        .insert_signing_key(&key, false, event.as_ref())
        .await?;
    Ok(key.kid.clone())
}

/// Which key signs once the revoked one is gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Successor {
    /// None named: only a key that is not the active one may be revoked.
    Unchanged,
    /// This pending key, activated now.
    Activate(String),
    /// A new key, created and activated now.
    New,
}

/// A revoked key and the key that signs after it.
#[derive(Clone, Debug, Serialize)]
pub struct RevokedKey {
    /// The revoked key.
    pub revoked: KeyInfo,
    /// The key signing now.
    pub active: Option<KeyInfo>,
}

/// Revokes `kid`: it leaves the JWKS and stops signing at once, and tokens it signed
/// stop verifying. The active key is only revoked together with activating another
/// (`successor`), so signing never stops.
pub async fn revoke_key(
    state: &AppState,
    kid: &str,
    successor: Successor,
) -> Result<RevokedKey, AdminError> {
    let target = find(list_keys(state).await?, kid)?;
    if target.state == KeyState::Revoked {
        return Err(invalid(format!("key {kid} is already revoked")));
    }
    if target.state == KeyState::Active && successor == Successor::Unchanged {
        return Err(invalid(format!(
            "key {kid} is the active signing key: name its successor with \
             `--activate KID` (a pending key) or `--rotate` (a new key, active now)"
        )));
    }
    let activate = match successor {
        Successor::Unchanged => None,
        Successor::Activate(next) => {
            let next = find(list_keys(state).await?, &next)?;
            if next.state != KeyState::Pending {
                return Err(invalid(format!(
                    "key {} is {}, not pending: only a pending key can be activated",
                    next.kid,
                    next.state.as_str()
                )));
            }
            Some(next.kid)
        }
        Successor::New => Some(insert_key(state, 0, false).await?),
    };
    let now = state.clock().now();
    let detail = activate
        .as_deref()
        .map_or_else(String::new, |next| format!("activated {next}"));
    let event = audit::event(state, "keys.revoke", kid, detail);
    if !state
        .store()
        .keys
        .revoke_signing_key(kid, activate.as_deref(), now, &event)
        .await?
    {
        return Err(invalid(format!(
            "key {kid} changed meanwhile; run `keys list` and retry"
        )));
    }
    let keys = list_keys(state).await?;
    let active = keys.iter().find(|k| k.state == KeyState::Active).cloned();
    Ok(RevokedKey {
        revoked: find(keys, kid)?,
        active,
    })
}
