-- The Commission's decisions: panels, recommendations and votes, Council
-- decisions with their numbers, awards with payments, payment rounds.

-- A panel of Commissioners; members, categories and batches as JSON.
CREATE TABLE panels (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,   -- commission::Panel
    batches     TEXT NOT NULL,   -- [batch id]
    created_at  TEXT NOT NULL
);

-- A panel's recommendation on one case, with its votes (in the body).
-- `active` while open or adopted and not returned: one per case.
CREATE TABLE recommendations (
    id          BLOB PRIMARY KEY,
    case_id     BLOB NOT NULL REFERENCES cases (id),
    panel_id    BLOB NOT NULL REFERENCES panels (id),
    batch_id    BLOB,
    status      TEXT NOT NULL CHECK (status IN ('open', 'adopted', 'rejected')),
    active      INTEGER NOT NULL,
    body        TEXT NOT NULL,   -- commission::Recommendation
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX recommendations_active_case ON recommendations (case_id) WHERE active = 1;
CREATE INDEX recommendations_batch ON recommendations (batch_id, id);

-- Final decision numbers: gap-free per year.
CREATE TABLE decision_counters (
    year  INTEGER PRIMARY KEY,
    last  INTEGER NOT NULL
);

-- A recommendation before the Council, ending in a final decision; a
-- correction is a new row that supersedes an earlier final one.
CREATE TABLE decisions (
    id                 BLOB PRIMARY KEY,
    case_id            BLOB NOT NULL REFERENCES cases (id),
    recommendation_id  BLOB NOT NULL REFERENCES recommendations (id),
    status             TEXT NOT NULL,
    number             TEXT UNIQUE,
    supersedes         BLOB UNIQUE REFERENCES decisions (id),
    meeting_reference  TEXT,
    body               TEXT NOT NULL,   -- commission::Decision
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX decisions_open_recommendation ON decisions (recommendation_id) WHERE supersedes IS NULL;
CREATE INDEX decisions_case ON decisions (case_id, id);
CREATE INDEX decisions_status ON decisions (status, id);

-- One award per case (a correction re-points it); payments in the body.
CREATE TABLE awards (
    id             BLOB PRIMARY KEY,
    case_id        BLOB NOT NULL UNIQUE REFERENCES cases (id),
    decision_id    BLOB NOT NULL REFERENCES decisions (id),
    amount         TEXT NOT NULL,
    currency       TEXT NOT NULL,
    status         TEXT NOT NULL,
    claimant_kind  TEXT NOT NULL,
    body           TEXT NOT NULL,   -- commission::Award
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX awards_status ON awards (currency, status, id);

-- Payment rounds: a preview until confirmed; confirming creates entries.
CREATE TABLE payment_rounds (
    id            BLOB PRIMARY KEY,
    status        TEXT NOT NULL CHECK (status IN ('preview', 'confirmed')),
    body          TEXT NOT NULL,   -- commission::PaymentRoundPreview
    created_at    TEXT NOT NULL,
    confirmed_at  TEXT,
    version       INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE payment_round_entries (
    round_id  BLOB NOT NULL REFERENCES payment_rounds (id),
    award_id  BLOB NOT NULL REFERENCES awards (id),
    amount    TEXT NOT NULL,
    currency  TEXT NOT NULL,
    PRIMARY KEY (round_id, award_id)
);
