-- Sessions of the web pages, shared by every instance. Only the SHA-256 of
-- the cookie's secret is stored.

CREATE TABLE web_sessions (
    id           uuid PRIMARY KEY,
    secret_hash  bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    account_id   uuid NOT NULL REFERENCES accounts (id),
    token_id     uuid REFERENCES api_tokens (id),
    csrf_token   text NOT NULL CHECK (length(csrf_token) >= 32),
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);

CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
CREATE INDEX web_sessions_account ON web_sessions (account_id);
