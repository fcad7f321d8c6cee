//! A fresh PostgreSQL database per test, on the server named by
//! `TOLLGATE_TEST_POSTGRES_URL` (`./scripts/test` starts a throwaway one). Shared by the
//! test binaries through `#[path]`.

/// A new, empty database on the test PostgreSQL server.
pub(crate) async fn fresh_database() -> String {
    use sqlx::{Connection as _, Executor as _};

    let Ok(admin) = std::env::var("TOLLGATE_TEST_POSTGRES_URL") else {
        panic!(
            "TOLLGATE_TEST_POSTGRES_URL is not set: run ./scripts/test, or start a server \
             with `eval \"$(scripts/postgres start /tmp/tollgate-pg)\"`"
        );
    };
    let name = format!(
        "tollgate_{}",
        tollgate_issuer::secrets::random_id::<9>()
            .to_lowercase()
            .replace('-', "_")
    );
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}
