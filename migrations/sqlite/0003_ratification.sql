-- The ratification tracker: participants, the append-only record of treaty
-- actions, funding (determinations, pledges, confirmations, exchange rates)
-- and the events that announce a change of the convention's standing.
--
-- Nothing here is ever updated or deleted: a correction is a new row that
-- `supersedes` the old one, and `supersedes` is UNIQUE so that two
-- corrections of the same entry cannot both be recorded, even in a race.
-- Dates are 'YYYY-MM-DD' text, amounts and rates decimal text.

CREATE TABLE participants (
    code                     TEXT PRIMARY KEY NOT NULL CHECK (length(code) = 2),
    name                     TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind                     TEXT NOT NULL CHECK (kind IN ('state', 'organisation')),
    council_of_europe_member INTEGER NOT NULL CHECK (council_of_europe_member IN (0, 1)),
    created_at               TEXT NOT NULL
) STRICT;

CREATE TABLE treaty_actions (
    id          BLOB PRIMARY KEY NOT NULL,   -- UUIDv7
    participant TEXT NOT NULL REFERENCES participants (code),
    kind        TEXT NOT NULL CHECK (kind IN ('signature', 'ratification', 'acceptance',
                'approval', 'accession', 'reservation', 'declaration',
                'territorial_application', 'reservation_withdrawal', 'denunciation')),
    date        TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    text        TEXT,
    supersedes  BLOB UNIQUE REFERENCES treaty_actions (id),
    withdraws   BLOB REFERENCES treaty_actions (id),
    recorded_at TEXT NOT NULL,
    recorded_by BLOB
) STRICT;

CREATE INDEX treaty_actions_participant ON treaty_actions (participant, date);

CREATE TABLE funding_determinations (
    id          BLOB PRIMARY KEY NOT NULL,
    date        TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    text        TEXT NOT NULL,
    supersedes  BLOB UNIQUE REFERENCES funding_determinations (id),
    recorded_at TEXT NOT NULL,
    recorded_by BLOB
) STRICT;

CREATE TABLE pledges (
    id          BLOB PRIMARY KEY NOT NULL,
    participant TEXT NOT NULL REFERENCES participants (code),
    amount      TEXT NOT NULL,
    currency    TEXT NOT NULL CHECK (length(currency) = 3),
    date        TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    note        TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by BLOB
) STRICT;

CREATE TABLE contribution_confirmations (
    id          BLOB PRIMARY KEY NOT NULL,
    participant TEXT NOT NULL REFERENCES participants (code),
    amount      TEXT NOT NULL,
    currency    TEXT NOT NULL CHECK (length(currency) = 3),
    date        TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    note        TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by BLOB
) STRICT;

CREATE TABLE exchange_rates (
    id            BLOB PRIMARY KEY NOT NULL,
    from_currency TEXT NOT NULL CHECK (length(from_currency) = 3),
    to_currency   TEXT NOT NULL CHECK (length(to_currency) = 3),
    rate          TEXT NOT NULL,
    date          TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    source        TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 200),
    recorded_at   TEXT NOT NULL,
    recorded_by   BLOB,
    UNIQUE (from_currency, to_currency, date, source)
) STRICT;

-- Changes of the convention's standing, for later delivery by webhooks.
-- `dedupe_key` makes an event that several instances may notice at once
-- (the date of entry into force being reached) recorded once.
CREATE TABLE convention_events (
    id         BLOB PRIMARY KEY NOT NULL,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL CHECK (json_valid(payload)),
    dedupe_key TEXT UNIQUE
) STRICT;

CREATE TRIGGER treaty_actions_append_only BEFORE UPDATE ON treaty_actions
BEGIN SELECT RAISE(ABORT, 'treaty_actions is append-only'); END;
CREATE TRIGGER treaty_actions_no_delete BEFORE DELETE ON treaty_actions
BEGIN SELECT RAISE(ABORT, 'treaty_actions is append-only'); END;
CREATE TRIGGER funding_determinations_append_only BEFORE UPDATE ON funding_determinations
BEGIN SELECT RAISE(ABORT, 'funding_determinations is append-only'); END;
CREATE TRIGGER funding_determinations_no_delete BEFORE DELETE ON funding_determinations
BEGIN SELECT RAISE(ABORT, 'funding_determinations is append-only'); END;
