//! The embedded SQLite backend (WAL mode), the default `tollgate.db`.

use std::{path::Path, str::FromStr, time::Duration};

use async_trait::async_trait;
use sqlx::{
    Row,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
        SqliteSynchronous,
    },
};

use super::{
    Client, Digest, FailureOutcome, FailureState, LockoutPolicy, RefreshToken, Setting, Store,
    StoreError, StoreResult, StoredKey,
};

/// SQLite through an sqlx pool.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the database at `url` (`sqlite:PATH`,
    /// `sqlite://PATH`, or a bare path).
    pub async fn open(url: &str) -> StoreResult<Self> {
        Self::open_with(Self::options(url)?).await
    }

    /// Opens the database file at `path`.
    pub async fn open_path(path: &Path) -> StoreResult<Self> {
        Self::open_with(SqliteConnectOptions::new().filename(path)).await
    }

    /// Parses `url` into connect options without touching the file.
    pub fn options(url: &str) -> StoreResult<SqliteConnectOptions> {
        if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url)
                .map_err(|_| StoreError::UnsupportedUrl(url.to_string()))
        } else if url.contains("://") {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        } else {
            Ok(SqliteConnectOptions::new().filename(url))
        }
    }

    async fn open_with(options: SqliteConnectOptions) -> StoreResult<Self> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable in WAL mode except for the last commits on power loss.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // The CLI and the server write the same file: wait for the lock, do not fail.
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }
}

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

fn digest(bytes: Vec<u8>) -> StoreResult<Digest> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("digest is not 32 bytes".into()))
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

