-- Failures are counted per (client id, source address), and only for clients that
-- exist: unknown ids are limited in memory and never cost a row. Old per-id rows
-- (which included unknown ids) are dropped; a restart forgets at most one lockout.
DROP TABLE auth_failures;

CREATE TABLE auth_failures (
    client_id       TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    -- IPv4 address, IPv6 /64, or '*' when failures are counted per client id alone.
    source          TEXT NOT NULL,
    failed_count    INTEGER NOT NULL,
    lockouts        INTEGER NOT NULL,
    locked_until_ms INTEGER NOT NULL,
    last_failure_ms INTEGER NOT NULL,
    PRIMARY KEY (client_id, source)
);
CREATE INDEX auth_failures_last_failure ON auth_failures (last_failure_ms);

-- A refresh-token family ends a fixed time after its first token, however often it is
-- rotated: every token of a family carries the family's start.
ALTER TABLE refresh_tokens ADD COLUMN family_issued_at INTEGER NOT NULL DEFAULT 0;
UPDATE refresh_tokens SET family_issued_at = issued_at;
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);
