//! The PostgreSQL backend, for several `tollgate serve` replicas on one database.
//!
//! Migrations run on start under sqlx's advisory lock, so replicas starting together
//! migrate once. Every call is bounded by [`StoreOptions::timeout`] on the client side
//! too (a server that stopped answering must not hang a request), and connection
//! failures surface as [`StoreError::Unavailable`], which the token endpoint answers
//! with 503. The trait impl only delegates: client and lockout SQL is in `clients`,
//! tokens, keys and settings in `tokens`.

mod audit;
mod clients;
mod tokens;

/// Row decoding, shared with the other backend.
mod rows {
    crate::store::rows::decoders!(sqlx::postgres::PgRow);
}

use std::{future::Future, str::FromStr};

use async_trait::async_trait;
use sqlx::{
    Connection as _,
    postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions},
};

use super::{
    AuditEvent, ChangeMarks, Client, Digest, FailureChange, FailureOutcome, FailureState,
    LockoutPolicy, RefreshToken, Setting, Store, StoreError, StoreOptions, StoreResult, StoredKey,
};

/// PostgreSQL through an sqlx pool.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    options: StoreOptions,
}

impl PgStore {
    /// Connects to `url` (`postgres://` or `postgresql://`), migrates, and opens a pool.
    pub async fn open(url: &str, options: &StoreOptions) -> StoreResult<Self> {
        let connect =
            PgConnectOptions::from_str(url).map_err(|_| StoreError::UnsupportedUrl(redact(url)))?;
        // Migrations may take longer than a request may: a connection of their own,
        // without the statement timeout.
        let mut migrator = PgConnection::connect_with(&connect).await?;
        sqlx::migrate!("./migrations/postgres")
            .run(&mut migrator)
            .await?;
        migrator.close().await?;
        let timeout_ms = options.timeout.as_millis().to_string();
        let pool = PgPoolOptions::new()
            .max_connections(options.pool_size)
            .acquire_timeout(options.timeout)
            .connect_lazy_with(connect.options([("statement_timeout", timeout_ms.as_str())]));
        Ok(Self {
            pool,
            options: *options,
        })
    }

