//! Signing keys and server-wide settings.

use async_trait::async_trait;
use sqlx::Row as _;

use super::{
    Dialect, SqlStore,
    audit::{commit_with, insert_event},
    rows::key_from_row,
};
use crate::store::{AuditEvent, KeyStore, Setting, SettingStore, StoreResult, StoredKey};

/// PostgreSQL advisory lock id for signing-key inserts ("tollgate" in ASCII). Under READ
/// COMMITTED two replicas could both see an empty table; one transaction at a time holds
/// this lock, so replicas racing on first start create one key. SQLite's write
/// transaction already serialises them.
const KEY_INSERT_LOCK: i64 = 0x746f_6c6c_6761_7465;

#[async_trait]
impl KeyStore for SqlStore {
    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>> {
        self.bounded(async {
            let rows = sqlx::query(
                "SELECT kid, private_key, public_key, protection, created_at, activate_at, \
                 revoked_at FROM signing_keys ORDER BY created_at, kid",
            )
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(key_from_row).collect()
        })
        .await
    }

    async fn insert_signing_key(
        &self,
        key: &StoredKey,
        only_if_empty: bool,
        event: Option<&AuditEvent>,
    ) -> StoreResult<bool> {
        self.bounded(async {
            let mut tx = self.begin().await?;
            if self.dialect == Dialect::Postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(KEY_INSERT_LOCK)
                    .execute(&mut *tx)
                    .await?;
            }
            let done = sqlx::query(
                "INSERT INTO signing_keys \
                 (kid, private_key, protection, created_at, activate_at, public_key) \
                 SELECT $1, $2, $3, $4, $5, $7 \
                 WHERE $6 = FALSE OR NOT EXISTS (SELECT 1 FROM signing_keys)",
            )
            .bind(&key.kid)
            .bind(&key.private_key)
            .bind(&key.protection)
            .bind(key.created_at)
            .bind(key.activate_at)
            .bind(only_if_empty)
            .bind(key.public_key.as_ref().map(|k| k.as_slice()))
            .execute(&mut *tx)
            .await?;
            let added = done.rows_affected() == 1;
            if added && let Some(event) = event {
                insert_event(&mut *tx, event).await?;
            }
            tx.commit().await?;
            Ok(added)
        })
        .await
    }

    async fn reseal_signing_key(&self, kid: &str, from: &str, key: &StoredKey) -> StoreResult<()> {
        self.bounded(async {
            sqlx::query(
                "UPDATE signing_keys SET private_key = $1, protection = $2 \
                 WHERE kid = $3 AND protection = $4",
            )
            .bind(&key.private_key)
            .bind(&key.protection)
            .bind(kid)
            .bind(from)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }

    async fn set_public_key(&self, kid: &str, public_key: &[u8; 32]) -> StoreResult<()> {
        self.bounded(async {
            sqlx::query(
                "UPDATE signing_keys SET public_key = $1 WHERE kid = $2 AND public_key IS NULL",
            )
            .bind(public_key.as_slice())
            .bind(kid)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }

    async fn revoke_signing_key(
        &self,
        kid: &str,
        activate: Option<&str>,
        now: i64,
        event: &AuditEvent,
    ) -> StoreResult<bool> {
        self.bounded(async {
            let mut tx = self.begin().await?;
            if let Some(next) = activate {
                let moved = sqlx::query(
                    "UPDATE signing_keys SET activate_at = \
                     CASE WHEN activate_at < $1 THEN activate_at ELSE $1 END \
                     WHERE kid = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(next)
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() != 1 {
                    return commit_with(tx, false, event).await;
                }
            }
            let revoked = sqlx::query(
                "UPDATE signing_keys SET revoked_at = $1 WHERE kid = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(kid)
            .execute(&mut *tx)
            .await?;
            commit_with(tx, revoked.rows_affected() == 1, event).await
        })
        .await
    }
}

#[async_trait]
impl SettingStore for SqlStore {
    async fn setting(&self, name: &str) -> StoreResult<Option<Setting>> {
        self.bounded(async {
            let row = sqlx::query("SELECT value, protection FROM settings WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
            row.map(|r| {
                Ok(Setting {
                    value: r.try_get("value")?,
                    protection: r.try_get("protection")?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn insert_setting(&self, name: &str, value: &Setting) -> StoreResult<bool> {
        self.bounded(async {
            let done = sqlx::query(
                "INSERT INTO settings (name, value, protection) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(&value.value)
            .bind(&value.protection)
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    async fn reseal_setting(&self, name: &str, from: &str, value: &Setting) -> StoreResult<()> {
        self.bounded(async {
            sqlx::query(
                "UPDATE settings SET value = $1, protection = $2 \
                 WHERE name = $3 AND protection = $4",
            )
            .bind(&value.value)
            .bind(&value.protection)
            .bind(name)
            .bind(from)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }
}
