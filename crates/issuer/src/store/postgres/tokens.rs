//! Settings, refresh tokens, revoked access tokens and signing keys.

use sqlx::{Row, postgres::PgPool};

use super::rows::{key_from_row, refresh_from_row};
use crate::store::{Digest, RefreshToken, Setting, StoreResult, StoredKey};

pub(super) async fn setting(pool: &PgPool, name: &str) -> StoreResult<Option<Setting>> {
    let row = sqlx::query("SELECT value, protection FROM settings WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await?;
    row.map(|r| {
        Ok(Setting {
            value: r.try_get("value")?,
            protection: r.try_get("protection")?,
        })
    })
    .transpose()
}

pub(super) async fn insert_setting(
    pool: &PgPool,
    name: &str,
    value: &Setting,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO settings (name, value, protection) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(&value.value)
    .bind(&value.protection)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn reseal_setting(
    pool: &PgPool,
    name: &str,
    from: &str,
    value: &Setting,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE settings SET value = $1, protection = $2 WHERE name = $3 AND protection = $4",
    )
    .bind(&value.value)
    .bind(&value.protection)
    .bind(name)
    .bind(from)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn insert_refresh_token(
    pool: &PgPool,
    d: &Digest,
    t: &RefreshToken,
    max_families: u32,
) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    insert_refresh(&mut *tx, d, t).await?;
    // Each live family has exactly one unspent token; keep the newest `max_families`
    // families and delete every row of the others (their tokens are then unknown,
    // which answers like revoked).
    sqlx::query(
        "DELETE FROM refresh_tokens WHERE family_id IN ( \
           SELECT family_id FROM refresh_tokens \
           WHERE client_id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
           ORDER BY family_issued_at DESC, issued_at DESC OFFSET $3)",
    )
    .bind(&t.client_id)
    .bind(t.issued_at)
    .bind(i64::from(max_families))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn refresh_token(pool: &PgPool, d: &Digest) -> StoreResult<Option<RefreshToken>> {
    let row = sqlx::query(
        "SELECT family_id, client_id, scope, audiences, issued_at, family_issued_at, \
         expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1",
    )
    .bind(d.as_slice())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(refresh_from_row).transpose()
}

pub(super) async fn rotate_refresh_token(
    pool: &PgPool,
    old: &Digest,
    new: &Digest,
    token: &RefreshToken,
    now: i64,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    // The conditional UPDATE is the single-use check: of two concurrent exchanges of
    // one token, only one sees a row.
    let spent = sqlx::query(
        "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND family_id = $3 \
         AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(old.as_slice())
    .bind(&token.family_id)
    .execute(&mut *tx)
    .await?;
    if spent.rows_affected() != 1 {
        return Ok(false);
    }
    insert_refresh(&mut *tx, new, token).await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn revoke_refresh_family(
    pool: &PgPool,
    family_id: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(family_id)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn revoke_access_token(
    pool: &PgPool,
    jti: &str,
    expires_at: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) \
         ON CONFLICT (jti) DO NOTHING",
    )
    .bind(jti)
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn access_token_revoked(pool: &PgPool, jti: &str) -> StoreResult<bool> {
    let row = sqlx::query("SELECT 1 FROM revoked_access_tokens WHERE jti = $1")
        .bind(jti)
        .fetch_optional(pool)
        .await?;
    Ok(row.is_some())
}

pub(super) async fn prune_tokens(pool: &PgPool, now: i64) -> StoreResult<u64> {
    let refresh = sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < $1")
        .bind(now)
        .execute(pool)
        .await?;
    let access = sqlx::query("DELETE FROM revoked_access_tokens WHERE expires_at < $1")
        .bind(now)
        .execute(pool)
        .await?;
    Ok(refresh.rows_affected() + access.rows_affected())
}

pub(super) async fn signing_keys(pool: &PgPool) -> StoreResult<Vec<StoredKey>> {
    let rows = sqlx::query(
        "SELECT kid, private_key, public_key, protection, created_at, activate_at, \
         revoked_at FROM signing_keys ORDER BY created_at, kid",
    )
    .fetch_all(pool)
    .await?;
    rows.iter().map(key_from_row).collect()
}

pub(super) async fn insert_signing_key(
    pool: &PgPool,
    key: &StoredKey,
    only_if_empty: bool,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    // Under READ COMMITTED two replicas could both see an empty table; one transaction
    // at a time holds this lock, so replicas racing on first start create one key.
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(KEY_INSERT_LOCK)
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query(
        "INSERT INTO signing_keys \
         (kid, private_key, protection, created_at, activate_at, public_key) \
         SELECT $1, $2, $3, $4, $5, $7 \
         WHERE NOT $6 OR NOT EXISTS (SELECT 1 FROM signing_keys)",
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
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Advisory lock id for signing-key inserts ("tollgate" in ASCII).
const KEY_INSERT_LOCK: i64 = 0x746f_6c6c_6761_7465;

pub(super) async fn reseal_signing_key(
    pool: &PgPool,
    kid: &str,
    from: &str,
    key: &StoredKey,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE signing_keys SET private_key = $1, protection = $2 \
         WHERE kid = $3 AND protection = $4",
    )
    .bind(&key.private_key)
    .bind(&key.protection)
    .bind(kid)
    .bind(from)
    .execute(pool)
    .await?;
    Ok(())
}

async fn insert_refresh<'e, E>(executor: E, d: &Digest, t: &RefreshToken) -> StoreResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Postgres>,
{
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

pub(super) async fn set_public_key(
    pool: &PgPool,
    kid: &str,
    public_key: &[u8; 32],
) -> StoreResult<()> {
    sqlx::query("UPDATE signing_keys SET public_key = $1 WHERE kid = $2 AND public_key IS NULL")
        .bind(public_key.as_slice())
        .bind(kid)
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) async fn revoke_signing_key(
    pool: &PgPool,
    kid: &str,
    activate: Option<&str>,
    now: i64,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    if let Some(next) = activate {
        let moved = sqlx::query(
            "UPDATE signing_keys SET activate_at = LEAST(activate_at, $1) \
             WHERE kid = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(next)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Ok(false);
        }
    }
    let revoked = sqlx::query(
        "UPDATE signing_keys SET revoked_at = $1 WHERE kid = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(kid)
    .execute(&mut *tx)
    .await?;
    if revoked.rows_affected() != 1 {
        return Ok(false);
    }
    tx.commit().await?;
    Ok(true)
}
