-- Bulk imports of claims: each imported row's external id, unique, so a
-- file run twice imports nothing twice; and the rejected rows of import jobs
-- run through the API (the CLI writes its rejects to a file instead).

CREATE TABLE imported_claims (
    external_id TEXT PRIMARY KEY NOT NULL,
    -- Deferred: the marker is inserted first (it decides, under the unique
    -- key, whether the row is new), the claim after it.
    claim_id    BLOB NOT NULL REFERENCES claims (id) DEFERRABLE INITIALLY DEFERRED,
    job_id      BLOB,
    imported_at TEXT NOT NULL
) STRICT;

CREATE INDEX imported_claims_claim ON imported_claims (claim_id);

CREATE TABLE import_rejects (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id  BLOB NOT NULL REFERENCES jobs (id),
    line    INTEGER NOT NULL,
    field   TEXT,
    code    TEXT NOT NULL,
    message TEXT NOT NULL
) STRICT;

CREATE INDEX import_rejects_job ON import_rejects (job_id, id);
