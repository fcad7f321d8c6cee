//! Refresh tokens and revoked access tokens.

use async_trait::async_trait;

use super::{SqlStore, rows::refresh_from_row};
use crate::store::{Digest, RefreshToken, StoreResult, TokenStore};

/// Stores one refresh token through `executor` (the caller's transaction).
async fn insert_refresh<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    d: &Digest,
    t: &RefreshToken,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, client_id, scope, audiences, \
         issued_at, family_issued_at, expires_at, used_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(d.as_slice())
    .bind(&t.family_id)
    .bind(&t.client_id)
    .bind(&t.scope)
    .bind(t.audiences.join(" "))
    .bind(t.issued_at)
    .bind(t.family_issued_at)
    .bind(t.expires_at)
    .bind(t.used_at)
    .bind(t.revoked_at)
    .execute(executor)
    .await?;
    Ok(())
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_refresh_token(
        &self,
        d: &Digest,
        t: &RefreshToken,
        max_families: u32,
    ) -> StoreResult<()> {
        self.bounded(async {
            let mut tx = self.begin().await?;
            insert_refresh(&mut *tx, d, t).await?;
            // Each live family has exactly one unspent token; keep the newest
            // `max_families` families and delete every row of the others (their tokens
            // are then unknown, which answers like revoked). `LIMIT $4` is "no limit":
            // SQLite accepts OFFSET only after a LIMIT.
            sqlx::query(
                "DELETE FROM refresh_tokens WHERE family_id IN ( \
                   SELECT family_id FROM refresh_tokens \
                   WHERE client_id = $1 AND used_at IS NULL AND revoked_at IS NULL \
                   AND expires_at > $2 \
                   ORDER BY family_issued_at DESC, issued_at DESC LIMIT $4 OFFSET $3)",
            )
            .bind(&t.client_id)
            .bind(t.issued_at)
            .bind(i64::from(max_families))
            .bind(i64::MAX)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn refresh_token(&self, d: &Digest) -> StoreResult<Option<RefreshToken>> {
        self.bounded(async {
            let row = sqlx::query(
                "SELECT family_id, client_id, scope, audiences, issued_at, family_issued_at, \
                 expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1",
            )
            .bind(d.as_slice())
            .fetch_optional(&self.pool)
            .await?;
            row.as_ref().map(refresh_from_row).transpose()
        })
        .await
    }

    async fn rotate_refresh_token(
        &self,
        old: &Digest,
        new: &Digest,
        token: &RefreshToken,
        now: i64,
    ) -> StoreResult<bool> {
        self.bounded(async {
            let mut tx = self.begin().await?;
            // The conditional UPDATE is the single-use check: of two concurrent exchanges
            // of one token, only one sees a row.
            let spent = sqlx::query(
                "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 \
                 AND family_id = $3 AND used_at IS NULL AND revoked_at IS NULL \
                 AND expires_at > $1",
            )
            .bind(now)
            .bind(old.as_slice())
            .bind(&token.family_id)
            .execute(&mut *tx)
            .await?;
            if spent.rows_affected() != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
            insert_refresh(&mut *tx, new, token).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    async fn revoke_refresh_family(&self, family_id: &str, now: i64) -> StoreResult<()> {
        self.bounded(async {
            sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = $1 \
                 WHERE family_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(family_id)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }

    async fn revoke_access_token(&self, jti: &str, expires_at: i64) -> StoreResult<()> {
        self.bounded(async {
            sqlx::query(
                "INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) \
                 ON CONFLICT (jti) DO NOTHING",
            )
            .bind(jti)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }

    async fn access_token_revoked(&self, jti: &str) -> StoreResult<bool> {
        self.bounded(async {
            let row = sqlx::query("SELECT 1 AS revoked FROM revoked_access_tokens WHERE jti = $1")
                .bind(jti)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.is_some())
        })
        .await
    }

    async fn prune_tokens(&self, now: i64) -> StoreResult<u64> {
        self.bounded(async {
            let mut pruned = 0;
            for sql in [
                "DELETE FROM refresh_tokens WHERE expires_at < $1",
                "DELETE FROM revoked_access_tokens WHERE expires_at < $1",
            ] {
                let done = sqlx::query(sql).bind(now).execute(&self.pool).await?;
                pruned += done.rows_affected();
            }
            Ok(pruned)
        })
        .await
    }
}
