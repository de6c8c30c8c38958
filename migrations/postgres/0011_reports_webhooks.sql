-- Reports and webhooks.
--
-- Reports read the claims table with GROUP BY over the existing indexes;
-- the one index added here serves the processing-time report, which only
-- looks at decided claims (a small share of a large register at first).
CREATE INDEX claims_decided ON claims (category, status) INCLUDE (submitted_at, decided_at)
    WHERE decided_at IS NOT NULL;

-- Webhook subscriptions, managed by admins. The secret is needed to sign,
-- so it is kept (shown to the admin once, never returned by the API again).
CREATE TABLE webhook_subscriptions (
    id          uuid PRIMARY KEY,
    url         text NOT NULL CHECK (url ~ '^https?://'),
    secret      text NOT NULL,
    description text,
    enabled     boolean NOT NULL DEFAULT true,
    created_by  uuid,
    created_at  timestamptz NOT NULL,
    disabled_at timestamptz,
    version     bigint NOT NULL DEFAULT 1
);

CREATE TABLE webhook_subscription_events (
    subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id),
    event_type      text NOT NULL,
    PRIMARY KEY (event_type, subscription_id)
);

-- The outbox: written in the transaction of the change it announces.
-- `id` is the Standard Webhooks message id (`webhook-id`).
CREATE TABLE webhook_events (
    id         uuid PRIMARY KEY,
    event_type text NOT NULL,
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE INDEX webhook_events_type ON webhook_events (event_type, id);

-- One row per event and matching subscription, created with the event.
CREATE TABLE webhook_deliveries (
    event_id         uuid NOT NULL REFERENCES webhook_events (id),
    subscription_id  uuid NOT NULL REFERENCES webhook_subscriptions (id),
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    leased_by        text,
    leased_until     timestamptz,
    last_status_code integer,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (event_id, subscription_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, event_id);

-- Every attempt, for the delivery log.
CREATE TABLE webhook_attempts (
    id              uuid PRIMARY KEY,
    event_id        uuid NOT NULL,
    subscription_id uuid NOT NULL,
    at              timestamptz NOT NULL,
    status_code     integer,
    error           text,
    duration_ms     bigint NOT NULL,
    FOREIGN KEY (event_id, subscription_id)
        REFERENCES webhook_deliveries (event_id, subscription_id)
);

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (event_id, subscription_id, id);
