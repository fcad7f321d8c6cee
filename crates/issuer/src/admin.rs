//! Client and key administration, shared by the CLI and tests.
//!
//! Secrets are generated here, returned once, and stored only as keyed digests.

use serde::Serialize;
use zeroize::Zeroizing;

mod keys;
mod rules;
mod update;

pub use self::{
    keys::{RevokedKey, Successor, list_keys, revoke_key, rotate_keys},
    update::{ClientChanges, update_client},
};
use crate::{
    AppState, audit,
    error::SetupError,
    lockout::FailureState,
    secrets::{generate_secret, random_id},
    source,
    store::{Client, StoreError},
};

/// Default access-token lifetime (1 hour).
pub const DEFAULT_TTL: i64 = 3600;
/// Default refresh-token lifetime (1 year, as Caspio).
pub const DEFAULT_REFRESH_TTL: i64 = 365 * 24 * 3600;
/// Longest access-token lifetime a client may be registered with (30 days). Servers
/// issue at most their `max_token_ttl_secs` (1 day unless raised).
pub const MAX_TTL: i64 = 30 * 24 * 3600;
/// Longest refresh-token family lifetime (2 years).
pub const MAX_REFRESH_TTL: i64 = 2 * 365 * 24 * 3600;
const MAX_GRACE: i64 = 90 * 24 * 3600;

/// Why an administrative action failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// No client has this id.
    #[error("no client with id {0:?}")]
    NotFound(String),
    /// No signing key has this id.
    #[error("no signing key with id {0:?}")]
    NoKey(String),
    /// An argument is out of range or malformed.
    #[error("{0}")]
    Invalid(String),
    /// The store failed (or the id is taken: [`StoreError::Conflict`]).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Keys could not be loaded or sealed.
    #[error(transparent)]
    Setup(#[from] SetupError),
}

/// What `client create` registers.
#[derive(Clone, Debug)]
pub struct ClientSpec {
    /// Operator-chosen id; generated when `None`.
    pub id: Option<String>,
    /// Human label.
    pub name: String,
    /// Allowed (and default) scopes.
    pub scopes: Vec<String>,
    /// Allowed audiences; empty means the issuer URL.
    pub audiences: Vec<String>,
    /// Access-token lifetime, seconds.
    pub ttl: i64,
    /// Whether the client gets refresh tokens.
    pub refresh: bool,
    /// Refresh-token lifetime, seconds.
    pub refresh_ttl: i64,
}

impl ClientSpec {
    /// A spec with these scopes and every other field at its default.
    pub fn new<S: Into<String>>(scopes: impl IntoIterator<Item = S>) -> Self {
        Self {
            id: None,
            name: String::new(),
            scopes: scopes.into_iter().map(Into::into).collect(),
            audiences: Vec::new(),
            ttl: DEFAULT_TTL,
            refresh: false,
            refresh_ttl: DEFAULT_REFRESH_TTL,
        }
    }
}

/// A client as the CLI shows it (never with a secret or digest).
#[derive(Clone, Debug, Serialize)]
pub struct ClientView {
    /// Client id.
    pub client_id: String,
    /// Label.
    pub name: String,
    /// Allowed scopes.
    pub scopes: Vec<String>,
    /// Allowed audiences (empty: the issuer URL).
    pub audiences: Vec<String>,
    /// Access-token lifetime, seconds.
    pub ttl: i64,
    /// Refresh tokens enabled.
    pub refresh: bool,
    /// Refresh-token lifetime, seconds.
    pub refresh_ttl: i64,
    /// Disabled clients cannot authenticate.
    pub disabled: bool,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// When the previous secret stops working, during a rotation.
    pub previous_secret_expires_at: Option<i64>,
    /// Failure state per source, most recent first.
    pub failures: Vec<SourceFailures>,
}

/// The failure state of a client from one source.
#[derive(Clone, Debug, Serialize)]
pub struct SourceFailures {
    /// IPv4 address, IPv6 /64, or `*` (per-client counting).
    pub source: String,
    /// Consecutive failed authentications.
    pub failed_attempts: i64,
    /// Lockouts since the last success.
    pub lockouts: i64,
    /// End of the current lockout, if locked (seconds since the epoch).
    pub locked_until: Option<i64>,
}

impl SourceFailures {
    fn new(source: String, failures: FailureState, now_ms: i64) -> Self {
        Self {
            source,
            failed_attempts: failures.failed_count,
            lockouts: failures.lockouts,
            locked_until: failures
                .is_locked(now_ms)
                .then(|| failures.locked_until_ms.saturating_add(999) / 1000),
        }
    }
}

