-- The Commission's casework: cases, valuation rules, assessment exchange
-- rates, assessments, batches with their samples and findings, and jobs.

-- One case per recorded claim, created in the transaction that records it.
CREATE TABLE cases (
    id                BLOB PRIMARY KEY NOT NULL,
    claim_id          BLOB NOT NULL UNIQUE REFERENCES claims (id),
    category          TEXT NOT NULL,
    region            TEXT,
    claimant_key      TEXT,             -- for the cross-category duplicate guard
    claimed_amount    TEXT,             -- the claim's total in its main currency
    claimed_currency  TEXT,
    claimed_minor     INTEGER,          -- the same in minor units, for range filters
    facts             TEXT NOT NULL CHECK (json_valid(facts)),  -- what assessment reads
    status            TEXT NOT NULL CHECK (status IN ('awaiting_assessment', 'assigned',
                      'assessed', 'ready_for_panel', 'recommended', 'decided')),
    assignee          BLOB REFERENCES accounts (id),
    batch_id          BLOB,
    assessment_error  TEXT CHECK (assessment_error IS NULL OR json_valid(assessment_error)),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
) STRICT;

-- Work queues: every filter walks an index in keyset order.
CREATE INDEX cases_status ON cases (status, id);
CREATE INDEX cases_category ON cases (category, status, id);
CREATE INDEX cases_region ON cases (region, id);
CREATE INDEX cases_assignee ON cases (assignee, id);
CREATE INDEX cases_batch ON cases (batch_id, status, id);
CREATE INDEX cases_claimed ON cases (claimed_currency, claimed_minor, id);
CREATE INDEX cases_claimant ON cases (claimant_key);

-- Valuation rules: one immutable row per (category, version).
CREATE TABLE valuation_rules (
    category   TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version > 0),
    rule       TEXT NOT NULL CHECK (json_valid(rule)),   -- commission::ValuationRule
    created_by BLOB,
    created_at TEXT NOT NULL,
    PRIMARY KEY (category, version)
) STRICT;

-- Exchange rates recorded for assessments (separate from the tracker's
-- funding rates: different sources, dates and purpose).
CREATE TABLE assessment_rates (
    from_currency TEXT NOT NULL,
    to_currency   TEXT NOT NULL,
    rate_date     TEXT NOT NULL,   -- YYYY-MM-DD
    rate          TEXT NOT NULL,   -- decimal
    source        TEXT NOT NULL,
    recorded_by   BLOB,
    recorded_at   TEXT NOT NULL,
    PRIMARY KEY (from_currency, to_currency, rate_date)
) STRICT;

CREATE TABLE assessments (
    id             BLOB PRIMARY KEY NOT NULL,
    case_id        BLOB NOT NULL REFERENCES cases (id),
    rule_category  TEXT NOT NULL,
    rule_version   INTEGER NOT NULL,
    assessor       BLOB NOT NULL,
    batch_id       BLOB,
    routing        TEXT NOT NULL,
    result_amount  TEXT NOT NULL,
    result_currency TEXT NOT NULL,
    body           TEXT NOT NULL CHECK (json_valid(body)),   -- commission::Assessment
    created_at     TEXT NOT NULL,
    FOREIGN KEY (rule_category, rule_version) REFERENCES valuation_rules (category, version)
) STRICT;

CREATE INDEX assessments_case ON assessments (case_id, id);
CREATE INDEX assessments_rule ON assessments (rule_category, rule_version);

CREATE TABLE batches (
    id              BLOB PRIMARY KEY NOT NULL,
    category        TEXT NOT NULL,
    rule_version    INTEGER NOT NULL,
    filter          TEXT NOT NULL CHECK (json_valid(filter)),
    status          TEXT NOT NULL CHECK (status IN ('selected', 'assessing', 'assessed',
                    'in_review', 'released', 'returned')),
    round           INTEGER NOT NULL DEFAULT 0,
    sample_share    TEXT NOT NULL,
    sample_minimum  INTEGER NOT NULL,
    error_threshold TEXT NOT NULL,
    seed            TEXT NOT NULL,   -- u64 as text
    sample          TEXT CHECK (sample IS NULL OR json_valid(sample)),
    case_count      INTEGER NOT NULL,
    job_id          BLOB,
    created_by      BLOB,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    FOREIGN KEY (category, rule_version) REFERENCES valuation_rules (category, version)
) STRICT;

CREATE TABLE batch_findings (
    batch_id BLOB NOT NULL REFERENCES batches (id),
    round    INTEGER NOT NULL,
    case_id  BLOB NOT NULL REFERENCES cases (id),
    reviewer BLOB NOT NULL,
    finding  TEXT NOT NULL CHECK (json_valid(finding)),   -- commission::Finding
    is_error INTEGER NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (batch_id, round, case_id)
) STRICT;

CREATE TABLE batch_clearances (
    batch_id   BLOB NOT NULL REFERENCES batches (id),
    case_id    BLOB NOT NULL REFERENCES cases (id),
    cleared_by BLOB NOT NULL,
    reason     TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (batch_id, case_id)
) STRICT;

-- Background jobs, resumable: a worker holds a lease and renews it with
-- every chunk; a job whose lease expired is taken over by another worker.
CREATE TABLE jobs (
    id                BLOB PRIMARY KEY NOT NULL,
    kind              TEXT NOT NULL,
    subject_id        BLOB NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    total             INTEGER NOT NULL DEFAULT 0,
    processed         INTEGER NOT NULL DEFAULT 0,
    assessed          INTEGER NOT NULL DEFAULT 0,
    routed_individual INTEGER NOT NULL DEFAULT 0,
    failed            INTEGER NOT NULL DEFAULT 0,
    chunks            INTEGER NOT NULL DEFAULT 0,
    leased_by         TEXT,
    leased_until      TEXT,
    error             TEXT,
    created_by        BLOB,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    finished_at       TEXT
) STRICT;

CREATE INDEX jobs_open ON jobs (status, created_at) WHERE status IN ('queued', 'running');
