//! Prometheus metrics: tokens issued, authentication failures, lockouts, request latency,
//! connections refused at accept.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::Method,
    middleware::Next,
    response::Response,
};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GrantLabels {
    grant_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: &'static str,
    route: String,
    status: u16,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to ~4 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
}

/// The service's metrics and their registry.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    tokens_issued: Family<GrantLabels, Counter>,
    auth_failures: Counter,
    lockouts: Counter,
    refresh_reuse: Counter,
    source_cap_refusals: Counter,
    requests: Family<HttpLabels, Histogram, fn() -> Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tollgate");
        let tokens_issued = Family::<GrantLabels, Counter>::default();
        registry.register(
            "tokens_issued",
            "Access tokens issued, by grant type",
            tokens_issued.clone(),
        );
        let auth_failures = Counter::default();
        registry.register(
            "auth_failures",
            "Failed client authentications (unknown client or wrong secret)",
            auth_failures.clone(),
        );
        let lockouts = Counter::default();
        registry.register(
            "lockouts",
            "Client ids locked after consecutive failed authentications",
            lockouts.clone(),
        );
        let refresh_reuse = Counter::default();
        registry.register(
            "refresh_token_reuse",
            "Spent refresh tokens presented again (their family was revoked)",
            refresh_reuse.clone(),
        );
        let source_cap_refusals = Counter::default();
        registry.register(
            "connections_refused_per_source",
            "Connections closed at accept, unread, because their source held its share of the slots",
            source_cap_refusals.clone(),
        );
        let requests = Family::<HttpLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method, route and status",
            requests.clone(),
        );
        Self {
            registry,
            tokens_issued,
            auth_failures,
            lockouts,
            refresh_reuse,
            source_cap_refusals,
            requests,
        }
    }
}

impl Metrics {
    /// Counts an issued access token.
    pub fn token_issued(&self, grant_type: &'static str) {
        self.tokens_issued
            .get_or_create(&GrantLabels { grant_type })
            .inc();
    }

    /// Counts a failed client authentication.
    pub fn auth_failure(&self) {
        self.auth_failures.inc();
    }

    /// Counts a new lockout.
    pub fn lockout(&self) {
        self.lockouts.inc();
    }

    /// Counts a refresh-token reuse.
    pub fn refresh_reuse(&self) {
        self.refresh_reuse.inc();
    }

    /// The counter of connections refused for their source's cap (a handle the accept
    /// loop keeps).
    pub(crate) fn source_cap_refusals(&self) -> Counter {
        self.source_cap_refusals.clone()
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// Middleware recording each request's latency under its route pattern (never the raw
/// path, so label cardinality stays bounded).
pub(crate) async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    // Only standard methods become labels: arbitrary ones would grow the series set.
    let method = match *req.method() {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "OTHER",
    };
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(req).await;
    let labels = HttpLabels {
        method,
        route,
        status: response.status().as_u16(),
    };
    state
        .metrics()
        .requests
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}
