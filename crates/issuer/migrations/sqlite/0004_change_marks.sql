-- Counters that move whenever clients or failure states change, from any process: each
-- server polls them to keep its in-memory view of clients and lockouts current.
CREATE TABLE change_marks (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);
INSERT INTO change_marks (name, value) VALUES ('clients', 0), ('failures', 0);

CREATE TRIGGER clients_inserted AFTER INSERT ON clients
BEGIN UPDATE change_marks SET value = value + 1 WHERE name = 'clients'; END;
CREATE TRIGGER clients_updated AFTER UPDATE ON clients
BEGIN UPDATE change_marks SET value = value + 1 WHERE name = 'clients'; END;
CREATE TRIGGER clients_deleted AFTER DELETE ON clients
BEGIN UPDATE change_marks SET value = value + 1 WHERE name = 'clients'; END;

-- Each failure-state write takes the next `failures` mark as its sequence number, so a
-- server can fetch exactly the states that changed since it last looked. Resets and
-- unlocks write a clean state instead of deleting the row, for the same reason.
ALTER TABLE auth_failures ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX auth_failures_seq ON auth_failures (seq);
