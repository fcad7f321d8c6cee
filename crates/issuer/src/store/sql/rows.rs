//! How a row becomes a record, the same for both backends.

use sqlx::{Row as _, any::AnyRow};

use crate::store::{
    AuditEvent, Client, Digest, FailureState, RefreshToken, StoreError, StoreResult, StoredKey,
};

/// A stored digest, which must be 32 bytes.
fn digest(bytes: Vec<u8>) -> StoreResult<Digest> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("digest is not 32 bytes".into()))
}

/// A space-separated list column.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

/// A boolean column: PostgreSQL's BOOLEAN, or SQLite's 0/1 INTEGER (which the `Any`
/// driver hands over as an integer).
fn flag(row: &AnyRow, name: &str) -> StoreResult<bool> {
    match row.try_get::<bool, _>(name) {
        Ok(value) => Ok(value),
        Err(_) => Ok(row.try_get::<i64, _>(name)? != 0),
    }
}

pub(super) fn client_from_row(row: &AnyRow) -> StoreResult<Client> {
    Ok(Client {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        scopes: words(row.try_get("scopes")?),
        audiences: words(row.try_get("audiences")?),
        access_ttl: row.try_get("access_ttl")?,
        refresh_enabled: flag(row, "refresh_enabled")?,
        refresh_ttl: row.try_get("refresh_ttl")?,
        disabled: flag(row, "disabled")?,
        secret_hash: digest(row.try_get("secret_hash")?)?,
        previous_secret_hash: row
            .try_get::<Option<Vec<u8>>, _>("previous_secret_hash")?
            .map(digest)
            .transpose()?,
        previous_secret_expires_at: row.try_get("previous_secret_expires_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(super) fn failure_from_row(row: &AnyRow) -> StoreResult<FailureState> {
    let field = |name| {
        row.try_get::<Option<i64>, _>(name)
            .map(Option::unwrap_or_default)
    };
    Ok(FailureState {
        failed_count: field("failed_count")?,
        lockouts: field("lockouts")?,
        locked_until_ms: field("locked_until_ms")?,
    })
}

pub(super) fn refresh_from_row(row: &AnyRow) -> StoreResult<RefreshToken> {
    Ok(RefreshToken {
        family_id: row.try_get("family_id")?,
        client_id: row.try_get("client_id")?,
        scope: row.try_get("scope")?,
        audiences: words(row.try_get("audiences")?),
        issued_at: row.try_get("issued_at")?,
        family_issued_at: row.try_get("family_issued_at")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

pub(super) fn key_from_row(row: &AnyRow) -> StoreResult<StoredKey> {
    let kid: String = row.try_get("kid")?;
    let public_key = row
        .try_get::<Option<Vec<u8>>, _>("public_key")?
        .map(|bytes| {
            <[u8; 32]>::try_from(bytes.as_slice())
                .map_err(|_| StoreError::Corrupt(format!("public key of {kid} is not 32 bytes")))
        })
        .transpose()?;
    Ok(StoredKey {
        private_key: row.try_get("private_key")?,
        public_key,
        protection: row.try_get("protection")?,
        created_at: row.try_get("created_at")?,
        activate_at: row.try_get("activate_at")?,
        revoked_at: row.try_get("revoked_at")?,
        kid,
    })
}

pub(super) fn event_from_row(row: &AnyRow) -> StoreResult<AuditEvent> {
    Ok(AuditEvent {
        at_ms: row.try_get("at_ms")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        subject: row.try_get("subject")?,
        detail: row.try_get("detail")?,
    })
}
