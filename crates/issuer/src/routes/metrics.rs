//! `GET /metrics`: Prometheus / OpenMetrics text.

use axum::{
    Router,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::AppState;

/// The metrics route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(state): State<AppState>) -> Response {
    let content_type =
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
    (
        [(header::CONTENT_TYPE, content_type)],
        state.metrics().render(),
    )
        .into_response()
}