    /// Runs one store call, giving up after the configured timeout.
    async fn bounded<T>(&self, call: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        tokio::time::timeout(self.options.timeout, call)
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("database call timed out".into())))
    }
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…{}", &url[..scheme], &url[at..]),
        _ => url.to_string(),
    }
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        self.bounded(async {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(())
        })
        .await
    }

    async fn compact(&self) -> StoreResult<()> {
        // Autovacuum keeps PostgreSQL's files in check.
        Ok(())
    }

    async fn setting(&self, name: &str) -> StoreResult<Option<Setting>> {
        self.bounded(tokens::setting(&self.pool, name)).await
    }

    async fn insert_setting(&self, name: &str, value: &Setting) -> StoreResult<bool> {
        self.bounded(tokens::insert_setting(&self.pool, name, value))
            .await
    }

    async fn reseal_setting(&self, name: &str, from: &str, value: &Setting) -> StoreResult<()> {
        self.bounded(tokens::reseal_setting(&self.pool, name, from, value))
            .await
    }

    async fn create_client(&self, c: &Client) -> StoreResult<()> {
        self.bounded(clients::create_client(&self.pool, c)).await
    }

    async fn client(&self, id: &str) -> StoreResult<Option<Client>> {
        self.bounded(clients::client(&self.pool, id)).await
    }

    async fn clients(&self) -> StoreResult<Vec<Client>> {
        self.bounded(clients::clients(&self.pool)).await
    }

    async fn set_secret(
        &self,
        id: &str,
        secret_hash: &Digest,
        previous: Option<(Digest, i64)>,
        now: i64,
    ) -> StoreResult<bool> {
        self.bounded(clients::set_secret(
            &self.pool,
            id,
            secret_hash,
            previous,
            now,
        ))
        .await
    }

    async fn update_client(&self, c: &Client) -> StoreResult<bool> {
        self.bounded(clients::update_client(&self.pool, c)).await
    }

    async fn set_disabled(&self, id: &str, disabled: bool, now: i64) -> StoreResult<bool> {
        self.bounded(clients::set_disabled(&self.pool, id, disabled, now))
            .await
    }

    async fn delete_client(&self, id: &str) -> StoreResult<bool> {
        self.bounded(clients::delete_client(&self.pool, id)).await
    }

    async fn max_access_ttl(&self) -> StoreResult<i64> {
        self.bounded(clients::max_access_ttl(&self.pool)).await
    }

    async fn auth_lookup(
        &self,
        id: &str,
        source: &str,
    ) -> StoreResult<(Option<Client>, FailureState)> {
        self.bounded(clients::auth_lookup(&self.pool, id, source))
            .await
    }

    async fn record_failure(
        &self,
        id: &str,
        source: &str,
        now_ms: i64,
        policy: &LockoutPolicy,
    ) -> StoreResult<FailureOutcome> {
        self.bounded(clients::record_failure(
            &self.pool, id, source, now_ms, policy,
        ))
        .await
    }

    async fn reset_failures(&self, id: &str, source: &str, now_ms: i64) -> StoreResult<()> {
        self.bounded(clients::reset_failures(&self.pool, id, source, now_ms))
            .await
    }

    async fn clear_failures(&self, id: &str, source: Option<&str>) -> StoreResult<()> {
        self.bounded(clients::clear_failures(&self.pool, id, source))
            .await
    }

    async fn failures(&self, id: &str) -> StoreResult<Vec<(String, FailureState)>> {
        self.bounded(clients::failures(&self.pool, id)).await
    }

    async fn prune_failures(&self, cutoff_ms: i64) -> StoreResult<u64> {
        self.bounded(clients::prune_failures(&self.pool, cutoff_ms))
            .await
    }

    async fn change_marks(&self) -> StoreResult<ChangeMarks> {
        self.bounded(clients::change_marks(&self.pool)).await
    }

    async fn failures_since(&self, seq: i64, limit: u32) -> StoreResult<Vec<FailureChange>> {
        self.bounded(clients::failures_since(&self.pool, seq, limit))
            .await
    }

    async fn insert_refresh_token(
        &self,
        d: &Digest,
        t: &RefreshToken,
        max_families: u32,
    ) -> StoreResult<()> {
        self.bounded(tokens::insert_refresh_token(&self.pool, d, t, max_families))
            .await
    }

    async fn refresh_token(&self, d: &Digest) -> StoreResult<Option<RefreshToken>> {
        self.bounded(tokens::refresh_token(&self.pool, d)).await
    }

    async fn rotate_refresh_token(
        &self,
        old: &Digest,
        new: &Digest,
        token: &RefreshToken,
        now: i64,
    ) -> StoreResult<bool> {
        self.bounded(tokens::rotate_refresh_token(
            &self.pool, old, new, token, now,
        ))
        .await
    }

    async fn revoke_refresh_family(&self, family_id: &str, now: i64) -> StoreResult<()> {
        self.bounded(tokens::revoke_refresh_family(&self.pool, family_id, now))
            .await
    }

    async fn revoke_access_token(&self, jti: &str, expires_at: i64) -> StoreResult<()> {
        self.bounded(tokens::revoke_access_token(&self.pool, jti, expires_at))
            .await
    }

    async fn access_token_revoked(&self, jti: &str) -> StoreResult<bool> {
        self.bounded(tokens::access_token_revoked(&self.pool, jti))
            .await
    }

    async fn prune_tokens(&self, now: i64) -> StoreResult<u64> {
        self.bounded(tokens::prune_tokens(&self.pool, now)).await
    }

    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>> {
        self.bounded(tokens::signing_keys(&self.pool)).await
    }

    async fn insert_signing_key(&self, key: &StoredKey, only_if_empty: bool) -> StoreResult<bool> {
        self.bounded(tokens::insert_signing_key(&self.pool, key, only_if_empty))
            .await
    }

    async fn reseal_signing_key(&self, kid: &str, from: &str, key: &StoredKey) -> StoreResult<()> {
        self.bounded(tokens::reseal_signing_key(&self.pool, kid, from, key))
            .await
    }

    async fn revoke_signing_key(
        &self,
        kid: &str,
        activate: Option<&str>,
        now: i64,
    ) -> StoreResult<bool> {
        self.bounded(tokens::revoke_signing_key(&self.pool, kid, activate, now))
            .await
    }

    async fn record_event(&self, event: &AuditEvent) -> StoreResult<()> {
        self.bounded(audit::record_event(&self.pool, event)).await
    }

    async fn events_since(&self, since_ms: i64, limit: u32) -> StoreResult<Vec<AuditEvent>> {
        self.bounded(audit::events_since(&self.pool, since_ms, limit))
            .await
    }

    async fn prune_events(&self, cutoff_ms: i64) -> StoreResult<u64> {
        self.bounded(audit::prune_events(&self.pool, cutoff_ms))
            .await
    }

    async fn set_public_key(&self, kid: &str, public_key: &[u8; 32]) -> StoreResult<()> {
        self.bounded(tokens::set_public_key(&self.pool, kid, public_key))
            .await
    }

    async fn scrub(&self) -> StoreResult<()> {
        // Sealing updates rows in place and leaves the old tuples in the table files;
        // VACUUM FULL rewrites these two small tables without them.
        sqlx::query("VACUUM FULL signing_keys, settings")
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
