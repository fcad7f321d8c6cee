//! Connecting to PostgreSQL, for several `tollgate serve` replicas on one database.
//!
//! Migrations run on start under sqlx's advisory lock, so replicas starting together
//! migrate once, on a connection of their own without the statement timeout (they may
//! take longer than a request may). Every pooled connection gets the configured
//! statement timeout; connection failures surface as [`StoreError::Unavailable`], which
//! the token endpoint answers with 503.

use std::str::FromStr as _;

use sqlx::{
    AnyConnection, Connection as _,
    any::{AnyConnectOptions, AnyPoolOptions},
};

use super::{
    StoreError, StoreOptions, StoreResult,
    sql::{Dialect, SqlStore, install_drivers},
};

/// Connects to `url` (`postgres://` or `postgresql://`), migrates, and opens a pool.
pub(super) async fn open(url: &str, options: &StoreOptions) -> StoreResult<SqlStore> {
    install_drivers();
    let connect =
        AnyConnectOptions::from_str(url).map_err(|_| StoreError::UnsupportedUrl(redact(url)))?;
    let mut migrator = AnyConnection::connect_with(&connect).await?;
    sqlx::migrate!("./migrations/postgres")
        .run(&mut migrator)
        .await?;
    migrator.close().await?;
    let timeout = format!(
        "SET statement_timeout = {}",
        options.timeout.as_millis().max(1)
    );
    let pool = AnyPoolOptions::new()
        .max_connections(options.pool_size)
        .acquire_timeout(options.timeout)
        .after_connect(move |conn, _| {
            let timeout = timeout.clone();
            Box::pin(async move {
                sqlx::raw_sql(sqlx::AssertSqlSafe(timeout))
                    .execute(conn)
                    .await
                    .map(drop)
            })
        })
        .connect_lazy_with(connect);
    Ok(SqlStore::new(pool, Dialect::Postgres, options.timeout))
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…{}", &url[..scheme], &url[at..]),
        _ => url.to_string(),
    }
}
