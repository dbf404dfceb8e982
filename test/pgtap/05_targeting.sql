-- Targeting on the bundled sample: profiles and their history, matching, decide(), batch selection.
BEGIN;
SET search_path = customs_risk, public;
SELECT plan(69);

INSERT INTO profile (name, criteria, channel, weight, description, status, valid_from, owner_office, scope_offices) VALUES
 ('computers', 'hs <@ 8471 and origin in (CN, VN)', 'yellow', 2, 'check the unit price against the reference', 'active', '2020-01-01', 'NRC', NULL),
 ('cheap clothes', 'hs <@ (61, 62) and unit_value < 5000', 'red', 3, 'undervaluation of garments', 'active', '2020-01-01', 'NRC', NULL),
 ('dear by air', 'transport = air and value > 100000000', 'yellow', 1, 'high value by air', 'active', '2020-01-01', 'NRC', NULL),
 ('heavy', 'net_mass > 1000000', 'blue', 1, 'audit bulk cargo', 'active', '2020-01-01', 'NRC', NULL),
 ('busan toys', 'hs <@ 95', 'red', 1, 'toy safety', 'active', '2020-01-01', 'RC-BUSAN', NULL),
 ('two importers', 'importer = QLRUBN9 or importer = 7JD1S2X', 'red', 5, 'importers under investigation', 'active', '2020-01-01', 'NRC', NULL),
 ('unmarked origin', 'origin_indicator = N and not origin in (KR)', 'yellow', 1, 'origin marking missing', 'active', '2020-01-01', 'NRC', NULL),
 ('future', 'hs <@ 85', 'red', 1, 'not yet valid', 'active', '2030-01-01', 'NRC', NULL),
 ('suspended', 'hs <@ 39', 'red', 1, 'suspended', 'suspended', '2020-01-01', 'NRC', NULL),
 ('incheon only', 'hs <@ 84', 'blue', 1, 'scoped to one house', 'active', '2020-01-01', 'NRC', '{20}');

SELECT is((SELECT count(*) FROM profile_history WHERE action = 'insert' AND changed_by = session_user), 10::bigint,
          'every new profile is in the history with who made it');
SELECT cmp_ok((SELECT max(profile_set_version) FROM profile_history), '>=', 10::bigint, 'each change raises the profile-set version');
UPDATE profile SET weight = 2.5 WHERE name = 'heavy';
SELECT is((SELECT (profile_row->>'weight')::float8 FROM profile_history WHERE action = 'update' ORDER BY history_id DESC LIMIT 1),
          2.5::float8, 'an update is kept with the new row');
SELECT throws_ok($$UPDATE customs_risk.profile_history SET changed_by = 'someone else'$$, '42501', NULL, 'the history cannot be rewritten');
SELECT throws_ok($$DELETE FROM customs_risk.profile_history$$, '42501', NULL, 'the history cannot be deleted');
SELECT throws_ok($$TRUNCATE customs_risk.profile_history$$, '42501', NULL, 'the history cannot be truncated');

-- the indexed matcher agrees with testing every profile on every line
SELECT is((SELECT count(*) FROM declaration_line_v v
            WHERE match_profiles(v) IS DISTINCT FROM
                  (SELECT coalesce(array_agg(p.profile_id ORDER BY p.profile_id), '{}') FROM profile p
                    WHERE p.status = 'active' AND v.declared_on BETWEEN p.valid_from AND coalesce(p.valid_to, 'infinity')
                      AND (p.owner_office = 'NRC' OR p.owner_office = v.district)
                      AND (p.scope_offices IS NULL OR v.office = ANY (p.scope_offices) OR v.district = ANY (p.scope_offices))
                      AND v @@ p.criteria)), 0::bigint,
          'match_profiles equals testing all profiles, on all 45,519 lines');
SELECT is((SELECT unanchored FROM profile_matcher_stats()), 0,
          'every profile is filed under an anchor (the two-importer "or" included): none is tested for every line');
