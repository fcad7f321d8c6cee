//! `tollgate backup PATH`: a consistent copy of a live SQLite store.

use std::{fs::OpenOptions, path::Path};

use serde::Serialize;

use super::{CommandError, open::command_options};
use crate::{
    config::Config,
    store::{self, Backend},
};

/// What `backup` wrote.
#[derive(Debug, Serialize)]
pub(super) struct Backup {
    /// The new file.
    pub(super) path: String,
    /// Its size in bytes.
    pub(super) bytes: u64,
}

/// Copies the store at `config` to `path` with `VACUUM INTO`: one read transaction, so
/// the copy is the store at one instant even while servers write (WAL readers do not
/// block writers). The file is created first, empty and 0600, so the copy of the
/// secrets is never readable by others; an existing `path` is refused.
pub(super) async fn backup(config: &Config, path: &Path) -> Result<Backup, CommandError> {
    let url = &config.store.database;
    if Backend::of(url)? == Backend::Postgres {
        return Err(
            "`tollgate backup` copies SQLite stores; back up a PostgreSQL store \
                    with pg_dump (e.g. `pg_dump --format=custom DBNAME > tollgate.dump`)"
                .into(),
        );
    }
    if store::sqlite_file_path(url)?.is_none() {
        return Err("an in-memory store cannot be backed up".into());
    }
    create_private(path)?;
    if let Err(e) = store::backup_sqlite(url, &command_options(config), path).await {
        // Leave no partial copy behind.
        let _ = std::fs::remove_file(path);
        return Err(e.into());
    }
    Ok(Backup {
        path: path.display().to_string(),
        bytes: std::fs::metadata(path)?.len(),
    })
}

fn create_private(path: &Path) -> Result<(), CommandError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!("{} already exists; back up to a new file", path.display()).into()
        } else {
            format!("cannot create {}: {e}", path.display()).into()
        }
    })
}
