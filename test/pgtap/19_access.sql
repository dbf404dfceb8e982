-- Access control of the two-level structure: every role tries what it must not, and is refused
-- (42501) or finds the rows invisible; and does what it may.  Test logins are made in this
-- transaction and vanish with its rollback.
BEGIN;
SET search_path = customs_risk, public;
SELECT plan(141);

-- Logins: one per role; two district analysts (Busan, Seoul) and an officer at a Busan house.
CREATE ROLE customs_risk_t_admin LOGIN IN ROLE customs_risk_admin;
CREATE ROLE customs_risk_t_nat LOGIN IN ROLE customs_risk_national;
CREATE ROLE customs_risk_t_busan LOGIN IN ROLE customs_risk_district;
CREATE ROLE customs_risk_t_seoul LOGIN IN ROLE customs_risk_district;
CREATE ROLE customs_risk_t_officer LOGIN IN ROLE customs_risk_officer;
CREATE ROLE customs_risk_t_bi LOGIN IN ROLE customs_risk_bi;
SELECT min(office_code) AS house, max(office_code) AS house2 FROM office WHERE parent_code = 'RC-BUSAN' \gset
SELECT min(office_code) AS seoul_house FROM office WHERE parent_code = 'RC-SEOUL' \gset
INSERT INTO user_scope (role_name, office_code) VALUES
    ('customs_risk_t_busan', 'RC-BUSAN'), ('customs_risk_t_seoul', 'RC-SEOUL'), ('customs_risk_t_officer', :'house');
INSERT INTO profile (name, criteria, channel, weight, description, status, valid_from, owner_office, scope_offices) VALUES
 ('t national garments', 'hs <@ 61', 'yellow', 1, 'national: garments, check the invoice', 'active', '2020-01-01', 'NRC', NULL),
 ('t national seoul only', 'hs <@ 62', 'yellow', 1, 'national, scoped to Seoul', 'active', '2020-01-01', 'NRC', '{RC-SEOUL}'),
 ('t busan garments', 'hs <@ 61', 'red', 3, 'Busan: garments, open the container', 'active', '2020-01-01', 'RC-BUSAN', NULL),
 ('t seoul garments', 'hs <@ 61', 'red', 3, 'Seoul: garments, weigh the cargo', 'active', '2020-01-01', 'RC-SEOUL', NULL);
SELECT profile_id AS p_nat FROM profile WHERE name = 't national garments' \gset
SELECT profile_id AS p_busan FROM profile WHERE name = 't busan garments' \gset
SELECT profile_id AS p_seoul FROM profile WHERE name = 't seoul garments' \gset
-- what each district holds, counted without row-level security (superuser)
SELECT count(*) AS busan_decl FROM declaration d JOIN office h ON h.office_code = d.office_code WHERE h.parent_code = 'RC-BUSAN' \gset
SELECT count(*) AS busan_lines FROM declaration_line l JOIN declaration d USING (declaration_id)
  JOIN office h ON h.office_code = d.office_code WHERE h.parent_code = 'RC-BUSAN' \gset
SELECT count(*) AS busan_insp FROM inspection i JOIN declaration d USING (declaration_id)
  JOIN office h ON h.office_code = d.office_code WHERE h.parent_code = 'RC-BUSAN' \gset
SELECT count(*) AS house_decl FROM declaration WHERE office_code = :'house' \gset
SELECT count(*) AS all_decl FROM declaration \gset
SELECT min(declaration_id) AS seoul_decl FROM declaration WHERE office_code = :'seoul_house' \gset
SELECT min(d.declaration_id) AS house_decl_id FROM declaration d JOIN declaration_line l USING (declaration_id)
 WHERE d.office_code = :'house' AND l.hs <@ '61' \gset
SELECT min(declaration_id) AS house2_decl_id FROM declaration WHERE office_code = :'house2' \gset
SELECT min(office_code) AS house3 FROM office WHERE parent_code = 'RC-BUSAN' AND office_code NOT IN (:'house', :'house2') \gset
SELECT max(declaration_id) AS moved_decl_id FROM declaration WHERE office_code = :'house2' \gset

-- ---------------------------------------------------------------------------------------------
-- The catalogue
SELECT is((SELECT count(*) FROM pg_roles WHERE rolname IN ('customs_risk_admin', 'customs_risk_national',
            'customs_risk_district', 'customs_risk_officer', 'customs_risk_bi') AND NOT rolcanlogin
            AND NOT rolsuper AND NOT rolbypassrls), 5::bigint,
          'the five group roles exist, cannot log in, and are neither superuser nor BYPASSRLS');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname COLLATE "C") FROM pg_class c
            WHERE c.relnamespace = 'customs_risk'::regnamespace AND c.relrowsecurity),
          '{decision_log,declaration,declaration_line,inspection,monitoring_alert,profile,profile_history,risk_action,risk_audit,risk_closure_review,risk_inbox,risk_item,risk_item_link,risk_item_profile,user_scope}',
          'row-level security is on for the district data, profiles, their history, the bindings and the risk register');
SELECT is((SELECT array_agg(DISTINCT c.relname::text COLLATE "C" ORDER BY c.relname::text COLLATE "C") FROM pg_class c
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname IN ('office_code', 'owner_office', 'recipient_office', 'assigned_office')
            WHERE c.relnamespace = 'customs_risk'::regnamespace AND c.relkind = 'r' AND NOT c.relrowsecurity),
          '{channel_policy,code_list,office}',
          'every table whose rows belong to an office has row-level security, but the office tree, channel policies and code lists');
SELECT is((SELECT sum(regexp_count(coalesce(qual, '') || coalesce(with_check, ''), 'customs_risk\.my_'))
             - sum(regexp_count(coalesce(qual, '') || coalesce(with_check, ''), '\( ?SELECT customs_risk\.my_'))
             FROM pg_policies WHERE schemaname = 'customs_risk')::bigint, 0::bigint,
          'every policy calls the scope helpers in a scalar subquery (once per query, not per row)');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY p.proname) FROM pg_proc p
            WHERE p.pronamespace = 'customs_risk'::regnamespace AND p.prosecdef
              AND p.prorettype = 'trigger'::regtype AND has_function_privilege('public', p.oid, 'EXECUTE')),
          NULL, 'no SECURITY DEFINER trigger function is executable by PUBLIC (it could be attached to a table of one''s own)');