SELECT is((SELECT count(*) FROM declaration_line_v v WHERE v @@ 'hs <@ 8471 and origin in (CN, VN)'),
          (SELECT count(*) FROM declaration_line_v v WHERE hs <@ '8471' AND origin IN ('CN', 'VN')), '@@ equals SQL: computers');
SELECT is((SELECT count(*) FROM declaration_line_v v WHERE v @@ 'hs <@ (61, 62) and unit_value < 5000'),
          (SELECT count(*) FROM declaration_line_v v WHERE (hs <@ '61' OR hs <@ '62') AND unit_value < 5000), '@@ equals SQL: cheap clothes');
SELECT is((SELECT count(*) FROM declaration_line_v v WHERE v @@ 'origin_indicator = N and not origin in (KR)'),
          (SELECT count(*) FROM declaration_line_v v WHERE origin_indicator = 'N' AND NOT origin IN ('KR')), '@@ equals SQL: marking');
SELECT is((SELECT count(*) FROM declaration_line_v v WHERE v @@ 'not (value > 1000000 or seller is null)'),
          (SELECT count(*) FROM declaration_line_v v WHERE NOT (value > 1000000 OR seller IS NULL)), '@@ equals SQL under NULLs (three-valued)');
SELECT is((SELECT count(*) FROM declaration_line_v v WHERE 'future' = ANY (SELECT name FROM profile WHERE profile_id = ANY (match_profiles(v)))),
          0::bigint, 'a profile is not used before its validity window');
SELECT is((SELECT count(*) FROM declaration_line_v v WHERE 'suspended' = ANY (SELECT name FROM profile WHERE profile_id = ANY (match_profiles(v)))),
          0::bigint, 'a suspended profile does not select');
SELECT is((SELECT count(DISTINCT v.office) FROM declaration_line_v v WHERE 'incheon only' = ANY (SELECT name FROM profile WHERE profile_id = ANY (match_profiles(v)))),
          1::bigint, 'a scoped profile selects only in its scope');
SELECT is((SELECT count(*) FROM declaration_line_v v WHERE v.district <> 'RC-BUSAN'
            AND 'busan toys' = ANY (SELECT name FROM profile WHERE profile_id = ANY (match_profiles(v)))),
          0::bigint, 'a district''s profile does not select in another district');

-- a profile filed under a code and its ancestor is still reported once
INSERT INTO profile (name, criteria, channel, description, status, valid_from, owner_office)
VALUES ('nested codes', 'hs <@ (84, 8471, 847130)', 'blue', 'nested HS codes', 'active', '2020-01-01', 'NRC');
SELECT is((SELECT count(*) FROM declaration_line_v v, LATERAL (SELECT match_profiles(v) AS ids) m
            WHERE cardinality(m.ids) <> (SELECT count(DISTINCT i) FROM unnest(m.ids) i)), 0::bigint,
          'no profile id is reported twice for a line');
SELECT throws_ok($$TRUNCATE customs_risk.profile$$, '0A000', NULL, 'profiles cannot be truncated (the history would miss it)');
DO $$
DECLARE
    n_before int;
    n_after int;
    r record;
BEGIN
    SELECT v INTO r FROM customs_risk.declaration_line_v v WHERE v.hs OPERATOR(customs_risk.<@) '9503' LIMIT 1;
    n_before := cardinality(customs_risk.match_profiles(r.v));
    INSERT INTO customs_risk.profile (name, criteria, channel, description, status, valid_from, owner_office)
    VALUES ('toys everywhere', 'hs <@ 9503', 'red', 'toys', 'active', '2020-01-01', 'NRC');
    n_after := cardinality(customs_risk.match_profiles(r.v));
    CREATE TEMP TABLE loop_result AS SELECT n_before, n_after;
END $$;
SELECT ok((SELECT n_after = n_before + 1 FROM loop_result),
          'in one PL/pgSQL block, a profile added between two calls is seen by the second');
