//! Persistence behind one async trait, so every replica of `tollgate serve` can share a
//! database.
//!
//! Handlers and the CLI only see [`Store`]; each backend owns its SQL. SQLite ships now
//! ([`SqliteStore`]); a PostgreSQL backend implements the same trait with its own
//! migrations. Every counter that several processes may touch at once (lockouts,
//! single-use refresh tokens) is changed by one atomic statement in the backend, never by
//! read-modify-write in Rust.

mod sqlite;

use async_trait::async_trait;
use zeroize::Zeroize as _;

pub use self::sqlite::SqliteStore;

/// A 32-byte keyed hash (HMAC-SHA-256) of a client secret or refresh token.
pub type Digest = [u8; 32];

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The row to create already exists (e.g. a client id).
    #[error("{0} already exists")]
    Conflict(String),
    /// The database URL is not one this build supports.
    #[error("unsupported database URL {0:?} (expected sqlite:PATH)")]
    UnsupportedUrl(String),
    /// A value read back from the database is not what this version wrote.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database itself failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A schema migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A registered OAuth client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// The client id (operator-chosen or generated).
    pub id: String,
    /// A human label.
    pub name: String,
    /// Scopes the client may request; also its default grant.
    pub scopes: Vec<String>,
    /// Audiences the client may request; empty means the issuer's default audience.
    pub audiences: Vec<String>,
    /// Access-token lifetime in seconds.
    pub access_ttl: i64,
    /// Whether the client may use `grant_type=refresh_token`.
    pub refresh_enabled: bool,
    /// Refresh-token lifetime in seconds.
    pub refresh_ttl: i64,
    /// Disabled clients cannot authenticate.
    pub disabled: bool,
    /// Keyed hash of the current secret.
    pub secret_hash: Digest,
    /// Keyed hash of the previous secret, valid until `previous_secret_expires_at`.
    pub previous_secret_hash: Option<Digest>,
    /// When the previous secret stops working (seconds since the epoch).
    pub previous_secret_expires_at: Option<i64>,
    /// Creation time (seconds since the epoch).
    pub created_at: i64,
    /// Last change (seconds since the epoch).
    pub updated_at: i64,
}

/// Consecutive failed authentications for one client id, known or not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FailureState {
    /// Failures since the last success or lockout.
    pub failed_count: i64,
    /// Lockouts since the last success; drives the growing timeout.
    pub lockouts: i64,
    /// Locked while `now_ms < locked_until_ms`.
    pub locked_until_ms: i64,
}

/// What recording one failure did, decided atomically by the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureOutcome {
    /// Counted; not (yet) locked.
    Counted(FailureState),
    /// This failure reached the threshold and started a lockout.
    Locked(FailureState),
    /// The id was already locked; nothing was counted.
    AlreadyLocked(FailureState),
}

impl FailureOutcome {
    /// The state after the update.
    pub fn state(&self) -> FailureState {
        match *self {
            Self::Counted(s) | Self::Locked(s) | Self::AlreadyLocked(s) => s,
        }
    }
}

/// The lockout rule the store applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures that lock the id (at least 1).
    pub threshold: i64,
    /// First lockout, in milliseconds; each further one doubles it.
    pub base_ms: i64,
    /// Longest lockout, in milliseconds.
    pub max_ms: i64,
}

/// A refresh token as stored (the token itself is only kept as a digest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshToken {
    /// Tokens rotated from one grant share a family; reuse revokes the family.
    pub family_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The scope granted with it (space-delimited).
    pub scope: String,
    /// The audiences granted with it.
    pub audiences: Vec<String>,
    /// Issue time (seconds since the epoch).
    pub issued_at: i64,
    /// Expiry (seconds since the epoch).
    pub expires_at: i64,
    /// When it was exchanged, if it was.
    pub used_at: Option<i64>,
    /// When its family was revoked, if it was.
    pub revoked_at: Option<i64>,
}

/// A signing key row. The private seed may be sealed with the master key.
///
/// Without a master key the seed is plaintext: it is left out of `Debug` and wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// Key id (RFC 7638 thumbprint).
    pub kid: String,
    /// The 32-byte seed, or its sealed form.
    pub private_key: Vec<u8>,
    /// How `private_key` is protected: [`crate::seal::PLAIN`] or [`crate::seal::SEALED`].
    pub protection: String,
    /// Creation (= publication) time, seconds since the epoch.
    pub created_at: i64,
    /// From this time on the key signs (unless a later key is active).
    pub activate_at: i64,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("protection", &self.protection)
            .field("created_at", &self.created_at)
            .field("activate_at", &self.activate_at)
            .finish_non_exhaustive()
    }
}

