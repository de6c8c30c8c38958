-- Idempotency keys: the answer to a state-changing request, kept so that a
-- retry with the same `Idempotency-Key` is replayed instead of run twice.
--
-- Bookkeeping, not part of the record: rows are updated and purged (after
-- `expires_at`, 24 hours after first use), and nothing here is audited.
-- `fingerprint` is the SHA-256 of the request (method, route, path, body).
-- An in-flight row holds a lease until `locked_until`; a row whose lease ran
-- out (its instance died) may be taken over.

CREATE TABLE idempotency_keys (
    account_id       uuid NOT NULL REFERENCES accounts (id),
    idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    fingerprint      bytea NOT NULL CHECK (length(fingerprint) = 32),
    state            text NOT NULL CHECK (state IN ('in_flight', 'completed')),
    response_status  smallint CHECK (response_status BETWEEN 100 AND 599),
    response_headers jsonb,
    response_body    bytea,
    created_at       timestamptz NOT NULL,
    locked_until     timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (account_id, idempotency_key),
    CHECK ((state = 'completed') = (response_status IS NOT NULL))
);

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