UPDATE office SET name = name WHERE office_code = '40';
SELECT cmp_ok((SELECT version FROM profile_set), '>', (SELECT max(profile_set_version) FROM profile_history),
              'a change to the office tree moves the profile-set version');
SELECT throws_ok($$INSERT INTO customs_risk.profile_set VALUES (true, 1)$$, '0A000', 'profile_set has one row, which moves with the profiles',
                 'the profile-set version cannot be set back by an INSERT (only a restore sets it)');

-- effective_policy(): without any policy row, a house gets the built-in defaults, stamped with
-- the statement's time
SELECT is((SELECT share_red || ' ' || share_yellow || ' ' || share_blue || ' ' || random_rate || ' ' || random_channel
                  || ' ' || max_hits_green || ' ' || (updated_at = now()) FROM effective_policy('30')),
          '0.03 0.07 0.02 0.01 yellow 0 true', 'a house without a policy anywhere above it gets the defaults');

-- decide()
SELECT version AS version_before_policy FROM profile_set \gset
INSERT INTO channel_policy (office_code, random_rate) VALUES ('NRC', 0.05);
SELECT cmp_ok((SELECT version FROM profile_set), '>', :version_before_policy::bigint,
              'a change to channel_policy moves the profile-set version (a decision''s version covers its policy)');
SELECT is((SELECT d1 FROM (SELECT decide(x.declaration_id) AS d1, decide(x.declaration_id) AS d2
                             FROM (SELECT declaration_id FROM declaration_line_v WHERE importer = 'QLRUBN9' LIMIT 1) x) y WHERE d1 = d2)::text,
          (SELECT decide(declaration_id)::text FROM declaration_line_v WHERE importer = 'QLRUBN9' LIMIT 1),
          'decide() is deterministic under one profile-set version');
SELECT is((SELECT (d).channel::text || ' ' || array_to_string((d).reasons, ',') FROM
             (SELECT decide(declaration_id) AS d FROM declaration_line_v WHERE importer = 'QLRUBN9' LIMIT 1) x),
          'red importers under investigation', 'the decision carries the channel and the reasons shown to the officer');
CREATE TEMP TABLE many AS
SELECT d.* FROM (SELECT declaration_id FROM declaration ORDER BY declaration_id LIMIT 40000) x,
       LATERAL decide(x.declaration_id) d;
SELECT ok((SELECT abs(avg(random::int) - 0.05) FROM many) <= 0.005,
          format('random share %s over 40,000 decisions is within 0.5 points of the 5%% rate',
                 (SELECT round(100 * avg(random::int), 2) FROM many)));
SELECT is((SELECT count(*) FROM many WHERE random AND channel < 'yellow'), 0::bigint, 'a random selection goes at least to yellow');
SELECT is((SELECT count(*) FROM many m WHERE random <> (random_draw(m.declaration_id) < 0.05)), 0::bigint,
          'the random flag is the keyed draw against the rate');
SELECT is((SELECT count(*) FROM decision_log WHERE selected_by = 'decide'), 40004::bigint, 'every decision is logged (40,000 and the 4 above)');
SELECT throws_ok($$SELECT customs_risk.decide('no-such-id')$$, 'P0002', NULL, 'an unknown declaration is an error');
SELECT throws_ok($$SELECT customs_risk.decide(NULL)$$, '22004', NULL, 'NULL is an error');

-- the policy of a house: its own row, else its district's, else the national one (NRC's, above);
-- decide() reads it through the same chain (a rate of 1 draws every declaration)
SELECT is((SELECT random_rate FROM effective_policy('30')), 0.05::float8, 'a house without a policy of its own or of its district gets the national one');
INSERT INTO channel_policy (office_code, random_rate) VALUES ('RC-BUSAN', 0.5);
SELECT is((SELECT random_rate FROM effective_policy('30')), 0.5::float8, 'a district''s policy comes before the national one');
INSERT INTO channel_policy (office_code, random_rate) VALUES ('30', 1);
SELECT is((SELECT random_rate || ' ' || (SELECT bool_and((decide(d.declaration_id)).random)
                                           FROM (SELECT declaration_id FROM declaration WHERE office_code = '30' LIMIT 20) d)
             FROM effective_policy('30')),
          '1 true', 'a house''s own policy comes first, and decide() applies it');
