//! Clients and their failure counters.

use sqlx::{Row, sqlite::SqlitePool};

use super::rows::{client_from_row, failure_from_row};
use crate::store::{
    ChangeMarks, Client, Digest, FailureChange, FailureOutcome, FailureState, LockoutPolicy,
    StoreError, StoreResult,
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

pub(super) async fn update_client(pool: &SqlitePool, c: &Client) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE clients SET name = ?1, scopes = ?2, audiences = ?3, access_ttl = ?4, \
         refresh_enabled = ?5, refresh_ttl = ?6, updated_at = ?7 WHERE id = ?8",
    )
    .bind(&c.name)
    .bind(c.scopes.join(" "))
    .bind(c.audiences.join(" "))
    .bind(c.access_ttl)
    .bind(c.refresh_enabled)
    .bind(c.refresh_ttl)
    .bind(c.updated_at)
    .bind(&c.id)
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
    source: &str,
) -> StoreResult<(Option<Client>, FailureState)> {
    // One indexed read for both halves.
    let row = sqlx::query(
        "SELECT c.id, c.name, c.scopes, c.audiences, c.access_ttl, c.refresh_enabled, \
         c.refresh_ttl, c.disabled, c.secret_hash, c.previous_secret_hash, \
         c.previous_secret_expires_at, c.created_at, c.updated_at, \
         f.failed_count, f.lockouts, f.locked_until_ms \
         FROM clients c \
         LEFT JOIN auth_failures f ON f.client_id = c.id AND f.source = ?2 \
         WHERE c.id = ?1",
    )
    .bind(id)
    .bind(source)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok((None, FailureState::default()));
    };
    Ok((Some(client_from_row(&row)?), failure_from_row(&row)?))
}

pub(super) async fn record_failure(
    pool: &SqlitePool,
    id: &str,
    source: &str,
    now_ms: i64,
    policy: &LockoutPolicy,
) -> StoreResult<FailureOutcome> {
    // IMMEDIATE takes the write lock before the read, so concurrent failures (from this
    // process or another) are applied one after the other, each to the state the
    // previous one left.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let row = sqlx::query(
        "SELECT failed_count, lockouts, locked_until_ms FROM auth_failures \
         WHERE client_id = ?1 AND source = ?2",
    )
    .bind(id)
    .bind(source)
    .fetch_optional(&mut *tx)
    .await?;
    let current = row.as_ref().map(failure_from_row).transpose()?;
    let outcome = policy.after_failure(current.unwrap_or_default(), now_ms);
    if !matches!(outcome, FailureOutcome::AlreadyLocked(_)) {
        let next = outcome.state();
        // Only clients that exist get a row (the foreign key would refuse others).
        let seq = next_failure_seq(&mut tx).await?;
        sqlx::query(
            "INSERT INTO auth_failures (client_id, source, failed_count, lockouts, \
               locked_until_ms, last_failure_ms, seq) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM clients WHERE id = ?1) \
             ON CONFLICT (client_id, source) DO UPDATE SET failed_count = excluded.failed_count, \
               lockouts = excluded.lockouts, locked_until_ms = excluded.locked_until_ms, \
               last_failure_ms = excluded.last_failure_ms, seq = excluded.seq",
        )
        .bind(id)
        .bind(source)
        .bind(next.failed_count)
        .bind(next.lockouts)
        .bind(next.locked_until_ms)
        .bind(now_ms)
        .bind(seq)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

/// Takes the next failure sequence number, inside the caller's write transaction.
async fn next_failure_seq(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>) -> StoreResult<i64> {
    let row = sqlx::query(
        "UPDATE change_marks SET value = value + 1 WHERE name = 'failures' RETURNING value",
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("value")?)
}

pub(super) async fn reset_failures(
    pool: &SqlitePool,
    id: &str,
    source: &str,
    now_ms: i64,
) -> StoreResult<()> {
    clean(pool, id, Some(source), Some(now_ms)).await
}

pub(super) async fn clear_failures(
    pool: &SqlitePool,
    id: &str,
    source: Option<&str>,
) -> StoreResult<()> {
    clean(pool, id, source, None).await
}

/// Writes a clean state with a new sequence number (not a delete: servers that hold the
/// old state in memory must see that it ended). With `unlocked_at`, only states not
/// locked at that time are cleaned: a success judged on an older view must not lift a
/// lock another replica just set.
async fn clean(
    pool: &SqlitePool,
    id: &str,
    source: Option<&str>,
    unlocked_at: Option<i64>,
) -> StoreResult<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let seq = next_failure_seq(&mut tx).await?;
    sqlx::query(
        "UPDATE auth_failures SET failed_count = 0, lockouts = 0, locked_until_ms = 0, seq = ?3 \
         WHERE client_id = ?1 AND (?2 IS NULL OR source = ?2) \
         AND (?4 IS NULL OR locked_until_ms <= ?4) \
         AND (failed_count > 0 OR lockouts > 0 OR locked_until_ms > 0)",
    )
    .bind(id)
    .bind(source)
    .bind(seq)
    .bind(unlocked_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn failures(
    pool: &SqlitePool,
    id: &str,
) -> StoreResult<Vec<(String, FailureState)>> {
    let rows = sqlx::query(
        "SELECT source, failed_count, lockouts, locked_until_ms FROM auth_failures \
         WHERE client_id = ?1 AND (failed_count > 0 OR lockouts > 0 OR locked_until_ms > 0) \
         ORDER BY last_failure_ms DESC, source",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("source")?, failure_from_row(row)?)))
        .collect()
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

pub(super) async fn change_marks(pool: &SqlitePool) -> StoreResult<ChangeMarks> {
    let rows = sqlx::query("SELECT name, value FROM change_marks")
        .fetch_all(pool)
        .await?;
    let mut marks = ChangeMarks::default();
    for row in rows {
        let value: i64 = row.try_get("value")?;
        match row.try_get::<String, _>("name")?.as_str() {
            "clients" => marks.clients = value,
            "failures" => marks.failures = value,
            _ => {}
        }
    }
    Ok(marks)
}

pub(super) async fn failures_since(
    pool: &SqlitePool,
    seq: i64,
    limit: u32,
) -> StoreResult<Vec<FailureChange>> {
    let rows = sqlx::query(
        "SELECT client_id, source, failed_count, lockouts, locked_until_ms, seq \
         FROM auth_failures WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )
    .bind(seq)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(FailureChange {
                client_id: row.try_get("client_id")?,
                source: row.try_get("source")?,
                state: failure_from_row(row)?,
                seq: row.try_get("seq")?,
            })
        })
        .collect()
}