impl Drop for StoredKey {
    fn drop(&mut self) {
        self.private_key.zeroize();
    }
}

/// A server-wide value, possibly sealed (the pepper is one).
///
/// The value may be plaintext: it is left out of `Debug` and wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Setting {
    /// The stored bytes.
    pub value: Vec<u8>,
    /// How `value` is protected.
    pub protection: String,
}

impl std::fmt::Debug for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setting")
            .field("protection", &self.protection)
            .finish_non_exhaustive()
    }
}

impl Drop for Setting {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

/// Everything persistent, implemented once per database.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Cheap round trip for readiness checks.
    async fn ping(&self) -> StoreResult<()>;

    /// A server-wide setting.
    async fn setting(&self, name: &str) -> StoreResult<Option<Setting>>;
    /// Stores `value` unless the setting exists; returns whether it was stored.
    async fn insert_setting(&self, name: &str, value: &Setting) -> StoreResult<bool>;
    /// Replaces a setting whose protection is still `from` (e.g. to seal it).
    async fn reseal_setting(&self, name: &str, from: &str, value: &Setting) -> StoreResult<()>;

    /// Registers a client; [`StoreError::Conflict`] if the id is taken.
    async fn create_client(&self, client: &Client) -> StoreResult<()>;
    /// One client by id.
    async fn client(&self, id: &str) -> StoreResult<Option<Client>>;
    /// All clients, by id.
    async fn clients(&self) -> StoreResult<Vec<Client>>;
    /// Sets a new secret, keeping the old one valid until `previous_expires_at` if given.
    async fn set_secret(
        &self,
        id: &str,
        secret_hash: &Digest,
        previous: Option<(Digest, i64)>,
        now: i64,
    ) -> StoreResult<bool>;
    /// Enables or disables a client; false if there is no such client.
    async fn set_disabled(&self, id: &str, disabled: bool, now: i64) -> StoreResult<bool>;
    /// Deletes a client and its refresh tokens; false if there is no such client.
    async fn delete_client(&self, id: &str) -> StoreResult<bool>;
    /// The longest access-token lifetime of any client (0 if none): how long a retired
    /// signing key must stay published.
    async fn max_access_ttl(&self) -> StoreResult<i64>;

    /// The client (if any) and the failure state of `id`, in one query: the token hot
    /// path's only read.
    async fn auth_lookup(&self, id: &str) -> StoreResult<(Option<Client>, FailureState)>;
    /// Counts one failed authentication for `id` and applies `policy`, atomically.
    async fn record_failure(
        &self,
        id: &str,
        now_ms: i64,
        policy: &LockoutPolicy,
    ) -> StoreResult<FailureOutcome>;
    /// Clears the failure count after a success (callers only call it when the state they
    /// read was non-zero, so a plain success writes nothing).
    async fn reset_failures(&self, id: &str) -> StoreResult<()>;
    /// Forgets the failure state of `id`, ending any lockout (operator action).
    async fn clear_failures(&self, id: &str) -> StoreResult<()>;
    /// Forgets failure rows idle since before `cutoff_ms`.
    async fn prune_failures(&self, cutoff_ms: i64) -> StoreResult<u64>;

    /// Stores a new refresh token under `digest`.
    async fn insert_refresh_token(&self, digest: &Digest, token: &RefreshToken) -> StoreResult<()>;
    /// The refresh token stored under `digest`.
    async fn refresh_token(&self, digest: &Digest) -> StoreResult<Option<RefreshToken>>;
    /// Spends `old` and stores `new` in the same family, atomically. Returns false (and
    /// stores nothing) if `old` was already spent, revoked or expired at `now`.
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

    /// All signing keys, oldest first.
    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>>;
    /// Adds a key; with `only_if_empty`, only when the store has no key yet (so replicas
    /// starting together create one first key, not several). Returns whether it was added.
    async fn insert_signing_key(&self, key: &StoredKey, only_if_empty: bool) -> StoreResult<bool>;
    /// Replaces a key's private part if its protection is still `from`.
    async fn reseal_signing_key(&self, kid: &str, from: &str, key: &StoredKey) -> StoreResult<()>;
}