SET LOCAL ROLE customs_risk_t_busan;
CREATE TEMP TABLE rv_forge (declaration_id text, office_code text);
SELECT throws_ok($$CREATE TRIGGER forge AFTER INSERT ON rv_forge FOR EACH ROW EXECUTE FUNCTION customs_risk.move_declaration_rows()$$,
                 '42501', NULL, 'a district analyst cannot fire move_declaration_rows() from a table of its own to move another district''s lines');
RESET ROLE;
SELECT is((SELECT count(*) FROM pg_proc WHERE pronamespace = 'customs_risk'::regnamespace
            AND proname IN ('my_district', 'my_house', 'my_houses', 'my_scope_codes', 'is_national')
            AND provolatile = 's' AND NOT prosecdef), 5::bigint,
          'the scope helpers are STABLE and run with the caller''s rights');
SELECT is((SELECT count(*) FROM pg_class c WHERE c.oid IN ('customs_risk.declaration_line_v'::regclass,
            'customs_risk.declaration_outcome_v'::regclass, 'customs_risk.model_line_v'::regclass,
            'customs_risk.trader_risk_v'::regclass, 'customs_risk.decision_reason_v'::regclass)
            AND c.reloptions @> '{security_invoker=true}'), 5::bigint,
          'views over district data run with the caller''s rights, so its policies apply');
SELECT is((SELECT count(*) FROM declaration_line l JOIN declaration d USING (declaration_id)
            WHERE l.office_code IS DISTINCT FROM d.office_code), 0::bigint,
          'every line carries its declaration''s customs house');

-- ---------------------------------------------------------------------------------------------
-- A district analyst: its district's rows, read and changed; nothing of another district
SELECT is(match_profiles(x), ARRAY[:p_nat, :p_seoul]::bigint[], 'the superuser matches with every profile')
  FROM (SELECT '6109'::hscode AS hs, date '2020-06-01' AS declared_on, :'seoul_house'::text AS office) x;
SET LOCAL ROLE customs_risk_t_busan;
-- (the matcher the superuser just built is for the same profile-set version)
SELECT is(match_profiles(x), ARRAY[:p_nat]::bigint[],
          'a district analyst matching a made-up line at another district''s house finds none of that district''s profiles')
  FROM (SELECT '6109'::hscode AS hs, date '2020-06-01' AS declared_on, :'seoul_house'::text AS office) x;
SELECT is(my_district(), 'RC-BUSAN', 'a district analyst''s district comes from its binding');
SELECT is((SELECT count(*) FROM declaration), :busan_decl::bigint, 'a district analyst sees exactly its district''s declarations');
SELECT is((SELECT count(*) FROM declaration_line), :busan_lines::bigint, '... its lines');
SELECT is((SELECT count(*) FROM inspection), :busan_insp::bigint, '... its inspections');
SELECT is((SELECT count(*) FROM declaration_line_v), :busan_lines::bigint, '... and the same lines through declaration_line_v');
SELECT is((SELECT count(*) FROM declaration WHERE declaration_id = :'seoul_decl'), 0::bigint,
          'another district''s declaration is invisible, even by its number');
SELECT is((SELECT count(*) FROM declaration_outcome_v WHERE declaration_id = :'seoul_decl'), 0::bigint,
          '... also through declaration_outcome_v');
WITH u AS (UPDATE declaration SET transport = 'air' WHERE declaration_id = :'seoul_decl' RETURNING 1)
SELECT is((SELECT count(*) FROM u), 0::bigint, 'an update of another district''s declaration changes nothing');
SELECT throws_ok(format($$INSERT INTO customs_risk.declaration (declaration_id, declared_on, office_code, importer_id,
                          process_type, import_type, import_use, payment_type, transport, departure_country)
                          SELECT 't-planted', '2020-05-01', %L, importer_id, 'A', '11', '21', '11', 'sea', 'CN'
                            FROM customs_risk.declaration LIMIT 1$$, :'seoul_house'),
                 '42501', NULL, 'a district analyst cannot lodge a declaration at another district''s house');
SELECT throws_ok(format($$UPDATE customs_risk.declaration SET office_code = %L WHERE declaration_id = %L$$,
                        :'seoul_house', :'house_decl_id'),
                 '42501', NULL, '... nor move one of its declarations out of its district');
SELECT throws_ok(format($$INSERT INTO customs_risk.declaration_line (declaration_id, line_no, hs, origin_country)
                          VALUES (%L, 99, '8471', 'CN')$$, :'seoul_decl'),
                 '42501', NULL, '... nor add a line to another district''s declaration');
WITH u AS (UPDATE declaration SET transport = 'air' WHERE declaration_id = :'house_decl_id' RETURNING 1)
SELECT is((SELECT count(*) FROM u), 1::bigint, 'a district analyst changes its own district''s declaration');
INSERT INTO declaration_line (declaration_id, line_no, hs, origin_country) VALUES (:'house_decl_id', 99, '8471', 'CN');
SELECT is((SELECT office_code FROM declaration_line WHERE declaration_id = :'house_decl_id' AND line_no = 99), :'house',
          '... and adds a line to it, which takes the declaration''s house');

SELECT throws_ok(format($$INSERT INTO customs_risk.declaration_line (declaration_id, line_no, hs, origin_country, office_code)
                          VALUES (%L, 98, '8471', 'CN', %L)$$, :'house_decl_id', :'house2'),
                 '42501', NULL, '... but cannot set a line''s house itself');
UPDATE declaration SET office_code = :'house3' WHERE declaration_id = :'moved_decl_id';
SELECT is((SELECT array_agg(DISTINCT office_code) FROM (SELECT office_code FROM declaration_line WHERE declaration_id = :'moved_decl_id'
            UNION ALL SELECT office_code FROM inspection WHERE declaration_id = :'moved_decl_id') x), ARRAY[:'house3'],
          'a declaration moved to another house of the district takes its lines and inspections along');

-- profiles
SELECT is((SELECT array_agg(name ORDER BY name) FROM profile WHERE name LIKE 't %'),
          '{"t busan garments","t national garments"}',
          'a district analyst sees its own profiles and the national ones that apply to it, not another district''s');
