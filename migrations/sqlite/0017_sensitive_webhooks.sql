-- Need-to-know for webhook subscribers: events about sensitive claims go
-- only to subscriptions created, by someone with the clearance, to receive
-- them.

ALTER TABLE webhook_subscriptions
    ADD COLUMN include_sensitive INTEGER NOT NULL DEFAULT 0 CHECK (include_sensitive IN (0, 1));
