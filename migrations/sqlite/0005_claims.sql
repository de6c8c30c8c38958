-- The Register: catalogue, claims, duplicate keys and flags, messages.

CREATE TABLE categories (
    code       TEXT PRIMARY KEY NOT NULL,
    definition TEXT NOT NULL CHECK (json_valid(definition)),  -- register::Category as JSON
    updated_at TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE regions (
    code    TEXT PRIMARY KEY NOT NULL,
    name_en TEXT NOT NULL,
    kind    TEXT NOT NULL
) STRICT;

CREATE TABLE claims (
    id                BLOB PRIMARY KEY NOT NULL,
    filed_by          BLOB NOT NULL REFERENCES accounts (id),
    status            TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'under_review',
                      'information_requested', 'recorded', 'rejected', 'withdrawn')),
    category          TEXT,
    reference         TEXT UNIQUE,
    sensitive         INTEGER NOT NULL DEFAULT 0,
    content           TEXT NOT NULL CHECK (json_valid(content)),
    sealed            BLOB,             -- encrypted parts of a sensitive claim
    sealed_key_id     TEXT,
    claimant_name     TEXT,
    claimant_search   TEXT,             -- lower-cased, for prefix search
    claimant_key      TEXT,
    region            TEXT,
    incident_from     TEXT,
    incident_to       TEXT,
    totals            TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(totals)),
    duplicate_keys    TEXT CHECK (duplicate_keys IS NULL OR json_valid(duplicate_keys)),
    duplicate_flagged INTEGER NOT NULL DEFAULT 0,
    recommendation    TEXT CHECK (recommendation IS NULL OR json_valid(recommendation)),
    decision          TEXT CHECK (decision IS NULL OR json_valid(decision)),
    submitted_at      TEXT,
    decided_at        TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    idempotency_key   TEXT,
    version           INTEGER NOT NULL DEFAULT 1,
    UNIQUE (filed_by, idempotency_key)
) STRICT;

-- Work queues: every filter walks an index in keyset order.
CREATE INDEX claims_filed_by ON claims (filed_by, id);
CREATE INDEX claims_status ON claims (status, id);
CREATE INDEX claims_category ON claims (category, id);
CREATE INDEX claims_region ON claims (region, id);
CREATE INDEX claims_submitted ON claims (submitted_at, id);
CREATE INDEX claims_flagged ON claims (id) WHERE duplicate_flagged = 1;
CREATE INDEX claims_claimant_search ON claims (claimant_search, id);

-- Gap-free reference numbers per year of submission.
CREATE TABLE reference_counters (
    year INTEGER PRIMARY KEY NOT NULL,
    last INTEGER NOT NULL
) STRICT;

-- Lookup keys of submitted claims for duplicate detection.
CREATE TABLE claim_keys (
    key      TEXT NOT NULL,
    claim_id BLOB NOT NULL REFERENCES claims (id),
    PRIMARY KEY (key, claim_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE duplicate_flags (
    id                BLOB PRIMARY KEY NOT NULL,
    claim_id          BLOB NOT NULL REFERENCES claims (id),
    other_claim_id    BLOB NOT NULL REFERENCES claims (id),
    reason            TEXT NOT NULL,
    matched           TEXT NOT NULL,
    raised_at         TEXT NOT NULL,
    outcome           TEXT CHECK (outcome IN ('confirmed', 'not_duplicate')),
    resolution_reason TEXT,
    resolved_by       BLOB,
    resolved_at       TEXT
) STRICT;

CREATE INDEX duplicate_flags_claim ON duplicate_flags (claim_id, id);

-- Requests for information and the claimant's answers.
CREATE TABLE claim_messages (
    id       BLOB PRIMARY KEY NOT NULL,
    claim_id BLOB NOT NULL REFERENCES claims (id),
    kind     TEXT NOT NULL CHECK (kind IN ('request', 'response')),
    author   BLOB NOT NULL,
    text     TEXT NOT NULL,
    at       TEXT NOT NULL
) STRICT;

CREATE INDEX claim_messages_claim ON claim_messages (claim_id, id);
