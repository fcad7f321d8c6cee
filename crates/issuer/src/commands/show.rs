//! Text output for people: RFC 3339 UTC times, lower-case states, one block per client.
//! (`--json` prints the machine values instead: epoch seconds, enum names.)

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat};

use crate::{
    admin::ClientView,
    keys::{KeyInfo, KeyState},
    store::AuditEvent,
};

/// `secs` since the epoch as RFC 3339 UTC (`2026-12-01T10:00:00Z`).
pub(super) fn time(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0).map_or_else(
        || format!("{secs} (out of range)"),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// An RFC 3339 time as milliseconds since the epoch.
pub(super) fn parse_time(text: &str) -> Result<i64, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| {
            format!("--since {text:?} is not an RFC 3339 time ({e}); e.g. 2026-12-01T00:00:00Z")
        })
}

fn status(view: &ClientView) -> &'static str {
    match (view.disabled, view.locked()) {
        (true, _) => "disabled",
        (false, true) => "locked (some sources)",
        (false, false) => "active",
    }
}

fn audiences(view: &ClientView) -> String {
    if view.audiences.is_empty() {
        "(the issuer URL)".into()
    } else {
        view.audiences.join(" ")
    }
}

/// One line per client, for `client list`.
pub(super) fn client_line(view: &ClientView) -> String {
    format!(
        "{}\t{}\tscopes={}\taudiences={}\tttl={}s\trefresh={}\t{}",
        view.client_id,
        if view.name.is_empty() {
            "-"
        } else {
            &view.name
        },
        view.scopes.join(" "),
        audiences(view).replace(' ', ","),
        view.ttl,
        view.refresh,
        status(view),
    )
}

/// Every field of a client, its failure and lockout state per source included.
pub(super) fn client_block(view: &ClientView) -> String {
    let mut out = String::new();
    let mut field = |name: &str, value: &str| {
        let _ = writeln!(out, "{:<17}{value}", format!("{name}:"));
    };
    field("client_id", &view.client_id);
    field(
        "name",
        if view.name.is_empty() {
            "-"
        } else {
            &view.name
        },
    );
    field("status", status(view));
    field("scopes", &view.scopes.join(" "));
    field("audiences", &audiences(view));
    field("token ttl", &format!("{} s", view.ttl));
    let refresh = if view.refresh {
        format!("yes, {} s", view.refresh_ttl)
    } else {
        format!("no ({} s if enabled)", view.refresh_ttl)
    };
    field("refresh tokens", &refresh);
    field("created", &time(view.created_at));
    field("updated", &time(view.updated_at));
    let previous = view
        .previous_secret_expires_at
        .map_or_else(|| "none".into(), |at| format!("works until {}", time(at)));
    field("previous secret", &previous);
    if view.failures.is_empty() {
        field("failures", "none");
    } else {
        field("failures", "by source, most recent first");
        for f in &view.failures {
            let lock = f.locked_until.map_or_else(
                || "not locked".into(),
                |at| format!("locked until {}", time(at)),
            );
            let _ = writeln!(
                out,
                "  {}\tfailed_attempts={}\tlockouts={}\t{lock}",
                f.source, f.failed_attempts, f.lockouts
            );
        }
    }
    out
}

/// One line per key, for `keys list`, `rotate` and `revoke`.
pub(super) fn key_line(key: &KeyInfo) -> String {
    let mut line = format!(
        "{}\t{}\tcreated={}\tactivate_at={}",
        key.kid,
        key.state.as_str(),
        time(key.created_at),
        time(key.activate_at),
    );
    match (key.state, key.revoked_at, key.published_until) {
        (KeyState::Revoked, Some(at), _) => {
            let _ = write!(line, "\trevoked_at={}", time(at));
        }
        (_, _, Some(until)) => {
            let _ = write!(line, "\tpublished_until={}", time(until));
        }
        _ => line.push_str("\tpublished_until=-"),
    }
    line
}

/// One line per audit event.
pub(super) fn event_line(event: &AuditEvent) -> String {
    let at = DateTime::from_timestamp_millis(event.at_ms).map_or_else(
        || event.at_ms.to_string(),
        |t| t.to_rfc3339_opts(SecondsFormat::Millis, true),
    );
    let detail = if event.detail.is_empty() {
        "-"
    } else {
        &event.detail
    };
    format!(
        "{at}\t{}\t{}\t{}\t{detail}",
        event.actor, event.action, event.subject
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc_3339_utc_and_round_trip() {
        assert_eq!(time(0), "1970-01-01T00:00:00Z");
        assert_eq!(time(1_796_112_097), "2026-12-01T08:01:37Z");
        assert_eq!(parse_time("2026-12-01T08:01:37Z"), Ok(1_796_112_097_000));
        assert_eq!(
            parse_time("2026-12-01T09:01:37+01:00"),
            Ok(1_796_112_097_000)
        );
        assert!(parse_time("yesterday").is_err());
    }
}
