-- Decision letters: one per final decision, kept as first issued. `content`
-- is the letter's canonical text (JSON) and `content_hash` its SHA-256 in
-- hex; `code` is the verification code anyone may look the letter up by.
CREATE TABLE decision_letters (
    decision_id   BLOB PRIMARY KEY REFERENCES decisions (id),
    code          TEXT NOT NULL UNIQUE,
    content       TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    issued_at     TEXT NOT NULL
);
