-- Reports and webhooks (see the PostgreSQL migration for the reasons).
CREATE INDEX claims_decided ON claims (category, status, submitted_at, decided_at)
    WHERE decided_at IS NOT NULL;

CREATE TABLE webhook_subscriptions (
    id          BLOB PRIMARY KEY NOT NULL,
    url         TEXT NOT NULL CHECK (url LIKE 'http://%' OR url LIKE 'https://%'),
    secret      TEXT NOT NULL,
    description TEXT,
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_by  BLOB,
    created_at  TEXT NOT NULL,
    disabled_at TEXT,
    version     INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE webhook_subscription_events (
    subscription_id BLOB NOT NULL REFERENCES webhook_subscriptions (id),
    event_type      TEXT NOT NULL,
    PRIMARY KEY (event_type, subscription_id)
) STRICT;

CREATE TABLE webhook_events (
    id         BLOB PRIMARY KEY NOT NULL,
    event_type TEXT NOT NULL,
    payload    TEXT NOT NULL CHECK (json_valid(payload)),
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX webhook_events_type ON webhook_events (event_type, id);

CREATE TABLE webhook_deliveries (
    event_id         BLOB NOT NULL REFERENCES webhook_events (id),
    subscription_id  BLOB NOT NULL REFERENCES webhook_subscriptions (id),
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    leased_by        TEXT,
    leased_until     TEXT,
    last_status_code INTEGER,
    last_error       TEXT,
    delivered_at     TEXT,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (event_id, subscription_id)
) STRICT;

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, event_id);

CREATE TABLE webhook_attempts (
    id              BLOB PRIMARY KEY NOT NULL,
    event_id        BLOB NOT NULL,
    subscription_id BLOB NOT NULL,
    at              TEXT NOT NULL,
    status_code     INTEGER,
    error           TEXT,
    duration_ms     INTEGER NOT NULL,
    FOREIGN KEY (event_id, subscription_id)
        REFERENCES webhook_deliveries (event_id, subscription_id)
) STRICT;

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (event_id, subscription_id, id);
