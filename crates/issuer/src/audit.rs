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

/// Longest user name kept (Linux allows 32).
const MAX_NAME_LEN: usize = 32;

/// The OS user running this process, as the OS says: the real uid's name in the passwd
/// database, else `uid:N`. Environment variables name nobody: `$USER` is not read, and
/// sudo's `$SUDO_USER` only adds a note marked unverified (`root (sudo from alice,
/// unverified)`), since whoever runs the command can set it. The trail is as
/// trustworthy as the accounts allowed to run admin commands.
pub fn os_user() -> String {
    let user = real_user();
    match std::env::var("SUDO_USER")
        .ok()
        .and_then(|v| printable_name(&v))
    {
        Some(invoker) => format!("{user} (sudo from {invoker}, unverified)"),
        None => user,
    }
}

/// `name` as it may enter the trail: printable ASCII other than brackets and commas
/// (which would blur the note around it), at most [`MAX_NAME_LEN`]; `None` if empty.
fn printable_name(name: &str) -> Option<String> {
    let kept: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '(' | ')' | ',') {
                c
            } else {
                '?'
            }
        })
        .take(MAX_NAME_LEN)
        .collect();
    (!kept.is_empty()).then_some(kept)
}

#[cfg(unix)]
fn real_user() -> String {
    use nix::unistd::{User, getuid};
    let uid = getuid();
    User::from_uid(uid)
        .ok()
        .flatten()
        .and_then(|user| printable_name(&user.name))
        .unwrap_or_else(|| format!("uid:{uid}"))
}

#[cfg(not(unix))]
fn real_user() -> String {
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

#[cfg(test)]
mod tests {
    use super::printable_name;

    #[test]
    fn names_are_printable_short_and_keep_the_note_readable() {
        assert_eq!(printable_name("alice").as_deref(), Some("alice"));
        assert_eq!(
            printable_name("eve\n(sudo), x\u{7}").as_deref(),
            Some("eve??sudo???x?")
        );
        assert_eq!(printable_name("a\tb\nc").as_deref(), Some("a?b?c"));
        assert_eq!(printable_name(&"x".repeat(100)).map(|n| n.len()), Some(32));
        assert_eq!(printable_name(""), None);
    }
}
