//! A fresh, empty store of each backend.

use tempfile::TempDir;
use tollgate_issuer::store::{self, Store, StoreOptions};

/// A store and whatever keeps it alive.
pub(crate) struct Fixture {
    pub(crate) store: Store,
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
        store: store::open(&crate::pg::fresh_database().await, &StoreOptions::default())
            .await
            .unwrap(),
        _dir: None,
    }
}