WITH u AS (UPDATE profile SET weight = 9 WHERE profile_id = :p_nat RETURNING 1)
SELECT is((SELECT count(*) FROM u), 0::bigint, 'a district analyst cannot edit a national profile (no row is updatable)');
WITH u AS (UPDATE profile SET weight = 9 WHERE profile_id = :p_seoul RETURNING 1)
SELECT is((SELECT count(*) FROM u), 0::bigint, '... nor another district''s');
SELECT throws_ok(format('UPDATE customs_risk.profile SET owner_office = %L WHERE profile_id = %s', 'NRC', :p_busan),
                 '42501', NULL, '... nor hand its profile to the national centre');
SELECT throws_ok($$INSERT INTO customs_risk.profile (name, criteria, channel, description, owner_office)
                   VALUES ('t planted', 'hs <@ 01', 'red', 'x', 'RC-SEOUL')$$,
                 '42501', NULL, '... nor create a profile for another district');
SELECT throws_ok(format($$INSERT INTO customs_risk.profile (name, criteria, channel, description, owner_office, scope_offices)
                          VALUES ('t planted', 'hs <@ 01', 'red', 'x', 'RC-BUSAN', ARRAY[%L])$$, :'seoul_house'),
                 '23514', NULL, '... nor scope its own profile to another district''s house (refused before the policy)');
WITH u AS (UPDATE profile SET weight = 4 WHERE profile_id = :p_busan RETURNING 1)
SELECT is((SELECT count(*) FROM u), 1::bigint, 'a district analyst edits its own district''s profile');
SELECT is((SELECT array_agg(DISTINCT profile_row ->> 'owner_office') FROM profile_history), '{RC-BUSAN}',
          'the profile history (criteria included) shows a district only its own profiles');
SELECT throws_ok('SELECT * FROM customs_risk.selection_secret', '42501', NULL, 'a district analyst cannot read the random-selection key');
-- traders: a national register; a district adds traders, it does not change or remove them
SELECT lives_ok($$INSERT INTO customs_risk.trader (trader_id, roles) VALUES ('T-BUSAN-NEW', '{importer}')$$,
                'a district analyst registers a new trader (its declarations must name registered ones)');
SELECT throws_ok($$UPDATE customs_risk.trader SET name = 'renamed' WHERE trader_id = 'T-BUSAN-NEW'$$, '42501', NULL,
                 '... but cannot change a trader, which every district''s declarations name');
SELECT throws_ok($$DELETE FROM customs_risk.trader WHERE trader_id = 'T-BUSAN-NEW'$$, '42501', NULL,
                 '... nor remove one');

-- functions: decide() sees only what its caller may see
SELECT throws_ok(format('SELECT customs_risk.decide(%L)', :'seoul_decl'), 'P0002', NULL,
                 'decide() on another district''s declaration finds nothing to decide');
SELECT is((decide(:'house_decl_id')).reasons, ARRAY['national: garments, check the invoice', 'Busan: garments, open the container'],
          'decide() on its own declaration uses the profiles that apply there, and logs the decision');
SELECT is((decide(:'house_decl_id' COLLATE "POSIX")).channel, (decide(:'house_decl_id')).channel,
          'an id of another collation decides the same (the body compares it with a COLLATE "C" column)');
SELECT throws_ok(format($$INSERT INTO customs_risk.decision_log (declaration_id, office_code, channel, score, profile_ids,
                          random, selected_by, profile_set_version) VALUES (%L, %L, 'red', 0, '{}', false, 'decide', 0)$$,
                        :'seoul_decl', :'house'),
                 '42501', NULL, 'a district analyst cannot log a decision on another district''s declaration under its own house');
SELECT throws_ok(format($$INSERT INTO customs_risk.decision_log (declaration_id, office_code, channel, score, profile_ids,
                          random, selected_by, profile_set_version, decided_by) VALUES (%L, %L, 'red', 0, '{}', false, 'decide', 0, 'someone else')$$,
                        :'house_decl_id', :'house'),
                 '42501', NULL, '... nor log a decision under another name');
SELECT throws_ok(format($$INSERT INTO customs_risk.decision_log (decision_id, declaration_id, office_code, channel, score, profile_ids,
                          random, selected_by, profile_set_version) OVERRIDING SYSTEM VALUE
                          VALUES (9000000000000000000, %L, %L, 'green', 0, '{}', false, 'decide', 0)$$,
                        :'house_decl_id', :'house'),
                 '42501', NULL, '... nor plant a decision with an id the sequence has not given out (it would stay in force)');
SELECT throws_ok(format($$INSERT INTO customs_risk.decision_log (declaration_id, office_code, channel, score, profile_ids,
                          random, selected_by, profile_set_version, decided_at) VALUES (%L, %L, 'green', 0, '{}', false, 'decide', 0, '2020-01-01')$$,
                        :'house_decl_id', :'house'),
                 '42501', NULL, '... nor log a decision as made at another time');
SELECT throws_ok(format($$INSERT INTO customs_risk.decision_log (declaration_id, office_code, channel, score, profile_ids,
                          random, selected_by, profile_set_version) VALUES (%L, %L, 'green', 0, '{}', true, 'batch-random', 0)$$,
                        :'house_decl_id', :'house'),
                 '42501', NULL, '... nor log a decision of its choosing on its own declaration: decide() and the batch write the log');
SELECT is((SELECT decided_by FROM decision_log WHERE declaration_id = :'house_decl_id' AND selected_by = 'decide'
            ORDER BY decision_id DESC LIMIT 1), session_user::text,
          'decide(), which writes with its owner''s rights, logs the session''s user as the decider');
SELECT throws_ok(format($$SELECT customs_risk.decide_as_owner(%L, 'customs_risk_t_nat'::regrole)$$, :'seoul_decl'), '42501', NULL,
                 '... and cannot call decide()''s body to decide as another role');
SELECT cmp_ok((SELECT procost FROM pg_proc WHERE oid = 'customs_risk.decide(text)'::regprocedure), '>=', 100::real,
              'decide(), which writes the log, costs as much as its body: cheaper filters of a query run first');
