//! The one error type of the HTTP API, rendered as RFC 6749 §5.2 JSON, and the error of
//! setting the service up.
//!
//! Descriptions are fixed strings: nothing a client sent (ids, secrets, tokens) is ever
//! echoed back or logged from here.

use axum::{
    Json,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::{
    seal::SealError,
    store::StoreError,
    telemetry::{InternalCause, Outcome},
};

/// An OAuth error answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// `invalid_request` (400): malformed, missing or repeated parameter, wrong content type.
    #[error("invalid_request: {0}")]
    InvalidRequest(&'static str),
    /// `invalid_request` (413): the body is over the size limit.
    #[error("invalid_request: body too large")]
    PayloadTooLarge,
    /// `invalid_client`: authentication failed. `challenge` carries the Basic realm when
    /// the client used the `Authorization` header.
    #[error("invalid_client")]
    InvalidClient {
        /// 401, or 400 in IdentityServer compatibility mode.
        status: StatusCode,
        /// `WWW-Authenticate: Basic realm="..."` value, if any.
        challenge: Option<String>,
    },
    /// `invalid_client` (429): the client id is locked after repeated failures.
    #[error("invalid_client: locked")]
    Locked {
        /// Seconds until the lock ends, for `Retry-After`.
        retry_after: u64,
    },
    /// `invalid_grant` (400): bad, expired, revoked or reused refresh token.
    #[error("invalid_grant: {0}")]
    InvalidGrant(&'static str),
    /// `unauthorized_client` (400): the client may not use this grant type.
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(&'static str),
    /// `unsupported_grant_type` (400).
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    /// `invalid_scope` (400): a scope outside the client's allowed scopes.
    #[error("invalid_scope")]
    InvalidScope,
    /// `invalid_target` (400, RFC 8707): an audience or resource the client may not use.
    #[error("invalid_target")]
    InvalidTarget,
    /// `temporarily_unavailable` (503): no signing key is active.
    #[error("temporarily_unavailable")]
    Unavailable,
    /// `temporarily_unavailable` (503, `Retry-After`): the database cannot be reached.
    #[error("temporarily_unavailable: {0}")]
    StoreUnavailable(String),
    /// 500; the cause is logged (by the service's logging layer), the client sees a
    /// generic body.
    #[error("server_error: {0}")]
    Internal(String),
}

#[derive(Serialize)]
struct Body {
    error: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'static str>,
}

impl OAuthError {
    /// The RFC 6749 `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) | Self::PayloadTooLarge => "invalid_request",
            Self::InvalidClient { .. } | Self::Locked { .. } => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnauthorizedClient(_) => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::Unavailable | Self::StoreUnavailable(_) => "temporarily_unavailable",
            Self::Internal(_) => "server_error",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::InvalidClient { status, .. } => *status,
            Self::Locked { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable | Self::StoreUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn description(&self) -> Option<&'static str> {
        Some(match self {
            Self::InvalidRequest(d) | Self::InvalidGrant(d) | Self::UnauthorizedClient(d) => d,
            Self::PayloadTooLarge => "request body is larger than 16 KiB",
            Self::InvalidClient { .. } => "client authentication failed",
            Self::Locked { .. } => "too many failed authentications; retry later",
            Self::UnsupportedGrantType => "grant_type is not supported",
            Self::InvalidScope => "scope is not allowed for this client",
            Self::InvalidTarget => "audience or resource is not allowed for this client",
            Self::Unavailable => "no signing key is active",
            Self::StoreUnavailable(_) => "the service is temporarily unavailable; retry later",
            Self::Internal(_) => return None,
        })
    }
}

/// The headers every token-endpoint answer carries (RFC 6749 §5.1).
pub fn no_store_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut headers = no_store_headers();
        match &self {
            Self::InvalidClient {
                challenge: Some(realm),
                ..
            } => {
                let value = format!("Basic realm=\"{realm}\", charset=\"UTF-8\"");
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            Self::Locked { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            // Not logged per request: the store poll reports the outage once.
            Self::StoreUnavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(STORE_RETRY_AFTER));
            }
            _ => {}
        }
        let body = Body {
            error: self.code(),
            error_description: self.description(),
        };
        let mut response = (self.status(), headers, Json(body)).into_response();
        let outcome = match self {
            Self::Locked { .. } => "locked",
            _ => self.code(),
        };
        response.extensions_mut().insert(Outcome(outcome));
        if let Self::Internal(cause) = self {
            response
                .extensions_mut()
                .insert(InternalCause(cause.into()));
        }
        response
    }
}

/// `Retry-After` seconds when the database is unreachable.
const STORE_RETRY_AFTER: u64 = 2;

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => Self::StoreUnavailable(e.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Why the service or a CLI command could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A sealed value could not be opened.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Invalid configuration or arguments.
    #[error("{0}")]
    Config(String),
    /// Reading a file or binding a socket failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
