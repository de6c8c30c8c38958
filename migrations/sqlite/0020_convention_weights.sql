-- Participants become a record the depositary adds to (with a new
-- signature or accession), and weighted conditions get their figures: what
-- each participant carries on a basis, and the totals a basis is measured
-- against. Append-only like the rest of the record: a correction is a new
-- row that `supersedes` the old one (UNIQUE, so two corrections of one
-- entry cannot both be recorded). Values are decimal text.

ALTER TABLE participants ADD COLUMN name_uk TEXT
    CHECK (name_uk IS NULL OR length(name_uk) BETWEEN 1 AND 200);
ALTER TABLE participants ADD COLUMN recorded_by BLOB;
CREATE TRIGGER participants_append_only BEFORE UPDATE ON participants
BEGIN SELECT RAISE(ABORT, 'participants is append-only'); END;
CREATE TRIGGER participants_no_delete BEFORE DELETE ON participants
BEGIN SELECT RAISE(ABORT, 'participants is append-only'); END;

CREATE TABLE convention_weights (
    id          BLOB PRIMARY KEY NOT NULL,
    participant TEXT NOT NULL REFERENCES participants (code),
    basis       TEXT NOT NULL CHECK (length(basis) BETWEEN 1 AND 64),
    value       TEXT NOT NULL,
    unit        TEXT NOT NULL CHECK (length(unit) BETWEEN 1 AND 32),
    source      TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 500),
    date        TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    supersedes  BLOB UNIQUE REFERENCES convention_weights (id),
    recorded_at TEXT NOT NULL,
    recorded_by BLOB
) STRICT;

CREATE TABLE convention_basis_totals (
    id          BLOB PRIMARY KEY NOT NULL,
    basis       TEXT NOT NULL CHECK (length(basis) BETWEEN 1 AND 64),
    value       TEXT NOT NULL,
    unit        TEXT NOT NULL CHECK (length(unit) BETWEEN 1 AND 32),
    source      TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 500),
    date        TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    assumed     INTEGER NOT NULL CHECK (assumed IN (0, 1)),
    supersedes  BLOB UNIQUE REFERENCES convention_basis_totals (id),
    recorded_at TEXT NOT NULL,
    recorded_by BLOB
) STRICT;

CREATE TRIGGER convention_weights_append_only BEFORE UPDATE ON convention_weights
BEGIN SELECT RAISE(ABORT, 'convention_weights is append-only'); END;
CREATE TRIGGER convention_weights_no_delete BEFORE DELETE ON convention_weights
BEGIN SELECT RAISE(ABORT, 'convention_weights is append-only'); END;
CREATE TRIGGER convention_basis_totals_append_only BEFORE UPDATE ON convention_basis_totals
BEGIN SELECT RAISE(ABORT, 'convention_basis_totals is append-only'); END;
CREATE TRIGGER convention_basis_totals_no_delete BEFORE DELETE ON convention_basis_totals
BEGIN SELECT RAISE(ABORT, 'convention_basis_totals is append-only'); END;