SELECT is((SELECT random_rate FROM effective_policy('RC-BUSAN')), 0.5::float8, 'a district centre has its own policy too');
DELETE FROM channel_policy WHERE office_code IN ('30', 'RC-BUSAN');
-- a role that may not read channel_policy gets no policy (in this file's one transaction, which has
-- written, policies are read each call; what a session keeps is tested in isolation/kept_sets)
CREATE ROLE customs_risk_t_nopolicy NOLOGIN;
GRANT USAGE ON SCHEMA customs_risk TO customs_risk_t_nopolicy;
GRANT SELECT ON office TO customs_risk_t_nopolicy;
SET LOCAL ROLE customs_risk_t_nopolicy;
SELECT throws_ok($$SELECT customs_risk.effective_policy('30')$$, '42501', NULL,
                 'effective_policy needs the right to read channel_policy');
RESET ROLE;

-- batch selection: capacity holds, expected shares are reached
INSERT INTO channel_policy (office_code, share_red, share_yellow, share_blue, random_rate, daily_capacity)
VALUES ('40', 0.10, 0.10, 0.05, 0.02, 12), ('20', 0.10, 0.10, 0.05, 0.02, NULL);
CREATE TEMP TABLE day AS SELECT * FROM select_for_day('2020-03-02');
SELECT ok((SELECT red + yellow - by_random <= daily_capacity FROM day WHERE office_code = '40'),
          'office 40 inspects no more than its capacity (random selections aside)');
SELECT ok((SELECT red >= round(0.10 * declarations) AND yellow >= round(0.10 * declarations) AND blue >= round(0.05 * declarations)
             FROM day WHERE office_code = '20'),
          'office 20 (no capacity limit) reaches its expected shares');
-- the summary counts what the log holds, office by office (no office has max_hits_green here)
CREATE FUNCTION pg_temp.summary_mismatches() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*)
      FROM day s
      FULL JOIN (SELECT l.office_code, count(*) AS n, count(*) FILTER (WHERE l.channel = 'red') AS red,
                        count(*) FILTER (WHERE l.channel = 'yellow') AS yellow,
                        count(*) FILTER (WHERE l.channel = 'blue') AS blue,
                        count(*) FILTER (WHERE l.channel = 'green') AS green,
                        count(*) FILTER (WHERE cardinality(l.profile_ids) > 0 AND l.selected_by <> 'batch-capacity') AS by_profile,
                        count(*) FILTER (WHERE l.random) AS by_random,
                        count(*) FILTER (WHERE l.selected_by = 'batch-topup') AS topped_up,
                        count(*) FILTER (WHERE l.selected_by = 'batch-capacity') AS held_back
                   FROM customs_risk.decision_log l
                  WHERE l.decided_at = (SELECT max(decided_at) FROM customs_risk.decision_log WHERE selected_by LIKE 'batch-%')
                  GROUP BY l.office_code) g ON g.office_code = s.office_code
     WHERE (s.declarations, s.red, s.yellow, s.blue, s.green, s.by_profile, s.by_random, s.topped_up, s.held_back)
           IS DISTINCT FROM (g.n, g.red, g.yellow, g.blue, g.green, g.by_profile, g.by_random, g.topped_up, g.held_back)
$$;
SELECT is(pg_temp.summary_mismatches(), 0::bigint, 'the batch summary counts what the decision log holds, office by office');
-- a batch is one decision event: its rows share one decision_id, later than every decision before it
SELECT is((SELECT count(DISTINCT decision_id) || ' ' || count(*) || ' ' || (min(decision_id) > (SELECT max(decision_id) FROM decision_log WHERE selected_by = 'decide'))
             FROM decision_log WHERE selected_by LIKE 'batch-%'),
          '1 ' || (SELECT sum(declarations) FROM day) || ' true',
          'the batch''s decisions share one decision_id, later than the decide() calls before it');
