//! `GET /healthz` (the process answers) and `GET /readyz` (the store answers and a key
//! can sign).

use axum::{Router, extract::State, http::StatusCode, routing::get};

use crate::AppState;

/// The health routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
}

async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if let Err(e) = state.store().maintenance.ping().await {
        tracing::warn!(error = %e, "readiness: store unreachable");
        return (StatusCode::SERVICE_UNAVAILABLE, "store unreachable\n");
    }
    if state
        .keys()
        .current()
        .signer_at(state.clock().now())
        .is_none()
    {
        return (StatusCode::SERVICE_UNAVAILABLE, "no active signing key\n");
    }
    (StatusCode::OK, "ready\n")
}
