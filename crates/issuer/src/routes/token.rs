//! `POST /oauth/token` (and its configured aliases): `client_credentials` and
//! `refresh_token` grants.
//!
//! A plain `client_credentials` success reads the client from the in-process view and
//! touches no database: the token is a signed JWT, nothing about it is stored. Only clients that opted into
//! refresh tokens cause a write (the hashed refresh token), made once the access token
//! is signed: a request that fails to mint spends no refresh token and starts no family.

use axum::{
    Json, Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::post,
};
use serde::Serialize;
use tollgate_core::Claims;

use crate::{
    AppState,
    auth::Authenticated,
    error::{OAuthError, no_store_headers},
    form::OAuthForm,
    secrets::{generate_secret, random_id},
    store::{Client, RefreshToken},
    telemetry::TokenRequest,
};

/// The token endpoint at `/oauth/token` and every alias.
pub(crate) fn routes(paths: &[String]) -> Router<AppState> {
    let mut router = Router::new().route(crate::config::TOKEN_PATH, post(token));
    for path in paths {
        router = router.route(path, post(token));
    }
    router
}

#[derive(Debug, Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

/// Answers an authenticated token request; the response carries the client id and grant
/// for the request's log line, whatever the outcome.
async fn token(
    State(state): State<AppState>,
    Authenticated { client, form }: Authenticated,
) -> Response {
    let (grant, result) = match form.get("grant_type") {
        None => (
            "-",
            Err(OAuthError::InvalidRequest("grant_type is required")),
        ),
        Some("client_credentials") => (
            "client_credentials",
            client_credentials(&state, &client, &form).await,
        ),
        Some("refresh_token") => ("refresh_token", refresh(&state, &client, &form).await),
        Some(_) => ("-", Err(OAuthError::UnsupportedGrantType)),
    };
    let mut response = match result {
        Ok(body) => (no_store_headers(), Json(body)).into_response(),
        Err(e) => e.into_response(),
    };
    response.extensions_mut().insert(TokenRequest {
        client_id: client.id.as_str().into(),
        grant,
    });
    response
}

async fn client_credentials(
    state: &AppState,
    client: &Client,
    form: &OAuthForm,
) -> Result<TokenResponse, OAuthError> {
    let scopes = requested_scopes(form, &client.scopes)?;
    let audiences = requested_audiences(state, client, form)?;
    let now = state.clock().now();
    let mut response = mint(state, client, scopes, audiences.clone(), now)?;
    if client.refresh_enabled {
        let family_id = random_id::<16>();
        let scope = response.scope.clone();
        let token = new_refresh_token(state, client, family_id, scope, &audiences, now).await?;
        response.refresh_token = Some(token);
    }
    state.metrics().token_issued("client_credentials");
    Ok(response)
}

async fn refresh(
    state: &AppState,
    client: &Client,
    form: &OAuthForm,
) -> Result<TokenResponse, OAuthError> {
    if !client.refresh_enabled {
        return Err(OAuthError::UnauthorizedClient(
            "this client may not use refresh tokens",
        ));
    }
    let presented = form
        .get("refresh_token")
        .ok_or(OAuthError::InvalidRequest("refresh_token is required"))?;
    let digest = state.hasher().refresh_token(presented);
    let now = state.clock().now();
    let invalid = OAuthError::InvalidGrant("refresh token is invalid, expired or revoked");
    let Some(record) = state.store().tokens.refresh_token(&digest).await? else {
        return Err(invalid);
    };
    if record.client_id != client.id || record.revoked_at.is_some() || record.expires_at <= now {
        return Err(invalid);
    }
    if record.used_at.is_some() {
        return Err(reuse(state, &record.family_id, now).await);
    }
    // The new access token may narrow the grant (RFC 6749 §6), never widen it, and never
    // beyond what the client is allowed today.
    let granted: Vec<String> = record
        .scope
        .split_whitespace()
        .filter(|s| client.scopes.iter().any(|a| a == s))
        .map(str::to_string)
        .collect();
    let scopes = requested_scopes(form, &granted)?;
    let allowed = allowed_audiences(state, client);
    if !record.audiences.iter().all(|a| allowed.contains(a)) {
        return Err(invalid);
    }
    // Signed before the presented token is spent: a failed mint leaves it for the retry.
    let mut response = mint(state, client, scopes, record.audiences.clone(), now)?;
    let next = generate_secret();
    // The family's expiry carries over: rotation never extends the grant.
    let next_record = RefreshToken {
        issued_at: now,
        used_at: None,
        revoked_at: None,
        ..record.clone()
    };
    let rotated = state
        .store()
        .tokens
        .rotate_refresh_token(
            &digest,
            &state.hasher().refresh_token(&next),
            &next_record,
            now,
        )
        .await?;
    if !rotated {
        // Spent by a concurrent request between our read and our update: also a reuse.
        return Err(reuse(state, &record.family_id, now).await);
    }
    response.refresh_token = Some(next.to_string());
    state.metrics().token_issued("refresh_token");
    Ok(response)
}

