//! The embedded SQLite backend (WAL mode), the default `tollgate.db`.
//!
//! The trait impl only delegates: client and lockout SQL is in `clients`, tokens, keys
//! and settings in `tokens`.

mod audit;
mod clients;
mod tokens;

/// Row decoding, shared with the other backend.
mod rows {
    crate::store::rows::decoders!(sqlx::sqlite::SqliteRow);
}

use std::{
    fs::OpenOptions,
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{
    AuditEvent, ChangeMarks, Client, Digest, FailureChange, FailureOutcome, FailureState,
    LockoutPolicy, RefreshToken, Setting, Store, StoreError, StoreResult, StoredKey,
};

/// Bytes of WAL kept after a checkpoint (the file is truncated down to this).
const WAL_SIZE_LIMIT: u64 = 16 * 1024 * 1024;

/// SQLite through an sqlx pool.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the database at `url` (`sqlite:PATH`,
    /// `sqlite://PATH`, or a bare path). A new file is created with mode 0600; SQLite
    /// gives its `-wal` and `-shm` files the same mode.
    pub async fn open(url: &str) -> StoreResult<Self> {
        Self::open_with(Self::options(url)?, true).await
    }

    /// Opens an existing database at `url` (migrating it if needed); a missing file is
    /// an error, not a new store.
    pub async fn open_existing(url: &str) -> StoreResult<Self> {
        Self::open_with(Self::options(url)?, false).await
    }

    /// Opens (creating if needed) the database file at `path`.
    pub async fn open_path(path: &Path) -> StoreResult<Self> {
        Self::open_with(SqliteConnectOptions::new().filename(path), true).await
    }

    /// Parses `url` into connect options without touching the file.
    pub fn options(url: &str) -> StoreResult<SqliteConnectOptions> {
        if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url)
                .map_err(|_| StoreError::UnsupportedUrl(url.to_string()))
        } else if url.contains("://") {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        } else {
            Ok(SqliteConnectOptions::new().filename(url))
        }
    }

    /// The database file `url` names; `None` for an in-memory database.
    pub fn file_path(url: &str) -> StoreResult<Option<PathBuf>> {
        let options = Self::options(url)?;
        let path = options.get_filename();
        let in_memory = url.contains("mode=memory") || !names_a_file(path);
        Ok((!in_memory).then(|| path.to_path_buf()))
    }

    /// Writes a consistent copy of the database to `path` (`VACUUM INTO`: one read
    /// transaction, so servers keep writing meanwhile). `path` must not exist or be
    /// empty; the copy holds the same sealed secrets as the store.
    pub async fn backup_into(&self, path: &Path) -> StoreResult<()> {
        let target = path.to_str().ok_or_else(|| StoreError::File {
            path: path.display().to_string(),
            reason: "not a UTF-8 path".into(),
        })?;
        sqlx::query("VACUUM INTO ?1")
            .bind(target)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn open_with(options: SqliteConnectOptions, create: bool) -> StoreResult<Self> {
        let path = options.get_filename().to_path_buf();
        if create && names_a_file(&path) {
            create_private(&path)?;
        }
        let options = options
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable in WAL mode except for the last commits on power loss.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Deleted and replaced rows are zeroed, not left in free space: sealing a
            // plaintext key must not leave the key behind.
            .pragma("secure_delete", "ON")
            // The CLI and the server write the same file: wait for the lock, do not fail.
            .busy_timeout(Duration::from_secs(10))
            // After each checkpoint the WAL is cut back to this size, so a burst of
            // writes cannot leave a large file behind.
            .pragma("journal_size_limit", WAL_SIZE_LIMIT.to_string());
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(_) if !create && !path.exists() => StoreError::File {
                    path: path.display().to_string(),
                    reason: "no such store".into(),
                },
                e => e.into(),
            })?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }
}

/// Whether sqlx will open `path` as a file (not `:memory:` or its `file:` URI names).
fn names_a_file(path: &Path) -> bool {
    let name = path.to_string_lossy();
    !name.is_empty() && name != ":memory:" && !name.starts_with("file:")
}

