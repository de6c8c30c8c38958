-- Evidence files of claims. The bytes are in the object store under
-- storage_key (derived from ids, never from the client's file name); a
-- sensitive claim's bytes are encrypted there with the key sealed_key_id.

CREATE TABLE evidence (
    id            uuid PRIMARY KEY,                    -- UUIDv7
    claim_id      uuid NOT NULL REFERENCES claims (id),
    file_name     text NOT NULL,                       -- sanitised display name
    content_type  text NOT NULL,                       -- sniffed MIME type
    size          bigint NOT NULL CHECK (size > 0),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    storage_key   text NOT NULL UNIQUE,
    sealed_key_id text,
    uploaded_by   uuid NOT NULL REFERENCES accounts (id),
    uploaded_at   timestamptz NOT NULL
);

CREATE INDEX evidence_claim ON evidence (claim_id, id);
CREATE INDEX evidence_sha256 ON evidence (sha256);
