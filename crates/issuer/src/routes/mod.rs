//! One module per route; [`router`] merges them.

mod health;
mod introspect;
mod jwks;
mod metadata;
mod metrics;
mod revoke;
mod token;

use axum::{Router, extract::DefaultBodyLimit};

use crate::{AppState, config::MAX_BODY_BYTES};

/// Every route of the service.
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    // The form endpoints take at most 16 KiB; larger bodies get 413 invalid_request.
    let forms = Router::new()
        .merge(token::routes(&state.settings().token_paths))
        .merge(revoke::routes())
        .merge(introspect::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    Router::new()
        .merge(forms)
        .merge(jwks::routes())
        .merge(metadata::routes())
        .merge(health::routes())
}

/// The admin listener's routes: metrics and health.
pub(crate) fn admin_router() -> Router<AppState> {
    Router::new()
        .merge(metrics::routes())
        .merge(health::routes())
}
