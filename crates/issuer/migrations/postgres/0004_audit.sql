-- Who changed what: one row per administrative action (client and key commands) and per
-- lockout. `actor` is the OS user who ran the command, or `serve` for the server itself.
-- Never a secret: subjects are client ids and key ids, details are settings and
-- source addresses. Rows older than the configured retention are pruned by `serve`.
CREATE TABLE audit_events (
    id      BIGSERIAL PRIMARY KEY,
    at_ms   BIGINT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at_ms);

-- A revoked signing key is neither published nor used again, whatever its schedule.
ALTER TABLE signing_keys ADD COLUMN revoked_at BIGINT;
