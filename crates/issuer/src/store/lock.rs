//! The cross-process lock around creating and migrating an SQLite store.
//!
//! `tollgate serve` may start at the same instant as a command on the same file (every
//! provider-style guide does `tollgate serve &` then `tollgate client create`). Without
//! a lock both would migrate the new file at once, and the command would find a store
//! without its master key or pepper. So whoever creates or migrates the store, or
//! creates its first keys, holds an exclusive lock on `<database>.lock` (mode 0600,
//! next to the database, never deleted); a command first waits, bounded, until no
//! creation holds it. PostgreSQL needs no file: its migrations take sqlx's advisory
//! lock and its first key an advisory transaction lock.

use std::{
    fs::{File, OpenOptions, TryLockError},
    path::{Path, PathBuf},
    time::Duration,
};

use tokio::time::Instant;

use super::{Backend, StoreError, StoreResult, sqlite::sqlite_file_path};

/// Longest wait for another process's creation or migration of the store.
pub const STORE_WAIT: Duration = Duration::from_secs(10);

/// How long a command waits for a store that does not exist yet to start being created
/// (a server started at the same instant may not have begun).
const APPEAR_WAIT: Duration = Duration::from_secs(2);

/// How often a held lock is tried again.
const POLL: Duration = Duration::from_millis(20);

/// An exclusive hold on a store's creation; released on drop. Empty (holding nothing)
/// for PostgreSQL and in-memory SQLite.
#[derive(Debug)]
pub struct CreationLock {
    _file: Option<File>,
}

impl CreationLock {
    /// A lock that holds nothing (for callers that create nothing).
    pub fn none() -> Self {
        Self { _file: None }
    }

    /// Takes the exclusive creation lock of the store at `url`, creating the lock file
    /// if needed, waiting up to [`STORE_WAIT`] for another holder.
    pub async fn exclusive(url: &str) -> StoreResult<Self> {
        let Some(path) = lock_path(url)? else {
            return Ok(Self { _file: None });
        };
        let file = create_private(&path)?;
        let deadline = Instant::now() + STORE_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: Some(file) }),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    tokio::time::sleep(POLL).await;
                }
                Err(TryLockError::WouldBlock) => return Err(still_busy(&path)),
                Err(TryLockError::Error(e)) => return Err(file_error(&path, &e)),
            }
        }
    }

    /// Whether the store at `url` exists, once no other process is creating it: waits
    /// (up to [`STORE_WAIT`]) while one is, calling `on_wait` once when that wait
    /// begins, and up to two seconds for a store that does not exist yet to begin being
    /// created. Creates nothing. PostgreSQL and in-memory stores always exist.
    pub async fn wait_until_created(url: &str, on_wait: impl FnOnce()) -> StoreResult<bool> {
        let Some(lock) = lock_path(url)? else {
            return Ok(true);
        };
        let Some(database) = sqlite_file_path(url)? else {
            return Ok(true);
        };
        let started = Instant::now();
        let mut on_wait = Some(on_wait);
        loop {
            if let Some(file) = open_existing(&lock)? {
                let mut waited = || on_wait.take().map(|f| f());
                wait_shared(&file, &lock, started + STORE_WAIT, &mut waited).await?;
                if database.exists() {
                    return Ok(true);
                }
            } else if database.exists() {
                // A store older than the lock file: nothing is creating it.
                return Ok(true);
            }
            if started.elapsed() >= APPEAR_WAIT {
                return Ok(false);
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Waits until no exclusive holder remains (the shared lock is released at once).
async fn wait_shared(
    file: &File,
    path: &Path,
    deadline: Instant,
    on_wait: &mut impl FnMut() -> Option<()>,
) -> StoreResult<()> {
    loop {
        match file.try_lock_shared() {
            Ok(()) => return file.unlock().map_err(|e| file_error(path, &e)),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                on_wait();
                tokio::time::sleep(POLL).await;
            }
            Err(TryLockError::WouldBlock) => return Err(still_busy(path)),
            Err(TryLockError::Error(e)) => return Err(file_error(path, &e)),
        }
    }
}

/// The lock file of the SQLite store at `url`; `None` for other stores.
fn lock_path(url: &str) -> StoreResult<Option<PathBuf>> {
    if Backend::of(url)? != Backend::Sqlite {
        return Ok(None);
    }
    Ok(sqlite_file_path(url)?.map(|db| {
        let mut name = db.into_os_string();
        name.push(".lock");
        PathBuf::from(name)
    }))
}

/// Opens (creating with mode 0600) the lock file.
fn create_private(path: &Path) -> StoreResult<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| file_error(path, &e))
}

/// Opens the lock file if it exists (read-only is enough to lock it).
fn open_existing(path: &Path) -> StoreResult<Option<File>> {
    match File::open(path) {
        Ok(file) => Ok(Some(file)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(file_error(path, &e)),
    }
}

fn still_busy(path: &Path) -> StoreError {
    StoreError::File {
        path: path.display().to_string(),
        reason: format!(
            "another process has been creating or migrating the store for over {} s",
            STORE_WAIT.as_secs()
        ),
    }
}

fn file_error(path: &Path, e: &std::io::Error) -> StoreError {
    StoreError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}
