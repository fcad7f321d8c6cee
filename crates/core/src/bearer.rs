//! RFC 6750 bearer-token answers, shared by every resource server built on Tollgate.

use alloc::string::String;
use core::fmt::{self, Write as _};

/// The error codes of RFC 6750 §3.1, with their HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BearerError {
    /// The request itself is malformed (e.g. a broken `Authorization` header): 400.
    InvalidRequest,
    /// The token is expired, malformed, forged or otherwise unacceptable: 401.
    InvalidToken,
    /// The token is valid but lacks a required scope: 403.
    InsufficientScope,
}

impl BearerError {
    /// The `error` attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
        }
    }

    /// The HTTP status code RFC 6750 §3.1 assigns.
    pub const fn status(self) -> u16 {
        match self {
            Self::InvalidRequest => 400,
            Self::InvalidToken => 401,
            Self::InsufficientScope => 403,
        }
    }
}

impl fmt::Display for BearerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Builds a `WWW-Authenticate: Bearer ...` challenge value (RFC 6750 §3).
///
/// With no `error`, the challenge is bare (`Bearer`, or `Bearer realm="..."`), as RFC 6750
/// requires when the request carried no token at all. Attribute values are quoted-strings;
/// characters RFC 6750 forbids in them (`"`, `\`, controls, non-ASCII) are dropped.
///
/// ```
/// use tollgate_core::bearer::{challenge, BearerError};
/// assert_eq!(challenge(None, None, None), "Bearer");
/// assert_eq!(
///     challenge(Some("api"), Some((BearerError::InsufficientScope, "token lacks a required scope")), Some("orders:write")),
///     r#"Bearer realm="api", error="insufficient_scope", error_description="token lacks a required scope", scope="orders:write""#
/// );
/// ```
pub fn challenge(
    realm: Option<&str>,
    error: Option<(BearerError, &str)>,
    scope: Option<&str>,
) -> String {
    let mut out = String::from("Bearer");
    let mut sep = " ";
    let mut attr = |name: &str, value: &str| {
        // Infallible: writing into a String.
        let _ = write!(out, "{sep}{name}=\"");
        out.extend(value.chars().filter(|c| matches!(c, ' '..='~') && !matches!(c, '"' | '\\')));
        out.push('"');
        sep = ", ";
    };
    if let Some(realm) = realm {
        attr("realm", realm);
    }
    if let Some((error, description)) = error {
        attr("error", error.as_str());
        attr("error_description", description);
    }
    if let Some(scope) = scope {
        attr("scope", scope);
    }
    out
}
