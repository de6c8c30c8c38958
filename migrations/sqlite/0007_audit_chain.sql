-- The audit log becomes a hash chain (see docs/audit.md).
--
-- seq: gap-free position in the chain, from 1. prev_hash: the hash of the
-- entry at seq - 1 (32 zero bytes for the first). hash: SHA-256 of prev_hash
-- followed by the entry's canonical content. The columns are null only for
-- entries written before this migration; the store chains those, in id
-- order, when it starts (the one update the log accepts), and verification
-- reports any entry left without a seq.

ALTER TABLE audit_log ADD COLUMN seq INTEGER;
ALTER TABLE audit_log ADD COLUMN prev_hash BLOB CHECK (prev_hash IS NULL OR length(prev_hash) = 32);
ALTER TABLE audit_log ADD COLUMN hash BLOB CHECK (hash IS NULL OR length(hash) = 32);
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);

-- The newest entry of the chain, updated in the transaction that appends.
CREATE TABLE audit_chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL CHECK (seq >= 0),
    hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;
INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, zeroblob(32));

-- Still append-only: the only update allowed gives an unchained entry its
-- place in the chain and changes nothing else.
DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN OLD.seq IS NOT NULL OR NEW.seq IS NULL OR NEW.prev_hash IS NULL OR NEW.hash IS NULL
    OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.actor IS NOT OLD.actor
    OR NEW.actor_role IS NOT OLD.actor_role OR NEW.on_behalf_of IS NOT OLD.on_behalf_of
    OR NEW.action IS NOT OLD.action OR NEW.target_type IS NOT OLD.target_type
    OR NEW.target_id IS NOT OLD.target_id OR NEW.summary IS NOT OLD.summary
    OR NEW.reason IS NOT OLD.reason OR NEW.request_id IS NOT OLD.request_id
    OR NEW.idempotency_key IS NOT OLD.idempotency_key
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
