//! The store's roles: one trait per kind of record, so that a wrapper or a test double
//! replaces the role it watches and keeps the others.
//!
//! Every admin change takes its [`AuditEvent`] and commits it in the same transaction:
//! a change is never made without its trail, nor recorded without being made.

use async_trait::async_trait;

use super::{
    AuditEvent, ChangeMarks, Client, Digest, FailureChange, FailureOutcome, FailureState,
    LockoutPolicy, RefreshToken, Setting, StoreResult, StoredKey,
};

/// Registered clients.
#[async_trait]
pub trait ClientStore: Send + Sync + std::fmt::Debug + 'static {
    /// Registers a client; [`StoreError::Conflict`](super::StoreError::Conflict) (and
    /// no event) if the id is taken.
    async fn create_client(&self, client: &Client, event: &AuditEvent) -> StoreResult<()>;
    /// One client by id.
    async fn client(&self, id: &str) -> StoreResult<Option<Client>>;
    /// All clients, by id.
    async fn clients(&self) -> StoreResult<Vec<Client>>;
    /// Up to `limit` clients with ids after `after` (from the first if `None`), by id.
    async fn clients_page(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<Client>>;
    /// Sets a new secret, keeping the old one valid until `previous_expires_at` if given,
    /// and ends every lockout of the client (whoever guessed the old secret has nothing
    /// to gain). False, changing nothing, if there is no such client.
    async fn set_secret(
        &self,
        id: &str,
        secret_hash: &Digest,
        previous: Option<(Digest, i64)>,
        now: i64,
        event: &AuditEvent,
    ) -> StoreResult<bool>;
    /// Replaces a client's settings (name, scopes, audiences, lifetimes, refresh) and
    /// `updated_at`, keeping its secrets and state; false if there is no such client.
    async fn update_client(&self, client: &Client, event: &AuditEvent) -> StoreResult<bool>;
    /// Enables or disables a client; re-enabling also ends its lockouts (the operator's
    /// way to end one early). False if there is no such client.
    async fn set_disabled(
        &self,
        id: &str,
        disabled: bool,
        now: i64,
        event: &AuditEvent,
    ) -> StoreResult<bool>;
    /// Deletes a client and its refresh tokens; false if there is no such client.
    async fn delete_client(&self, id: &str, event: &AuditEvent) -> StoreResult<bool>;
    /// The longest access-token lifetime of any client (0 if none): how long a retired
    /// signing key must stay published.
    async fn max_access_ttl(&self) -> StoreResult<i64>;
}

/// Failure counts per (client, source), lockouts, and the change marks servers poll.
#[async_trait]
pub trait LockoutStore: Send + Sync + std::fmt::Debug + 'static {
    /// The client (if any) and the failure state of (`id`, `source`), in one query.
    async fn auth_lookup(
        &self,
        id: &str,
        source: &str,
    ) -> StoreResult<(Option<Client>, FailureState)>;
    /// Counts one failed authentication of (`id`, `source`) under `policy`
    /// ([`LockoutPolicy::after_failure`]), atomically. Only existing clients have rows:
    /// for an id that does not exist the outcome is computed and nothing is stored.
    async fn record_failure(
        &self,
        id: &str,
        source: &str,
        now_ms: i64,
        policy: &LockoutPolicy,
    ) -> StoreResult<FailureOutcome>;
    /// Clears the failure count of (`id`, `source`) after a success, unless the pair is
    /// locked at `now_ms` (callers only call it when the state they read was not clean,
    /// so a plain success writes nothing).
    async fn reset_failures(&self, id: &str, source: &str, now_ms: i64) -> StoreResult<()>;
    /// Forgets the failure state of `id` for one source or all, ending any lockout (the
    /// operator's `client unlock`).
    async fn clear_failures(
        &self,
        id: &str,
        source: Option<&str>,
        event: &AuditEvent,
    ) -> StoreResult<()>;
    /// Every source with a failure state for `id`, most recent failure first.
    async fn failures(&self, id: &str) -> StoreResult<Vec<(String, FailureState)>>;
    /// The failure states of the clients with ids in (`after`, `through`], by client id
    /// then most recent failure first: one page of `client list`.
    async fn failures_between(
        &self,
        after: Option<&str>,
        through: &str,
    ) -> StoreResult<Vec<(String, String, FailureState)>>;
    /// Forgets failure rows idle since before `cutoff_ms`.
    async fn prune_failures(&self, cutoff_ms: i64) -> StoreResult<u64>;
    /// The change counters, in one cheap read (polled by every server).
    async fn change_marks(&self) -> StoreResult<ChangeMarks>;
    /// Up to `limit` failure states written after sequence number `seq`, in order.
    async fn failures_since(&self, seq: i64, limit: u32) -> StoreResult<Vec<FailureChange>>;
}