impl ClientView {
    fn new(client: Client, failures: Vec<(String, FailureState)>, now_ms: i64) -> Self {
        Self {
            client_id: client.id,
            name: client.name,
            scopes: client.scopes,
            audiences: client.audiences,
            ttl: client.access_ttl,
            refresh: client.refresh_enabled,
            refresh_ttl: client.refresh_ttl,
            disabled: client.disabled,
            created_at: client.created_at,
            updated_at: client.updated_at,
            previous_secret_expires_at: client
                .previous_secret_expires_at
                .filter(|at| *at > now_ms / 1000),
            failures: failures
                .into_iter()
                .map(|(source, state)| SourceFailures::new(source, state, now_ms))
                .collect(),
        }
    }

    /// Whether any source is locked out now.
    pub fn locked(&self) -> bool {
        self.failures.iter().any(|f| f.locked_until.is_some())
    }
}

/// A new client and its secret, shown once.
#[derive(Clone, Serialize)]
pub struct CreatedClient {
    /// The client.
    #[serde(flatten)]
    pub client: ClientView,
    /// The secret: not stored anywhere in clear.
    pub client_secret: String,
}

/// A rotated secret.
#[derive(Clone, Serialize)]
pub struct RotatedSecret {
    /// Client id.
    pub client_id: String,
    /// The new secret, shown once.
    pub client_secret: String,
    /// Until when the old secret still works (absent without `--grace`).
    pub previous_secret_expires_at: Option<i64>,
}

impl std::fmt::Debug for CreatedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedClient")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RotatedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotatedSecret")
            .field("client_id", &self.client_id)
            .field(
                "previous_secret_expires_at",
                &self.previous_secret_expires_at,
            )
            .finish_non_exhaustive()
    }
}

/// A client's settings as the audit trail records them (never a secret).
fn settings_detail(c: &Client) -> String {
    format!(
        "name={:?} scopes={:?} audiences={:?} ttl={} refresh={} refresh_ttl={}",
        c.name,
        c.scopes.join(" "),
        c.audiences.join(" "),
        c.access_ttl,
        c.refresh_enabled,
        c.refresh_ttl
    )
}

/// A random client id that starts with a letter or digit, so that it can never be read
/// as a command-line flag (`-…`).
fn generated_client_id() -> String {
    loop {
        let id = random_id::<16>();
        if id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return id;
        }
    }
}

/// Brings this process's view up to date after a committed change that returns a
/// one-time secret. A failure is only logged: the change and its audit event are
/// committed, the view catches up on its next poll, and the secret must reach the
/// operator (after `--grace 0` nobody else holds a working one).
async fn refresh_after_commit(state: &AppState, action: &str) {
    if let Err(e) = state.refresh_directory().await {
        tracing::warn!(
            error = %e,
            action,
            "the change is committed; refreshing this process's view of clients failed"
        );
    }
}

/// Registers a client and returns it with its new secret.
pub async fn create_client(
    state: &AppState,
    spec: ClientSpec,
) -> Result<CreatedClient, AdminError> {
    let id = spec.id.unwrap_or_else(generated_client_id);
    rules::check_id(&id)?;
    rules::check_name(&spec.name)?;
    let scopes = rules::scopes(&spec.scopes)?;
    let audiences = rules::audiences(spec.audiences)?;
    rules::check_range("ttl", spec.ttl, MAX_TTL)?;
    rules::check_range("refresh ttl", spec.refresh_ttl, MAX_REFRESH_TTL)?;

    let secret = generate_secret();
    let now_ms = state.clock().now_ms();
    let now = now_ms / 1000;
    let client = Client {
        id,
        name: spec.name,
        scopes,
        audiences,
        access_ttl: spec.ttl,
        refresh_enabled: spec.refresh,
        refresh_ttl: spec.refresh_ttl,
        disabled: false,
        secret_hash: state.hasher().client_secret(&secret),
        previous_secret_hash: None,
        previous_secret_expires_at: None,
        created_at: now,
        updated_at: now,
    };
    let event = audit::event(state, "client.create", &client.id, settings_detail(&client));
    state.store().clients.create_client(&client, &event).await?;
    refresh_after_commit(state, "client.create").await;
    Ok(CreatedClient {
        client: ClientView::new(client, Vec::new(), now_ms),
        client_secret: secret.to_string(),
    })
}

/// One client with its lockout state.
pub async fn show_client(state: &AppState, id: &str) -> Result<ClientView, AdminError> {
    let client = state
        .store()
        .clients
        .client(id)
        .await?
        .ok_or_else(|| AdminError::NotFound(id.to_string()))?;
    let failures = state.store().lockout.failures(id).await?;
    Ok(ClientView::new(client, failures, state.clock().now_ms()))
}

