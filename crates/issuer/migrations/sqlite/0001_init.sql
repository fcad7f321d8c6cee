-- Tollgate schema, version 1. Times are seconds since the epoch unless the column name
-- ends in _ms. Booleans are 0/1 integers.

-- Server-wide values such as the secret-hashing pepper; `protection` says whether
-- `value` is sealed with TOLLGATE_MASTER_KEY.
CREATE TABLE settings (
    name       TEXT PRIMARY KEY NOT NULL,
    value      BLOB NOT NULL,
    protection TEXT NOT NULL
);

-- Registered clients. Secrets are kept only as HMAC-SHA-256 digests; a second digest
-- stays valid until previous_secret_expires_at during a rotation.
CREATE TABLE clients (
    id                         TEXT PRIMARY KEY NOT NULL,
    name                       TEXT NOT NULL,
    scopes                     TEXT NOT NULL,
    audiences                  TEXT NOT NULL,
    access_ttl                 INTEGER NOT NULL,
    refresh_enabled            INTEGER NOT NULL,
    refresh_ttl                INTEGER NOT NULL,
    disabled                   INTEGER NOT NULL,
    secret_hash                BLOB NOT NULL,
    previous_secret_hash       BLOB,
    previous_secret_expires_at INTEGER,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
);

-- Consecutive failed authentications per client id. Not a foreign key: unknown ids are
-- counted and locked exactly like known ones, so the answers cannot tell them apart.
CREATE TABLE auth_failures (
    client_id       TEXT PRIMARY KEY NOT NULL,
    failed_count    INTEGER NOT NULL,
    lockouts        INTEGER NOT NULL,
    locked_until_ms INTEGER NOT NULL,
    last_failure_ms INTEGER NOT NULL,
    -- What the latest update did: 0 counted, 1 locked, 2 ignored while locked.
    last_outcome    INTEGER NOT NULL
);

-- Opaque refresh tokens, stored as digests. Tokens rotated from one grant share a family.
CREATE TABLE refresh_tokens (
    token_hash BLOB PRIMARY KEY NOT NULL,
    family_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    audiences  TEXT NOT NULL,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

-- Access tokens revoked through RFC 7009, kept until they expire.
CREATE TABLE revoked_access_tokens (
    jti        TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Ed25519 signing keys. A key is published from created_at and signs from activate_at.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY NOT NULL,
    private_key BLOB NOT NULL,
    protection  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    activate_at INTEGER NOT NULL
);