-- again with office 40 able to inspect only 2 a day: inspections are held back, and counted
UPDATE channel_policy SET daily_capacity = 2 WHERE office_code = '40';
DROP TABLE day;
CREATE TEMP TABLE day AS SELECT * FROM select_for_day('2020-03-02');
SELECT ok((SELECT held_back > 0 AND red + yellow - by_random <= 2 FROM day WHERE office_code = '40'),
          'with a capacity of 2, office 40 holds inspections back and keeps to it');
SELECT is(pg_temp.summary_mismatches(), 0::bigint, 'the summary still counts what the log holds, held-back ones included');
-- the top-up takes the best-ranked greens: no green left behind outranks a topped-up one of its
-- office (profile score first, then the keyed draw, then the id)
SELECT is((SELECT count(*)
             FROM decision_log t
             JOIN decision_log g ON g.office_code = t.office_code AND g.selected_by = 'batch-green'
              AND g.decided_at = t.decided_at
            WHERE t.selected_by = 'batch-topup'
              AND (g.score > t.score OR (g.score = t.score AND (random_draw(g.declaration_id), g.declaration_id)
                                                              < (random_draw(t.declaration_id), t.declaration_id)))),
          0::bigint, 'no green declaration outranks one the top-up took');
SELECT cmp_ok((SELECT count(*) FROM decision_log WHERE selected_by = 'batch-topup' AND office_code = '20'), '>', 0::bigint,
              'office 20 needed a top-up');
-- capacity keeps the best-ranked inspections: none held back outranks one kept (random ones
-- aside, always kept; top-ups come after capacity): score, model score, draw, id
SELECT is((SELECT count(*)
             FROM decision_log h
             JOIN decision_log k ON k.office_code = h.office_code AND k.decided_at = h.decided_at
              AND k.channel >= 'yellow' AND NOT k.random AND k.selected_by <> 'batch-topup'
            WHERE h.selected_by = 'batch-capacity'
              AND (h.score > k.score OR (h.score = k.score AND (random_draw(h.declaration_id), h.declaration_id)
                                                              < (random_draw(k.declaration_id), k.declaration_id)))),
          0::bigint, 'no inspection held back by capacity outranks one kept');
-- The batch's decisions reach the log through a tuplestore: past work_mem it spills to disk, and
-- a table of the same name as the relation the INSERT reads it as changes nothing.  A generated
-- day of 3,000 declarations (about 400 kB of log rows), decided twice: with the default
-- work_mem, then with 64 kB.
CREATE TEMP TABLE spill_day AS SELECT * FROM generate_declarations(3000, seed => 5, label => 'spill', first_day => '2023-05-02', n_days => 1);
CREATE TEMP TABLE batch_decisions (declaration_id text, office_code text, channel channel, score float8,
                                   profile_ids bigint[], random boolean, selected_by text, model_name text, model_score float8);
INSERT INTO batch_decisions SELECT 'planted', '40', 'red', 99, '{}', false, 'batch-green', NULL, NULL;
DROP TABLE day;
CREATE TEMP TABLE day AS SELECT * FROM select_for_day('2023-05-02');
SET LOCAL work_mem = '64kB';
DROP TABLE day;
CREATE TEMP TABLE day AS SELECT * FROM select_for_day('2023-05-02');
RESET work_mem;
CREATE TEMP TABLE last2 AS
SELECT dense_rank() OVER (ORDER BY decision_id DESC) AS k, declaration_id, office_code, channel, score, profile_ids, random,
       selected_by, profile_set_version
  FROM decision_log WHERE decision_id >= (SELECT max(decision_id) FROM decision_log WHERE decision_id < (SELECT max(decision_id) FROM decision_log));
