-- Instances keep the category catalogue and the regions in memory
-- (docs/performance.md, "Lean intake"). Every statement that changes
-- either, whoever runs it, tells them to forget: the notification is
-- delivered at commit to every instance listening on `redress_catalogue`.
CREATE FUNCTION redress_catalogue_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('redress_catalogue', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER categories_catalogue_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION redress_catalogue_changed();

CREATE TRIGGER regions_catalogue_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON regions
    FOR EACH STATEMENT EXECUTE FUNCTION redress_catalogue_changed();

-- A claim's intake is one statement (a chain of data-modifying CTEs) that
-- commits on its own. When the statement finds it must not stand (the
-- request's idempotency key was recorded by an earlier request), it calls
-- this to abort itself, and everything it wrote goes with it.
CREATE FUNCTION redress_abort(reason text) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'RDK01', MESSAGE = reason;
END
$$;
