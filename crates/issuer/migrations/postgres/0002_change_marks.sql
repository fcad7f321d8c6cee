-- Counters that move whenever clients or failure states change, from any replica: each
-- server polls them to keep its in-memory view of clients and lockouts current.
CREATE TABLE change_marks (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO change_marks (name, value) VALUES ('clients', 0), ('failures', 0);

CREATE FUNCTION clients_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE change_marks SET value = value + 1 WHERE name = 'clients';
    RETURN NULL;
END $$;
CREATE TRIGGER clients_changed AFTER INSERT OR UPDATE OR DELETE ON clients
    FOR EACH STATEMENT EXECUTE FUNCTION clients_changed();

-- Each failure-state write takes the next `failures` mark as its sequence number.
ALTER TABLE auth_failures ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX auth_failures_seq ON auth_failures (seq);