RESET ROLE;
-- decide() decides as the role it is called as, not the session's: a district analyst's own
-- SECURITY DEFINER function, called by a national analyst, still decides only in Busan
CREATE SCHEMA t_busan_own;
GRANT CREATE, USAGE ON SCHEMA t_busan_own TO customs_risk_t_busan;
GRANT USAGE ON SCHEMA t_busan_own TO customs_risk_t_nat;
SET LOCAL ROLE customs_risk_t_busan;
CREATE FUNCTION t_busan_own.decide_for_me(id text) RETURNS customs_risk.channel
LANGUAGE sql VOLATILE SECURITY DEFINER AS $$ SELECT (customs_risk.decide(id)).channel $$;
RESET ROLE;
SET LOCAL ROLE customs_risk_t_nat;
SELECT throws_ok(format('SELECT t_busan_own.decide_for_me(%L)', :'seoul_decl'), 'P0002', NULL,
                 'a district analyst''s definer function decides with its owner''s scope, whoever calls it');
RESET ROLE;
SET LOCAL ROLE customs_risk_t_busan;
SELECT is((SELECT count(*) FILTER (WHERE o.parent_code = 'RC-BUSAN') || '/' || count(*)
             FROM select_for_day('2020-03-02') s JOIN office o ON o.office_code = s.office_code),
          (SELECT count(DISTINCT d.office_code) || '/' || count(DISTINCT d.office_code)
             FROM declaration d WHERE d.declared_on = '2020-03-02'),
          'batch selection by a district analyst decides its own district''s houses only');
SELECT throws_ok($$SELECT * FROM customs_risk.generate_declarations(10)$$, '42501', NULL, 'a district analyst cannot generate data');
SELECT throws_ok($$SELECT customs_risk.random_draws('{x}')$$, '42501', NULL, '... nor draw many keyed draws at once');
SELECT is((SELECT array_agg(role_name::text) FROM user_scope), '{customs_risk_t_busan}', 'a district analyst sees only its own binding');
SELECT throws_ok($$UPDATE customs_risk.user_scope SET office_code = 'RC-SEOUL'$$, '42501', NULL, '... and cannot rebind itself');
RESET ROLE;

-- the matcher built under Busan's policies is not handed to another role in the same session
SELECT is(match_profiles(x), ARRAY[:p_nat, :p_seoul]::bigint[],
          'after the district analyst, the superuser''s matcher has every profile again')
  FROM (SELECT '6109'::hscode AS hs, date '2020-06-01' AS declared_on, :'seoul_house'::text AS office) x;
SET LOCAL ROLE customs_risk_t_seoul;
SELECT is(match_profiles(x), ARRAY[:p_nat, :p_seoul]::bigint[], 'the Seoul analyst matches with Seoul''s profiles')
  FROM (SELECT '6109'::hscode AS hs, date '2020-06-01' AS declared_on, :'seoul_house'::text AS office) x;
SELECT is((SELECT count(*) FROM decision_log WHERE declaration_id = :'house_decl_id'), 0::bigint,
          'another district does not see Busan''s decisions');
RESET ROLE;
-- a call site a national analyst's definer function and the Seoul analyst share in one
-- statement (a PL/pgSQL expression is kept for the transaction) matches for each with its own
-- profiles: Busan's profile on a Busan line is the national analyst's to see, not Seoul's
CREATE SCHEMA t_shared;
GRANT USAGE ON SCHEMA t_shared TO customs_risk_t_nat, customs_risk_t_seoul, customs_risk_t_busan;
CREATE TYPE t_shared.line AS (hs customs_risk.hscode, declared_on date, office text);
CREATE FUNCTION t_shared.inv(hs text, office text) RETURNS bigint[] LANGUAGE plpgsql VOLATILE
AS $$ BEGIN RETURN customs_risk.match_profiles(ROW(hs::customs_risk.hscode, date '2020-06-01', office)::t_shared.line); END $$;
CREATE FUNCTION t_shared.nat(hs text, office text) RETURNS bigint[] LANGUAGE plpgsql VOLATILE SECURITY DEFINER
AS $$ BEGIN RETURN t_shared.inv(hs, office); END $$;
ALTER FUNCTION t_shared.nat(text, text) OWNER TO customs_risk_t_nat;
SET LOCAL ROLE customs_risk_t_seoul;
SELECT is(ARRAY[t_shared.nat('6109', :'house')::text, t_shared.inv('6109', :'house')::text],
          ARRAY[ARRAY[:p_nat, :p_busan]::text, ARRAY[:p_nat]::text],
          'a call site shared by two roles in one statement matches each with the profiles it may read');
RESET ROLE;
-- three roles taking turns in one statement build each matcher once, not once a turn (a
-- replaced matcher lives until the transaction ends, and a pgTAP file is one transaction)
CREATE FUNCTION t_shared.bus(hs text, office text) RETURNS bigint[] LANGUAGE plpgsql VOLATILE SECURITY DEFINER
AS $$ BEGIN RETURN t_shared.inv(hs, office); END $$;
ALTER FUNCTION t_shared.bus(text, text) OWNER TO customs_risk_t_busan;
SELECT count(*) AS matchers_before FROM pg_backend_memory_contexts WHERE name = 'customs_risk profile matcher' \gset
SET LOCAL ROLE customs_risk_t_seoul;
SELECT count(*) AS turns FROM generate_series(1, 20) g,
       LATERAL (SELECT t_shared.nat(h, :'house'), t_shared.bus(h, :'house'), t_shared.inv(h, :'house')
                  FROM (SELECT CASE WHEN g > 0 THEN '6109' END AS h) c) x \gset
RESET ROLE;
SELECT cmp_ok((SELECT count(*) FROM pg_backend_memory_contexts WHERE name = 'customs_risk profile matcher') - :matchers_before,
              '<=', 3::bigint, 'three roles taking turns 20 times in one statement build at most three matchers');
