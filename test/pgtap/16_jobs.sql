-- Housekeeping jobs: expire_profiles() and refresh_reports() on their own, then schedule_jobs()
-- and unschedule_jobs() against the real pg_cron (bin/check preloads it with cron.database_name
-- naming this database).  On a server without pg_cron the job tests are skipped with the reason,
-- and the clear error is checked instead.  Everything is rolled back: pg_cron, created here in
-- the transaction, never sees a committed job.
BEGIN;
SET search_path = customs_risk, public;
SET client_min_messages = warning;
SELECT plan(33);

-- ---------------------------------------------------------------- expire_profiles
INSERT INTO profile (name, criteria, channel, description, status, valid_from, valid_to, owner_office) VALUES
 ('x-expired', 'hs <@ 8471', 'yellow', 'ended before the day', 'active', '2020-01-01', '2030-06-29', 'NRC'),
 ('x-last-day', 'hs <@ 8471', 'yellow', 'ends on the day', 'active', '2020-01-01', '2030-06-30', 'NRC'),
 ('x-open', 'hs <@ 8471', 'yellow', 'no end', 'active', '2020-01-01', NULL, 'NRC'),
 ('x-suspended', 'hs <@ 8471', 'yellow', 'suspended and ended', 'suspended', '2020-01-01', '2030-01-01', 'NRC'),
 ('x-draft', 'hs <@ 8471', 'yellow', 'draft and ended', 'draft', '2020-01-01', '2030-01-01', 'NRC');
-- other profiles of the database that have ended by then are retired too: count them first
CREATE TEMP TABLE other_expired AS
SELECT profile_id FROM profile WHERE status = 'active' AND valid_to < '2030-06-30' AND name NOT LIKE 'x-%';
CREATE TEMP TABLE expired AS SELECT * FROM expire_profiles('2030-06-30');
SELECT is((SELECT array_agg(name ORDER BY name) FROM expired WHERE name LIKE 'x-%'), '{x-expired}',
          'expire_profiles retires the active profile whose last day is before the date, not one ending on it, open-ended, suspended or draft');
SELECT is((SELECT count(*) FROM expired WHERE name NOT LIKE 'x-%'), (SELECT count(*) FROM other_expired),
          '... and every other active profile that ended before the date');
SELECT is((SELECT status::text FROM profile WHERE name = 'x-expired'), 'retired', 'its status is retired');
SELECT is((SELECT array_agg(status::text ORDER BY name) FROM profile WHERE name IN ('x-last-day', 'x-open', 'x-suspended', 'x-draft')),
          '{draft,active,active,suspended}', 'the others keep their status');
SELECT is((SELECT h.profile_row->>'status' FROM profile_history h JOIN profile p USING (profile_id)
            WHERE p.name = 'x-expired' ORDER BY h.history_id DESC LIMIT 1), 'retired',
          'the profile history records the retirement');
SELECT is((SELECT h.action FROM profile_history h JOIN profile p USING (profile_id)
            WHERE p.name = 'x-expired' ORDER BY h.history_id DESC LIMIT 1), 'update', '... as an update');
SELECT is((SELECT count(*) FROM expire_profiles('2030-06-30')), 0::bigint, 'a second run retires nothing');
SELECT throws_ok($$SELECT * FROM customs_risk.expire_profiles(NULL)$$, '22004', NULL, 'expire_profiles(NULL) is an error');
SELECT throws_ok($$SELECT * FROM customs_risk.expire_profiles('infinity')$$, '22023', NULL,
                 'expire_profiles(infinity) is an error, not a mass retirement');

-- ---------------------------------------------------------------- refresh_reports
CREATE TEMP TABLE mv_before AS SELECT count(*) AS n FROM pg_matviews WHERE schemaname = 'customs_risk';
SELECT is((SELECT count(*) FROM refresh_reports()), (SELECT n FROM mv_before),
          'refresh_reports refreshes each materialized view of the schema once (none: no rows)');
-- customs_risk.t_top reads customs_risk.t_base through a plain view, and t_base is the newer
-- view and sorts after t_top: only the dependency puts t_base first
CREATE VIEW customs_risk.t_link AS SELECT count(*) AS n FROM customs_risk.profile;
CREATE MATERIALIZED VIEW customs_risk.t_top AS SELECT n FROM customs_risk.t_link;
CREATE MATERIALIZED VIEW customs_risk.zz_t_base AS SELECT count(*) AS n FROM customs_risk.profile WHERE status = 'active';
CREATE UNIQUE INDEX ON customs_risk.zz_t_base (n);
CREATE OR REPLACE VIEW customs_risk.t_link AS SELECT n FROM customs_risk.zz_t_base;
INSERT INTO profile (name, criteria, channel, description, status, valid_from, owner_office)
VALUES ('x-new', 'hs <@ 95', 'red', 'one more', 'active', '2020-01-01', 'NRC');
CREATE TEMP TABLE refreshed AS SELECT row_number() OVER () AS k, * FROM refresh_reports();
SELECT ok((SELECT k FROM refreshed WHERE view_name = 'customs_risk.zz_t_base') <
          (SELECT k FROM refreshed WHERE view_name = 'customs_risk.t_top'),
          'a materialized view is refreshed after the one it reads through a plain view');
