-- Instances may cache the tokens they have checked (docs/authorization.md,
-- "Token cache"). Every statement that revokes or changes a token, or
-- changes or removes an account, whoever runs it, tells them to forget:
-- the notification is delivered at commit to every instance listening on
-- `redress_credentials`. `last_used_at` is left out; it changes nothing
-- about whether a token holds.
CREATE FUNCTION redress_credentials_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('redress_credentials', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER api_tokens_credentials_changed
    AFTER UPDATE OF revoked_at, expires_at, secret_hash, account_id OR DELETE OR TRUNCATE
    ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION redress_credentials_changed();

CREATE TRIGGER accounts_credentials_changed
    AFTER UPDATE OR DELETE OR TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION redress_credentials_changed();
