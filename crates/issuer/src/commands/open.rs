//! Opening the store for a command: which files it may create, where the master key
//! comes from, and which files must be private.

use std::{net::SocketAddr, path::PathBuf};

use super::CommandError;
use crate::{
    AppState,
    clock::{Clock as _, SystemClock},
    config::{Config, spec},
    error::SetupError,
    keys::KeyRing,
    seal::{self, MasterKey},
    store::{self, Backend, CreationLock, STORE_WAIT, Store, StoreOptions},
};

/// How long a command (not a server) waits for the database.
const COMMAND_DB_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// What a command needs from the store and its master key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Access {
    /// `serve`, `quickstart`: may create the store and its master key file; refuses
    /// store or key files other users can read.
    Serve,
    /// Commands that use secrets (`client ...`, `keys rotate`): an existing store and
    /// its existing master key.
    Admin,
    /// `jwks`, `keys list`, `audit`: an existing store, public data only, no master key.
    Public,
}

/// Where the store's secrets live on disk (`None` for an in-memory store).
pub(super) struct Files {
    /// The database file.
    pub(super) database: Option<PathBuf>,
    key: Option<PathBuf>,
}

impl Files {
    pub(super) fn of(config: &Config) -> Result<Self, SetupError> {
        let url = &config.store.database;
        let database = match Backend::of(url)? {
            Backend::Sqlite => store::sqlite_file_path(url)?,
            // A server's files are its operator's; only the master key file is ours.
            Backend::Postgres => None,
        };
        let key = config.store.master_key_file.clone().or_else(|| {
            database
                .as_ref()
                .map(|db| db.with_file_name(spec::MASTER_KEY_FILE_NAME))
        });
        Ok(Self { database, key })
    }

    /// The database, its `-wal` and `-shm` files, and the key file.
    fn secret_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self.database.iter().cloned().collect();
        for suffix in ["-wal", "-shm"] {
            files.extend(self.database.iter().map(|db| {
                let mut name = db.as_os_str().to_owned();
                name.push(suffix);
                PathBuf::from(name)
            }));
        }
        files.extend(self.key.iter().cloned());
        files
    }

    fn database_name(&self) -> String {
        self.database
            .as_ref()
            .map_or_else(|| "(in memory)".into(), |p| p.display().to_string())
    }

    fn key_name(&self) -> String {
        self.key.as_ref().map_or_else(
            || "(none for an in-memory store)".into(),
            |p| p.display().to_string(),
        )
    }
}

/// Which master key seals the store.
pub(super) enum MasterSource {
    /// `TOLLGATE_MASTER_KEY`.
    Env,
    /// This key file.
    File(PathBuf),
    /// None: `--insecure-plaintext-keys`.
    Plaintext,
}

/// The store settings of a command (not a server): the timeout guards a server's
/// request path, a command may wait longer (it is interactive; SQLite's busy timeout
/// follows it).
pub(super) fn command_options(config: &Config) -> StoreOptions {
    let mut options = config.store.options;
    options.timeout = options.timeout.max(COMMAND_DB_TIMEOUT);
    options
}

/// Waits (bounded) while another process creates the store a command needs, then
/// checks that it exists. Run before reading the master key file: the `serve` creating
/// the store creates that file too.
async fn wait_for_store(config: &Config, files: &Files) -> Result<(), CommandError> {
    let announce = || {
        eprintln!(
            "waiting for the store {} being created by another process (up to {} s)",
            files.database_name(),
            STORE_WAIT.as_secs()
        );
    };
    if CreationLock::wait_until_created(&config.store.database, announce).await? {
        return Ok(());
    }
    Err(format!(
        "{} does not exist: `tollgate serve` (or `tollgate quickstart`) creates the store \
         and its master key; for another store, pass --database",
        files.database_name()
    )
    .into())
}

/// Opens the store: `serve` creates it (the caller holds its creation lock); a command
/// opens an existing one (see [`wait_for_store`]).
async fn open_store(
    config: &Config,
    access: Access,
    creation: &CreationLock,
) -> Result<Store, CommandError> {
    let url = &config.store.database;
    if access == Access::Serve {
        return Ok(store::open_locked(url, &config.store.options, creation).await?);
    }
    Ok(store::open_existing(url, &command_options(config)).await?)
}

