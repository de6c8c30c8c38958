-- Sessions of the web pages, shared by every instance. Only the SHA-256 of
-- the cookie's secret is stored.

CREATE TABLE web_sessions (
    id           BLOB PRIMARY KEY NOT NULL,
    secret_hash  BLOB NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    account_id   BLOB NOT NULL REFERENCES accounts (id),
    token_id     BLOB REFERENCES api_tokens (id),
    csrf_token   TEXT NOT NULL CHECK (length(csrf_token) >= 32),
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
) STRICT;

CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
CREATE INDEX web_sessions_account ON web_sessions (account_id);
