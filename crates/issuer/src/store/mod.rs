//! Persistence behind one async trait, so every replica of `tollgate serve` can share a
//! database.
//!
//! Handlers and the CLI only see [`Store`], opened by [`open`] from a URL; each backend
//! owns its SQL and migrations: SQLite ([`SqliteStore`], the default file) and PostgreSQL
//! ([`PgStore`], for several replicas). Every state that several processes may change at
//! once (lockout counters, single-use refresh tokens, the first signing key) is changed
//! inside one transaction or atomic statement of the backend; the lockout rule itself is
//! the pure [`LockoutPolicy::after_failure`], the same for every backend. One
//! conformance suite (`tests/store`) runs against both.

mod postgres;
mod rows;
mod sqlite;

use std::{error::Error as StdError, sync::Arc, time::Duration};

use async_trait::async_trait;
use zeroize::Zeroize as _;

pub use self::{postgres::PgStore, sqlite::SqliteStore};

/// A 32-byte keyed hash (HMAC-SHA-256) of a client secret or refresh token.
pub type Digest = [u8; 32];

/// A driver's error, kept as the `source()` of a [`StoreError`].
pub type DriverError = Box<dyn StdError + Send + Sync>;

/// Why a store call failed. Driver-neutral: the driver's own error is the `source()`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The row to create already exists (e.g. a client id).
    #[error("{0} already exists")]
    Conflict(String),
    /// The database URL is not one this build supports.
    #[error(
        "unsupported database URL {0:?} (expected sqlite:PATH, a file path, or postgres://...)"
    )]
    UnsupportedUrl(String),
    /// A value read back from the database is not what this version wrote.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database cannot be reached or did not answer in time; retrying later may work.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] DriverError),
    /// The database refused or failed a statement.
    #[error("database error: {0}")]
    Database(#[source] DriverError),
    /// A schema migration failed.
    #[error("schema migration failed: {0}")]
    Migrate(#[source] DriverError),
    /// The store's file could not be created or is missing.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Self::Migrate(Box::new(e))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            Self::Unavailable(Box::new(e))
        } else {
            Self::Database(Box::new(e))
        }
    }
}

/// Errors that mean "the database is not there right now", not "this statement is wrong".
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown, cannot
        // connect now), 57014 (statement timeout), 53300 (too many connections).
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("57P") || code == "57014" || code == "53300"
        }),
        _ => false,
    }
}

/// Connection settings of a database backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// Connections in the pool (PostgreSQL; SQLite uses a fixed small pool).
    pub pool_size: u32,
    /// Longest wait for a connection or a statement before the call fails as
    /// [`StoreError::Unavailable`].
    pub timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            pool_size: 16,
            timeout: Duration::from_millis(1500),
        }
    }
}

/// Opens the store a URL names: `postgres://` / `postgresql://` for PostgreSQL,
/// `sqlite:PATH` or a bare path for SQLite (created and migrated if missing). The only
/// place that knows which backends exist.
pub async fn open(url: &str, options: &StoreOptions) -> StoreResult<Arc<dyn Store>> {
    Ok(match Backend::of(url)? {
        Backend::Postgres => Arc::new(PgStore::open(url, options).await?),
        Backend::Sqlite => Arc::new(SqliteStore::open(url).await?),
    })
}

/// Which backend a database URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend of `url`, without connecting.
    pub fn of(url: &str) -> StoreResult<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else if url.starts_with("sqlite:") || !url.contains("://") {
            Ok(Self::Sqlite)
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }
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

pub use crate::lockout::{FailureOutcome, FailureState, LockoutPolicy};

/// Counters that move whenever clients or failure states change, from any process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChangeMarks {
    /// Moves on every client insert, update or delete.
    pub clients: i64,
    /// The sequence number of the latest failure-state write.
    pub failures: i64,
}

/// One failure state as last written, with its sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureChange {
    /// The client.
    pub client_id: String,
    /// The source (see [`crate::auth::source_key`]).
    pub source: String,
    /// The state written (clean after a reset or an unlock).
    pub state: FailureState,
    /// Its place in the order of failure-state writes.
    pub seq: i64,
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
    /// Issue time of the family's first token: the family ends `refresh_ttl` after it.
    pub family_issued_at: i64,
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
    /// The 32-byte Ed25519 public key, in clear so the JWKS needs no master key. `None`
    /// only for keys stored before this column existed, until a start that can open
    /// their seed fills it in.
    pub public_key: Option<[u8; 32]>,
    /// How `private_key` is protected: [`crate::seal::PLAIN`] or [`crate::seal::SEALED`].
    pub protection: String,
    /// Creation (= publication) time, seconds since the epoch.
    pub created_at: i64,
    /// From this time on the key signs (unless a later key is active).
    pub activate_at: i64,
    /// When it was revoked: from then on it is neither published nor used.
    pub revoked_at: Option<i64>,
}

