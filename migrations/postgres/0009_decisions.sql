-- The Commission's decisions: panels, recommendations and votes, Council
-- decisions with their numbers, awards with payments, payment rounds.

-- A panel of Commissioners; members, categories and batches as JSON.
CREATE TABLE panels (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    body        jsonb NOT NULL,   -- commission::Panel
    batches     jsonb NOT NULL,   -- [batch id]
    created_at  timestamptz NOT NULL
);

-- A panel's recommendation on one case, with its votes (in the body).
-- `active` while open or adopted and not returned: one per case.
CREATE TABLE recommendations (
    id          uuid PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES cases (id),
    panel_id    uuid NOT NULL REFERENCES panels (id),
    batch_id    uuid,
    status      text NOT NULL CHECK (status IN ('open', 'adopted', 'rejected')),
    active      boolean NOT NULL,
    body        jsonb NOT NULL,   -- commission::Recommendation
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX recommendations_active_case ON recommendations (case_id) WHERE active;
CREATE INDEX recommendations_batch ON recommendations (batch_id, id);

-- Final decision numbers: gap-free per year.
CREATE TABLE decision_counters (
    year  integer PRIMARY KEY,
    last  bigint NOT NULL
);

-- A recommendation before the Council, ending in a final decision; a
-- correction is a new row that supersedes an earlier final one.
CREATE TABLE decisions (
    id                 uuid PRIMARY KEY,
    case_id            uuid NOT NULL REFERENCES cases (id),
    recommendation_id  uuid NOT NULL REFERENCES recommendations (id),
    status             text NOT NULL,
    number             text UNIQUE,
    supersedes         uuid UNIQUE REFERENCES decisions (id),
    meeting_reference  text,
    body               jsonb NOT NULL,   -- commission::Decision
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    version            bigint NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX decisions_open_recommendation ON decisions (recommendation_id) WHERE supersedes IS NULL;
CREATE INDEX decisions_case ON decisions (case_id, id);
CREATE INDEX decisions_status ON decisions (status, id);

-- One award per case (a correction re-points it); payments in the body.
CREATE TABLE awards (
    id             uuid PRIMARY KEY,
    case_id        uuid NOT NULL UNIQUE REFERENCES cases (id),
    decision_id    uuid NOT NULL REFERENCES decisions (id),
    amount         numeric NOT NULL,
    currency       text NOT NULL,
    status         text NOT NULL,
    claimant_kind  text NOT NULL,
    body           jsonb NOT NULL,   -- commission::Award
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    version        bigint NOT NULL DEFAULT 1
);
CREATE INDEX awards_status ON awards (currency, status, id);

-- Payment rounds: a preview until confirmed; confirming creates entries.
CREATE TABLE payment_rounds (
    id            uuid PRIMARY KEY,
    status        text NOT NULL CHECK (status IN ('preview', 'confirmed')),
    body          jsonb NOT NULL,   -- commission::PaymentRoundPreview
    created_at    timestamptz NOT NULL,
    confirmed_at  timestamptz,
    version       bigint NOT NULL DEFAULT 1
);

CREATE TABLE payment_round_entries (
    round_id  uuid NOT NULL REFERENCES payment_rounds (id),
    award_id  uuid NOT NULL REFERENCES awards (id),
    amount    numeric NOT NULL,
    currency  text NOT NULL,
    PRIMARY KEY (round_id, award_id)
);