fn client_from_row(row: &SqliteRow) -> StoreResult<Client> {
    Ok(Client {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        scopes: words(row.try_get("scopes")?),
        audiences: words(row.try_get("audiences")?),
        access_ttl: row.try_get("access_ttl")?,
        refresh_enabled: row.try_get("refresh_enabled")?,
        refresh_ttl: row.try_get("refresh_ttl")?,
        disabled: row.try_get("disabled")?,
        secret_hash: digest(row.try_get("secret_hash")?)?,
        previous_secret_hash: row
            .try_get::<Option<Vec<u8>>, _>("previous_secret_hash")?
            .map(digest)
            .transpose()?,
        previous_secret_expires_at: row.try_get("previous_secret_expires_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn refresh_from_row(row: &SqliteRow) -> StoreResult<RefreshToken> {
    Ok(RefreshToken {
        family_id: row.try_get("family_id")?,
        client_id: row.try_get("client_id")?,
        scope: row.try_get("scope")?,
        audiences: words(row.try_get("audiences")?),
        issued_at: row.try_get("issued_at")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn setting(&self, name: &str) -> StoreResult<Option<Setting>> {
        let row = sqlx::query("SELECT value, protection FROM settings WHERE name = ?1")
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
    }

    async fn insert_setting(&self, name: &str, value: &Setting) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO settings (name, value, protection) VALUES (?1, ?2, ?3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(&value.value)
        .bind(&value.protection)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn reseal_setting(&self, name: &str, from: &str, value: &Setting) -> StoreResult<()> {
        sqlx::query(
            "UPDATE settings SET value = ?1, protection = ?2 WHERE name = ?3 AND protection = ?4",
        )
        .bind(&value.value)
        .bind(&value.protection)
        .bind(name)
        .bind(from)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn create_client(&self, c: &Client) -> StoreResult<()> {
        let result = sqlx::query(
            "INSERT INTO clients (id, name, scopes, audiences, access_ttl, refresh_enabled, \
             refresh_ttl, disabled, secret_hash, previous_secret_hash, \
             previous_secret_expires_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
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
        .execute(&self.pool)
        .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::Conflict(format!("client {:?}", c.id)))
            }
            other => other.map(drop).map_err(Into::into),
        }
    }

    async fn client(&self, id: &str) -> StoreResult<Option<Client>> {
        let row = sqlx::query(select_clients!("WHERE id = ?1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(client_from_row).transpose()
    }

    async fn clients(&self) -> StoreResult<Vec<Client>> {
        let rows = sqlx::query(select_clients!("ORDER BY id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(client_from_row).collect()
    }

    async fn set_secret(
        &self,
        id: &str,
        secret_hash: &Digest,
        previous: Option<(Digest, i64)>,
        now: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE clients SET secret_hash = ?1, previous_secret_hash = ?2, \
             previous_secret_expires_at = ?3, updated_at = ?4 WHERE id = ?5",
        )
        .bind(secret_hash.as_slice())
        .bind(previous.as_ref().map(|(d, _)| d.as_slice()))
        .bind(previous.map(|(_, at)| at))
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_disabled(&self, id: &str, disabled: bool, now: i64) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE clients SET disabled = ?1, updated_at = ?2 WHERE id = ?3")
            .bind(disabled)
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_client(&self, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM clients WHERE id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn max_access_ttl(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COALESCE(MAX(access_ttl), 0) AS ttl FROM clients")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("ttl")?)
    }

    async fn auth_lookup(&self, id: &str) -> StoreResult<(Option<Client>, FailureState)> {
        // One indexed read for both halves; the id drives the join so unknown ids still
        // return their failure state.
        let row = sqlx::query(
            "SELECT c.id, c.name, c.scopes, c.audiences, c.access_ttl, c.refresh_enabled, \
             c.refresh_ttl, c.disabled, c.secret_hash, c.previous_secret_hash, \
             c.previous_secret_expires_at, c.created_at, c.updated_at, \
             f.failed_count, f.lockouts, f.locked_until_ms \
             FROM (SELECT ?1 AS lookup_id) q \
             LEFT JOIN clients c ON c.id = q.lookup_id \
             LEFT JOIN auth_failures f ON f.client_id = q.lookup_id",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        let client = match row.try_get::<Option<String>, _>("id")? {
            Some(_) => Some(client_from_row(&row)?),
            None => None,
        };
        let failures = FailureState {
            failed_count: row.try_get::<Option<i64>, _>("failed_count")?.unwrap_or(0),
            lockouts: row.try_get::<Option<i64>, _>("lockouts")?.unwrap_or(0),
            locked_until_ms: row
                .try_get::<Option<i64>, _>("locked_until_ms")?
                .unwrap_or(0),
        };
        Ok((client, failures))
    }

    async fn record_failure(
        &self,
        id: &str,
        now_ms: i64,
        policy: &LockoutPolicy,
    ) -> StoreResult<FailureOutcome> {
        // One statement decides everything, so concurrent failures are each counted once
        // and exactly one of them starts a lockout. SET expressions read the old row.
        let first_locks = policy.threshold <= 1;
        let row = sqlx::query(
            "INSERT INTO auth_failures \
               (client_id, failed_count, lockouts, locked_until_ms, last_failure_ms, last_outcome) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (client_id) DO UPDATE SET \
               failed_count = CASE \
                 WHEN locked_until_ms > ?5 THEN failed_count \
                 WHEN failed_count + 1 >= ?7 THEN 0 \
                 ELSE failed_count + 1 END, \
               lockouts = CASE \
                 WHEN locked_until_ms <= ?5 AND failed_count + 1 >= ?7 THEN lockouts + 1 \
                 ELSE lockouts END, \
               locked_until_ms = CASE \
                 WHEN locked_until_ms <= ?5 AND failed_count + 1 >= ?7 \
                 THEN ?5 + MIN(?8 << MIN(lockouts, 30), ?9) \
                 ELSE locked_until_ms END, \
               last_outcome = CASE \
                 WHEN locked_until_ms > ?5 THEN 2 \
                 WHEN failed_count + 1 >= ?7 THEN 1 \
                 ELSE 0 END, \
               last_failure_ms = ?5 \
             RETURNING failed_count, lockouts, locked_until_ms, last_outcome",
        )
        .bind(id)
        .bind(if first_locks { 0_i64 } else { 1 })
        .bind(i64::from(first_locks))
        .bind(if first_locks {
            now_ms + policy.base_ms.min(policy.max_ms)
        } else {
            0
        })
        .bind(now_ms)
        .bind(i64::from(first_locks))
        .bind(policy.threshold)
        .bind(policy.base_ms)
        .bind(policy.max_ms)
        .fetch_one(&self.pool)
        .await?;
        let state = FailureState {
            failed_count: row.try_get("failed_count")?,
            lockouts: row.try_get("lockouts")?,
            locked_until_ms: row.try_get("locked_until_ms")?,
        };
        Ok(match row.try_get::<i64, _>("last_outcome")? {
            0 => FailureOutcome::Counted(state),
            1 => FailureOutcome::Locked(state),
            _ => FailureOutcome::AlreadyLocked(state),
        })
    }

    async fn reset_failures(&self, id: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE auth_failures SET failed_count = 0, lockouts = 0 \
             WHERE client_id = ?1 AND (failed_count > 0 OR lockouts > 0)",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn clear_failures(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM auth_failures WHERE client_id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn prune_failures(&self, cutoff_ms: i64) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM auth_failures WHERE last_failure_ms < ?1 AND locked_until_ms < ?1",
        )
        .bind(cutoff_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn insert_refresh_token(&self, d: &Digest, t: &RefreshToken) -> StoreResult<()> {
        insert_refresh(&self.pool, d, t).await
    }

    async fn refresh_token(&self, d: &Digest) -> StoreResult<Option<RefreshToken>> {
        let row = sqlx::query(
            "SELECT family_id, client_id, scope, audiences, issued_at, expires_at, used_at, \
             revoked_at FROM refresh_tokens WHERE token_hash = ?1",
        )
        .bind(d.as_slice())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(refresh_from_row).transpose()
    }

    async fn rotate_refresh_token(
        &self,
        old: &Digest,
        new: &Digest,
        token: &RefreshToken,
        now: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        // The conditional UPDATE is the single-use check: of two concurrent exchanges of
        // one token, only one sees a row.
        let spent = sqlx::query(
            "UPDATE refresh_tokens SET used_at = ?1 WHERE token_hash = ?2 AND family_id = ?3 \
             AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?1",
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

    async fn revoke_refresh_family(&self, family_id: &str, now: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = ?1 WHERE family_id = ?2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(family_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn revoke_access_token(&self, jti: &str, expires_at: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?1, ?2) \
             ON CONFLICT (jti) DO NOTHING",
        )
        .bind(jti)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn access_token_revoked(&self, jti: &str) -> StoreResult<bool> {
        let row = sqlx::query("SELECT 1 FROM revoked_access_tokens WHERE jti = ?1")
            .bind(jti)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn prune_tokens(&self, now: i64) -> StoreResult<u64> {
        let refresh = sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < ?1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        let access = sqlx::query("DELETE FROM revoked_access_tokens WHERE expires_at < ?1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(refresh.rows_affected() + access.rows_affected())
    }

    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>> {
        let rows = sqlx::query(
            "SELECT kid, private_key, protection, created_at, activate_at FROM signing_keys \
             ORDER BY created_at, kid",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredKey {
                    kid: r.try_get("kid")?,
                    private_key: r.try_get("private_key")?,
                    protection: r.try_get("protection")?,
                    created_at: r.try_get("created_at")?,
                    activate_at: r.try_get("activate_at")?,
                })
            })
            .collect()
    }

    async fn insert_signing_key(&self, key: &StoredKey, only_if_empty: bool) -> StoreResult<bool> {
        // INSERT ... SELECT ... WHERE NOT EXISTS is one atomic statement: replicas racing
        // on first start create a single key.
        let done = sqlx::query(
            "INSERT INTO signing_keys (kid, private_key, protection, created_at, activate_at) \
             SELECT ?1, ?2, ?3, ?4, ?5 \
             WHERE ?6 = 0 OR NOT EXISTS (SELECT 1 FROM signing_keys)",
        )
        .bind(&key.kid)
        .bind(&key.private_key)
        .bind(&key.protection)
        .bind(key.created_at)
        .bind(key.activate_at)
        .bind(only_if_empty)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn reseal_signing_key(&self, kid: &str, from: &str, key: &StoredKey) -> StoreResult<()> {
        sqlx::query(
            "UPDATE signing_keys SET private_key = ?1, protection = ?2 \
             WHERE kid = ?3 AND protection = ?4",
        )
        .bind(&key.private_key)
        .bind(&key.protection)
        .bind(kid)
        .bind(from)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

async fn insert_refresh<'e, E>(executor: E, d: &Digest, t: &RefreshToken) -> StoreResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
{
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, client_id, scope, audiences, \
         issued_at, expires_at, used_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .bind(d.as_slice())
    .bind(&t.family_id)
    .bind(&t.client_id)
    .bind(&t.scope)
    .bind(t.audiences.join(" "))
    .bind(t.issued_at)
    .bind(t.expires_at)
    .bind(t.used_at)
    .bind(t.revoked_at)
    .execute(executor)
    .await?;
    Ok(())
}
