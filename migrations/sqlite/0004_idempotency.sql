-- Idempotency keys: the answer to a state-changing request, kept so that a
-- retry with the same `Idempotency-Key` is replayed instead of run twice.
--
-- Bookkeeping, not part of the record: rows are updated and purged (after
-- `expires_at`, 24 hours after first use), and nothing here is audited.
-- `fingerprint` is the SHA-256 of the request (method, route, path, body).
-- An in-flight row holds a lease until `locked_until`; a row whose lease ran
-- out (its instance died) may be taken over. Times are fixed-width UTC text.

CREATE TABLE idempotency_keys (
    account_id       BLOB NOT NULL REFERENCES accounts (id),
    idempotency_key  TEXT NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    fingerprint      BLOB NOT NULL CHECK (length(fingerprint) = 32),
    state            TEXT NOT NULL CHECK (state IN ('in_flight', 'completed')),
    response_status  INTEGER CHECK (response_status BETWEEN 100 AND 599),
    response_headers TEXT CHECK (response_headers IS NULL OR json_valid(response_headers)),
    response_body    BLOB,
    created_at       TEXT NOT NULL,
    locked_until     TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    PRIMARY KEY (account_id, idempotency_key),
    CHECK ((state = 'completed') = (response_status IS NOT NULL))
) STRICT, WITHOUT ROWID;

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
