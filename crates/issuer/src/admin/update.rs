//! `client update`: new settings for a client, its secret untouched.

use super::{
    AdminError, ClientView, MAX_REFRESH_TTL, MAX_TTL, rules, settings_detail, show_client,
};
use crate::{AppState, audit};

/// What `client update` changes; `None` keeps the current value.
#[derive(Clone, Debug, Default)]
pub struct ClientChanges {
    /// New label.
    pub name: Option<String>,
    /// New allowed scopes (space-separated lists).
    pub scopes: Option<Vec<String>>,
    /// New allowed audiences (replacing all of them).
    pub audiences: Option<Vec<String>>,
    /// New access-token lifetime, seconds.
    pub ttl: Option<i64>,
    /// Refresh tokens on or off.
    pub refresh: Option<bool>,
    /// New refresh-token lifetime, seconds.
    pub refresh_ttl: Option<i64>,
}

impl ClientChanges {
    fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.scopes.is_none()
            && self.audiences.is_none()
            && self.ttl.is_none()
            && self.refresh.is_none()
            && self.refresh_ttl.is_none()
    }
}

/// Changes a client's settings, checked by the same rules as `client create`. Tokens
/// already issued keep what they were issued with; the next token gets the new settings
/// on every server.
pub async fn update_client(
    state: &AppState,
    id: &str,
    changes: ClientChanges,
) -> Result<ClientView, AdminError> {
    if changes.is_empty() {
        return Err(rules::invalid(
            "nothing to change: give --name, --scope, --audience, --ttl, --refresh, \
             --no-refresh or --refresh-ttl",
        ));
    }
    let mut client = state
        .store()
        .clients
        .client(id)
        .await?
        .ok_or_else(|| AdminError::NotFound(id.to_string()))?;
    if let Some(name) = changes.name {
        rules::check_name(&name)?;
        client.name = name;
    }
    if let Some(scopes) = changes.scopes {
        client.scopes = rules::scopes(&scopes)?;
    }
    if let Some(audiences) = changes.audiences {
        client.audiences = rules::audiences(audiences)?;
    }
    if let Some(ttl) = changes.ttl {
        rules::check_range("ttl", ttl, MAX_TTL)?;
        client.access_ttl = ttl;
    }
    if let Some(refresh_ttl) = changes.refresh_ttl {
        rules::check_range("refresh ttl", refresh_ttl, MAX_REFRESH_TTL)?;
        client.refresh_ttl = refresh_ttl;
    }
    client.refresh_enabled = changes.refresh.unwrap_or(client.refresh_enabled);
    client.updated_at = state.clock().now();
    let event = audit::event(state, "client.update", id, settings_detail(&client));
    if !state.store().clients.update_client(&client, &event).await? {
        return Err(AdminError::NotFound(id.to_string()));
    }
    state.refresh_directory().await?;
    show_client(state, id).await
}
