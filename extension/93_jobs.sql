
-- ===========================================================================
-- Housekeeping jobs: profile expiry, refresh of report views, and their
-- scheduling with pg_cron (a soft dependency: cron.* is referenced only inside
-- PL/pgSQL bodies, resolved when called, so the script loads without pg_cron)
-- ===========================================================================

-- Retire the active profiles whose validity ended before as_of.  A plain UPDATE, so the
-- profile triggers stamp it, write the history and move the profile-set version.
CREATE FUNCTION customs_risk.expire_profiles(as_of date DEFAULT current_date)
RETURNS TABLE (profile_id bigint, name text, valid_to date)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'expire_profiles() needs a date, not NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT isfinite(as_of) THEN
        RAISE EXCEPTION 'expire_profiles() needs a finite date, not %', as_of
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'infinity would retire every profile with an end date.';
    END IF;
    PERFORM customs_risk.check_day_in_range('expire_profiles', 'as_of', as_of);
    RETURN QUERY
    UPDATE customs_risk.profile p SET status = 'retired'
     WHERE p.status = 'active' AND p.valid_to < as_of
    RETURNING p.profile_id, p.name, p.valid_to;
END
$fn$;
COMMENT ON FUNCTION customs_risk.expire_profiles(date) IS
    'retire the active profiles whose valid_to is before as_of (default today); returns them; the profile history records each';

-- Refresh every materialized view of the schema, each after those it reads (directly or
-- through plain views), CONCURRENTLY where a unique index allows it so readers are not
-- blocked.  A view that reads k of the others reads everything they read, so ordering by
-- that count is a dependency order.
CREATE FUNCTION customs_risk.refresh_reports()
RETURNS TABLE (view_name text, concurrent boolean)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r record;
BEGIN
    FOR r IN
        WITH RECURSIVE mv AS (
            SELECT c.oid, n.nspname, c.relname, c.relispopulated
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'm' AND n.nspname = 'customs_risk'
        ), edge AS (
            -- relation rel reads relation ref (through its view rule)
            SELECT DISTINCT rw.ev_class AS rel, d.refobjid AS ref
              FROM pg_rewrite rw
              JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
                              AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> rw.ev_class
        ), reach (start, rel) AS (
            SELECT mv.oid, mv.oid FROM mv
            UNION
            SELECT reach.start, edge.ref FROM reach JOIN edge ON edge.rel = reach.rel
        )
        SELECT mv.nspname, mv.relname,
               mv.relispopulated AND EXISTS (
                   SELECT 1 FROM pg_index i
                    WHERE i.indrelid = mv.oid AND i.indisunique AND i.indisvalid
                      AND i.indpred IS NULL AND i.indexprs IS NULL) AS conc,
               (SELECT count(*) FROM reach JOIN mv m2 ON m2.oid = reach.rel
                 WHERE reach.start = mv.oid AND reach.rel <> mv.oid) AS below
          FROM mv
         ORDER BY below, mv.relname
    LOOP
        IF r.conc THEN
            EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY %I.%I', r.nspname, r.relname);
        ELSE
            EXECUTE format('REFRESH MATERIALIZED VIEW %I.%I', r.nspname, r.relname);
        END IF;
        view_name := format('%I.%I', r.nspname, r.relname);
        concurrent := r.conc;
        RETURN NEXT;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION customs_risk.refresh_reports() IS
    'refresh every materialized view of schema customs_risk in dependency order, CONCURRENTLY where a unique index allows; returns the views refreshed (none: no rows)';

-- The extension's jobs: fixed commands (no caller text reaches them) and the caller's schedules.
-- Monitoring charts the day before: at night the current day has hardly begun, and a nearly
-- empty day would read as a drop in every series.
CREATE FUNCTION customs_risk.job_definitions(grading text DEFAULT '30 1 * * *', monitoring text DEFAULT '0 2 * * *',
                                             expiry text DEFAULT '5 0 * * *', reports text DEFAULT '30 2 * * *')
RETURNS TABLE (job_name text, schedule text, command text, argument text)
LANGUAGE sql IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT j.job_name, j.schedule, j.command, j.argument
      FROM (VALUES
        (1, 'customs_risk-expire-profiles', expiry, 'SELECT customs_risk.expire_profiles(current_date)', 'expiry'),
        (2, 'customs_risk-grade-traders', grading, 'SELECT customs_risk.grade_traders(current_date)', 'grading'),
        (3, 'customs_risk-run-monitoring', monitoring, 'SELECT customs_risk.run_monitoring(current_date - 1)', 'monitoring'),
        (4, 'customs_risk-refresh-reports', reports, 'SELECT customs_risk.refresh_reports()', 'reports')
      ) AS j (ord, job_name, schedule, command, argument)
     ORDER BY j.ord
$fn$;
COMMENT ON FUNCTION customs_risk.job_definitions(text, text, text, text) IS
    'the jobs schedule_jobs() registers with these schedules: name, cron schedule, command and the argument that sets the schedule (usable without pg_cron, e.g. to schedule them from another database)';

