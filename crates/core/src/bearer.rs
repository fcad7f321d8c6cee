//! RFC 6750 bearer-token answers, shared by every resource server built on Tollgate.
//!
//! [`Refusal`] is the one place an answer is assembled — status, `error`,
//! `error_description`, `scope`, the `WWW-Authenticate` challenge and the JSON body — so
//! the issuer, the wasm verifier and every framework adapter answer byte for byte alike.

use alloc::string::{String, ToString};
use core::fmt::{self, Write as _};

use serde::Serialize;

use crate::error::VerifyError;

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
        out.extend(
            value
                .chars()
                .filter(|c| matches!(c, ' '..='~') && !matches!(c, '"' | '\\')),
        );
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

/// The whole RFC 6750 answer to a refused request.
///
/// ```
/// use tollgate_core::bearer::{Refusal, RequestError};
/// let refusal = Refusal::for_request(RequestError::MissingToken, Some("api"));
/// assert_eq!((refusal.status(), refusal.www_authenticate()), (401, r#"Bearer realm="api""#));
/// assert_eq!(refusal.body(), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    code: &'static str,
    status: u16,
    error: Option<BearerError>,
    description: String,
    www_authenticate: String,
}

impl Refusal {
    /// The answer to a token the verifier refused. For `insufficient_scope` the challenge
    /// names the scopes the resource requires (RFC 6750 §3), `scopes` joined by spaces.
    pub fn for_token<S: AsRef<str>>(
        error: &VerifyError,
        realm: Option<&str>,
        scopes: &[S],
    ) -> Self {
        let description = error.to_string();
        let bearer = error.bearer_error();
        let scope = (bearer == BearerError::InsufficientScope).then(|| join(scopes));
        Self {
            code: error.code(),
            status: bearer.status(),
            error: Some(bearer),
            www_authenticate: challenge(realm, Some((bearer, &description)), scope.as_deref()),
            description,
        }
    }

    /// The answer to a request without a usable `Authorization: Bearer` header.
    pub fn for_request(error: RequestError, realm: Option<&str>) -> Self {
        let description = error.to_string();
        let bearer = error.bearer_error();
        Self {
            code: error.code(),
            status: error.status(),
            error: bearer,
            www_authenticate: challenge(realm, bearer.map(|e| (e, description.as_str())), None),
            description,
        }
    }

    /// The stable code of the cause (`expired`, `missing_token`, ...).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The HTTP status: 400, 401 or 403.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The RFC 6750 error; `None` when the request carried no token (a bare challenge).
    pub fn error(&self) -> Option<BearerError> {
        self.error
    }

    /// The human-readable cause, as in `error_description`.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The exact `WWW-Authenticate` value.
    pub fn www_authenticate(&self) -> &str {
        &self.www_authenticate
    }

    /// The `application/json` body `{"error":...,"error_description":...}`; `None` when the
    /// answer is a bare challenge, which carries no body (RFC 6750 §3.1).
    pub fn body(&self) -> Option<String> {
        #[derive(Serialize)]
        struct Body<'a> {
            error: &'static str,
            error_description: &'a str,
        }
        let error = self.error?.as_str();
        let body = Body {
            error,
            error_description: &self.description,
        };
        serde_json::to_string(&body).ok()
    }
}

fn join<S: AsRef<str>>(scopes: &[S]) -> String {
    let mut out = String::new();
    for (i, scope) in scopes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(scope.as_ref());
    }
    out
}

/// Why a request carries no bearer token that could be verified (RFC 6750 §2.1, §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// No `Authorization` header, or one for another scheme: the client did not try bearer
    /// authentication, so the answer is a bare challenge with no error code (401).
    MissingToken,
    /// A `Bearer` header whose credentials are not exactly one `b64token` (400).
    InvalidRequest,
}

