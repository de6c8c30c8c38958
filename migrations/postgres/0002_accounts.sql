-- Accounts, roles, clearances and API tokens.

CREATE TABLE accounts (
    id               uuid PRIMARY KEY,
    display_name     text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    status           text NOT NULL CHECK (status IN ('active', 'suspended')),
    participant      text,
    external_subject text UNIQUE,
    created_at       timestamptz NOT NULL,
    version          bigint NOT NULL DEFAULT 1
);

CREATE TABLE account_roles (
    account_id uuid NOT NULL REFERENCES accounts (id),
    role       text NOT NULL CHECK (role IN ('claimant', 'registrar', 'board', 'assessor',
               'commissioner', 'council', 'depositary', 'state', 'auditor', 'admin')),
    PRIMARY KEY (account_id, role)
);

CREATE TABLE account_clearances (
    account_id uuid NOT NULL REFERENCES accounts (id),
    clearance  text NOT NULL CHECK (clearance IN ('sensitive')),
    PRIMARY KEY (account_id, clearance)
);

CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts (id),
    label        text NOT NULL,
    secret_hash  bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);

CREATE INDEX api_tokens_account ON api_tokens (account_id, id);
