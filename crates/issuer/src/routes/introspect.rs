//! `POST /oauth/introspect` (RFC 7662), for authenticated clients.
//!
//! Any client may introspect access tokens (resource servers are clients too); a refresh
//! token is only described to the client that holds it. A token is active only while the
//! client it was issued to exists, is enabled and is the same registration (a client
//! deleted and created again under the same id does not inherit the old one's tokens).
//! Everything else is `{"active":false}`.

use axum::{
    Json, Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::post,
};
use serde::Serialize;

use crate::{AppState, auth::Authenticated, error::OAuthError, error::no_store_headers};

/// The introspection endpoint.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/oauth/introspect", post(introspect))
}

#[derive(Debug, Default, Serialize)]
struct Introspection {
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
}

/// Whether the client `id` exists, is enabled, and was registered no later than `iat`.
async fn issued_to_current(state: &AppState, id: &str, iat: i64) -> Result<bool, OAuthError> {
    let client = state.store().clients.client(id).await?;
    Ok(client.is_some_and(|c| !c.disabled && c.created_at <= iat))
}

async fn introspect(
    State(state): State<AppState>,
    Authenticated { client, form }: Authenticated,
) -> Result<Response, OAuthError> {
    let token = form
        .get("token")
        .ok_or(OAuthError::InvalidRequest("token is required"))?;
    let now = state.clock().now();
    let mut answer = Introspection::default();
    let keys = state.keys().current();
    if let Some(access) = keys.verifier().and_then(|v| v.verify(token, now).ok()) {
        let claims = access.into_claims();
        let revoked = match &claims.jti {
            Some(jti) => state.store().tokens.access_token_revoked(jti).await?,
            None => false,
        };
        let holder_ok = match (&claims.client_id, claims.iat) {
            (Some(id), Some(iat)) => issued_to_current(&state, id, iat).await?,
            _ => false,
        };
        if !revoked && holder_ok {
            answer = Introspection {
                active: true,
                token_type: Some("Bearer"),
                scope: claims.scope,
                client_id: claims.client_id,
                sub: claims.sub,
                aud: Some(claims.aud.0),
                iss: claims.iss,
                exp: Some(claims.exp),
                iat: claims.iat,
                jti: claims.jti,
            };
        }
    } else {
        let digest = state.hasher().refresh_token(token);
        if let Some(record) = state.store().tokens.refresh_token(&digest).await?
            && record.client_id == client.id
            && record.used_at.is_none()
            && record.revoked_at.is_none()
            && record.expires_at > now
        {
            answer = Introspection {
                active: true,
                token_type: Some("refresh_token"),
                scope: Some(record.scope),
                client_id: Some(record.client_id),
                aud: Some(record.audiences),
                iss: Some(state.settings().issuer.clone()),
                exp: Some(record.expires_at),
                iat: Some(record.issued_at),
                ..Introspection::default()
            };
        }
    }
    Ok((no_store_headers(), Json(answer)).into_response())
}