/// Clients per page of `client list`.
pub const LIST_PAGE: u32 = 1000;

/// Up to `limit` clients with ids after `after`, by id, with their lockout states: two
/// queries a page, whatever the number of clients.
pub async fn clients_page(
    state: &AppState,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<ClientView>, AdminError> {
    let store = state.store();
    let clients = store.clients.clients_page(after, limit).await?;
    let Some(last) = clients.last() else {
        return Ok(Vec::new());
    };
    let mut failures = store
        .lockout
        .failures_between(after, &last.id)
        .await?
        .into_iter()
        .peekable();
    let now_ms = state.clock().now_ms();
    let mut views = Vec::with_capacity(clients.len());
    for client in clients {
        let mut own = Vec::new();
        while let Some((_, source, failure)) =
            failures.next_if(|(client_id, _, _)| *client_id == client.id)
        {
            own.push((source, failure));
        }
        views.push(ClientView::new(client, own, now_ms));
    }
    Ok(views)
}

/// Issues a new secret; the old one keeps working for `grace` seconds (0: not at all).
pub async fn rotate_secret(
    state: &AppState,
    id: &str,
    grace: i64,
) -> Result<RotatedSecret, AdminError> {
    if !(0..=MAX_GRACE).contains(&grace) {
        return Err(rules::invalid(format!(
            "grace must be between 0 and {MAX_GRACE} seconds"
        )));
    }
    let client = state
        .store()
        .clients
        .client(id)
        .await?
        .ok_or_else(|| AdminError::NotFound(id.to_string()))?;
    let now = state.clock().now();
    let previous = (grace > 0).then_some((client.secret_hash, now.saturating_add(grace)));
    let secret: Zeroizing<String> = generate_secret();
    let digest = state.hasher().client_secret(&secret);
    let event = audit::event(
        state,
        "client.rotate_secret",
        id,
        format!("grace {grace} s"),
    );
    // The store also ends any lockout: whoever guessed the old secret gains nothing now.
    if !state
        .store()
        .clients
        .set_secret(id, &digest, previous, now, &event)
        .await?
    {
        return Err(AdminError::NotFound(id.to_string()));
    }
    refresh_after_commit(state, "client.rotate_secret").await;
    Ok(RotatedSecret {
        client_id: id.to_string(),
        client_secret: secret.to_string(),
        previous_secret_expires_at: previous.map(|(_, at)| at),
    })
}

/// Disables or re-enables a client.
pub async fn set_disabled(
    state: &AppState,
    id: &str,
    disabled: bool,
) -> Result<ClientView, AdminError> {
    let action = if disabled {
        "client.disable"
    } else {
        "client.enable"
    };
    let event = audit::event(state, action, id, "");
    // Re-enabling also ends any lockout (in the store): the operator's way to end one
    // early.
    if !state
        .store()
        .clients
        .set_disabled(id, disabled, state.clock().now(), &event)
        .await?
    {
        return Err(AdminError::NotFound(id.to_string()));
    }
    state.refresh_directory().await?;
    show_client(state, id).await
}

/// Ends a client's lockout, for every source or for one.
pub async fn unlock(
    state: &AppState,
    id: &str,
    source: Option<&str>,
) -> Result<ClientView, AdminError> {
    show_client(state, id).await?;
    // An address is keyed as the server keys it (IPv6 per /64); anything else is taken
    // as a key exactly as `client show` lists it (`*`, `2001:db8::/64`).
    let key = source.map(|s| {
        s.parse()
            .map_or_else(|_| s.to_string(), source::lockout_key)
    });
    let detail = key
        .as_deref()
        .map_or_else(|| "every source".into(), |k| format!("source {k}"));
    let event = audit::event(state, "client.unlock", id, detail);
    state
        .store()
        .lockout
        .clear_failures(id, key.as_deref(), &event)
        .await?;
    state.refresh_directory().await?;
    show_client(state, id).await
}

/// Deletes a client and its refresh tokens.
pub async fn delete_client(state: &AppState, id: &str) -> Result<(), AdminError> {
    let event = audit::event(state, "client.delete", id, "");
    if state.store().clients.delete_client(id, &event).await? {
        state.refresh_directory().await?;
        Ok(())
    } else {
        Err(AdminError::NotFound(id.to_string()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_ids_never_look_like_flags() {
        for _ in 0..2000 {
            let id = super::generated_client_id();
            assert!(id.starts_with(|c: char| c.is_ascii_alphanumeric()), "{id}");
            assert_eq!(id.len(), 22);
        }
    }
}
