-- Bulk imports of claims: each imported row's external id, unique, so a
-- file run twice imports nothing twice; and the rejected rows of import jobs
-- run through the API (the CLI writes its rejects to a file instead).

CREATE TABLE imported_claims (
    external_id text PRIMARY KEY,
    -- Deferred: the marker is inserted first (it decides, under the unique
    -- key, whether the row is new), the claim after it.
    claim_id    uuid NOT NULL REFERENCES claims (id) DEFERRABLE INITIALLY DEFERRED,
    job_id      uuid,
    imported_at timestamptz NOT NULL
);

CREATE INDEX imported_claims_claim ON imported_claims (claim_id);

CREATE TABLE import_rejects (
    id      bigserial PRIMARY KEY,
    job_id  uuid NOT NULL REFERENCES jobs (id),
    line    bigint NOT NULL,
    field   text,
    code    text NOT NULL,
    message text NOT NULL
);

CREATE INDEX import_rejects_job ON import_rejects (job_id, id);
