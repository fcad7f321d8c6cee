//! `GET /.well-known/jwks.json`: the published keys, served from memory.

use axum::{
    Router,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::AppState;

/// The JWKS route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/.well-known/jwks.json", get(jwks))
}

async fn jwks(State(state): State<AppState>) -> Response {
    let body = state.keys().current().jwks_json().to_string();
    // Caches may keep the set for max-age: rotations publish a key before using it, for
    // longer than that (`keys rotate --activate-after`).
    let cache = format!("public, max-age={}", state.settings().jwks_max_age);
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_str(&cache).unwrap_or(HeaderValue::from_static("no-cache")),
            ),
        ],
        body,
    )
        .into_response()
}
