//! Opening the embedded SQLite file (WAL mode), the default `tollgate.db`.
//!
//! The `Any` driver connects from a URL alone, so the file's settings are applied by an
//! `after_connect` hook on every connection, and a new file is created with mode 0600
//! before the first connection. Creating and migrating happen under the store's
//! [`CreationLock`](super::CreationLock), taken by the callers in `store`.

use std::{
    fs::OpenOptions,
    path::{Path, PathBuf},
    str::FromStr as _,
    sync::atomic::{AtomicUsize, Ordering},
};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use sqlx::{
    any::{AnyConnectOptions, AnyPoolOptions},
    sqlite::SqliteConnectOptions,
};

use super::{
    StoreError, StoreOptions, StoreResult,
    sql::{Dialect, SqlStore, install_drivers},
};

/// Bytes of WAL kept after a checkpoint (the file is truncated down to this).
const WAL_SIZE_LIMIT: u64 = 16 * 1024 * 1024;

/// Connections in the pool: SQLite has one writer at a time anyway.
const POOL_SIZE: u32 = 8;

/// Opens the database at `url` (`sqlite:PATH`, `sqlite://PATH`, or a bare path) and
/// migrates it; with `create`, a missing file is created (mode 0600; SQLite gives its
/// `-wal` and `-shm` files the same mode), else it is an error.
pub(super) async fn open(url: &str, options: &StoreOptions, create: bool) -> StoreResult<SqlStore> {
    install_drivers();
    let path = connect_options(url)?.get_filename().to_path_buf();
    if create && names_a_file(&path) {
        create_private(&path)?;
    }
    let connect = AnyConnectOptions::from_str(&any_url(url, create)?)
        .map_err(|_| StoreError::UnsupportedUrl(url.to_string()))?;
    let pragmas = pragmas(options);
    let pool = AnyPoolOptions::new()
        .max_connections(POOL_SIZE)
        .acquire_timeout(options.timeout)
        .after_connect(move |conn, _| {
            let pragmas = pragmas.clone();
            Box::pin(async move {
                for pragma in pragmas {
                    sqlx::query(sqlx::AssertSqlSafe(pragma))
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(connect)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(_) if !create && !path.exists() => StoreError::File {
                path: path.display().to_string(),
                reason: "no such store".into(),
            },
            e => e.into(),
        })?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    Ok(SqlStore::new(pool, Dialect::Sqlite, options.timeout))
}

/// The settings of every connection, busy timeout first (the others may wait for it).
fn pragmas(options: &StoreOptions) -> Vec<String> {
    vec![
        // A writer waits this long for another process's write lock, then the call fails
        // as unavailable (503): bounded below the request timeout.
        format!("PRAGMA busy_timeout = {}", options.timeout.as_millis()),
        "PRAGMA journal_mode = WAL".into(),
        // NORMAL is durable in WAL mode except for the last commits on power loss.
        "PRAGMA synchronous = NORMAL".into(),
        "PRAGMA foreign_keys = ON".into(),
        // Deleted and replaced rows are zeroed, not left in free space: sealing a
        // plaintext key must not leave the key behind.
        "PRAGMA secure_delete = ON".into(),
        // After each checkpoint the WAL is cut back to this size, so a burst of writes
        // cannot leave a large file behind.
        format!("PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}"),
    ]
}

/// Characters escaped in a path inside the `Any` driver's URL (the SQLite driver decodes
/// them back).
const PATH_ESCAPES: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'?')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// The `Any` driver's URL for the SQLite store at `url`: the file, opened read-write
/// (and created with `create`). An in-memory store gets one named shared-cache database
/// for all the pool's connections (`:memory:` would give each connection its own).
fn any_url(url: &str, create: bool) -> StoreResult<String> {
    let Some(path) = sqlite_file_path(url)? else {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let id = std::process::id();
        return Ok(format!(
            "sqlite:file:tollgate-memory-{id}-{n}?mode=memory&cache=shared"
        ));
    };
    let text = path.to_str().ok_or_else(|| StoreError::File {
        path: path.display().to_string(),
        reason: "not a UTF-8 path".into(),
    })?;
    let mode = if create { "rwc" } else { "rw" };
    Ok(format!(
        "sqlite:{}?mode={mode}",
        utf8_percent_encode(text, PATH_ESCAPES)
    ))
}

/// Parses `url` into connect options without touching the file.
fn connect_options(url: &str) -> StoreResult<SqliteConnectOptions> {
    if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url).map_err(|_| StoreError::UnsupportedUrl(url.into()))
    } else if url.contains("://") {
        Err(StoreError::UnsupportedUrl(url.to_string()))
    } else {
        Ok(SqliteConnectOptions::new().filename(url))
    }
}

/// The database file an SQLite `url` names; `None` for an in-memory database.
pub fn sqlite_file_path(url: &str) -> StoreResult<Option<PathBuf>> {
    let options = connect_options(url)?;
    let path = options.get_filename();
    let in_memory = url.contains("mode=memory") || !names_a_file(path);
    Ok((!in_memory).then(|| path.to_path_buf()))
}

/// Writes a consistent copy of the existing SQLite store at `url` to `target`
/// (`VACUUM INTO`: one read transaction, so servers keep writing meanwhile). `target`
/// must not exist or be empty; the copy holds the same sealed secrets as the store.
pub async fn backup_sqlite(url: &str, options: &StoreOptions, target: &Path) -> StoreResult<()> {
    let into = target.to_str().ok_or_else(|| StoreError::File {
        path: target.display().to_string(),
        reason: "not a UTF-8 path".into(),
    })?;
    let store = open(url, options, false).await?;
    store.backup_into(into).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_path_names_the_database_file_and_none_in_memory() {
        let file = |url| sqlite_file_path(url).unwrap();
        assert_eq!(file("sqlite://tollgate.db"), Some("tollgate.db".into()));
        assert_eq!(file("sqlite:/var/lib/t.db"), Some("/var/lib/t.db".into()));
        assert_eq!(file("data/t.db"), Some("data/t.db".into()));
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("sqlite://t.db?mode=memory"), None);
    }

    #[test]
    fn the_any_url_keeps_odd_paths_and_shares_one_memory_database() {
        assert_eq!(
            any_url("data:x/a b?#%.db", false).unwrap(),
            "sqlite:data:x/a%20b%3F%23%25.db?mode=rw"
        );
        let parsed = SqliteConnectOptions::from_str(&any_url("data:x/a b?#%.db", true).unwrap());
        assert_eq!(
            parsed.unwrap().get_filename(),
            Path::new("data:x/a b?#%.db")
        );
        let memory = any_url("sqlite::memory:", true).unwrap();
        assert!(memory.ends_with("?mode=memory&cache=shared"), "{memory}");
        assert_ne!(memory, any_url("sqlite::memory:", true).unwrap());
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