-- a new binding changes what the role sees: the session's matcher must not keep the old one
SELECT profile_set_version() AS version_before_rebind \gset
UPDATE user_scope SET office_code = 'RC-BUSAN' WHERE role_name = 'customs_risk_t_seoul';
SELECT cmp_ok(profile_set_version(), '>', :version_before_rebind::bigint, 'rebinding a role moves the profile-set version');
SET LOCAL ROLE customs_risk_t_seoul;
SELECT is(match_profiles(x), ARRAY[:p_nat]::bigint[],
          'the analyst rebound to Busan no longer matches with Seoul''s profiles, in the same session')
  FROM (SELECT '6109'::hscode AS hs, date '2020-06-01' AS declared_on, :'seoul_house'::text AS office) x;
RESET ROLE;
UPDATE user_scope SET office_code = 'RC-SEOUL' WHERE role_name = 'customs_risk_t_seoul';
-- nor one that outlives a change of the role's memberships (which moves no version)
GRANT customs_risk_national TO customs_risk_t_seoul;
SET LOCAL ROLE customs_risk_t_seoul;
SELECT is(match_profiles(x), ARRAY[:p_nat, :p_busan]::bigint[],
          'made a national analyst, the Seoul analyst matches Busan''s profiles at a Busan house')
  FROM (SELECT '6109'::hscode AS hs, date '2020-06-01' AS declared_on, :'house'::text AS office) x;
RESET ROLE;
REVOKE customs_risk_national FROM customs_risk_t_seoul;
SET LOCAL ROLE customs_risk_t_seoul;
SELECT is(match_profiles(x), ARRAY[:p_nat]::bigint[], '... and no longer once that is revoked, in the same session')
  FROM (SELECT '6109'::hscode AS hs, date '2020-06-01' AS declared_on, :'house'::text AS office) x;
RESET ROLE;

-- ---------------------------------------------------------------------------------------------
-- Objects planted on the search_path are not picked up by the extension's functions
CREATE SCHEMA customs_risk_t_plant AUTHORIZATION customs_risk_t_busan;
-- runs a statement with the planted schema and pg_temp ahead of pg_catalog (pgTAP itself must
-- not run under that path: its own comparisons would call the planted operator)
CREATE FUNCTION pg_temp.under_plant(q text) RETURNS void LANGUAGE plpgsql
    SET search_path = customs_risk_t_plant, pg_temp, pg_catalog, customs_risk, public
    AS $$BEGIN EXECUTE q; END$$;
SET LOCAL ROLE customs_risk_t_busan;
CREATE FUNCTION customs_risk_t_plant.lower(text) RETURNS text LANGUAGE plpgsql AS
    $$BEGIN RAISE EXCEPTION 'planted function called' USING ERRCODE = 'P0099'; END$$;
CREATE FUNCTION customs_risk_t_plant.to_jsonb(customs_risk.profile) RETURNS jsonb LANGUAGE plpgsql AS
    $$BEGIN RAISE EXCEPTION 'planted function called' USING ERRCODE = 'P0099'; END$$;
CREATE FUNCTION customs_risk_t_plant.text_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS
    $$BEGIN RAISE EXCEPTION 'planted operator called' USING ERRCODE = 'P0099'; END$$;
CREATE OPERATOR customs_risk_t_plant.= (LEFTARG = text, RIGHTARG = text, FUNCTION = customs_risk_t_plant.text_eq);
CREATE TEMP TABLE selection_secret (singleton boolean, secret bytea, set_at timestamptz);
INSERT INTO pg_temp.selection_secret VALUES (true, '\x00000000000000000000000000000000', now());
SELECT throws_ok($$SELECT pg_temp.under_plant('SELECT lower(''X'')')$$, 'P0099', NULL,
                 'the planted function is what unqualified code would call');
SELECT throws_ok($$SELECT pg_temp.under_plant('SELECT ''a''::text = ''b''::text')$$, 'P0099', NULL,
                 '... and the planted operator');
SELECT lives_ok(format($$SELECT pg_temp.under_plant('UPDATE customs_risk.profile SET weight = 5 WHERE profile_id = %s')$$, :p_busan),
                'a profile change runs the SECURITY DEFINER audit trigger without the planted functions');
SELECT lives_ok(format('SELECT pg_temp.under_plant(%L)',
                       format('SELECT customs_risk.match_profiles(x) FROM (SELECT %L::customs_risk.hscode AS hs, '
                              '%L::date AS declared_on, %L::text AS office) x', '6109', '2020-06-01', :'house')),
                'the matcher''s profile query, run with the caller''s search_path, uses pg_catalog''s operators');
SELECT lives_ok(format('SELECT pg_temp.under_plant(%L)', format('SELECT customs_risk.decide(%L)', :'house_decl_id')),
                'decide() runs with its own search_path, not the planted one');
SELECT ok(customs_risk.random_draw(:'house_decl_id') <> customs_risk.random_draw_with('\x00000000000000000000000000000000', :'house_decl_id'),
          'the keyed draw reads the extension''s key, not a temporary table of the same name');
DROP TABLE pg_temp.selection_secret;
RESET ROLE;

-- ---------------------------------------------------------------------------------------------
-- A customs-house officer: its house's declarations, decisions and reasons; never criteria
SET LOCAL ROLE customs_risk_t_officer;
SELECT is((SELECT count(*) FROM declaration), :house_decl::bigint, 'an officer sees exactly its house''s declarations');
SELECT is((SELECT count(*) FROM declaration WHERE declaration_id = :'house2_decl_id'), 0::bigint,
          '... not those of another house of its district');
SELECT is((SELECT reasons FROM decision_reason_v WHERE declaration_id = :'house_decl_id' ORDER BY decision_id LIMIT 1),
          ARRAY['national: garments, check the invoice', 'Busan: garments, open the container'],
          'an officer reads its house''s decisions with their reasons');
SELECT is((SELECT count(*) FROM decision_reason_v WHERE office_code <> :'house'), 0::bigint, '... and no other house''s');
SELECT throws_ok('SELECT criteria FROM customs_risk.profile', '42501', NULL, 'an officer cannot read a profile''s criteria');
RESET ROLE;
INSERT INTO profile (name, criteria, channel, weight, description, status, valid_from, owner_office, scope_offices) VALUES
 ('t busan other house', 'hs <@ 97', 'yellow', 1, 'Busan, another house only', 'draft', '2020-01-01', 'RC-BUSAN', ARRAY[:'house2']),
 ('t busan this house', 'hs <@ 97', 'yellow', 1, 'Busan, this house only', 'draft', '2020-01-01', 'RC-BUSAN', ARRAY[:'house']);