-- Raise a clear error, with what to do, unless pg_cron can schedule jobs from this database:
-- its library preloaded, this database named by cron.database_name (pg_cron 1.4 creates its
-- schema and reads its jobs there only), and extension pg_cron 1.4 or later created here.
CREATE FUNCTION customs_risk.require_pg_cron() RETURNS void
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    db text := current_database();
    cron_db text := current_setting('cron.database_name', true);
    recipe text := format('Install the Debian package postgresql-15-cron, set shared_preload_libraries = ''pg_cron'' '
                          'and cron.database_name = %L in postgresql.conf, restart PostgreSQL, then run '
                          'CREATE EXTENSION pg_cron in database %I as a superuser.', db, db);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM regexp_split_to_table(current_setting('shared_preload_libraries'), ',') lib
                    WHERE btrim(lib, ' "') ~ '(^|/)pg_cron(\.so)?$') THEN
        RAISE EXCEPTION 'pg_cron is not loaded: shared_preload_libraries does not include pg_cron'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'customs_risk schedules its jobs with pg_cron, which must be loaded when the server starts.',
                  HINT = recipe;
    END IF;
    IF cron_db IS DISTINCT FROM db THEN
        RAISE EXCEPTION 'pg_cron schedules jobs from database %, not from %', cron_db, db
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('pg_cron keeps its job table in the database named by cron.database_name only. '
                                  'From database %I, cron.schedule_in_database(job_name, schedule, command, %L) '
                                  'can run the jobs of customs_risk.job_definitions() here.', cron_db, db),
                  HINT = format('Set cron.database_name = %L in postgresql.conf, restart PostgreSQL, then run '
                                'CREATE EXTENSION pg_cron in database %I as a superuser.', db, db);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = 'pg_cron') THEN
        RAISE EXCEPTION 'extension pg_cron is not installed in database %', db
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('Run CREATE EXTENSION pg_cron in database %I as a superuser.', db);
    END IF;
    IF to_regprocedure('cron.schedule_in_database(text,text,text,text,text,boolean)') IS NULL
       OR to_regprocedure('cron.alter_job(bigint,text,text,text,text,boolean)') IS NULL THEN
        RAISE EXCEPTION 'extension pg_cron is too old: customs_risk needs version 1.4 or later'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Run ALTER EXTENSION pg_cron UPDATE.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION customs_risk.require_pg_cron() IS
    'raise SQLSTATE 55000, saying what to do, unless pg_cron is preloaded, runs its jobs from this database and is installed here';

-- Register (or update) the extension's jobs, by name, to run in this database as the
-- extension's owner.
CREATE FUNCTION customs_risk.schedule_jobs(grading text DEFAULT '30 1 * * *', monitoring text DEFAULT '0 2 * * *',
                                           expiry text DEFAULT '5 0 * * *', reports text DEFAULT '30 2 * * *')
RETURNS TABLE (job_name text, schedule text, command text, database text, jobid bigint)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    j record;
    stale record;
BEGIN
    PERFORM customs_risk.require_pg_cron();
    FOR j IN SELECT d.job_name, d.schedule, d.command, d.argument AS arg
               FROM customs_risk.job_definitions(grading, monitoring, expiry, reports) d
    LOOP
        IF j.schedule IS NULL THEN
            RAISE EXCEPTION 'schedule_jobs(): the schedule % is NULL', j.arg
                USING ERRCODE = 'null_value_not_allowed',
                      HINT = 'Give a cron expression such as ''30 1 * * *'' (01:30 GMT every day), or leave the argument out for its default.';
        END IF;
        BEGIN
            jobid := cron.schedule_in_database(j.job_name, j.schedule, j.command, current_database());
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE EXCEPTION 'schedule_jobs(): invalid schedule % for job %: "%"', j.arg, j.job_name, j.schedule
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Use the five cron fields: minute hour day-of-month month day-of-week, as in ''30 1 * * *'' (01:30 GMT every day).';
        END;
        -- pg_cron 1.4 updates only the schedule and the command of a job that already has the
        -- name: a job once pointed elsewhere or paused is put back here, active
        SELECT c.database, c.active INTO stale FROM cron.job c WHERE c.jobid = schedule_jobs.jobid;
        IF stale.database IS DISTINCT FROM current_database() OR NOT stale.active THEN
            PERFORM cron.alter_job(schedule_jobs.jobid, database => current_database(), active => true);
        END IF;
        job_name := j.job_name;
        schedule := j.schedule;
        command := j.command;
        database := current_database();
        RETURN NEXT;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION customs_risk.schedule_jobs(text, text, text, text) IS
    'register with pg_cron (idempotent, by name) the jobs customs_risk-expire-profiles, -grade-traders, -run-monitoring and -refresh-reports with these cron schedules (GMT); returns them with their job ids';

-- Remove the extension's jobs (names customs_risk-*) that run in this database; other jobs stay.
CREATE FUNCTION customs_risk.unschedule_jobs()
RETURNS TABLE (job_name text, schedule text, command text, database text, jobid bigint)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    j record;
BEGIN
    PERFORM customs_risk.require_pg_cron();
    FOR j IN SELECT c.jobid, c.jobname, c.schedule, c.command, c.database FROM cron.job c
              WHERE c.jobname LIKE 'customs\_risk-%' AND c.username = current_user
                AND c.database = current_database()
              ORDER BY c.jobname
    LOOP
        PERFORM cron.unschedule(j.jobid);
        job_name := j.jobname;
        schedule := j.schedule;
        command := j.command;
        database := j.database;
        jobid := j.jobid;
        RETURN NEXT;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION customs_risk.unschedule_jobs() IS
    'remove from pg_cron the extension''s jobs (customs_risk-*) of this database; returns what it removed';

-- Scheduling runs jobs as the extension's owner and refreshing takes locks: the administrator
-- grants them to the roles that operate the system.
REVOKE EXECUTE ON FUNCTION customs_risk.schedule_jobs(text, text, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION customs_risk.unschedule_jobs() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION customs_risk.refresh_reports() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION customs_risk.require_pg_cron() FROM PUBLIC;
