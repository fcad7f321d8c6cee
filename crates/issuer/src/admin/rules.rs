//! The rules every client setting obeys, on create and on update alike.

use super::AdminError;
use crate::auth::MAX_CLIENT_ID_LEN;

pub(super) fn invalid(message: impl Into<String>) -> AdminError {
    AdminError::Invalid(message.into())
}

pub(super) fn check_range(what: &str, value: i64, max: i64) -> Result<(), AdminError> {
    if (1..=max).contains(&value) {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what} must be between 1 and {max} seconds"
        )))
    }
}

/// RFC 6749 §3.3 scope-token characters.
fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

fn dedup(values: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

pub(super) fn check_id(id: &str) -> Result<(), AdminError> {
    if id.is_empty() || id.len() > MAX_CLIENT_ID_LEN || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(format!(
            "client id must be 1 to {MAX_CLIENT_ID_LEN} printable ASCII characters without spaces"
        )));
    }
    Ok(())
}

pub(super) fn check_name(name: &str) -> Result<(), AdminError> {
    if name.chars().any(char::is_control) || name.len() > 200 {
        return Err(invalid(
            "name must be at most 200 characters, without control characters",
        ));
    }
    Ok(())
}

/// Space-separated scope lists, split, deduplicated and checked.
pub(super) fn scopes(lists: &[String]) -> Result<Vec<String>, AdminError> {
    let scopes = dedup(
        lists
            .iter()
            .flat_map(|s| s.split_whitespace())
            .map(str::to_string)
            .collect(),
    );
    if scopes.is_empty() || !scopes.iter().all(|s| is_scope_token(s)) {
        return Err(invalid(
            "at least one scope is required; scopes are RFC 6749 scope tokens",
        ));
    }
    Ok(scopes)
}

/// Audiences, deduplicated and checked.
pub(super) fn audiences(values: Vec<String>) -> Result<Vec<String>, AdminError> {
    let audiences = dedup(values);
    if audiences
        .iter()
        .any(|a| a.is_empty() || a.len() > 512 || !a.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(invalid(
            "audiences must be non-empty printable ASCII without spaces",
        ));
    }
    Ok(audiences)
}
