//! Answers the service gives before or around its handlers — unknown path (404), wrong
//! method (405), timeout (408), body too large (413), headers too large (431) — in the
//! same small JSON shape as RFC 6749 §5.2 errors, never cached:
//!
//! ```json
//! {"error":"not_found","error_description":"no such endpoint"}
//! {"error":"invalid_request","error_description":"the request took too long"}
//! ```
//!
//! 404 says `not_found` (no request parameter is at fault); the others `invalid_request`.

use axum::{
    Json,
    extract::Request,
    http::{HeaderMap, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::error::no_store_headers;

/// Most request headers the service reads; more get 431.
pub const MAX_HEADERS: usize = 100;
/// Most bytes of request headers (names, values and 4 bytes of framing each); more get 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

#[derive(Serialize)]
struct Body {
    error: &'static str,
    error_description: &'static str,
}

/// The JSON error for an edge status, if `status` is one.
fn edge_error(status: StatusCode) -> Option<(&'static str, &'static str)> {
    Some(match status {
        StatusCode::NOT_FOUND => ("not_found", "no such endpoint"),
        StatusCode::METHOD_NOT_ALLOWED => ("invalid_request", "method not allowed here"),
        StatusCode::REQUEST_TIMEOUT => ("invalid_request", "the request took too long"),
        StatusCode::PAYLOAD_TOO_LARGE => ("invalid_request", "request body is too large"),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            ("invalid_request", "request headers are too large")
        }
        _ => return None,
    })
}

/// A JSON answer for an edge status (its other headers are the caller's).
fn render(status: StatusCode, mut headers: HeaderMap) -> Response {
    let Some((error, error_description)) = edge_error(status) else {
        return status.into_response();
    };
    headers.remove(header::CONTENT_LENGTH);
    headers.extend(no_store_headers());
    let body = Body {
        error,
        error_description,
    };
    (status, headers, Json(body)).into_response()
}

/// Middleware: gives bodiless edge answers (from routing, the timeout, body limits) the
/// JSON body. Answers that already have a content type are left alone.
pub(crate) async fn json_bodies(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if edge_error(response.status()).is_none()
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let (parts, _) = response.into_parts();
    let mut rendered = render(parts.status, parts.headers);
    rendered.extensions_mut().extend(parts.extensions);
    rendered
}

/// Middleware: 431 for more than [`MAX_HEADERS`] headers or [`MAX_HEADER_BYTES`] of them.
/// (Beyond hyper's own, higher limits hyper answers 431 itself, without a body.)
pub(crate) async fn header_limits(req: Request, next: Next) -> Response {
    let headers = req.headers();
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return render(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            HeaderMap::new(),
        );
    }
    next.run(req).await
}