SET LOCAL ROLE customs_risk_t_officer;
SELECT is((SELECT array_agg(name ORDER BY name) FROM profile WHERE name LIKE 't busan % house'), '{"t busan this house"}',
          'an officer reads the profiles that apply at its house, not those scoped to its district''s other houses');
RESET ROLE;
CREATE ROLE customs_risk_t_unbound LOGIN IN ROLE customs_risk_officer, customs_risk_district;
SET LOCAL ROLE customs_risk_t_unbound;
SELECT is((SELECT count(*) FROM profile), 0::bigint, 'an unbound officer or district analyst reads no profile, national ones included');
RESET ROLE;
SET LOCAL ROLE customs_risk_t_officer;
SELECT throws_ok('SELECT * FROM customs_risk.profile_history', '42501', NULL, '... nor the profile history that holds them');
SELECT throws_ok($$SELECT customs_risk.match_profiles(x) FROM (SELECT '6109'::customs_risk.hscode AS hs) x$$, '42501', NULL,
                 '... nor probe them through the matcher');
SELECT throws_ok(format('SELECT customs_risk.decide(%L)', :'house_decl_id'), '42501', NULL, '... nor through decide()');
SELECT throws_ok(format($$UPDATE customs_risk.declaration SET transport = 'air' WHERE declaration_id = %L$$, :'house_decl_id'),
                 '42501', NULL, 'an officer cannot change declarations');
INSERT INTO inspection (declaration_id, selected_by, inspected_on, result, officer)
VALUES (:'house_decl_id', 'officer', '2020-06-02', 'minor', 't officer');
SELECT is((SELECT office_code FROM inspection WHERE officer = 't officer'), :'house',
          'an officer records an inspection at its house');
SELECT throws_ok(format($$INSERT INTO customs_risk.inspection (declaration_id, selected_by, inspected_on, result)
                          VALUES (%L, 'officer', '2020-06-02', 'minor')$$, :'house2_decl_id'),
                 '42501', NULL, '... nor for another house');
SELECT throws_ok('SELECT * FROM customs_risk.selection_secret', '42501', NULL, 'an officer cannot read the key');
RESET ROLE;

-- ---------------------------------------------------------------------------------------------
-- The risk register: items, inboxes and actions by owner and recipient
INSERT INTO risk_item (source, category, title, description, owner_office) VALUES
    ('intelligence', 'revenue', 't national item', 'for every district', 'NRC'),
    ('intelligence', 'revenue', 't seoul item', 'Seoul''s own', 'RC-SEOUL');
SELECT item_id AS item_nat FROM risk_item WHERE title = 't national item' \gset
SELECT item_id AS item_seoul FROM risk_item WHERE title = 't seoul item' \gset
SELECT count(*) AS published FROM publish_risk_item(:item_nat, '{RC-BUSAN,RC-SEOUL}') \gset
SELECT count(*) AS published_seoul FROM publish_risk_item(:item_seoul) \gset
SET LOCAL ROLE customs_risk_t_busan;
SELECT is((SELECT array_agg(title ORDER BY title) FROM risk_item WHERE title LIKE 't %'), '{"t national item"}',
          'a district sees the items published to it, not another district''s');
SELECT is((SELECT array_agg(recipient_office) FROM risk_inbox WHERE item_id IN (:item_nat, :item_seoul)), '{RC-BUSAN}',
          '... and only its own inbox entries');
INSERT INTO risk_item (source, category, title, description, owner_office)
VALUES ('data_analysis', 'valuation', 't busan item', 'Busan''s own', 'RC-BUSAN');
SELECT is((SELECT owner_office FROM risk_item WHERE title = 't busan item'), 'RC-BUSAN', 'a district reports an item of its own');
SELECT throws_ok($$INSERT INTO customs_risk.risk_item (source, category, title, description, owner_office)
                   VALUES ('intelligence', 'revenue', 't planted item', 'x', 'RC-SEOUL')$$,
                 '42501', NULL, '... but not one owned by another district');
SELECT throws_ok(format('SELECT customs_risk.assess_risk_item(%s, 5, 5)', :item_nat), '42501', NULL,
                 'a district cannot change a national item it received');
SELECT throws_ok(format('SELECT customs_risk.assess_risk_item(%s, 5, 5)', :item_seoul), 'P0002', NULL,
                 '... and another district''s item does not exist for it');
SELECT is((SELECT count(*) FROM publish_risk_item(:item_nat, ARRAY[:'house'], NULL, 'RC-BUSAN')), 1::bigint,
          'a district passes a national item on to one of its houses');
SELECT is((SELECT array_agg(from_office) FROM publish_risk_item(:item_nat, ARRAY[:'house2'])), '{RC-BUSAN}',
          '... and from its own district without naming it');
SELECT is((acknowledge((SELECT inbox_id FROM risk_inbox WHERE item_id = :item_nat AND recipient_office = 'RC-BUSAN'))).acknowledged_by,
          session_user::text, 'a district acknowledges its inbox entry');
SELECT throws_ok(format($$INSERT INTO customs_risk.risk_inbox (item_id, from_office, recipient_office)
                          VALUES (%s, 'RC-BUSAN', %L)$$, :item_seoul, :'house'),
                 '42501', NULL, 'a district cannot address another district''s item to its own house (to read it)');
SELECT throws_ok(format($$UPDATE customs_risk.risk_inbox SET item_id = %s WHERE item_id = %s AND recipient_office = 'RC-BUSAN'$$,
                        :item_seoul, :item_nat),
                 '0A000', NULL, '... nor turn an entry it received into one for another item');
SELECT is((SELECT array_agg(title ORDER BY title) FROM risk_item WHERE title LIKE 't %'), '{"t busan item","t national item"}',
          '... and still sees only its own and the published items');
SELECT throws_ok($$INSERT INTO customs_risk.risk_item (item_id, source, category, title, description, owner_office)
                   OVERRIDING SYSTEM VALUE VALUES (999999, 'intelligence', 'revenue', 't squatted', 'x', 'RC-BUSAN')$$,
                 '42501', NULL, 'a district cannot choose an item''s id (no privilege on the column)');
