-- The append-only audit log and one-time markers.

CREATE TABLE audit_log (
    id              uuid PRIMARY KEY,            -- UUIDv7: time-ordered
    at              timestamptz NOT NULL,
    actor           uuid,
    actor_role      text,
    on_behalf_of    text,
    action          text NOT NULL,
    target_type     text NOT NULL,
    target_id       text NOT NULL,
    summary         jsonb NOT NULL,
    reason          text,
    request_id      text,
    idempotency_key text
);

CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);

-- The log is append-only: the database itself refuses edits and deletions.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Events that may happen once in the life of a deployment (bootstrap).
CREATE TABLE once_markers (
    name text PRIMARY KEY,
    at   timestamptz NOT NULL
);
