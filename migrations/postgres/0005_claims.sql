-- The Register: catalogue, claims, duplicate keys and flags, messages.

CREATE TABLE categories (
    code       text PRIMARY KEY,
    definition jsonb NOT NULL,   -- register::Category as JSON
    updated_at timestamptz NOT NULL,
    version    bigint NOT NULL DEFAULT 1
);

CREATE TABLE regions (
    code    text PRIMARY KEY,
    name_en text NOT NULL,
    kind    text NOT NULL
);

CREATE TABLE claims (
    id                uuid PRIMARY KEY,
    filed_by          uuid NOT NULL REFERENCES accounts (id),
    status            text NOT NULL CHECK (status IN ('draft', 'submitted', 'under_review',
                      'information_requested', 'recorded', 'rejected', 'withdrawn')),
    category          text,
    reference         text UNIQUE,
    sensitive         boolean NOT NULL DEFAULT false,
    content           jsonb NOT NULL,
    sealed            bytea,        -- encrypted parts of a sensitive claim
    sealed_key_id     text,
    claimant_name     text,
    claimant_search   text,             -- lower-cased, for prefix search
    claimant_key      text,
    region            text,
    incident_from     date,
    incident_to       date,
    totals            jsonb NOT NULL DEFAULT '[]',
    duplicate_keys    jsonb,
    duplicate_flagged boolean NOT NULL DEFAULT false,
    recommendation    jsonb,
    decision          jsonb,
    submitted_at      timestamptz,
    decided_at        timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    idempotency_key   text,
    version           bigint NOT NULL DEFAULT 1,
    UNIQUE (filed_by, idempotency_key)
);

-- Work queues: every filter walks an index in keyset order.
CREATE INDEX claims_filed_by ON claims (filed_by, id);
CREATE INDEX claims_status ON claims (status, id);
CREATE INDEX claims_category ON claims (category, id);
CREATE INDEX claims_region ON claims (region, id);
CREATE INDEX claims_submitted ON claims (submitted_at, id);
CREATE INDEX claims_flagged ON claims (id) WHERE duplicate_flagged;
CREATE INDEX claims_claimant_search ON claims (claimant_search COLLATE "C", id);

-- Gap-free reference numbers per year of submission.
CREATE TABLE reference_counters (
    year integer PRIMARY KEY,
    last bigint NOT NULL
);

-- Lookup keys of submitted claims for duplicate detection.
CREATE TABLE claim_keys (
    key      text NOT NULL,
    claim_id uuid NOT NULL REFERENCES claims (id),
    PRIMARY KEY (key, claim_id)
);

CREATE TABLE duplicate_flags (
    id                uuid PRIMARY KEY,
    claim_id          uuid NOT NULL REFERENCES claims (id),
    other_claim_id    uuid NOT NULL REFERENCES claims (id),
    reason            text NOT NULL,
    matched           text NOT NULL,
    raised_at         timestamptz NOT NULL,
    outcome           text CHECK (outcome IN ('confirmed', 'not_duplicate')),
    resolution_reason text,
    resolved_by       uuid,
    resolved_at       timestamptz
);

CREATE INDEX duplicate_flags_claim ON duplicate_flags (claim_id, id);

-- Requests for information and the claimant's answers.
CREATE TABLE claim_messages (
    id       uuid PRIMARY KEY,
    claim_id uuid NOT NULL REFERENCES claims (id),
    kind     text NOT NULL CHECK (kind IN ('request', 'response')),
    author   uuid NOT NULL,
    text     text NOT NULL,
    at       timestamptz NOT NULL
);

CREATE INDEX claim_messages_claim ON claim_messages (claim_id, id);