/// Refresh tokens and revoked access tokens.
#[async_trait]
pub trait TokenStore: Send + Sync + std::fmt::Debug + 'static {
    /// Stores the first token of a new family under `digest`, then removes the client's
    /// oldest active families beyond `max_families` (their tokens stop working).
    async fn insert_refresh_token(
        &self,
        digest: &Digest,
        token: &RefreshToken,
        max_families: u32,
    ) -> StoreResult<()>;
    /// The refresh token stored under `digest`.
    async fn refresh_token(&self, digest: &Digest) -> StoreResult<Option<RefreshToken>>;
    /// Spends `old` and stores `new` in the same family, atomically. Returns false (and
    /// stores nothing) if `old` was already spent, revoked or expired at `now`. `new`
    /// keeps the family's expiry: rotation never extends a grant.
    async fn rotate_refresh_token(
        &self,
        old: &Digest,
        new: &Digest,
        token: &RefreshToken,
        now: i64,
    ) -> StoreResult<bool>;
    /// Revokes every token of a family.
    async fn revoke_refresh_family(&self, family_id: &str, now: i64) -> StoreResult<()>;
    /// Records a revoked access token until it would have expired anyway.
    async fn revoke_access_token(&self, jti: &str, expires_at: i64) -> StoreResult<()>;
    /// Whether an access token was revoked.
    async fn access_token_revoked(&self, jti: &str) -> StoreResult<bool>;
    /// Drops expired refresh tokens and revocation records.
    async fn prune_tokens(&self, now: i64) -> StoreResult<u64>;
}

/// Signing keys.
#[async_trait]
pub trait KeyStore: Send + Sync + std::fmt::Debug + 'static {
    /// All signing keys, oldest first.
    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>>;
    /// Adds a key (with its event, if an operator added it); with `only_if_empty`, only
    /// when the store has no key yet (so replicas starting together create one first
    /// key, not several). Returns whether it was added.
    async fn insert_signing_key(
        &self,
        key: &StoredKey,
        only_if_empty: bool,
        event: Option<&AuditEvent>,
    ) -> StoreResult<bool>;
    /// Replaces a key's private part if its protection is still `from`.
    async fn reseal_signing_key(&self, kid: &str, from: &str, key: &StoredKey) -> StoreResult<()>;
    /// Records a key's public half where it is still missing.
    async fn set_public_key(&self, kid: &str, public_key: &[u8; 32]) -> StoreResult<()>;
    /// Revokes key `kid` at `now`, in one transaction with moving the activation of key
    /// `activate` (if given, and not yet active) to `now` and with its event. Returns
    /// false, changing nothing, if `kid` is missing or already revoked, or `activate` is
    /// missing or revoked.
    async fn revoke_signing_key(
        &self,
        kid: &str,
        activate: Option<&str>,
        now: i64,
        event: &AuditEvent,
    ) -> StoreResult<bool>;
}

/// The audit trail.
#[async_trait]
pub trait AuditStore: Send + Sync + std::fmt::Debug + 'static {
    /// Appends an event that changes nothing else (a lockout).
    async fn record_event(&self, event: &AuditEvent) -> StoreResult<()>;
    /// Up to `limit` events at or after `since_ms`, oldest first.
    async fn events_since(&self, since_ms: i64, limit: u32) -> StoreResult<Vec<AuditEvent>>;
    /// Forgets events older than `cutoff_ms` (the retention); returns how many.
    async fn prune_events(&self, cutoff_ms: i64) -> StoreResult<u64>;
}

/// Server-wide values (the pepper), possibly sealed.
#[async_trait]
pub trait SettingStore: Send + Sync + std::fmt::Debug + 'static {
    /// A server-wide setting.
    async fn setting(&self, name: &str) -> StoreResult<Option<Setting>>;
    /// Stores `value` unless the setting exists; returns whether it was stored.
    async fn insert_setting(&self, name: &str, value: &Setting) -> StoreResult<bool>;
    /// Replaces a setting whose protection is still `from` (e.g. to seal it).
    async fn reseal_setting(&self, name: &str, from: &str, value: &Setting) -> StoreResult<()>;
}

/// Health checks and on-disk upkeep.
#[async_trait]
pub trait MaintenanceStore: Send + Sync + std::fmt::Debug + 'static {
    /// Cheap round trip for readiness checks.
    async fn ping(&self) -> StoreResult<()>;
    /// Bounds the store's on-disk overhead (SQLite: checkpoints and truncates the WAL).
    /// Run periodically by every server.
    async fn compact(&self) -> StoreResult<()>;
    /// Rewrites the store so that no deleted or replaced content survives in its files
    /// (after plaintext secrets were sealed in place).
    async fn scrub(&self) -> StoreResult<()>;
}
