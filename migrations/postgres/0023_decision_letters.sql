-- Decision letters: one per final decision, kept as first issued. `content`
-- is the letter's canonical text (JSON, kept as text so that the bytes
-- hashed are the bytes kept) and `content_hash` its SHA-256 in hex; `code`
-- is the verification code anyone may look the letter up by.
CREATE TABLE decision_letters (
    decision_id   uuid PRIMARY KEY REFERENCES decisions (id),
    code          text NOT NULL UNIQUE,
    content       text NOT NULL,
    content_hash  text NOT NULL,
    issued_at     timestamptz NOT NULL
);