SELECT throws_ok(format($$UPDATE customs_risk.risk_item SET owner_office = 'RC-BUSAN', title = 't hijacked' WHERE item_id = %s$$, :item_nat),
                 '42501', NULL, 'a district cannot take over a national item it received by a plain UPDATE');
SELECT throws_ok(format($$INSERT INTO customs_risk.risk_item_profile (item_id, profile_id, owner_office) VALUES (%s, %s, 'RC-BUSAN')$$,
                        :item_nat, :p_busan),
                 '42501', NULL, '... nor attach a profile to it (its closure review is the owner''s)');
SELECT throws_ok(format($$INSERT INTO customs_risk.risk_item_profile (item_id, profile_id, owner_office) VALUES (%s, %s, 'RC-SEOUL')$$,
                        :item_seoul, :p_busan),
                 'P0002', NULL, '... nor to another district''s item, which does not exist for it');
SELECT throws_ok(format($$INSERT INTO customs_risk.risk_item_profile (item_id, profile_id, owner_office)
                          SELECT item_id, %s, 'RC-BUSAN' FROM customs_risk.risk_item WHERE title = 't busan item'$$, :p_seoul),
                 'P0002', NULL, 'a district cannot link another district''s profile to its own item (nor learn it exists)');
SELECT throws_ok($$UPDATE customs_risk.risk_inbox SET acknowledged_at = NULL, acknowledged_by = NULL, read_at = NULL, read_by = NULL
                    WHERE recipient_office = 'RC-BUSAN'$$,
                 '0A000', NULL, 'an acknowledgement cannot be undone');
SELECT throws_ok($$UPDATE customs_risk.risk_inbox SET deadline = now() + interval '300 days' WHERE recipient_office = 'RC-BUSAN'$$,
                 '42501', NULL, '... and the recipient cannot move its deadline');
RESET ROLE;
SET LOCAL ROLE customs_risk_t_officer;
SELECT is((SELECT array_agg(title) FROM risk_item WHERE title LIKE 't %'), '{"t national item"}',
          'an officer sees the items published to its house');
SELECT is((mark_read((SELECT inbox_id FROM risk_inbox WHERE item_id = :item_nat))).recipient_office, :'house',
          '... and marks its house''s entry read');
SELECT is((SELECT count(*) FROM risk_inbox WHERE recipient_office <> :'house'), 0::bigint, '... and sees no other inbox');
SELECT throws_ok($$UPDATE customs_risk.risk_inbox SET deadline = now() + interval '5 days'$$, '42501', NULL,
                 '... nor sets its deadline (an officer is not its district''s analyst)');
RESET ROLE;
SET LOCAL ROLE customs_risk_t_seoul;
SELECT is((SELECT count(*) FROM risk_item WHERE title = 't busan item'), 0::bigint, 'Seoul does not see Busan''s item');
RESET ROLE;

-- Reports: the views read every district with their owner's rights, so districts do not get them
SET LOCAL ROLE customs_risk_t_busan;
SELECT throws_ok('SELECT count(*) FROM customs_risk.office_daily_v', '42501', NULL,
                 'a district analyst cannot read the national report views');
SELECT is((SELECT sum(inspections) FROM performance_report('2020-01-01', '2021-12-31', 'office')), :busan_insp::numeric,
          '... and performance_report() counts its district''s inspections only');
RESET ROLE;

-- ---------------------------------------------------------------------------------------------
-- National analyst, administrator, BI
SET LOCAL ROLE customs_risk_t_nat;
SELECT is((SELECT count(*) FROM declaration), :all_decl::bigint, 'a national analyst sees every declaration');
WITH u AS (UPDATE profile SET status = 'suspended' WHERE profile_id = :p_busan RETURNING 1)
SELECT is((SELECT count(*) FROM u), 1::bigint, 'the national centre changes a district''s profile');
SELECT throws_ok('SELECT * FROM customs_risk.selection_secret', '42501', NULL, 'a national analyst cannot read the key');
SELECT throws_ok($$INSERT INTO customs_risk.user_scope VALUES ('customs_risk_t_nat', 'RC-BUSAN')$$, '42501', NULL,
                 '... nor bind logins');
RESET ROLE;
SET LOCAL ROLE customs_risk_t_admin;
SELECT is((SELECT count(*) FROM customs_risk.selection_secret), 1::bigint, 'the administrator reads the key');
SELECT ok(has_function_privilege('customs_risk_t_admin', 'customs_risk.schedule_jobs(text, text, text, text)', 'EXECUTE')
          AND NOT has_function_privilege('customs_risk_t_nat', 'customs_risk.schedule_jobs(text, text, text, text)', 'EXECUTE'),
          'the administrator schedules the jobs; a national analyst cannot');
SELECT throws_ok($$INSERT INTO customs_risk.user_scope VALUES ('customs_risk_t_nobody_here', 'RC-BUSAN')$$, '42704', NULL,
                 'a binding names an existing role');
SELECT throws_ok($$UPDATE customs_risk.user_scope SET office_code = 'NRC' WHERE role_name = 'customs_risk_t_seoul'$$, '22023', NULL,
                 'a binding names a district or a house, not the national centre');
SELECT throws_ok($$UPDATE customs_risk.user_scope SET office_code = 'NO-SUCH' WHERE role_name = 'customs_risk_t_seoul'$$, '22023', NULL,
                 '... nor an unknown office');
SELECT throws_ok($$INSERT INTO customs_risk.user_scope VALUES ('customs_risk_district', 'RC-BUSAN')$$, '22023',
                 'role customs_risk_district is one of the extension''s group roles and cannot be bound to an office',
                 'the extension''s group roles cannot be bound (every member would take the office by SET ROLE)');
SELECT throws_ok(format($$UPDATE customs_risk.user_scope SET office_code = %L WHERE role_name = 'customs_risk_t_seoul'$$, :'seoul_house'),
                 '22023', NULL, 'a district analyst is bound to a district centre, not a house');
SELECT throws_ok($$UPDATE customs_risk.user_scope SET office_code = 'RC-SEOUL' WHERE role_name = 'customs_risk_t_officer'$$,
                 '22023', NULL, 'an officer is bound to a house, not a district centre');
