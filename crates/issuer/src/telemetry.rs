//! Logs: `tracing` with a request id on every line, text or JSON.
//!
//! Spans carry the method, the path (never the query string) and the request id. Each
//! request ends in one `request` line: its status, outcome (`ok`, or the OAuth `error`
//! code, or `locked`), latency in milliseconds as a number, and the source address
//! (behind a trusted proxy, the client's). Authenticated token requests add the client id
//! and the grant type. No header and no body is ever recorded, so secrets, tokens and
//! `Authorization` values cannot reach the logs. An incoming `X-Request-Id` is kept only
//! if it is at most 64 characters of `[A-Za-z0-9._-]` (it is echoed and logged: no
//! log-line forgery, no unbounded lines); otherwise a new one is made.

use std::{
    io::IsTerminal as _,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
    time::Instant,
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use tracing::{Instrument as _, Span};
use tracing_subscriber::EnvFilter;

use crate::{AppState, source};

/// The header carrying the request id (set if absent, echoed on the response).
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest accepted incoming request id.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// Whether an incoming request id may be kept: 1–64 characters of `[A-Za-z0-9._-]`.
pub fn valid_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    (1..=MAX_REQUEST_ID_LEN).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Request mapper: drops an incoming request id that is not [`valid_request_id`] (or
/// that is given twice), so the id layer makes a fresh one.
pub(crate) async fn drop_invalid_request_id(mut req: Request) -> Request {
    let mut values = req.headers().get_all(&REQUEST_ID).iter();
    let keep = matches!((values.next(), values.next()), (Some(v), None) if valid_request_id(v));
    if !keep {
        req.headers_mut().remove(&REQUEST_ID);
    }
    req
}

/// Middleware: logs the cause of an internal error (inside the request's span, so with
/// its request id). Handlers' errors leave the cause in the response's extensions.
pub(crate) async fn log_internal_errors(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    if let Some(cause) = response.extensions_mut().remove::<InternalCause>() {
        tracing::error!(error = %cause.0, "request failed");
    }
    response
}

/// The cause of a 500, carried from the error to the logging middleware in a response
/// extension (so it is logged once, inside the request span).
#[derive(Clone, Debug)]
pub struct InternalCause(pub std::sync::Arc<str>);

/// Installs the global subscriber: `RUST_LOG` filter (default `info`), text or JSON to
/// stderr. A second call is a no-op.
pub fn init(json: bool) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

fn make_span(req: &Request) -> Span {
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %request_id,
    )
}

/// Who asked for a token, set on the response by the token endpoint once the client is
/// authenticated (an unauthenticated id is attacker-chosen and never logged).
#[derive(Clone, Debug)]
pub struct TokenRequest {
    /// The authenticated client's id.
    pub client_id: Arc<str>,
    /// The grant type, if it is one the endpoint knows (`client_credentials`,
    /// `refresh_token`); `-` otherwise.
    pub grant: &'static str,
}

/// The outcome of a request that ended in an OAuth error: its `error` code, or `locked`.
#[derive(Clone, Copy, Debug)]
pub struct Outcome(pub &'static str);

/// Middleware: one span per request and one `request` line when it is answered.
pub(crate) async fn log_requests(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    // An in-process caller without a peer address counts as the unspecified address.
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    let source = source::client_addr(peer, req.headers(), &state.settings().trusted_proxies);
    let span = make_span(&req);
    let response = next.run(req).instrument(span.clone()).await;
    // Milliseconds to the microsecond, as a float so JSON logs carry a number.
    let latency_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
    let status = response.status();
    let outcome = response.extensions().get::<Outcome>().map_or(
        if status.is_client_error() || status.is_server_error() {
            "error"
        } else {
            "ok"
        },
        |o| o.0,
    );
    let status = status.as_u16();
    span.in_scope(|| match response.extensions().get::<TokenRequest>() {
        Some(t) => tracing::info!(
            client_id = ?t.client_id,
            grant = t.grant,
            outcome,
            status,
            latency_ms,
            source = %source,
            "request"
        ),
        None => tracing::info!(outcome, status, latency_ms, source = %source, "request"),
    });
    response
}
