-- E-mail notices to claimants.
--
-- The claim keeps, in plain columns beside its content, where and in which
-- language the claimant is written to, and whether they want notices: the
-- changes that give a notice read them in their own transaction.
ALTER TABLE claims
    ADD COLUMN contact_email text,
    ADD COLUMN language text NOT NULL DEFAULT 'uk' CHECK (language IN ('uk', 'en')),
    ADD COLUMN email_notices boolean NOT NULL DEFAULT true;

-- Claims filed before: the claimant's address from the content (the
-- claimant is never sealed).
UPDATE claims SET contact_email = nullif(btrim(content #>> '{claimant,contact,email}'), '')
    WHERE content #>> '{claimant,contact,email}' IS NOT NULL;

-- The outbox of notices, written in the transaction of the change it
-- tells of, and leased by the senders.
CREATE TABLE notices (
    id              uuid PRIMARY KEY,
    claim_id        uuid NOT NULL REFERENCES claims (id),
    recipient       text NOT NULL,
    language        text NOT NULL CHECK (language IN ('uk', 'en')),
    kind            text NOT NULL,
    reference       text,
    created_at      timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    leased_by       text,
    leased_until    timestamptz,
    sent_at         timestamptz,
    last_error      text
);

CREATE INDEX notices_due ON notices (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notices_claim ON notices (claim_id, id);
