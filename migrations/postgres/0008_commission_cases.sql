-- The Commission's casework: cases, valuation rules, assessment exchange
-- rates, assessments, batches with their samples and findings, and jobs.

-- One case per recorded claim, created in the transaction that records it.
CREATE TABLE cases (
    id                uuid PRIMARY KEY,
    claim_id          uuid NOT NULL UNIQUE REFERENCES claims (id),
    category          text NOT NULL,
    region            text,
    claimant_key      text,             -- for the cross-category duplicate guard
    claimed_amount    numeric,          -- the claim's total in its main currency
    claimed_currency  text,
    facts             jsonb NOT NULL,   -- what assessment reads
    status            text NOT NULL CHECK (status IN ('awaiting_assessment', 'assigned',
                      'assessed', 'ready_for_panel', 'recommended', 'decided')),
    assignee          uuid REFERENCES accounts (id),
    batch_id          uuid,
    assessment_error  jsonb,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           bigint NOT NULL DEFAULT 1
);

-- Work queues: every filter walks an index in keyset order.
CREATE INDEX cases_status ON cases (status, id);
CREATE INDEX cases_category ON cases (category, status, id);
CREATE INDEX cases_region ON cases (region, id);
CREATE INDEX cases_assignee ON cases (assignee, id);
CREATE INDEX cases_batch ON cases (batch_id, status, id);
CREATE INDEX cases_claimed ON cases (claimed_currency, claimed_amount, id);
CREATE INDEX cases_claimant ON cases (claimant_key);

-- Valuation rules: one immutable row per (category, version).
CREATE TABLE valuation_rules (
    category   text NOT NULL,
    version    bigint NOT NULL CHECK (version > 0),
    rule       jsonb NOT NULL,   -- commission::ValuationRule
    created_by uuid,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (category, version)
);

-- Exchange rates recorded for assessments (separate from the tracker's
-- funding rates: different sources, dates and purpose).
CREATE TABLE assessment_rates (
    from_currency text NOT NULL,
    to_currency   text NOT NULL,
    rate_date     date NOT NULL,
    rate          numeric NOT NULL CHECK (rate > 0),
    source        text NOT NULL,
    recorded_by   uuid,
    recorded_at   timestamptz NOT NULL,
    PRIMARY KEY (from_currency, to_currency, rate_date)
);

CREATE TABLE assessments (
    id              uuid PRIMARY KEY,
    case_id         uuid NOT NULL REFERENCES cases (id),
    rule_category   text NOT NULL,
    rule_version    bigint NOT NULL,
    assessor        uuid NOT NULL,
    batch_id        uuid,
    routing         text NOT NULL,
    result_amount   numeric NOT NULL,
    result_currency text NOT NULL,
    body            jsonb NOT NULL,   -- commission::Assessment
    created_at      timestamptz NOT NULL,
    FOREIGN KEY (rule_category, rule_version) REFERENCES valuation_rules (category, version)
);

CREATE INDEX assessments_case ON assessments (case_id, id);
CREATE INDEX assessments_rule ON assessments (rule_category, rule_version);

CREATE TABLE batches (
    id              uuid PRIMARY KEY,
    category        text NOT NULL,
    rule_version    bigint NOT NULL,
    filter          jsonb NOT NULL,
    status          text NOT NULL CHECK (status IN ('selected', 'assessing', 'assessed',
                    'in_review', 'released', 'returned')),
    round           integer NOT NULL DEFAULT 0,
    sample_share    numeric NOT NULL,
    sample_minimum  bigint NOT NULL,
    error_threshold numeric NOT NULL,
    seed            text NOT NULL,   -- u64 as text
    sample          jsonb,
    case_count      bigint NOT NULL,
    job_id          uuid,
    created_by      uuid,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         bigint NOT NULL DEFAULT 1,
    FOREIGN KEY (category, rule_version) REFERENCES valuation_rules (category, version)
);

CREATE TABLE batch_findings (
    batch_id uuid NOT NULL REFERENCES batches (id),
    round    integer NOT NULL,
    case_id  uuid NOT NULL REFERENCES cases (id),
    reviewer uuid NOT NULL,
    finding  jsonb NOT NULL,   -- commission::Finding
    is_error boolean NOT NULL,
    at       timestamptz NOT NULL,
    PRIMARY KEY (batch_id, round, case_id)
);

CREATE TABLE batch_clearances (
    batch_id   uuid NOT NULL REFERENCES batches (id),
    case_id    uuid NOT NULL REFERENCES cases (id),
    cleared_by uuid NOT NULL,
    reason     text NOT NULL,
    at         timestamptz NOT NULL,
    PRIMARY KEY (batch_id, case_id)
);

-- Background jobs, resumable: a worker holds a lease and renews it with
-- every chunk; a job whose lease expired is taken over by another worker.
CREATE TABLE jobs (
    id                uuid PRIMARY KEY,
    kind              text NOT NULL,
    subject_id        uuid NOT NULL,
    status            text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    total             bigint NOT NULL DEFAULT 0,
    processed         bigint NOT NULL DEFAULT 0,
    assessed          bigint NOT NULL DEFAULT 0,
    routed_individual bigint NOT NULL DEFAULT 0,
    failed            bigint NOT NULL DEFAULT 0,
    chunks            bigint NOT NULL DEFAULT 0,
    leased_by         text,
    leased_until      timestamptz,
    error             text,
    created_by        uuid,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    finished_at       timestamptz
);

CREATE INDEX jobs_open ON jobs (status, created_at) WHERE status IN ('queued', 'running');
