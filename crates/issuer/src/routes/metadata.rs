//! `GET /.well-known/oauth-authorization-server` (RFC 8414).

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;

use crate::{AppState, config::TOKEN_PATH};

/// The metadata route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/.well-known/oauth-authorization-server", get(metadata))
}

async fn metadata(State(state): State<AppState>) -> Response {
    let s = state.settings();
    let auth_methods = ["client_secret_basic", "client_secret_post"];
    let document = json!({
        "issuer": s.issuer,
        "token_endpoint": s.url(TOKEN_PATH),
        "jwks_uri": s.url("/.well-known/jwks.json"),
        "revocation_endpoint": s.url("/oauth/revoke"),
        "introspection_endpoint": s.url("/oauth/introspect"),
        "grant_types_supported": ["client_credentials", "refresh_token"],
        // No authorization endpoint: there is no response type to offer.
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": auth_methods,
    });
    let cache = format!("public, max-age={}", s.jwks_max_age);
    let cache = HeaderValue::from_str(&cache).unwrap_or(HeaderValue::from_static("no-cache"));
    ([(header::CACHE_CONTROL, cache)], Json(document)).into_response()
}
