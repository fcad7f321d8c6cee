//! The audit trail: appended by admin actions and lockouts, read by `tollgate audit`.

use sqlx::postgres::PgPool;

use super::rows::event_from_row;
use crate::store::{AuditEvent, StoreResult};

pub(super) async fn record_event(pool: &PgPool, e: &AuditEvent) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_events (at_ms, actor, action, subject, detail) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(e.at_ms)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.subject)
    .bind(&e.detail)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn events_since(
    pool: &PgPool,
    since_ms: i64,
    limit: u32,
) -> StoreResult<Vec<AuditEvent>> {
    // The id breaks ties between events of the same millisecond in insertion order.
    let rows = sqlx::query(
        "SELECT at_ms, actor, action, subject, detail FROM audit_events \
         WHERE at_ms >= $1 ORDER BY at_ms, id LIMIT $2",
    )
    .bind(since_ms)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(event_from_row).collect()
}

pub(super) async fn prune_events(pool: &PgPool, cutoff_ms: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM audit_events WHERE at_ms < $1")
        .bind(cutoff_ms)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}
