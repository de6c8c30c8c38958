-- Evidence files of claims. The bytes are in the object store under
-- storage_key (derived from ids, never from the client's file name); a
-- sensitive claim's bytes are encrypted there with the key sealed_key_id.

CREATE TABLE evidence (
    id            BLOB PRIMARY KEY NOT NULL,           -- UUIDv7
    claim_id      BLOB NOT NULL REFERENCES claims (id),
    file_name     TEXT NOT NULL,                       -- sanitised display name
    content_type  TEXT NOT NULL,                       -- sniffed MIME type
    size          INTEGER NOT NULL CHECK (size > 0),
    sha256        TEXT NOT NULL CHECK (length(sha256) = 64),
    storage_key   TEXT NOT NULL UNIQUE,
    sealed_key_id TEXT,
    uploaded_by   BLOB NOT NULL REFERENCES accounts (id),
    uploaded_at   TEXT NOT NULL
) STRICT;

CREATE INDEX evidence_claim ON evidence (claim_id, id);
CREATE INDEX evidence_sha256 ON evidence (sha256);