/// Creates an empty database file that only its owner can read (SQLite would create it
/// with the umask's mode, usually 0644). An existing file is left as it is.
fn create_private(path: &Path) -> StoreResult<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn compact(&self) -> StoreResult<()> {
        // TRUNCATE waits for readers to finish, copies the WAL into the database and
        // empties it: the WAL's size is bounded by what is written between two runs.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn setting(&self, name: &str) -> StoreResult<Option<Setting>> {
        tokens::setting(&self.pool, name).await
    }

    async fn insert_setting(&self, name: &str, value: &Setting) -> StoreResult<bool> {
        tokens::insert_setting(&self.pool, name, value).await
    }

    async fn reseal_setting(&self, name: &str, from: &str, value: &Setting) -> StoreResult<()> {
        tokens::reseal_setting(&self.pool, name, from, value).await
    }

    async fn create_client(&self, c: &Client) -> StoreResult<()> {
        clients::create_client(&self.pool, c).await
    }

    async fn client(&self, id: &str) -> StoreResult<Option<Client>> {
        clients::client(&self.pool, id).await
    }

    async fn clients(&self) -> StoreResult<Vec<Client>> {
        clients::clients(&self.pool).await
    }

    async fn set_secret(
        &self,
        id: &str,
        secret_hash: &Digest,
        previous: Option<(Digest, i64)>,
        now: i64,
    ) -> StoreResult<bool> {
        clients::set_secret(&self.pool, id, secret_hash, previous, now).await
    }

    async fn update_client(&self, c: &Client) -> StoreResult<bool> {
        clients::update_client(&self.pool, c).await
    }

    async fn set_disabled(&self, id: &str, disabled: bool, now: i64) -> StoreResult<bool> {
        clients::set_disabled(&self.pool, id, disabled, now).await
    }

    async fn delete_client(&self, id: &str) -> StoreResult<bool> {
        clients::delete_client(&self.pool, id).await
    }

    async fn max_access_ttl(&self) -> StoreResult<i64> {
        clients::max_access_ttl(&self.pool).await
    }

    async fn auth_lookup(
        &self,
        id: &str,
        source: &str,
    ) -> StoreResult<(Option<Client>, FailureState)> {
        clients::auth_lookup(&self.pool, id, source).await
    }

    async fn record_failure(
        &self,
        id: &str,
        source: &str,
        now_ms: i64,
        policy: &LockoutPolicy,
    ) -> StoreResult<FailureOutcome> {
        clients::record_failure(&self.pool, id, source, now_ms, policy).await
    }

    async fn reset_failures(&self, id: &str, source: &str, now_ms: i64) -> StoreResult<()> {
        clients::reset_failures(&self.pool, id, source, now_ms).await
    }

    async fn clear_failures(&self, id: &str, source: Option<&str>) -> StoreResult<()> {
        clients::clear_failures(&self.pool, id, source).await
    }

    async fn failures(&self, id: &str) -> StoreResult<Vec<(String, FailureState)>> {
        clients::failures(&self.pool, id).await
    }

    async fn prune_failures(&self, cutoff_ms: i64) -> StoreResult<u64> {
        clients::prune_failures(&self.pool, cutoff_ms).await
    }

    async fn change_marks(&self) -> StoreResult<ChangeMarks> {
        clients::change_marks(&self.pool).await
    }

    async fn failures_since(&self, seq: i64, limit: u32) -> StoreResult<Vec<FailureChange>> {
        clients::failures_since(&self.pool, seq, limit).await
    }

    async fn insert_refresh_token(
        &self,
        d: &Digest,
        t: &RefreshToken,
        max_families: u32,
    ) -> StoreResult<()> {
        tokens::insert_refresh_token(&self.pool, d, t, max_families).await
    }

    async fn refresh_token(&self, d: &Digest) -> StoreResult<Option<RefreshToken>> {
        tokens::refresh_token(&self.pool, d).await
    }

    async fn rotate_refresh_token(
        &self,
        old: &Digest,
        new: &Digest,
        token: &RefreshToken,
        now: i64,
    ) -> StoreResult<bool> {
        tokens::rotate_refresh_token(&self.pool, old, new, token, now).await
    }

    async fn revoke_refresh_family(&self, family_id: &str, now: i64) -> StoreResult<()> {
        tokens::revoke_refresh_family(&self.pool, family_id, now).await
    }

    async fn revoke_access_token(&self, jti: &str, expires_at: i64) -> StoreResult<()> {
        tokens::revoke_access_token(&self.pool, jti, expires_at).await
    }

    async fn access_token_revoked(&self, jti: &str) -> StoreResult<bool> {
        tokens::access_token_revoked(&self.pool, jti).await
    }

    async fn prune_tokens(&self, now: i64) -> StoreResult<u64> {
        tokens::prune_tokens(&self.pool, now).await
    }

    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>> {
        tokens::signing_keys(&self.pool).await
    }

    async fn insert_signing_key(&self, key: &StoredKey, only_if_empty: bool) -> StoreResult<bool> {
        tokens::insert_signing_key(&self.pool, key, only_if_empty).await
    }

    async fn reseal_signing_key(&self, kid: &str, from: &str, key: &StoredKey) -> StoreResult<()> {
        tokens::reseal_signing_key(&self.pool, kid, from, key).await
    }

    async fn revoke_signing_key(
        &self,
        kid: &str,
        activate: Option<&str>,
        now: i64,
    ) -> StoreResult<bool> {
        tokens::revoke_signing_key(&self.pool, kid, activate, now).await
    }

    async fn record_event(&self, event: &AuditEvent) -> StoreResult<()> {
        audit::record_event(&self.pool, event).await
    }

    async fn events_since(&self, since_ms: i64, limit: u32) -> StoreResult<Vec<AuditEvent>> {
        audit::events_since(&self.pool, since_ms, limit).await
    }

    async fn prune_events(&self, cutoff_ms: i64) -> StoreResult<u64> {
        audit::prune_events(&self.pool, cutoff_ms).await
    }

    async fn set_public_key(&self, kid: &str, public_key: &[u8; 32]) -> StoreResult<()> {
        tokens::set_public_key(&self.pool, kid, public_key).await
    }

    async fn scrub(&self) -> StoreResult<()> {
        sqlx::query("VACUUM").execute(&self.pool).await?;
        // TRUNCATE empties the -wal file, which still holds the pages VACUUM replaced.
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&self.pool)
            .await?;
        if busy != 0 {
            tracing::warn!(
                "another process is reading the store: its -wal file keeps old pages until \
                 the next checkpoint"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_path_names_the_database_file_and_none_in_memory() {
        let file = |url| SqliteStore::file_path(url).unwrap();
        assert_eq!(file("sqlite://tollgate.db"), Some("tollgate.db".into()));
        assert_eq!(file("sqlite:/var/lib/t.db"), Some("/var/lib/t.db".into()));
        assert_eq!(file("data/t.db"), Some("data/t.db".into()));
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("sqlite://t.db?mode=memory"), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_database_file_is_private_and_an_existing_one_untouched() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("t.db");
        create_private(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        std::fs::write(&path, b"kept").unwrap();
        create_private(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"kept");
    }
}
