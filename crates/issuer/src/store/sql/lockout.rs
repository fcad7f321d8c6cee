//! Failure counts per (client, source), lockouts, and the change marks.

use async_trait::async_trait;
use sqlx::Row as _;

use super::{
    SqlStore, Tx,
    audit::commit_with,
    for_update,
    rows::{client_from_row, failure_from_row},
};
use crate::store::{
    AuditEvent, ChangeMarks, Client, FailureChange, FailureOutcome, FailureState, LockoutPolicy,
    LockoutStore, StoreResult,
};

/// Takes the next failure sequence number, inside the caller's write transaction (which
/// holds the counter's row lock to commit, so sequence order is commit order).
async fn next_failure_seq(tx: &mut Tx) -> StoreResult<i64> {
    let row = sqlx::query(
        "UPDATE change_marks SET value = value + 1 WHERE name = 'failures' RETURNING value",
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("value")?)
}

/// Writes a clean state for `id` (one source, or all) with a new sequence number (not a
/// delete: servers that hold the old state in memory must see that it ended). With
/// `unlocked_at`, only states not locked at that time are cleaned: a success judged on
/// an older view must not lift a lock another replica just set.
pub(super) async fn clean(
    tx: &mut Tx,
    id: &str,
    source: Option<&str>,
    unlocked_at: Option<i64>,
) -> StoreResult<()> {
    let seq = next_failure_seq(tx).await?;
    sqlx::query(
        "UPDATE auth_failures SET failed_count = 0, lockouts = 0, locked_until_ms = 0, seq = $3 \
         WHERE client_id = $1 AND (CAST($2 AS TEXT) IS NULL OR source = $2) \
         AND (CAST($4 AS BIGINT) IS NULL OR locked_until_ms <= $4) \
         AND (failed_count > 0 OR lockouts > 0 OR locked_until_ms > 0)",
    )
    .bind(id)
    .bind(source)
    .bind(seq)
    .bind(unlocked_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl SqlStore {
    /// One failure of an existing (`id`, `source`) pair, applied to the state the
    /// previous one left: a zero row first (only for a client that exists), so there is
    /// always a row to lock; concurrent failures from any process then queue on the
    /// write lock (SQLite) or the row lock (PostgreSQL).
    async fn count_failure(
        &self,
        id: &str,
        source: &str,
        now_ms: i64,
        policy: &LockoutPolicy,
    ) -> StoreResult<FailureOutcome> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO auth_failures \
               (client_id, source, failed_count, lockouts, locked_until_ms, last_failure_ms) \
             SELECT $1, $2, 0, 0, 0, $3 WHERE EXISTS (SELECT 1 FROM clients WHERE id = $1) \
             ON CONFLICT (client_id, source) DO NOTHING",
        )
        .bind(id)
        .bind(source)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(for_update!(
            self.dialect,
            "SELECT failed_count, lockouts, locked_until_ms FROM auth_failures \
             WHERE client_id = $1 AND source = $2"
        ))
        .bind(id)
        .bind(source)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            // No such client: the outcome is computed, nothing is stored.
            tx.rollback().await?;
            return Ok(policy.after_failure(FailureState::default(), now_ms));
        };
        let outcome = policy.after_failure(failure_from_row(&row)?, now_ms);
        if !matches!(outcome, FailureOutcome::AlreadyLocked(_)) {
            let next = outcome.state();
            let seq = next_failure_seq(&mut tx).await?;
            sqlx::query(
                "UPDATE auth_failures SET failed_count = $3, lockouts = $4, \
                 locked_until_ms = $5, last_failure_ms = $6, seq = $7 \
                 WHERE client_id = $1 AND source = $2",
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
}

/// A failure-state row with its client and source.
fn sourced_failure(row: &sqlx::any::AnyRow) -> StoreResult<(String, String, FailureState)> {
    Ok((
        row.try_get("client_id")?,
        row.try_get("source")?,
        failure_from_row(row)?,
    ))
}

#[async_trait]
impl LockoutStore for SqlStore {
    async fn auth_lookup(
        &self,
        id: &str,
        source: &str,
    ) -> StoreResult<(Option<Client>, FailureState)> {
        self.bounded(async {
            let row = sqlx::query(
                "SELECT c.id, c.name, c.scopes, c.audiences, c.access_ttl, c.refresh_enabled, \
                 c.refresh_ttl, c.disabled, c.secret_hash, c.previous_secret_hash, \
                 c.previous_secret_expires_at, c.created_at, c.updated_at, \
                 f.failed_count, f.lockouts, f.locked_until_ms \
                 FROM clients c \
                 LEFT JOIN auth_failures f ON f.client_id = c.id AND f.source = $2 \
                 WHERE c.id = $1",
            )
            .bind(id)
            .bind(source)
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else {
                return Ok((None, FailureState::default()));
            };
            Ok((Some(client_from_row(&row)?), failure_from_row(&row)?))
        })
        .await
    }

    async fn record_failure(
        &self,
        id: &str,
        source: &str,
        now_ms: i64,
        policy: &LockoutPolicy,
    ) -> StoreResult<FailureOutcome> {
        self.bounded(self.count_failure(id, source, now_ms, policy))
            .await
    }

    async fn reset_failures(&self, id: &str, source: &str, now_ms: i64) -> StoreResult<()> {
        self.bounded(async {
            let mut tx = self.begin().await?;
            clean(&mut tx, id, Some(source), Some(now_ms)).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn clear_failures(
        &self,
        id: &str,
        source: Option<&str>,
        event: &AuditEvent,
    ) -> StoreResult<()> {
        self.bounded(async {
            let mut tx = self.begin().await?;
            clean(&mut tx, id, source, None).await?;
            commit_with(tx, true, event).await.map(drop)
        })
        .await
    }

    async fn failures(&self, id: &str) -> StoreResult<Vec<(String, FailureState)>> {
        self.bounded(async {
            let rows = sqlx::query(
                "SELECT source, failed_count, lockouts, locked_until_ms FROM auth_failures \
                 WHERE client_id = $1 \
                 AND (failed_count > 0 OR lockouts > 0 OR locked_until_ms > 0) \
                 ORDER BY last_failure_ms DESC, source",
            )
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|row| Ok((row.try_get("source")?, failure_from_row(row)?)))
                .collect()
        })
        .await
    }

    async fn failures_between(
        &self,
        after: Option<&str>,
        through: &str,
    ) -> StoreResult<Vec<(String, String, FailureState)>> {
        self.bounded(async {
            let rows = sqlx::query(
                "SELECT client_id, source, failed_count, lockouts, locked_until_ms \
                 FROM auth_failures WHERE client_id > $1 AND client_id <= $2 \
                 AND (failed_count > 0 OR lockouts > 0 OR locked_until_ms > 0) \
                 ORDER BY client_id, last_failure_ms DESC, source",
            )
            .bind(after.unwrap_or(""))
            .bind(through)
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(sourced_failure).collect()
        })
        .await
    }

    async fn prune_failures(&self, cutoff_ms: i64) -> StoreResult<u64> {
        self.bounded(async {
            let done = sqlx::query(
                "DELETE FROM auth_failures WHERE last_failure_ms < $1 AND locked_until_ms < $1",
            )
            .bind(cutoff_ms)
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected())
        })
        .await
    }

    async fn change_marks(&self) -> StoreResult<ChangeMarks> {
        self.bounded(async {
            let rows = sqlx::query("SELECT name, value FROM change_marks")
                .fetch_all(&self.pool)
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
        })
        .await
    }

    async fn failures_since(&self, seq: i64, limit: u32) -> StoreResult<Vec<FailureChange>> {
        self.bounded(async {
            let rows = sqlx::query(
                "SELECT client_id, source, failed_count, lockouts, locked_until_ms, seq \
                 FROM auth_failures WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(seq)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let (client_id, source, state) = sourced_failure(row)?;
                    Ok(FailureChange {
                        client_id,
                        source,
                        state,
                        seq: row.try_get("seq")?,
                    })
                })
                .collect()
        })
        .await
    }
}
