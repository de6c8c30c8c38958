-- The operator's gauges count what waits and what was given up on each
-- metrics scrape; these keep the given-up counts off full scans as the
-- outboxes grow (pending rows are already indexed for the workers).
CREATE INDEX webhook_deliveries_failed ON webhook_deliveries (event_id) WHERE status = 'failed';
CREATE INDEX notices_failed ON notices (id) WHERE status = 'failed';
