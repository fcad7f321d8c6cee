//! Registered clients. Every change commits with its audit event.

use async_trait::async_trait;
use sqlx::Row as _;

use super::{SqlStore, audit::commit_with, lockout::clean, rows::client_from_row};
use crate::store::{AuditEvent, Client, ClientStore, Digest, StoreError, StoreResult};

/// The client columns, as a macro so queries stay `&'static str` literals.
macro_rules! select_clients {
    ($tail:literal) => {
        concat!(
            "SELECT id, name, scopes, audiences, access_ttl, refresh_enabled, refresh_ttl, ",
            "disabled, secret_hash, previous_secret_hash, previous_secret_expires_at, ",
            "created_at, updated_at FROM clients ",
            $tail
        )
    };
}

#[async_trait]
impl ClientStore for SqlStore {
    async fn create_client(&self, c: &Client, event: &AuditEvent) -> StoreResult<()> {
        self.bounded(async {
            let mut tx = self.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO clients (id, name, scopes, audiences, access_ttl, \
                 refresh_enabled, refresh_ttl, disabled, secret_hash, previous_secret_hash, \
                 previous_secret_expires_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(&c.id)
            .bind(&c.name)
            .bind(c.scopes.join(" "))
            .bind(c.audiences.join(" "))
            .bind(c.access_ttl)
            .bind(c.refresh_enabled)
            .bind(c.refresh_ttl)
            .bind(c.disabled)
            .bind(c.secret_hash.as_slice())
            .bind(c.previous_secret_hash.as_ref().map(|d| d.as_slice()))
            .bind(c.previous_secret_expires_at)
            .bind(c.created_at)
            .bind(c.updated_at)
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    return Err(StoreError::Conflict(format!("client {:?}", c.id)));
                }
                other => other?,
            };
            commit_with(tx, true, event).await.map(drop)
        })
        .await
    }

    async fn client(&self, id: &str) -> StoreResult<Option<Client>> {
        self.bounded(async {
            let row = sqlx::query(select_clients!("WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            row.as_ref().map(client_from_row).transpose()
        })
        .await
    }

    async fn clients(&self) -> StoreResult<Vec<Client>> {
        self.bounded(async {
            let rows = sqlx::query(select_clients!("ORDER BY id"))
                .fetch_all(&self.pool)
                .await?;
            rows.iter().map(client_from_row).collect()
        })
        .await
    }

    async fn clients_page(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<Client>> {
        self.bounded(async {
            // Client ids are never empty, so "" comes before every one of them.
            let rows = sqlx::query(select_clients!("WHERE id > $1 ORDER BY id LIMIT $2"))
                .bind(after.unwrap_or(""))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
            rows.iter().map(client_from_row).collect()
        })
        .await
    }

    async fn set_secret(
        &self,
        id: &str,
        secret_hash: &Digest,
        previous: Option<(Digest, i64)>,
        now: i64,
        event: &AuditEvent,
    ) -> StoreResult<bool> {
        self.bounded(async {
            let mut tx = self.begin().await?;
            let done = sqlx::query(
                "UPDATE clients SET secret_hash = $1, previous_secret_hash = $2, \
                 previous_secret_expires_at = $3, updated_at = $4 WHERE id = $5",
            )
            .bind(secret_hash.as_slice())
            .bind(previous.as_ref().map(|(d, _)| d.as_slice()))
            .bind(previous.map(|(_, at)| at))
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let changed = done.rows_affected() == 1;
            if changed {
                clean(&mut tx, id, None, None).await?;
            }
            commit_with(tx, changed, event).await
        })
        .await
    }

    async fn update_client(&self, c: &Client, event: &AuditEvent) -> StoreResult<bool> {
        self.bounded(async {
            let mut tx = self.begin().await?;
            let done = sqlx::query(
                "UPDATE clients SET name = $1, scopes = $2, audiences = $3, access_ttl = $4, \
                 refresh_enabled = $5, refresh_ttl = $6, updated_at = $7 WHERE id = $8",
            )
            .bind(&c.name)
            .bind(c.scopes.join(" "))
            .bind(c.audiences.join(" "))
            .bind(c.access_ttl)
            .bind(c.refresh_enabled)
            .bind(c.refresh_ttl)
            .bind(c.updated_at)
            .bind(&c.id)
            .execute(&mut *tx)
            .await?;
            commit_with(tx, done.rows_affected() == 1, event).await
        })
        .await
    }

    async fn set_disabled(
        &self,
        id: &str,
        disabled: bool,
        now: i64,
        event: &AuditEvent,
    ) -> StoreResult<bool> {
        self.bounded(async {
            let mut tx = self.begin().await?;
            let done =
                sqlx::query("UPDATE clients SET disabled = $1, updated_at = $2 WHERE id = $3")
                    .bind(disabled)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            let changed = done.rows_affected() == 1;
            if changed && !disabled {
                clean(&mut tx, id, None, None).await?;
            }
            commit_with(tx, changed, event).await
        })
        .await
    }

    async fn delete_client(&self, id: &str, event: &AuditEvent) -> StoreResult<bool> {
        self.bounded(async {
            let mut tx = self.begin().await?;
            let done = sqlx::query("DELETE FROM clients WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            commit_with(tx, done.rows_affected() == 1, event).await
        })
        .await
    }

    async fn max_access_ttl(&self) -> StoreResult<i64> {
        self.bounded(async {
            let row = sqlx::query("SELECT COALESCE(MAX(access_ttl), 0) AS ttl FROM clients")
                .fetch_one(&self.pool)
                .await?;
            Ok(row.try_get("ttl")?)
        })
        .await
    }
}
