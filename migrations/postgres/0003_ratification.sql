-- The ratification tracker: participants, the append-only record of treaty
-- actions, funding (determinations, pledges, confirmations, exchange rates)
-- and the events that announce a change of the convention's standing.
--
-- Nothing here is ever updated or deleted: a correction is a new row that
-- `supersedes` the old one, and `supersedes` is UNIQUE so that two
-- corrections of the same entry cannot both be recorded, even in a race.

CREATE TABLE participants (
    code                     text PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'),
    name                     text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind                     text NOT NULL CHECK (kind IN ('state', 'organisation')),
    council_of_europe_member boolean NOT NULL,
    created_at               timestamptz NOT NULL
);

CREATE TABLE treaty_actions (
    id          uuid PRIMARY KEY,            -- UUIDv7
    participant text NOT NULL REFERENCES participants (code),
    kind        text NOT NULL CHECK (kind IN ('signature', 'ratification', 'acceptance',
                'approval', 'accession', 'reservation', 'declaration',
                'territorial_application', 'reservation_withdrawal', 'denunciation')),
    date        date NOT NULL,
    text        text,
    supersedes  uuid UNIQUE REFERENCES treaty_actions (id),
    withdraws   uuid REFERENCES treaty_actions (id),
    recorded_at timestamptz NOT NULL,
    recorded_by uuid
);

CREATE INDEX treaty_actions_participant ON treaty_actions (participant, date);

CREATE TABLE funding_determinations (
    id          uuid PRIMARY KEY,
    date        date NOT NULL,
    text        text NOT NULL,
    supersedes  uuid UNIQUE REFERENCES funding_determinations (id),
    recorded_at timestamptz NOT NULL,
    recorded_by uuid
);

CREATE TABLE pledges (
    id          uuid PRIMARY KEY,
    participant text NOT NULL REFERENCES participants (code),
    amount      numeric NOT NULL CHECK (amount > 0),
    currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    date        date NOT NULL,
    note        text,
    recorded_at timestamptz NOT NULL,
    recorded_by uuid
);

CREATE TABLE contribution_confirmations (
    id          uuid PRIMARY KEY,
    participant text NOT NULL REFERENCES participants (code),
    amount      numeric NOT NULL CHECK (amount > 0),
    currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    date        date NOT NULL,
    note        text,
    recorded_at timestamptz NOT NULL,
    recorded_by uuid
);

CREATE TABLE exchange_rates (
    id            uuid PRIMARY KEY,
    from_currency text NOT NULL CHECK (from_currency ~ '^[A-Z]{3}$'),
    to_currency   text NOT NULL CHECK (to_currency ~ '^[A-Z]{3}$'),
    rate          numeric NOT NULL CHECK (rate > 0),
    date          date NOT NULL,
    source        text NOT NULL CHECK (length(source) BETWEEN 1 AND 200),
    recorded_at   timestamptz NOT NULL,
    recorded_by   uuid,
    UNIQUE (from_currency, to_currency, date, source)
);

-- Changes of the convention's standing, for later delivery by webhooks.
-- `dedupe_key` makes an event that several instances may notice at once
-- (the date of entry into force being reached) recorded once.
CREATE TABLE convention_events (
    id         uuid PRIMARY KEY,
    at         timestamptz NOT NULL,
    kind       text NOT NULL,
    payload    jsonb NOT NULL,
    dedupe_key text UNIQUE
);

CREATE FUNCTION ratification_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER treaty_actions_append_only BEFORE UPDATE OR DELETE ON treaty_actions
    FOR EACH ROW EXECUTE FUNCTION ratification_append_only();
CREATE TRIGGER funding_determinations_append_only BEFORE UPDATE OR DELETE ON funding_determinations
    FOR EACH ROW EXECUTE FUNCTION ratification_append_only();
