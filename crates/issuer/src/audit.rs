//! The audit trail: who changed which client or key, and which clients were locked out.
//!
//! Every admin action and every lockout is one [`AuditEvent`] in the store, on both
//! backends, listed by `tollgate audit`. Events name ids, settings and source addresses,
//! never a secret. Lockouts are bounded by the lockout rule itself: a (client, source)
//! pair is locked at most once per lockout window, so an outsider cannot flood the trail.

use crate::{
    AppState,
    store::{AuditEvent, Store, StoreResult},
};

/// The actor of events the server records itself (lockouts).
pub const SERVER_ACTOR: &str = "serve";

/// Most events one `tollgate audit` prints.
pub const LIST_LIMIT: u32 = 10_000;

/// Longest actor name kept.
const MAX_ACTOR_LEN: usize = 64;

/// The OS user running this process: `$USER`, else `$LOGNAME`, else `uid:N`; under
/// `sudo`, the user who ran it (`alice (sudo)`). Informational, like any environment:
/// the trail is as trustworthy as the accounts allowed to run admin commands.
pub fn os_user() -> String {
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| {
                v.chars()
                    .filter(|c| !c.is_control())
                    .take(MAX_ACTOR_LEN)
                    .collect::<String>()
            })
            .filter(|v| !v.is_empty())
    };
    if let Some(human) = var("SUDO_USER") {
        return format!("{human} (sudo)");
    }
    var("USER").or_else(|| var("LOGNAME")).unwrap_or_else(uid)
}

#[cfg(unix)]
fn uid() -> String {
    use std::os::unix::fs::MetadataExt as _;
    // /proc/self belongs to the process's real uid.
    std::fs::metadata("/proc/self")
        .map_or_else(|_| "unknown".into(), |m| format!("uid:{}", m.uid()))
}

#[cfg(not(unix))]
fn uid() -> String {
    "unknown".into()
}

/// An event done by this state's actor now, for a store write to commit with its change.
pub fn event(
    state: &AppState,
    action: &str,
    subject: &str,
    detail: impl Into<String>,
) -> AuditEvent {
    AuditEvent {
        at_ms: state.clock().now_ms(),
        actor: state.actor().to_string(),
        action: action.to_string(),
        subject: subject.to_string(),
        detail: detail.into(),
    }
}

/// Records an event that changes nothing else (a lockout) done by this state's actor now.
pub async fn record(
    state: &AppState,
    action: &str,
    subject: &str,
    detail: impl Into<String>,
) -> StoreResult<()> {
    state
        .store()
        .audit
        .record_event(&event(state, action, subject, detail))
        .await
}

/// Events at or after `since_ms`, oldest first (at most [`LIST_LIMIT`]).
pub async fn list(store: &Store, since_ms: i64) -> StoreResult<Vec<AuditEvent>> {
    store.audit.events_since(since_ms, LIST_LIMIT).await
}
