-- The audit log becomes a hash chain (see docs/audit.md).
--
-- seq: gap-free position in the chain, from 1. prev_hash: the hash of the
-- entry at seq - 1 (32 zero bytes for the first). hash: SHA-256 of prev_hash
-- followed by the entry's canonical content. The columns are null only for
-- entries written before this migration; the store chains those, in id
-- order, when it starts (the one update the log accepts), and verification
-- reports any entry left without a seq.

ALTER TABLE audit_log
    ADD COLUMN seq bigint,
    ADD COLUMN prev_hash bytea CHECK (octet_length(prev_hash) = 32),
    ADD COLUMN hash bytea CHECK (octet_length(hash) = 32);
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);

-- The newest entry of the chain. Appending locks this row (FOR UPDATE), which
-- serialises audit writes across connections and server instances.
CREATE TABLE audit_chain_head (
    id   smallint PRIMARY KEY CHECK (id = 1),
    seq  bigint NOT NULL CHECK (seq >= 0),
    hash bytea NOT NULL CHECK (octet_length(hash) = 32)
);
INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

-- Still append-only: the only update allowed gives an unchained entry its
-- place in the chain and changes nothing else.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
       AND (NEW.id, NEW.at, NEW.actor, NEW.actor_role, NEW.on_behalf_of, NEW.action,
            NEW.target_type, NEW.target_id, NEW.summary, NEW.reason, NEW.request_id,
            NEW.idempotency_key)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.actor, OLD.actor_role, OLD.on_behalf_of, OLD.action,
            OLD.target_type, OLD.target_id, OLD.summary, OLD.reason, OLD.request_id,
            OLD.idempotency_key)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