SELECT is((SELECT count(*) FILTER (WHERE k = 1) || ' ' || count(*) FILTER (WHERE k = 2) || ' ' ||
                  (SELECT count(*) FROM ((SELECT declaration_id, office_code, channel, score, profile_ids, random, selected_by, profile_set_version FROM last2 WHERE k = 1
                                          EXCEPT ALL
                                          SELECT declaration_id, office_code, channel, score, profile_ids, random, selected_by, profile_set_version FROM last2 WHERE k = 2)
                                         UNION ALL
                                         (SELECT declaration_id, office_code, channel, score, profile_ids, random, selected_by, profile_set_version FROM last2 WHERE k = 2
                                          EXCEPT ALL
                                          SELECT declaration_id, office_code, channel, score, profile_ids, random, selected_by, profile_set_version FROM last2 WHERE k = 1)) x)
             FROM last2),
          '3000 3000 0', 'the same batch again, its log spilling past a 64 kB work_mem, makes the same 3,000 decisions');
SELECT is((SELECT count(*) FROM decision_log WHERE declaration_id = 'planted'), 0::bigint,
          'a table named batch_decisions is not what the batch logs');
SELECT is(pg_temp.summary_mismatches(), 0::bigint, 'and its summary counts what the log holds');
SELECT throws_ok($$SELECT * FROM customs_risk.select_for_day(NULL)$$, '22004', NULL, 'a batch needs a day');
SELECT throws_ok($$SELECT * FROM customs_risk.batch_channels(NULL, NULL)$$, '22004', NULL,
                 'so does the batch''s body called on its own');
SELECT throws_ok($$SELECT * FROM customs_risk.select_for_day('2020-03-02', 'nowhere')$$, 'P0002', NULL,
                 'an office that is not a customs house is an error');
