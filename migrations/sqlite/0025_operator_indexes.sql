-- The operator's gauges count what waits and what was given up on each
-- metrics scrape; these keep the given-up counts off full scans as the
-- outboxes grow (pending rows are already indexed for the workers).
CREATE INDEX webhook_deliveries_failed ON webhook_deliveries (event_id) WHERE status = 'failed';
CREATE INDEX notices_failed ON notices (id) WHERE status = 'failed';

-- Staff of one role, for choosing a person on a page: claimants' accounts
-- are many, so a role is read through its own index.
CREATE INDEX account_roles_role ON account_roles (role, account_id);