/// The master key given before the store is opened: TOLLGATE_MASTER_KEY, else an
/// existing key file. A malformed key fails here, before any file is created.
fn given_key(files: &Files) -> Result<Option<(MasterKey, MasterSource)>, CommandError> {
    match std::env::var("TOLLGATE_MASTER_KEY") {
        Ok(value) if !value.trim().is_empty() => {
            return Ok(Some((MasterKey::from_base64(&value)?, MasterSource::Env)));
        }
        _ => {}
    }
    Ok(match &files.key {
        Some(path) => seal::read_key_file(path)?.map(|key| (key, MasterSource::File(path.clone()))),
        None => None,
    })
}

/// No key was given: plaintext if asked for, a new key file for `serve` and
/// `quickstart` (`create`), else an error. A sealed store never gets a new key.
async fn missing_key(
    config: &Config,
    files: &Files,
    store: &Store,
    create: bool,
) -> Result<(Option<MasterKey>, MasterSource), CommandError> {
    let name = files.key_name();
    if seal::store_is_sealed(store).await? {
        return Err(format!(
            "the store is sealed and its master key file {name} does not exist: restore it, \
             or give the key with --master-key-file or TOLLGATE_MASTER_KEY"
        )
        .into());
    }
    if config.store.insecure_plaintext_keys {
        tracing::warn!(
            "--insecure-plaintext-keys: signing keys and the pepper are kept in plaintext in \
             the store; anyone who can read it can mint tokens"
        );
        return Ok((None, MasterSource::Plaintext));
    }
    match (&files.key, create) {
        (Some(path), true) => {
            let (key, created) = seal::read_or_create_key_file(path)?;
            if created {
                tracing::info!(
                    file = %path.display(),
                    "created the master key file (mode 0600); back it up: the store cannot \
                     be opened without it"
                );
            }
            Ok((Some(key), MasterSource::File(path.clone())))
        }
        _ => Err(format!(
            "no master key: {name} does not exist (the first `tollgate serve` creates it); \
             give it with --master-key-file or TOLLGATE_MASTER_KEY, or pass \
             --insecure-plaintext-keys for a store kept in plaintext"
        )
        .into()),
    }
}

/// Opens the store and its master key, and loads the state.
pub(super) async fn open(
    config: &Config,
    access: Access,
) -> Result<(AppState, MasterSource), CommandError> {
    open_bound(config, access, None).await
}

/// [`open`] for a server listening on `bound` (the issuer URL may name it).
pub(super) async fn open_bound(
    config: &Config,
    access: Access,
    bound: Option<SocketAddr>,
) -> Result<(AppState, MasterSource), CommandError> {
    let files = Files::of(config)?;
    if access == Access::Serve {
        for path in files.secret_files() {
            seal::check_private(&path)?;
        }
    }
    if access != Access::Serve {
        wait_for_store(config, &files).await?;
    }
    let given = given_key(&files)?;
    // `serve` holds the store's creation lock until the master key file, the pepper and
    // the first signing key exist: a command started at the same instant waits for all
    // of them, not only for the file.
    let creation = match access {
        Access::Serve => CreationLock::exclusive(&config.store.database).await?,
        Access::Admin | Access::Public => CreationLock::none(),
    };
    let store = open_store(config, access, &creation).await?;
    let (master, source) = match given {
        Some((key, source)) => (Some(key), source),
        None => missing_key(config, &files, &store, access == Access::Serve).await?,
    };
    let settings = match bound {
        Some(addr) => config.settings(addr)?,
        None => config.offline_settings(),
    };
    let state = AppState::new(store, settings, master).await?;
    drop(creation);
    Ok((state, source))
}

/// The signing keys' public halves, without the master key.
pub(super) async fn public_keys(config: &Config) -> Result<KeyRing, CommandError> {
    wait_for_store(config, &Files::of(config)?).await?;
    let store = open_store(config, Access::Public, &CreationLock::none()).await?;
    let issuer = config.offline_settings().issuer;
    Ok(KeyRing::load_public(store, issuer, SystemClock.now()).await?)
}

/// The store alone, without the master key (for data that is not secret: the audit
/// trail).
pub(super) async fn store_only(config: &Config) -> Result<Store, CommandError> {
    wait_for_store(config, &Files::of(config)?).await?;
    open_store(config, Access::Public, &CreationLock::none()).await
}
