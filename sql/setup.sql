-- Install the extension (and PostGIS) as a DBA would.
CREATE EXTENSION customs_risk CASCADE;
SELECT extname, extversion, extrelocatable, extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'customs_risk';
-- It cannot be moved to another schema.
ALTER EXTENSION customs_risk SET SCHEMA public;
-- A helper the later tests use: run a statement, report 'ok' or its SQLSTATE, message and detail.
CREATE FUNCTION public.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text;
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    -- "Failing row contains" details carry timestamps that change on every run
    RETURN st || ': ' || msg ||
           CASE WHEN det <> '' AND det NOT LIKE 'Failing row contains%' THEN ' | ' || det ELSE '' END;
END $$;
-- Another: the planner's estimated row count for a query.
CREATE FUNCTION public.plan_rows(query text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (plan->0->'Plan'->>'Plan Rows')::float8;
END $$;
