//! Clients and their failure counters.

use sqlx::{
    Row,
    sqlite::{SqlitePool, SqliteRow},
};

use crate::store::{
    Client, Digest, FailureOutcome, FailureState, LockoutPolicy, StoreError, StoreResult,
};

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

pub(super) fn digest(bytes: Vec<u8>) -> StoreResult<Digest> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("digest is not 32 bytes".into()))
}

pub(super) fn words(text: &str) -> Vec<String> {
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

pub(super) async fn create_client(pool: &SqlitePool, c: &Client) -> StoreResult<()> {
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
    .execute(pool)
    .await;
    match result {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(StoreError::Conflict(format!("client {:?}", c.id)))
        }
        other => other.map(drop).map_err(Into::into),
    }
}

pub(super) async fn client(pool: &SqlitePool, id: &str) -> StoreResult<Option<Client>> {
    let row = sqlx::query(select_clients!("WHERE id = ?1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(client_from_row).transpose()
}

pub(super) async fn clients(pool: &SqlitePool) -> StoreResult<Vec<Client>> {
    let rows = sqlx::query(select_clients!("ORDER BY id"))
        .fetch_all(pool)
        .await?;
    rows.iter().map(client_from_row).collect()
}

pub(super) async fn set_secret(
    pool: &SqlitePool,
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
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn set_disabled(
    pool: &SqlitePool,
    id: &str,
    disabled: bool,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE clients SET disabled = ?1, updated_at = ?2 WHERE id = ?3")
        .bind(disabled)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn delete_client(pool: &SqlitePool, id: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM clients WHERE id = ?1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn max_access_ttl(pool: &SqlitePool) -> StoreResult<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(access_ttl), 0) AS ttl FROM clients")
        .fetch_one(pool)
        .await?;
    Ok(row.try_get("ttl")?)
}

pub(super) async fn auth_lookup(
    pool: &SqlitePool,
    id: &str,
) -> StoreResult<(Option<Client>, FailureState)> {
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
    .fetch_one(pool)
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

pub(super) async fn record_failure(
    pool: &SqlitePool,
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
    .fetch_one(pool)
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

pub(super) async fn reset_failures(pool: &SqlitePool, id: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE auth_failures SET failed_count = 0, lockouts = 0 \
         WHERE client_id = ?1 AND (failed_count > 0 OR lockouts > 0)",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn clear_failures(pool: &SqlitePool, id: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM auth_failures WHERE client_id = ?1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) async fn prune_failures(pool: &SqlitePool, cutoff_ms: i64) -> StoreResult<u64> {
    let done = sqlx::query(
        "DELETE FROM auth_failures WHERE last_failure_ms < ?1 AND locked_until_ms < ?1",
    )
    .bind(cutoff_ms)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
