//! The records the store keeps: clients, failure changes, refresh tokens, signing keys,
//! audit events and settings.

use zeroize::Zeroize as _;

use super::Digest;
use crate::lockout::FailureState;

/// A registered OAuth client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// The client id (operator-chosen or generated).
    pub id: String,
    /// A human label.
    pub name: String,
    /// Scopes the client may request; also its default grant.
    pub scopes: Vec<String>,
    /// Audiences the client may request; empty means the issuer's default audience.
    pub audiences: Vec<String>,
    /// Access-token lifetime in seconds.
    pub access_ttl: i64,
    /// Whether the client may use `grant_type=refresh_token`.
    pub refresh_enabled: bool,
    /// Refresh-token lifetime in seconds.
    pub refresh_ttl: i64,
    /// Disabled clients cannot authenticate.
    pub disabled: bool,
    /// Keyed hash of the current secret.
    pub secret_hash: Digest,
    /// Keyed hash of the previous secret, valid until `previous_secret_expires_at`.
    pub previous_secret_hash: Option<Digest>,
    /// When the previous secret stops working (seconds since the epoch).
    pub previous_secret_expires_at: Option<i64>,
    /// Creation time (seconds since the epoch).
    pub created_at: i64,
    /// Last change (seconds since the epoch).
    pub updated_at: i64,
}

/// Counters that move whenever clients or failure states change, from any process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChangeMarks {
    /// Moves on every client insert, update or delete.
    pub clients: i64,
    /// The sequence number of the latest failure-state write.
    pub failures: i64,
}

/// One failure state as last written, with its sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureChange {
    /// The client.
    pub client_id: String,
    /// The source (see [`crate::auth::source_key`]).
    pub source: String,
    /// The state written (clean after a reset or an unlock).
    pub state: FailureState,
    /// Its place in the order of failure-state writes.
    pub seq: i64,
}

/// A refresh token as stored (the token itself is only kept as a digest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshToken {
    /// Tokens rotated from one grant share a family; reuse revokes the family.
    pub family_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The scope granted with it (space-delimited).
    pub scope: String,
    /// The audiences granted with it.
    pub audiences: Vec<String>,
    /// Issue time (seconds since the epoch).
    pub issued_at: i64,
    /// Issue time of the family's first token: the family ends `refresh_ttl` after it.
    pub family_issued_at: i64,
    /// Expiry (seconds since the epoch).
    pub expires_at: i64,
    /// When it was exchanged, if it was.
    pub used_at: Option<i64>,
    /// When its family was revoked, if it was.
    pub revoked_at: Option<i64>,
}

/// A signing key row. The private seed may be sealed with the master key.
///
/// Without a master key the seed is plaintext: it is left out of `Debug` and wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// Key id (RFC 7638 thumbprint).
    pub kid: String,
    /// The 32-byte seed, or its sealed form.
    pub private_key: Vec<u8>,
    /// The 32-byte Ed25519 public key, in clear so the JWKS needs no master key. `None`
    /// only for keys stored before this column existed, until a start that can open
    /// their seed fills it in.
    pub public_key: Option<[u8; 32]>,
    /// How `private_key` is protected: [`crate::seal::PLAIN`] or [`crate::seal::SEALED`].
    pub protection: String,
    /// Creation (= publication) time, seconds since the epoch.
    pub created_at: i64,
    /// From this time on the key signs (unless a later key is active).
    pub activate_at: i64,
    /// When it was revoked: from then on it is neither published nor used.
    pub revoked_at: Option<i64>,
}

/// One entry of the audit trail: an administrative action or a lockout. Never holds a
/// secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// When it happened (milliseconds since the epoch).
    pub at_ms: i64,
    /// The OS user who ran the command, or `serve` for the server itself.
    pub actor: String,
    /// What was done (`client.create`, `keys.revoke`, `client.lockout`, ...).
    pub action: String,
    /// What it was done to: a client id or a key id.
    pub subject: String,
    /// Settings or the source address involved (empty if none).
    pub detail: String,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("protection", &self.protection)
            .field("created_at", &self.created_at)
            .field("activate_at", &self.activate_at)
            .finish_non_exhaustive()
    }
}

impl Drop for StoredKey {
    fn drop(&mut self) {
        self.private_key.zeroize();
    }
}

/// A server-wide value, possibly sealed (the pepper is one).
///
/// The value may be plaintext: it is left out of `Debug` and wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Setting {
    /// The stored bytes.
    pub value: Vec<u8>,
    /// How `value` is protected.
    pub protection: String,
}

impl std::fmt::Debug for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setting")
            .field("protection", &self.protection)
            .finish_non_exhaustive()
    }
}

impl Drop for Setting {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}
