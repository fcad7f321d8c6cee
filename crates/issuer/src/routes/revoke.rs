//! `POST /oauth/revoke` (RFC 7009): a client revokes one of its own tokens.
//!
//! Refresh tokens revoke their whole family. Access tokens are self-contained JWTs, so
//! their `jti` is recorded until expiry: introspection then reports them inactive (edge
//! verifiers that check signatures locally keep accepting them until `exp`). Unknown
//! tokens and tokens of other clients get the same 200 (RFC 7009 §2.2), so nothing is
//! learned about them.

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};

use crate::{AppState, auth::Authenticated, error::OAuthError, error::no_store_headers};

/// The revocation endpoint.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/oauth/revoke", post(revoke))
}

async fn revoke(
    State(state): State<AppState>,
    Authenticated { client, form }: Authenticated,
) -> Result<Response, OAuthError> {
    let token = form
        .get("token")
        .ok_or(OAuthError::InvalidRequest("token is required"))?;
    let now = state.clock().now();
    let digest = state.hasher().refresh_token(token);
    if let Some(record) = state.store().tokens.refresh_token(&digest).await? {
        if record.client_id == client.id {
            state
                .store()
                .tokens
                .revoke_refresh_family(&record.family_id, now)
                .await?;
        }
    } else if let Some(verifier) = state.keys().current().verifier()
        && let Ok(access) = verifier.verify(token, now)
    {
        let claims = access.claims();
        if claims.client_id.as_deref() == Some(client.id.as_str())
            && let Some(jti) = &claims.jti
        {
            state
                .store()
                .tokens
                .revoke_access_token(jti, claims.exp)
                .await?;
        }
    }
    Ok((StatusCode::OK, no_store_headers()).into_response())
}
