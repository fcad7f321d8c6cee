//! The audit trail: appended by admin changes (in their own transaction) and lockouts,
//! read by `tollgate audit`.

use async_trait::async_trait;

use super::{SqlStore, rows::event_from_row};
use crate::store::{AuditEvent, AuditStore, StoreResult};

/// Appends `event` through `executor`: the pool, or the transaction of the change it
/// records.
pub(super) async fn insert_event<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    e: &AuditEvent,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_events (at_ms, actor, action, subject, detail) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(e.at_ms)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.subject)
    .bind(&e.detail)
    .execute(executor)
    .await?;
    Ok(())
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn record_event(&self, event: &AuditEvent) -> StoreResult<()> {
        self.bounded(insert_event(&self.pool, event)).await
    }

    async fn events_since(&self, since_ms: i64, limit: u32) -> StoreResult<Vec<AuditEvent>> {
        self.bounded(async {
            // The id breaks ties between events of the same millisecond in insertion order.
            let rows = sqlx::query(
                "SELECT at_ms, actor, action, subject, detail FROM audit_events \
                 WHERE at_ms >= $1 ORDER BY at_ms, id LIMIT $2",
            )
            .bind(since_ms)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(event_from_row).collect()
        })
        .await
    }

    async fn prune_events(&self, cutoff_ms: i64) -> StoreResult<u64> {
        self.bounded(async {
            let done = sqlx::query("DELETE FROM audit_events WHERE at_ms < $1")
                .bind(cutoff_ms)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected())
        })
        .await
    }
}

/// Ends an admin change: with `event` committed beside it if it `changed` anything,
/// else rolled back (nothing changed, nothing recorded). Returns `changed`.
pub(super) async fn commit_with(
    mut tx: super::Tx,
    changed: bool,
    event: &AuditEvent,
) -> StoreResult<bool> {
    if changed {
        insert_event(&mut *tx, event).await?;
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(changed)
}
