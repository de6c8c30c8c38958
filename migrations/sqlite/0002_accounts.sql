-- Accounts, roles, clearances and API tokens.

CREATE TABLE accounts (
    id               BLOB PRIMARY KEY NOT NULL,
    display_name     TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    status           TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    participant      TEXT,
    external_subject TEXT UNIQUE,
    created_at       TEXT NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE account_roles (
    account_id BLOB NOT NULL REFERENCES accounts (id),
    role       TEXT NOT NULL CHECK (role IN ('claimant', 'registrar', 'board', 'assessor',
               'commissioner', 'council', 'depositary', 'state', 'auditor', 'admin')),
    PRIMARY KEY (account_id, role)
) STRICT, WITHOUT ROWID;

CREATE TABLE account_clearances (
    account_id BLOB NOT NULL REFERENCES accounts (id),
    clearance  TEXT NOT NULL CHECK (clearance IN ('sensitive')),
    PRIMARY KEY (account_id, clearance)
) STRICT, WITHOUT ROWID;

CREATE TABLE api_tokens (
    id           BLOB PRIMARY KEY NOT NULL,
    account_id   BLOB NOT NULL REFERENCES accounts (id),
    label        TEXT NOT NULL,
    secret_hash  BLOB NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT
) STRICT;

CREATE INDEX api_tokens_account ON api_tokens (account_id, id);
