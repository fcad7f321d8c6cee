//! Logs: `tracing` with a request id on every line, text or JSON.
//!
//! Spans carry the method, the path (never the query string) and the request id. No
//! header and no body is ever recorded, so secrets, tokens and `Authorization` values
//! cannot reach the logs.

use std::io::IsTerminal as _;

use axum::{extract::Request, http::HeaderName};
use tower_http::{
    classify::{ServerErrorsAsFailures, SharedClassifier},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::{Level, Span};
use tracing_subscriber::EnvFilter;

/// The header carrying the request id (set if absent, echoed on the response).
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber: `RUST_LOG` filter (default `info`), text or JSON to
/// stderr. A second call is a no-op.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
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

/// The tracing layer [`trace_layer`] builds.
pub type HttpTraceLayer = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request) -> Span,
    (),
    DefaultOnResponse,
>;

/// The request-tracing layer: one span per request, one line per response (status and
/// latency).
pub fn trace_layer() -> HttpTraceLayer {
    TraceLayer::new_for_http()
        .make_span_with(make_span as fn(&Request) -> Span)
        .on_request(())
        .on_response(DefaultOnResponse::new().level(Level::INFO))
}
