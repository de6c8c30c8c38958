-- PostgreSQL's 0016 tells instances that cache checked tokens when
-- credentials change (docs/authorization.md, "Token cache"). On SQLite no
-- token is cached, so there is nothing to tell; this keeps the two
-- histories in step.
SELECT 1;
