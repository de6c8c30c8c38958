-- The append-only audit log and one-time markers.

CREATE TABLE audit_log (
    id              BLOB PRIMARY KEY NOT NULL,   -- UUIDv7: time-ordered
    at              TEXT NOT NULL,
    actor           BLOB,
    actor_role      TEXT,
    on_behalf_of    TEXT,
    action          TEXT NOT NULL,
    target_type     TEXT NOT NULL,
    target_id       TEXT NOT NULL,
    summary         TEXT NOT NULL CHECK (json_valid(summary)),
    reason          TEXT,
    request_id      TEXT,
    idempotency_key TEXT
) STRICT;

CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);

-- The log is append-only: the database itself refuses edits and deletions.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Events that may happen once in the life of a deployment (bootstrap).
CREATE TABLE once_markers (
    name TEXT PRIMARY KEY NOT NULL,
    at   TEXT NOT NULL
) STRICT;
