//! Webhook subscriptions and the delivery of the outbox.
