//! [`StoreError`]: why a store call failed, the same for every backend.

use super::DriverError;

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
        sqlx::Error::Database(db) => db.code().is_some_and(|code| is_unavailable_code(&code)),
        _ => false,
    }
}

/// PostgreSQL SQLSTATEs (five characters): class 08 (connection exception), 57P01-57P03
/// (shutdown, cannot connect now), 57014 (statement timeout), 53300 (too many
/// connections). SQLite result codes (numbers): SQLITE_BUSY (5) and its extended codes
/// (261 recovery, 517 snapshot, 773 timeout) and SQLITE_LOCKED (6, 262): another
/// process held the write lock longer than the busy timeout.
fn is_unavailable_code(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("57P")
        || matches!(
            code,
            "57014" | "53300" | "5" | "261" | "517" | "773" | "6" | "262"
        )
}
