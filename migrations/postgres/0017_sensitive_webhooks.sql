-- Need-to-know for webhook subscribers: events about sensitive claims go
-- only to subscriptions created, by someone with the clearance, to receive
-- them.

ALTER TABLE webhook_subscriptions
    ADD COLUMN include_sensitive boolean NOT NULL DEFAULT false;
