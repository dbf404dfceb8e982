-- Security and catalogue hygiene of the installed extension.
BEGIN;
SET search_path = customs_risk, public;
SELECT plan(12);

SELECT is((SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'customs_risk'::regnamespace AND p.prosecdef
            AND NOT coalesce(p.proconfig @> '{"search_path=pg_catalog, pg_temp"}', false)), 0::bigint,
          'every SECURITY DEFINER function pins search_path = pg_catalog, pg_temp');
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.pronamespace = 'customs_risk'::regnamespace AND l.lanname = 'plpgsql'
              -- train_model runs with the caller's rights and must see the caller's tables
              AND p.proname <> 'train_model'
              AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) AS c
                               WHERE c ~ '^search_path=pg_catalog, ([a-z_0-9"]+, )?pg_temp$')), 0::bigint,
          'every PL/pgSQL function but train_model runs with a fixed search_path (pg_catalog first, pg_temp last)');
SELECT ok((SELECT NOT prosecdef FROM pg_proc WHERE oid = 'customs_risk.train_model(text, text, text, jsonb)'::regprocedure),
          'train_model, which keeps the caller''s search_path for the training query, is not SECURITY DEFINER');
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.pronamespace = 'customs_risk'::regnamespace AND l.lanname = 'c' AND p.proparallel <> 's'
              AND p.proname NOT IN ('model_train_body', 'batch_channels', 'decide', 'risk_item_unfinished_now')), 0::bigint,
          'every C function is PARALLEL SAFE but model_train_body, which runs the training query, batch_channels and decide, which write the log, and risk_item_unfinished_now, which takes the latest snapshot (not in parallel mode)');
SELECT is((SELECT proparallel::text || provolatile::text FROM pg_proc WHERE oid = 'customs_risk.batch_channels(date, text)'::regprocedure), 'uv',
          'batch_channels, which writes the decision log, is PARALLEL UNSAFE and VOLATILE');
SELECT is((SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'customs_risk'
            JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
           WHERE d.deptype = 'e' AND c.relnamespace <> 'customs_risk'::regnamespace), 0::bigint,
          'every relation of the extension lives in schema customs_risk');
SELECT is((SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'customs_risk'::regnamespace
            AND obj_description(p.oid, 'pg_proc') IS NULL), 0::bigint, 'every function has a COMMENT');

-- A role with no grants cannot read declarations: district access will be granted, never assumed.
CREATE ROLE customs_risk_t_nobody NOLOGIN;
SELECT ok(NOT has_table_privilege('customs_risk_t_nobody', 'customs_risk.declaration', 'SELECT'),
          'PUBLIC cannot read declarations');
SELECT ok(NOT has_table_privilege('customs_risk_t_nobody', 'customs_risk.inspection', 'SELECT'),
          'PUBLIC cannot read inspections');
SELECT ok(NOT has_table_privilege('customs_risk_t_nobody', 'customs_risk.kcs_staging', 'INSERT'),
          'PUBLIC cannot write the loader staging table');
SELECT ok(has_function_privilege('customs_risk_t_nobody', 'customs_risk.hs_chapter(customs_risk.hscode)', 'EXECUTE'),
          'the pure hscode functions stay callable by everyone');

-- the matcher a privileged session cached is not handed to a role that cannot read profiles
SELECT match_profiles(x) FROM (SELECT '8471'::hscode AS hs, current_date AS declared_on, 'x'::text AS office) x;
SET LOCAL ROLE customs_risk_t_nobody;
SELECT throws_ok($$SELECT customs_risk.match_profiles(x) FROM (SELECT '8471'::customs_risk.hscode AS hs) x$$, '42501',
                 'permission denied for table profile', 'a role without SELECT on profile cannot match against the cached profiles');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
