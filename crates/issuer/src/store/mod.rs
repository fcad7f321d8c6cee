//! Persistence, so every replica of `tollgate serve` can share a database.
//!
//! Handlers and the CLI see one [`Store`], opened by [`open`] from a URL: SQLite (the
//! default file) or PostgreSQL (for several replicas). The store is split by role
//! ([`ClientStore`], [`LockoutStore`], [`TokenStore`], [`KeyStore`], [`AuditStore`],
//! [`SettingStore`], [`MaintenanceStore`]); a wrapper or a test double replaces the one
//! role it watches and keeps the others.
//!
//! Every role is implemented once, in `sql`, on sqlx's `Any` driver: each statement is
//! written once with `$N` placeholders, which both drivers bind by number, and a small
//! dialect seam covers what really differs (how a write transaction begins, row locks,
//! backend maintenance). Only `sqlite` and `postgres` know how to connect. Every state
//! that several processes may change at once (lockout counters, single-use refresh
//! tokens, the first signing key) is changed inside one transaction; every admin change
//! commits in the same transaction as its audit event. The lockout rule itself is the
//! pure [`LockoutPolicy::after_failure`]. One conformance suite (`tests/store`) runs
//! against both backends.

mod error;
mod lock;
mod postgres;
mod records;
mod roles;
mod sql;
mod sqlite;

use std::{sync::Arc, time::Duration};

pub use self::{
    error::StoreError,
    lock::{CreationLock, STORE_WAIT},
    records::{AuditEvent, ChangeMarks, Client, FailureChange, RefreshToken, Setting, StoredKey},
    roles::{
        AuditStore, ClientStore, KeyStore, LockoutStore, MaintenanceStore, SettingStore, TokenStore,
    },
    sqlite::{backup_sqlite, sqlite_file_path},
};
pub use crate::lockout::{FailureOutcome, FailureState, LockoutPolicy};

/// A 32-byte keyed hash (HMAC-SHA-256) of a client secret or refresh token.
pub type Digest = [u8; 32];

/// A driver's error, kept as the `source()` of a [`StoreError`].
pub type DriverError = Box<dyn std::error::Error + Send + Sync>;

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Everything persistent, one handle per role. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    /// Registered clients.
    pub clients: Arc<dyn ClientStore>,
    /// Failure counts and lockouts, and the change marks servers poll.
    pub lockout: Arc<dyn LockoutStore>,
    /// Refresh tokens and revoked access tokens.
    pub tokens: Arc<dyn TokenStore>,
    /// Signing keys.
    pub keys: Arc<dyn KeyStore>,
    /// The audit trail.
    pub audit: Arc<dyn AuditStore>,
    /// Server-wide settings (the pepper).
    pub settings: Arc<dyn SettingStore>,
    /// Health checks and on-disk upkeep.
    pub maintenance: Arc<dyn MaintenanceStore>,
}

impl Store {
    /// Every role served by one implementation.
    fn of<T>(one: Arc<T>) -> Self
    where
        T: ClientStore
            + LockoutStore
            + TokenStore
            + KeyStore
            + AuditStore
            + SettingStore
            + MaintenanceStore,
    {
        Self {
            clients: one.clone(),
            lockout: one.clone(),
            tokens: one.clone(),
            keys: one.clone(),
            audit: one.clone(),
            settings: one.clone(),
            maintenance: one,
        }
    }
}

/// Connection settings of a database backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// Connections in the pool (PostgreSQL; SQLite uses a fixed small pool).
    pub pool_size: u32,
    /// Longest wait for a connection, a lock or a statement before the call fails as
    /// [`StoreError::Unavailable`] (SQLite's busy timeout too).
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
/// `sqlite:PATH` or a bare path for SQLite (created and migrated if missing, under the
/// store's [`CreationLock`]). The only place that knows which backends exist.
pub async fn open(url: &str, options: &StoreOptions) -> StoreResult<Store> {
    let lock = CreationLock::exclusive(url).await?;
    open_locked(url, options, &lock).await
}

/// Opens (creating if needed) the SQLite file at `path`, with default options.
pub async fn open_path(path: &std::path::Path) -> StoreResult<Store> {
    open(&path.to_string_lossy(), &StoreOptions::default()).await
}

/// [`open`] for a caller that holds the store's [`CreationLock`] (and keeps holding it
/// while it creates the first keys).
pub async fn open_locked(
    url: &str,
    options: &StoreOptions,
    _lock: &CreationLock,
) -> StoreResult<Store> {
    let sql = match Backend::of(url)? {
        Backend::Postgres => postgres::open(url, options).await?,
        Backend::Sqlite => sqlite::open(url, options, true).await?,
    };
    Ok(Store::of(Arc::new(sql)))
}

/// Opens a store that must exist already (a command's; SQLite is not created). Callers
/// first wait for a store another process is creating with
/// [`CreationLock::wait_until_created`].
pub async fn open_existing(url: &str, options: &StoreOptions) -> StoreResult<Store> {
    let sql = match Backend::of(url)? {
        Backend::Postgres => postgres::open(url, options).await?,
        Backend::Sqlite => {
            // A newer binary migrates an existing store: one process at a time.
            let _migrating = CreationLock::exclusive(url).await?;
            sqlite::open(url, options, false).await?
        }
    };
    Ok(Store::of(Arc::new(sql)))
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
