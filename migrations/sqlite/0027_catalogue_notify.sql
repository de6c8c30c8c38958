-- PostgreSQL's 0027 tells every instance when the catalogue or the regions
-- change, so that each may keep them in memory. On SQLite the store that
-- writes them tells its own cache, and the cache's time bound covers other
-- processes writing the same file; this keeps the two histories in step.
SELECT 1;