impl RequestError {
    /// Stable machine code: `missing_token` or `invalid_request`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::InvalidRequest => "invalid_request",
        }
    }

    /// The RFC 6750 error to put in the challenge; `None` for a bare challenge.
    pub const fn bearer_error(self) -> Option<BearerError> {
        match self {
            Self::MissingToken => None,
            Self::InvalidRequest => Some(BearerError::InvalidRequest),
        }
    }

    /// The HTTP status to answer with.
    pub const fn status(self) -> u16 {
        match self {
            Self::MissingToken => 401,
            Self::InvalidRequest => 400,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MissingToken => "no bearer token in the request",
            Self::InvalidRequest => "the Authorization header is not a valid Bearer credential",
        })
    }
}

impl core::error::Error for RequestError {}

/// The token in an `Authorization` header value (RFC 6750 §2.1), or why there is none.
///
/// The scheme is matched case-insensitively; any other scheme counts as no token. The
/// credentials must be one `b64token`; what the token says is left to the verifier.
///
/// ```
/// use tollgate_core::bearer::{token_from_header, RequestError};
/// assert_eq!(token_from_header(Some("Bearer abc.def.ghi")), Ok("abc.def.ghi"));
/// assert_eq!(token_from_header(None), Err(RequestError::MissingToken));
/// assert_eq!(token_from_header(Some("Basic dXNlcjpwYXNz")), Err(RequestError::MissingToken));
/// assert_eq!(token_from_header(Some("Bearer a, Bearer b")), Err(RequestError::InvalidRequest));
/// ```
pub fn token_from_header(authorization: Option<&str>) -> Result<&str, RequestError> {
    let value = authorization
        .map(|v| v.trim_matches([' ', '\t']))
        .unwrap_or_default();
    let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Err(RequestError::MissingToken);
    }
    let token = credentials.trim_start_matches(' ');
    // b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    let body = token.trim_end_matches('=');
    let b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/');
    if body.is_empty() || !body.chars().all(b64) {
        return Err(RequestError::InvalidRequest);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::{RequestError, token_from_header};

    #[test]
    fn header_forms() {
        let cases: &[(Option<&str>, Result<&str, RequestError>)] = &[
            (None, Err(RequestError::MissingToken)),
            (Some(""), Err(RequestError::MissingToken)),
            (Some("   "), Err(RequestError::MissingToken)),
            (Some("Basic dXNlcjpwYXNz"), Err(RequestError::MissingToken)),
            (Some("Bearerabc"), Err(RequestError::MissingToken)),
            (Some("DPoP abc"), Err(RequestError::MissingToken)),
            (Some("Bearer"), Err(RequestError::InvalidRequest)),
            (Some("Bearer "), Err(RequestError::InvalidRequest)),
            (Some("Bearer ==="), Err(RequestError::InvalidRequest)),
            (Some("Bearer a b"), Err(RequestError::InvalidRequest)),
            (Some("Bearer a,Bearer b"), Err(RequestError::InvalidRequest)),
            (Some("Bearer a=b"), Err(RequestError::InvalidRequest)),
            (Some("Bearer \"abc\""), Err(RequestError::InvalidRequest)),
            (Some("Bearer\tabc"), Err(RequestError::MissingToken)),
            (Some("Bearer abc\u{e9}"), Err(RequestError::InvalidRequest)),
            (Some("Bearer abc"), Ok("abc")),
            (Some("bearer abc"), Ok("abc")),
            (Some("BEARER   abc.def_-~+/=="), Ok("abc.def_-~+/==")),
            (Some(" Bearer abc \t"), Ok("abc")),
        ];
        for (header, expected) in cases {
            assert_eq!(token_from_header(*header), *expected, "{header:?}");
        }
    }

    #[test]
    fn request_error_mapping() {
        assert_eq!(RequestError::MissingToken.code(), "missing_token");
        assert_eq!(RequestError::MissingToken.status(), 401);
        assert_eq!(RequestError::MissingToken.bearer_error(), None);
        assert_eq!(RequestError::InvalidRequest.code(), "invalid_request");
        assert_eq!(RequestError::InvalidRequest.status(), 400);
        assert_eq!(
            RequestError::InvalidRequest
                .bearer_error()
                .map(|e| e.as_str()),
            Some("invalid_request")
        );
    }
}