SELECT is((SELECT array_agg(concurrent ORDER BY view_name) FROM refreshed WHERE view_name IN ('customs_risk.t_top', 'customs_risk.zz_t_base')),
          '{f,t}', 'CONCURRENTLY only where a unique index allows it');
SELECT is((SELECT n FROM customs_risk.t_top), (SELECT count(*) FROM profile WHERE status = 'active'),
          'the dependent view sees the new profile: it was refreshed after its source');
SELECT is((SELECT count(*) FROM refreshed), (SELECT n + 2 FROM mv_before), 'every materialized view, once');
DROP MATERIALIZED VIEW customs_risk.t_top;
DROP VIEW customs_risk.t_link;
DROP MATERIALIZED VIEW customs_risk.zz_t_base;

-- ---------------------------------------------------------------- privileges and definitions
CREATE ROLE customs_risk_t_jobs NOLOGIN;
SELECT ok(NOT has_function_privilege('customs_risk_t_jobs', 'customs_risk.schedule_jobs(text, text, text, text)', 'EXECUTE')
          AND NOT has_function_privilege('customs_risk_t_jobs', 'customs_risk.unschedule_jobs()', 'EXECUTE')
          AND NOT has_function_privilege('customs_risk_t_jobs', 'customs_risk.refresh_reports()', 'EXECUTE'),
          'PUBLIC may not schedule, unschedule or refresh: the administrator grants it');
SELECT is((SELECT array_agg(job_name || ' ' || schedule) FROM job_definitions(monitoring => '15 3 * * 1-5')),
          '{"customs_risk-expire-profiles 5 0 * * *","customs_risk-grade-traders 30 1 * * *","customs_risk-run-monitoring 15 3 * * 1-5","customs_risk-refresh-reports 30 2 * * *"}',
          'job_definitions: four named jobs, default schedules but the one given');

-- ---------------------------------------------------------------- with pg_cron
-- pg_cron can schedule here when its library is preloaded and names this database
CREATE TEMP TABLE cron_here AS
SELECT current_setting('cron.database_name', true) IS NOT DISTINCT FROM current_database()
       AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_cron') AS ok;
DO $$ BEGIN
    IF (SELECT ok FROM cron_here) THEN CREATE EXTENSION IF NOT EXISTS pg_cron; END IF;
END $$;

-- PL/pgSQL resolves cron.* when it runs, so this file loads on a server without pg_cron
CREATE FUNCTION pg_temp.job_tests() RETURNS SETOF text LANGUAGE plpgsql AS $t$
DECLARE
    first_ids bigint[];
    other bigint;
    n bigint;
    j record;
