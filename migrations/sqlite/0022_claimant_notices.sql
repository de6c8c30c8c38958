-- E-mail notices to claimants (see the PostgreSQL migration for the reasons).
ALTER TABLE claims ADD COLUMN contact_email TEXT;
ALTER TABLE claims ADD COLUMN language TEXT NOT NULL DEFAULT 'uk' CHECK (language IN ('uk', 'en'));
ALTER TABLE claims ADD COLUMN email_notices INTEGER NOT NULL DEFAULT 1 CHECK (email_notices IN (0, 1));

UPDATE claims SET contact_email = nullif(trim(json_extract(content, '$.claimant.contact.email')), '')
    WHERE json_type(content, '$.claimant.contact.email') = 'text';

CREATE TABLE notices (
    id              BLOB PRIMARY KEY NOT NULL,
    claim_id        BLOB NOT NULL REFERENCES claims (id),
    recipient       TEXT NOT NULL,
    language        TEXT NOT NULL CHECK (language IN ('uk', 'en')),
    kind            TEXT NOT NULL,
    reference       TEXT,
    created_at      TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    leased_by       TEXT,
    leased_until    TEXT,
    sent_at         TEXT,
    last_error      TEXT
) STRICT;

CREATE INDEX notices_due ON notices (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notices_claim ON notices (claim_id, id);