RESET ROLE;
-- the binding holds for the role it was made for, at a level its memberships allow, when used
CREATE ROLE customs_risk_t_reused LOGIN IN ROLE customs_risk_district;
INSERT INTO user_scope (role_name, office_code) VALUES ('customs_risk_t_reused', 'RC-SEOUL');
SET LOCAL ROLE customs_risk_t_reused;
SELECT is(customs_risk.my_district(), 'RC-SEOUL', 'a bound district analyst has its district');
RESET ROLE;
REVOKE customs_risk_district FROM customs_risk_t_reused;
GRANT customs_risk_officer TO customs_risk_t_reused;
SET LOCAL ROLE customs_risk_t_reused;
SELECT is(ARRAY[customs_risk.my_district(), array_to_string(customs_risk.my_houses(), ',')], ARRAY[NULL, ''],
          'a district binding does not hold for an officer (made one after it was bound): no district, no houses');
RESET ROLE;
REVOKE customs_risk_officer FROM customs_risk_t_reused;
DROP OWNED BY customs_risk_t_reused;
DROP ROLE customs_risk_t_reused;
CREATE ROLE customs_risk_t_reused LOGIN IN ROLE customs_risk_district;
SET LOCAL ROLE customs_risk_t_reused;
SELECT is(customs_risk.my_district(), NULL, 'a binding does not hold for a role dropped and made again under its name');
RESET ROLE;
-- restoring() trusts a superuser or the extension's owner, not a BYPASSRLS login
CREATE ROLE customs_risk_t_bypass LOGIN BYPASSRLS IN ROLE customs_risk_national;
SET LOCAL SESSION AUTHORIZATION customs_risk_t_bypass;
SET LOCAL row_security = off;
SET LOCAL check_function_bodies = off;
SELECT is(customs_risk.restoring(), false, 'a BYPASSRLS login with both settings off is not replaying a dump');
RESET SESSION AUTHORIZATION;
RESET row_security;
RESET check_function_bodies;
SELECT md5(customs_risk.report_html('2020-01-01', '2020-03-31')) AS national_report \gset
SET LOCAL ROLE customs_risk_t_bi;
SELECT throws_ok('SELECT count(*) FROM customs_risk.declaration', '42501', NULL, 'the BI role cannot read declarations');
SELECT throws_ok('SELECT count(*) FROM customs_risk.declaration_line_v', '42501', NULL, '... nor the line view');
SELECT is((SELECT sum(declarations) FROM office_daily_v), :all_decl::numeric, 'the BI role reads the report views, over every district');
SELECT is(md5(customs_risk.report_html('2020-01-01', '2020-03-31')), :'national_report',
          '... and makes the HTML report, the same page as the national level''s');
SELECT throws_ok('SELECT * FROM customs_risk.selection_secret', '42501', NULL, '... but not the key');
SELECT throws_ok(format('SELECT customs_risk.decide(%L)', :'house_decl_id'), '42501',
                 'role customs_risk_t_bi may not make channel decisions', '... nor decide, though decide() runs as its owner');
RESET ROLE;
SET LOCAL ROLE customs_risk_t_busan;
SELECT throws_ok($$SELECT customs_risk.report_html('2020-01-01', '2020-03-31')$$, '42501', NULL,
                 'a district analyst cannot make the national HTML report');
RESET ROLE;

-- Risk actions: a district assigns them within its district only
INSERT INTO risk_item (source, category, title, description, scope, owner_office)
VALUES ('inspection_finding', 'ipr', 't counterfeit laptops', 'Fake brand laptops', 'hs <@ 8471', 'RC-BUSAN')
RETURNING item_id AS busan_item \gset
SELECT assess_risk_item(:busan_item, 4, 3) AS busan_level \gset
SELECT decide_treatment(:busan_item, 'treat', 'target and audit') AS busan_treated \gset
SET LOCAL ROLE customs_risk_t_busan;
SELECT lives_ok(format($$SELECT customs_risk.add_risk_action(%s, 'other', 'check the stock', %L, '2030-05-31')$$,
                       :busan_item, :'house'), 'a district analyst assigns an action to a house of its district');
SELECT throws_ok(format($$SELECT customs_risk.add_risk_action(%s, 'other', 'check the stock', %L, '2030-05-31')$$,
                        :busan_item, :'seoul_house'), '42501', NULL, '... not to another district''s house');
SELECT throws_ok(format($$UPDATE customs_risk.risk_action SET assigned_office = %L WHERE item_id = %s$$,
                        :'seoul_house', :busan_item), '42501', NULL, '... nor move one there');
RESET ROLE;
SET LOCAL ROLE customs_risk_t_nat;
SELECT lives_ok(format($$SELECT customs_risk.add_risk_action(%s, 'other', 'check the stock', %L, '2030-05-31')$$,
                       :busan_item, :'seoul_house'), 'the national centre assigns an action anywhere');
RESET ROLE;
SET LOCAL ROLE customs_risk_t_officer;
SELECT throws_ok(format($$UPDATE customs_risk.risk_action SET description = 'rewritten' WHERE item_id = %s AND assigned_office = %L$$,
                        :busan_item, :'house'), '42501', NULL,
                 'an officer of the owning district rewrites no action assigned to its house');
RESET ROLE;
-- an assignee moves the status along, even where it cannot see the item; the rest is the owner's
INSERT INTO user_scope (role_name, office_code) VALUES ('customs_risk_t_officer', :'seoul_house')
ON CONFLICT (role_name) DO UPDATE SET office_code = excluded.office_code;
SET LOCAL ROLE customs_risk_t_officer;
SELECT is((SELECT count(*) FROM risk_item WHERE item_id = :busan_item), 0::bigint,
          'a Seoul officer assigned an action on Busan''s item does not see the item');
SELECT is(set_action_status((SELECT action_id FROM risk_action WHERE item_id = :busan_item), 'in_progress'),
          'in_progress'::risk_action_status, '... and still moves the action along');
SELECT throws_ok(format($$UPDATE customs_risk.risk_action SET description = 'rewritten', due_on = '2199-01-01' WHERE item_id = %s$$,
                        :busan_item), '42501', NULL, '... but cannot rewrite it or push its due date out');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