-- the batch's body on its own, before the selection secret exists: a clear error, nothing
-- logged (the handler's subtransaction puts the secret back; a savepoint would also take back
-- pgTAP's count of the test)
CREATE FUNCTION pg_temp.without_secret() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM customs_risk.selection_secret;
    PERFORM * FROM customs_risk.batch_channels('2020-03-02', NULL);
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT is(pg_temp.without_secret(), '55000: a batch needs the selection secret for its random draws',
          'batch_channels() without the selection secret says what is missing');

-- what the profile table's constraints cannot say: ids, owners, scopes, code lists
INSERT INTO profile (name, criteria, channel, description, status, valid_from, owner_office)
VALUES ('t guard', 'value > 0', 'red', 'guard tests', 'draft', '2020-01-01', 'NRC');
SELECT profile_id AS guard_id FROM profile WHERE name = 't guard' \gset
SELECT throws_ok($$UPDATE profile SET profile_id = DEFAULT WHERE name = 't guard'$$, '0A000', NULL,
                 'a profile''s id cannot change');
DELETE FROM profile WHERE name = 't guard';
SELECT throws_ok(format($$INSERT INTO profile (profile_id, name, criteria, channel, description, owner_office)
                          OVERRIDING SYSTEM VALUE VALUES (%s, 't reuse', 'value > 0', 'red', 'x', 'NRC')$$, :guard_id),
                 '23505', NULL, 'an id used before, by a deleted profile, is not given out again');
SELECT throws_ok($$INSERT INTO profile (profile_id, name, criteria, channel, description, owner_office)
                   OVERRIDING SYSTEM VALUE VALUES (0, 't zero', 'value > 0', 'red', 'x', 'NRC')$$,
                 '23505', NULL, '... nor an id the table never gave out');
SELECT throws_ok($$INSERT INTO profile (name, criteria, channel, description, owner_office)
                   SELECT 't house', 'value > 0', 'red', 'x', min(office_code) FROM office WHERE level = 'house'$$,
                 '23514', NULL, 'a customs house cannot own a profile');
SELECT throws_ok($$INSERT INTO profile (name, criteria, channel, description, owner_office, scope_offices)
                   VALUES ('t nowhere', 'value > 0', 'red', 'x', 'NRC', '{NOPE}')$$,
                 '23503', 'scope office ''NOPE'' does not exist', 'a scope office that does not exist');
SELECT throws_ok($$INSERT INTO profile (name, criteria, channel, description, owner_office, scope_offices)
                   VALUES ('t national scope', 'value > 0', 'red', 'x', 'NRC', '{NRC}')$$,
                 '23514', NULL, 'the national centre is not a scope');
SELECT throws_ok($$INSERT INTO profile (name, criteria, channel, description, owner_office, scope_offices)
                   VALUES ('t 2-D', 'value > 0', 'red', 'x', 'NRC', '{{RC-SEOUL},{RC-BUSAN}}')$$,
                 '23514', NULL, 'a scope is a one-dimensional list');
SELECT throws_ok($$INSERT INTO profile (name, criteria, channel, description, status, owner_office)
                   VALUES ('t no list', 'importer in list ''no such list''', 'red', 'x', 'active', 'NRC')$$,
                 '23503', NULL, 'an active profile cannot name a code list that does not exist');
INSERT INTO code_list VALUES ('t guarded', 'guard test', NULL);
INSERT INTO code_list_entry (list_name, code) VALUES ('t guarded', 'X1');
INSERT INTO profile (name, criteria, channel, description, status, owner_office)
VALUES ('t list user', 'importer in list ''t guarded''', 'red', 'x', 'active', 'NRC');
SELECT throws_ok($$DELETE FROM code_list WHERE list_name = 't guarded'$$, '23503',
                 'code list ''t guarded'' is named by active profile ''t list user''',
                 'a code list an active profile names cannot be deleted');
DELETE FROM code_list_entry WHERE list_name = 't guarded';   -- so that only the guard can refuse the rename
SELECT throws_ok($$UPDATE code_list SET list_name = 't renamed' WHERE list_name = 't guarded'$$, '23503',
                 'code list ''t guarded'' is named by active profile ''t list user''', '... nor renamed');
SET LOCAL client_min_messages = warning;    -- not the cascade's notice
SELECT throws_ok($$TRUNCATE code_list CASCADE$$, '23503', NULL, '... nor truncated');
RESET client_min_messages;
UPDATE profile SET status = 'retired' WHERE name = 't list user';
SELECT lives_ok($$DELETE FROM code_list WHERE list_name = 't guarded'$$, 'once the profile is retired, the list can go');
SELECT throws_ok($$UPDATE profile SET status = 'active' WHERE name = 't list user'$$, '23503', NULL,
                 '... and the profile cannot be made active again without it');
-- the office tree keeps live profiles' scopes valid
SELECT min(office_code) AS scoped_house, min(parent_code) AS scoped_district FROM office
 WHERE level = 'house' AND parent_code = (SELECT min(parent_code) FROM office WHERE level = 'house') \gset
SELECT min(office_code) AS other_district FROM office WHERE level = 'district' AND office_code <> :'scoped_district' \gset
INSERT INTO profile (name, criteria, channel, description, status, owner_office, scope_offices)
VALUES ('t scoped', 'value > 0', 'red', 'x', 'active', :'scoped_district', ARRAY[:'scoped_house']);
SELECT throws_ok(format($$UPDATE office SET parent_code = %L WHERE office_code = %L$$, :'other_district', :'scoped_house'),
                 '23514', NULL, 'a house a district''s profile scopes cannot move to another district');
UPDATE profile SET status = 'retired' WHERE name = 't scoped';
SELECT lives_ok(format($$UPDATE office SET parent_code = %L WHERE office_code = %L$$, :'other_district', :'scoped_house'),
                '... once the profile is retired it can, and the retired profile keeps its scope');
SELECT throws_ok($$DELETE FROM profile_set$$, '0A000', NULL, 'the profile-set row cannot be deleted');
SELECT throws_ok($$UPDATE profile_set SET version = version - 1$$, '0A000', NULL, '... nor its version moved back');

SELECT * FROM finish();
ROLLBACK;
