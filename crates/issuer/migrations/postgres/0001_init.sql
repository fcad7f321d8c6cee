-- Tollgate schema for PostgreSQL, equivalent to the SQLite migrations up to 0002. Times
-- are seconds since the epoch unless the column name ends in _ms.

-- Server-wide values such as the secret-hashing pepper; `protection` says whether
-- `value` is sealed with the master key.
CREATE TABLE settings (
    name       TEXT PRIMARY KEY,
    value      BYTEA NOT NULL,
    protection TEXT NOT NULL
);

-- Registered clients. Secrets are kept only as HMAC-SHA-256 digests; a second digest
-- stays valid until previous_secret_expires_at during a rotation.
CREATE TABLE clients (
    id                         TEXT PRIMARY KEY,
    name                       TEXT NOT NULL,
    scopes                     TEXT NOT NULL,
    audiences                  TEXT NOT NULL,
    access_ttl                 BIGINT NOT NULL,
    refresh_enabled            BOOLEAN NOT NULL,
    refresh_ttl                BIGINT NOT NULL,
    disabled                   BOOLEAN NOT NULL,
    secret_hash                BYTEA NOT NULL,
    previous_secret_hash       BYTEA,
    previous_secret_expires_at BIGINT,
    created_at                 BIGINT NOT NULL,
    updated_at                 BIGINT NOT NULL
);

-- Consecutive failed authentications per (client id, source), for existing clients only.
CREATE TABLE auth_failures (
    client_id       TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    source          TEXT NOT NULL,
    failed_count    BIGINT NOT NULL,
    lockouts        BIGINT NOT NULL,
    locked_until_ms BIGINT NOT NULL,
    last_failure_ms BIGINT NOT NULL,
    PRIMARY KEY (client_id, source)
);
CREATE INDEX auth_failures_last_failure ON auth_failures (last_failure_ms);

-- Opaque refresh tokens, stored as digests. Tokens rotated from one grant share a family.
CREATE TABLE refresh_tokens (
    token_hash       BYTEA PRIMARY KEY,
    family_id        TEXT NOT NULL,
    client_id        TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scope            TEXT NOT NULL,
    audiences        TEXT NOT NULL,
    issued_at        BIGINT NOT NULL,
    family_issued_at BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    used_at          BIGINT,
    revoked_at       BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);

-- Access tokens revoked through RFC 7009, kept until they expire.
CREATE TABLE revoked_access_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

-- Ed25519 signing keys. A key is published from created_at and signs from activate_at.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    private_key BYTEA NOT NULL,
    protection  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    activate_at BIGINT NOT NULL
);