BEGIN
    other := cron.schedule('not-customs-risk', '0 4 * * *', 'SELECT 1');
    CREATE TEMP TABLE sched1 AS SELECT * FROM customs_risk.schedule_jobs();
    RETURN NEXT is((SELECT count(*) FROM sched1), 4::bigint, 'schedule_jobs returns four jobs');
    RETURN NEXT is((SELECT count(*) FROM cron.job c JOIN sched1 s ON s.jobid = c.jobid AND s.job_name = c.jobname
                     AND s.command = c.command AND s.schedule = c.schedule AND c.database = current_database() AND c.active),
                   4::bigint, 'they are in cron.job, active, with their names, schedules and commands, to run in this database');
    RETURN NEXT is((SELECT array_agg(c.command ORDER BY c.jobname) FROM cron.job c WHERE c.jobname LIKE 'customs\_risk-%'),
                   ARRAY['SELECT customs_risk.expire_profiles(current_date)', 'SELECT customs_risk.grade_traders(current_date)',
                         'SELECT customs_risk.refresh_reports()', 'SELECT customs_risk.run_monitoring(current_date - 1)'],
                   'the commands: expiry, grading, report refresh and monitoring of the day before');
    RETURN NEXT is((SELECT DISTINCT c.username FROM cron.job c WHERE c.jobname LIKE 'customs\_risk-%')::name,
                   (SELECT r.rolname FROM pg_extension e JOIN pg_roles r ON r.oid = e.extowner WHERE e.extname = 'customs_risk'),
                   'they run as the extension''s owner');
    -- each command really runs here (inside this transaction)
    FOR j IN SELECT c.command FROM cron.job c WHERE c.jobname LIKE 'customs\_risk-%' LOOP
        EXECUTE j.command;
    END LOOP;
    RETURN NEXT pass('every job command runs in this database');

    first_ids := (SELECT array_agg(s.jobid ORDER BY s.job_name) FROM sched1 s);
    -- a job someone paused and pointed at another database is put back
    PERFORM cron.alter_job(first_ids[1], database => 'postgres', active => false);
    CREATE TEMP TABLE sched2 AS SELECT * FROM customs_risk.schedule_jobs(monitoring => '15 3 * * 1-5');
    RETURN NEXT is((SELECT count(*) FROM cron.job c WHERE c.jobname LIKE 'customs\_risk-%'), 4::bigint,
                   'a second call leaves one job per name');
    RETURN NEXT is((SELECT array_agg(s.jobid ORDER BY s.job_name) FROM sched2 s), first_ids, '... the same jobs');
    RETURN NEXT is((SELECT c.schedule FROM cron.job c WHERE c.jobname = 'customs_risk-run-monitoring'), '15 3 * * 1-5',
                   '... with the new schedule');
    RETURN NEXT is((SELECT c.database || ' ' || c.active FROM cron.job c WHERE c.jobid = first_ids[1]),
                   current_database() || ' true', '... and a paused job moved elsewhere runs here again');
    -- a role the administrator granted it to schedules the same jobs, still run as the owner
    GRANT EXECUTE ON FUNCTION customs_risk.schedule_jobs(text, text, text, text) TO customs_risk_t_jobs;
    SET LOCAL ROLE customs_risk_t_jobs;
    n := (SELECT count(*) FROM customs_risk.schedule_jobs());
    RESET ROLE;
    RETURN NEXT is((SELECT array_agg(c.jobid || ' ' || c.username ORDER BY c.jobname) FROM cron.job c WHERE c.jobname LIKE 'customs\_risk-%'),
                   (SELECT array_agg(s.jobid || ' ' || c.username ORDER BY s.job_name) FROM sched1 s JOIN cron.job c USING (jobid)),
                   'a granted role reschedules the same four jobs, which still run as the owner');
    RETURN NEXT throws_ok($$SELECT * FROM customs_risk.schedule_jobs(grading => '0 25 * * *')$$, '22023',
                          'schedule_jobs(): invalid schedule grading for job customs_risk-grade-traders: "0 25 * * *"',
                          'an invalid cron expression is an error naming the argument');
    RETURN NEXT throws_ok($$SELECT * FROM customs_risk.schedule_jobs(reports => NULL)$$, '22004',
                          'schedule_jobs(): the schedule reports is NULL', 'a NULL schedule is an error');

    CREATE TEMP TABLE gone AS SELECT * FROM customs_risk.unschedule_jobs();
    RETURN NEXT is((SELECT array_agg(g.jobid ORDER BY g.job_name) FROM gone g), first_ids,
                   'unschedule_jobs removes the four jobs and returns them');
    RETURN NEXT is((SELECT count(*) FROM cron.job c WHERE c.jobname LIKE 'customs\_risk-%'), 0::bigint,
                   'no customs_risk job is left in cron.job');
    RETURN NEXT ok(EXISTS (SELECT 1 FROM cron.job c WHERE c.jobid = other AND c.jobname = 'not-customs-risk'),
                   'another job stays');
    RETURN NEXT is((SELECT count(*) FROM customs_risk.unschedule_jobs()), 0::bigint, 'unscheduling again removes nothing');

    -- without the extension in this database, the error says what to do
    DROP EXTENSION pg_cron;
    RETURN NEXT throws_ok($$SELECT * FROM customs_risk.schedule_jobs()$$, '55000',
                          format('extension pg_cron is not installed in database %s', current_database()),
                          'without extension pg_cron here, schedule_jobs says so (55000)');
END
$t$;

SELECT pg_temp.job_tests() FROM cron_here WHERE ok;
SELECT skip(format('pg_cron cannot schedule jobs from database %s here (cron.database_name: %s): job tests skipped',
                   current_database(), coalesce(current_setting('cron.database_name', true), 'pg_cron not loaded')), 16)
  FROM cron_here WHERE NOT ok;
SELECT throws_ok($$SELECT * FROM customs_risk.schedule_jobs()$$, '55000', NULL,
                 'without pg_cron ready, schedule_jobs raises 55000')
  FROM cron_here WHERE NOT ok;

SELECT * FROM finish();
ROLLBACK;
