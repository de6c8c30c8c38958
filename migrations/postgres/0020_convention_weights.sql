-- Participants become a record the depositary adds to (with a new
-- signature or accession), and weighted conditions get their figures: what
-- each participant carries on a basis, and the totals a basis is measured
-- against. Append-only like the rest of the record: a correction is a new
-- row that `supersedes` the old one (UNIQUE, so two corrections of one
-- entry cannot both be recorded).

ALTER TABLE participants
    ADD COLUMN name_uk text CHECK (name_uk IS NULL OR length(name_uk) BETWEEN 1 AND 200),
    ADD COLUMN recorded_by uuid;
CREATE TRIGGER participants_append_only BEFORE UPDATE OR DELETE ON participants
    FOR EACH ROW EXECUTE FUNCTION ratification_append_only();

CREATE TABLE convention_weights (
    id          uuid PRIMARY KEY,
    participant text NOT NULL REFERENCES participants (code),
    basis       text NOT NULL CHECK (length(basis) BETWEEN 1 AND 64),
    value       numeric NOT NULL CHECK (value >= 0),
    unit        text NOT NULL CHECK (length(unit) BETWEEN 1 AND 32),
    source      text NOT NULL CHECK (length(source) BETWEEN 1 AND 500),
    date        date NOT NULL,
    supersedes  uuid UNIQUE REFERENCES convention_weights (id),
    recorded_at timestamptz NOT NULL,
    recorded_by uuid
);

CREATE TABLE convention_basis_totals (
    id          uuid PRIMARY KEY,
    basis       text NOT NULL CHECK (length(basis) BETWEEN 1 AND 64),
    value       numeric NOT NULL CHECK (value > 0),
    unit        text NOT NULL CHECK (length(unit) BETWEEN 1 AND 32),
    source      text NOT NULL CHECK (length(source) BETWEEN 1 AND 500),
    date        date NOT NULL,
    assumed     boolean NOT NULL,
    supersedes  uuid UNIQUE REFERENCES convention_basis_totals (id),
    recorded_at timestamptz NOT NULL,
    recorded_by uuid
);

CREATE TRIGGER convention_weights_append_only BEFORE UPDATE OR DELETE ON convention_weights
    FOR EACH ROW EXECUTE FUNCTION ratification_append_only();
CREATE TRIGGER convention_basis_totals_append_only BEFORE UPDATE OR DELETE ON convention_basis_totals
    FOR EACH ROW EXECUTE FUNCTION ratification_append_only();
