//! Every store role, implemented once on sqlx's `Any` driver for both backends.
//!
//! Each statement is written once, with `$N` placeholders: the PostgreSQL driver binds
//! them natively and the SQLite driver binds `$N` by number, so the same text runs on
//! both. Only SQL both dialects accept is used (`CAST(... AS ...)` rather than `::`,
//! `CASE` rather than `MIN`/`LEAST` of two values, `ON CONFLICT ... DO`). What really
//! differs is the [`Dialect`]: how a write transaction begins, `FOR UPDATE` row locks,
//! the signing-key insert lock, and maintenance. Every call is bounded by the configured
//! timeout on the client side too: a database that stopped answering must not hang a
//! request.
//!
//! Why `Any` rather than one generic function per statement over both drivers: the
//! drivers disagree on placeholders only through their own syntax, and a generic version
//! would still carry two bound sets (`Executor<Database = DB>` plus every `Encode`/
//! `Decode` per type) through every function; `Any` keeps one concrete type.

mod audit;
mod clients;
mod keys;
mod lockout;
mod rows;
mod tokens;

use std::{future::Future, sync::Once, time::Duration};

use async_trait::async_trait;
use sqlx::{AnyPool, Transaction, any::Any};

use super::{MaintenanceStore, StoreError, StoreResult};

/// Makes the SQLite and PostgreSQL drivers available to `Any` (once per process).
pub(super) fn install_drivers() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(sqlx::any::install_default_drivers);
}

/// What differs between the two SQL dialects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dialect {
    /// SQLite: one writer at a time; a write transaction takes the lock first.
    Sqlite,
    /// PostgreSQL: row locks (`FOR UPDATE`) and advisory locks.
    Postgres,
}

/// The statement `$sql`, with ` FOR UPDATE` where the dialect locks rows (SQLite's
/// `BEGIN IMMEDIATE` already holds the whole database).
macro_rules! for_update {
    ($dialect:expr, $sql:literal) => {
        match $dialect {
            $crate::store::sql::Dialect::Sqlite => $sql,
            $crate::store::sql::Dialect::Postgres => concat!($sql, " FOR UPDATE"),
        }
    };
}
pub(super) use for_update;

/// The one SQL implementation of every role, over a pool of either backend.
#[derive(Clone, Debug)]
pub(super) struct SqlStore {
    pool: AnyPool,
    dialect: Dialect,
    timeout: Duration,
}

/// A write transaction.
type Tx = Transaction<'static, Any>;

impl SqlStore {
    pub(super) fn new(pool: AnyPool, dialect: Dialect, timeout: Duration) -> Self {
        Self {
            pool,
            dialect,
            timeout,
        }
    }

    /// Runs one store call, giving up after the configured timeout.
    async fn bounded<T>(&self, call: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        tokio::time::timeout(self.timeout, call)
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("database call timed out".into())))
    }

    /// Begins a write transaction: SQLite takes the write lock before the first read
    /// (`BEGIN IMMEDIATE`), so read-then-write sequences from several processes are
    /// applied one after the other.
    async fn begin(&self) -> StoreResult<Tx> {
        let begin = match self.dialect {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        };
        Ok(self.pool.begin_with(begin).await?)
    }
}

#[async_trait]
impl MaintenanceStore for SqlStore {
    async fn ping(&self) -> StoreResult<()> {
        self.bounded(async {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(())
        })
        .await
    }

    async fn compact(&self) -> StoreResult<()> {
        if self.dialect == Dialect::Sqlite {
            // TRUNCATE waits for readers to finish, copies the WAL into the database and
            // empties it: the WAL's size is bounded by what is written between two runs.
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        // PostgreSQL: autovacuum keeps the files in check.
        Ok(())
    }

    async fn scrub(&self) -> StoreResult<()> {
        match self.dialect {
            Dialect::Sqlite => scrub_sqlite(&self.pool).await,
            Dialect::Postgres => {
                // Sealing updates rows in place and leaves the old tuples in the table
                // files; VACUUM FULL rewrites these two small tables without them.
                sqlx::query("VACUUM FULL signing_keys, settings")
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    }
}

async fn scrub_sqlite(pool: &AnyPool) -> StoreResult<()> {
    sqlx::query("VACUUM").execute(pool).await?;
    // TRUNCATE empties the -wal file, which still holds the pages VACUUM replaced.
    let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_one(pool)
        .await?;
    if busy != 0 {
        tracing::warn!(
            "another process is reading the store: its -wal file keeps old pages until the \
             next checkpoint"
        );
    }
    Ok(())
}

impl SqlStore {
    /// SQLite only: writes a consistent copy of the database to `target`.
    pub(super) async fn backup_into(&self, target: &str) -> StoreResult<()> {
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