/// One entry of the audit trail: an administrative action or a lockout. Never holds a
/// secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// When it happened (milliseconds since the epoch).
    pub at_ms: i64,
    /// The OS user who ran the command, or `serve` for the server itself.
    pub actor: String,
    /// What was done (`client.create`, `keys.revoke`, `client.lockout`, ...).
    pub action: String,
    /// What it was done to: a client id or a key id.
    pub subject: String,
    /// Settings or the source address involved (empty if none).
    pub detail: String,
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

    /// Bounds the store's on-disk overhead (SQLite: checkpoints and truncates the WAL).
    /// Run periodically by every server.
    async fn compact(&self) -> StoreResult<()>;

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
    /// Replaces a client's settings (name, scopes, audiences, lifetimes, refresh) and
    /// `updated_at`, keeping its secrets and state; false if there is no such client.
    async fn update_client(&self, client: &Client) -> StoreResult<bool>;
    /// Enables or disables a client; false if there is no such client.
    async fn set_disabled(&self, id: &str, disabled: bool, now: i64) -> StoreResult<bool>;
    /// Deletes a client and its refresh tokens; false if there is no such client.
    async fn delete_client(&self, id: &str) -> StoreResult<bool>;
    /// The longest access-token lifetime of any client (0 if none): how long a retired
    /// signing key must stay published.
    async fn max_access_ttl(&self) -> StoreResult<i64>;

    /// The client (if any) and the failure state of (`id`, `source`), in one query: the
    /// token hot path's only read.
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
    /// Forgets the failure state of `id` for one source or all, ending any lockout
    /// (operator action, secret rotation, re-enabling).
    async fn clear_failures(&self, id: &str, source: Option<&str>) -> StoreResult<()>;
    /// Every source with a failure state for `id`, most recent failure first.
    async fn failures(&self, id: &str) -> StoreResult<Vec<(String, FailureState)>>;
    /// Forgets failure rows idle since before `cutoff_ms`.
    async fn prune_failures(&self, cutoff_ms: i64) -> StoreResult<u64>;
    /// The change counters, in one cheap read (polled by every server).
    async fn change_marks(&self) -> StoreResult<ChangeMarks>;
    /// Up to `limit` failure states written after sequence number `seq`, in order.
    async fn failures_since(&self, seq: i64, limit: u32) -> StoreResult<Vec<FailureChange>>;

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

    /// All signing keys, oldest first.
    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>>;
    /// Adds a key; with `only_if_empty`, only when the store has no key yet (so replicas
    /// starting together create one first key, not several). Returns whether it was added.
    async fn insert_signing_key(&self, key: &StoredKey, only_if_empty: bool) -> StoreResult<bool>;
    /// Replaces a key's private part if its protection is still `from`.
    async fn reseal_signing_key(&self, kid: &str, from: &str, key: &StoredKey) -> StoreResult<()>;
    /// Records a key's public half where it is still missing.
    async fn set_public_key(&self, kid: &str, public_key: &[u8; 32]) -> StoreResult<()>;
    /// Revokes key `kid` at `now`, in one transaction with moving the activation of key
    /// `activate` (if given, and not yet active) to `now`. Returns false, changing
    /// nothing, if `kid` is missing or already revoked, or `activate` is missing or
    /// revoked.
    async fn revoke_signing_key(
        &self,
        kid: &str,
        activate: Option<&str>,
        now: i64,
    ) -> StoreResult<bool>;

    /// Appends an event to the audit trail.
    async fn record_event(&self, event: &AuditEvent) -> StoreResult<()>;
    /// Up to `limit` events at or after `since_ms`, oldest first.
    async fn events_since(&self, since_ms: i64, limit: u32) -> StoreResult<Vec<AuditEvent>>;
    /// Forgets events older than `cutoff_ms` (the retention); returns how many.
    async fn prune_events(&self, cutoff_ms: i64) -> StoreResult<u64>;

    /// Rewrites the store so that no deleted or replaced content survives in its files
    /// (after plaintext secrets were sealed in place).
    async fn scrub(&self) -> StoreResult<()>;
}