/// A spent refresh token came back: someone holds a copy. Revoke the whole family.
async fn reuse(state: &AppState, family_id: &str, now: i64) -> OAuthError {
    state.metrics().refresh_reuse();
    tracing::warn!("spent refresh token presented again; revoking its family");
    if let Err(e) = state
        .store()
        .tokens
        .revoke_refresh_family(family_id, now)
        .await
    {
        return e.into();
    }
    OAuthError::InvalidGrant("refresh token was already used; its grant is revoked")
}

async fn new_refresh_token(
    state: &AppState,
    client: &Client,
    family_id: String,
    scope: String,
    audiences: &[String],
    now: i64,
) -> Result<String, OAuthError> {
    let token = generate_secret();
    let record = RefreshToken {
        family_id,
        client_id: client.id.clone(),
        scope,
        audiences: audiences.to_vec(),
        issued_at: now,
        family_issued_at: now,
        expires_at: now.saturating_add(client.refresh_ttl),
        used_at: None,
        revoked_at: None,
    };
    let digest = state.hasher().refresh_token(&token);
    let max_families = state.settings().refresh_max_families;
    state
        .store()
        .tokens
        .insert_refresh_token(&digest, &record, max_families)
        .await?;
    Ok(token.to_string())
}

/// Signs an RFC 9068 access token with the active key (the answer has no refresh token
/// yet).
fn mint(
    state: &AppState,
    client: &Client,
    scopes: Vec<String>,
    audiences: Vec<String>,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    let keys = state.keys().current();
    let signer = keys.signer_at(now).ok_or(OAuthError::Unavailable)?;
    let scope = scopes.join(" ");
    let ttl = client.access_ttl.min(state.settings().max_token_ttl);
    let mut claims = Claims::new(now.saturating_add(ttl));
    claims.iss = Some(state.settings().issuer.clone());
    claims.sub = Some(client.id.clone());
    claims.client_id = Some(client.id.clone());
    claims.aud.0 = audiences;
    claims.iat = Some(now);
    claims.jti = Some(random_id::<16>());
    claims.scope = Some(scope.clone());
    let access_token = signer
        .sign(&claims)
        .map_err(|e| OAuthError::Internal(format!("signing failed: {}", e.code())))?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ttl,
        scope,
        refresh_token: None,
    })
}

/// `scope` must be a subset of `allowed`; absent means all of `allowed`.
fn requested_scopes(form: &OAuthForm, allowed: &[String]) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = form.get("scope") else {
        return if allowed.is_empty() {
            Err(OAuthError::InvalidScope)
        } else {
            Ok(allowed.to_vec())
        };
    };
    let mut scopes: Vec<String> = Vec::new();
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        if !allowed.iter().any(|a| a == scope) {
            return Err(OAuthError::InvalidScope);
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_string());
        }
    }
    if scopes.is_empty() {
        return Err(OAuthError::InvalidScope);
    }
    Ok(scopes)
}

/// The client's audiences, or the issuer URL when it has none configured: every token
/// carries an `aud`.
fn allowed_audiences(state: &AppState, client: &Client) -> Vec<String> {
    if client.audiences.is_empty() {
        vec![state.settings().issuer.clone()]
    } else {
        client.audiences.clone()
    }
}

/// `audience` and RFC 8707 `resource` values, each from the allowed list; none given
/// means every allowed audience.
fn requested_audiences(
    state: &AppState,
    client: &Client,
    form: &OAuthForm,
) -> Result<Vec<String>, OAuthError> {
    let allowed = allowed_audiences(state, client);
    let mut audiences: Vec<String> = Vec::new();
    for value in form.all("audience").chain(form.all("resource")) {
        if !allowed.iter().any(|a| a == value) {
            return Err(OAuthError::InvalidTarget);
        }
        if !audiences.iter().any(|a| a == value) {
            audiences.push(value.to_string());
        }
    }
    Ok(if audiences.is_empty() {
        allowed
    } else {
        audiences
    })
}
