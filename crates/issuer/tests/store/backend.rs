//! A fresh, empty store of each backend.

use std::sync::Arc;

use tempfile::TempDir;
use tollgate_issuer::store::{self, Store, StoreOptions};

/// A store and whatever keeps it alive.
pub(crate) struct Fixture {
    pub(crate) store: Arc<dyn Store>,
    _dir: Option<TempDir>,
}

/// A new SQLite file in a temporary directory.
pub(crate) async fn sqlite() -> Fixture {
    let dir = TempDir::new().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tollgate.db").display());
    Fixture {
        store: store::open(&url, &StoreOptions::default()).await.unwrap(),
        _dir: Some(dir),
    }
}

/// A new database on the test PostgreSQL server.
pub(crate) async fn postgres() -> Fixture {
    Fixture {
        store: store::open(&fresh_database().await, &StoreOptions::default())
            .await
            .unwrap(),
        _dir: None,
    }
}

/// Creates an empty database on `TOLLGATE_TEST_POSTGRES_URL`'s server; returns its URL.
pub(crate) async fn fresh_database() -> String {
    use sqlx::{Connection as _, Executor as _};

    let Ok(admin) = std::env::var("TOLLGATE_TEST_POSTGRES_URL") else {
        panic!(
            "TOLLGATE_TEST_POSTGRES_URL is not set: run ./scripts/test, or start a server \
             with `eval \"$(scripts/postgres start /tmp/tollgate-pg)\"`"
        );
    };
    let name = format!("tollgate_{}", tollgate_issuer::secrets::random_id::<9>())
        .to_lowercase()
        .replace('-', "_");
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}
