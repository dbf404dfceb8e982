-- The fast paths of matching give the same answers as the plain ones: rows passed as columns,
-- guards and exact entries, numbers read without text, the batch's C summaries.
BEGIN;
SET search_path = customs_risk, public;
SELECT plan(76);

-- Profiles shaped for each path of the matcher: exact entries (one leaf), guards on a code,
-- an HS prefix and a number, two guards, bounds met exactly, a validity window, a scope.
INSERT INTO profile (name, criteria, channel, weight, description, status, valid_from, valid_to, owner_office, scope_offices) VALUES
 ('exact importer', 'importer = QLRUBN9', 'red', 1, 'e1', 'active', '2020-01-01', NULL, 'NRC', NULL),
 ('exact heading', 'hs <@ 8471', 'blue', 1, 'e2', 'active', '2020-01-01', NULL, 'NRC', NULL),
 ('exact in', 'origin in (VN, TH)', 'blue', 1, 'e3', 'active', '2020-01-01', NULL, 'NRC', NULL),
 ('exact above', 'value > 50000000', 'yellow', 1, 'e4', 'active', '2020-01-01', NULL, 'NRC', NULL),
 ('exact at least', 'net_mass >= 20000', 'yellow', 1, 'e5', 'active', '2020-01-01', NULL, 'NRC', NULL),
 ('exact below', 'unit_value < 1', 'yellow', 1, 'e6', 'active', '2020-01-01', NULL, 'NRC', NULL),
 ('exact hs equal', 'hs = 8471', 'yellow', 1, 'hs = is not hs <@', 'active', '2020-01-01', NULL, 'NRC', NULL),
 ('exact, January only', 'hs <@ 85', 'red', 1, 'e7', 'active', '2020-01-01', '2020-01-31', 'NRC', NULL),
 ('exact but scoped', 'hs <@ 39', 'red', 1, 'e8', 'active', '2020-01-01', NULL, 'NRC', '{40}'),
 ('guard code', 'hs <@ 61 and origin = CN', 'red', 2, 'g1', 'active', '2020-01-01', NULL, 'NRC', NULL),
 ('guard hs', 'importer = 7JD1S2X and hs <@ 85', 'red', 2, 'g2', 'active', '2020-01-01', NULL, 'NRC', NULL),
 ('guard number', 'hs <@ 84 and value > 1000000', 'red', 2, 'g3', 'active', '2020-01-01', NULL, 'NRC', NULL),
 ('guard at bound', 'origin = CN and net_mass <= 100', 'red', 2, 'g4', 'active', '2020-01-01', NULL, 'NRC', NULL),
 ('two guards', 'hs <@ 62 and origin = CN and unit_value < 20000', 'red', 2, 'g5', 'active', '2020-01-01', NULL, 'NRC', NULL),
 ('guard on null', 'transport = air and seller = X', 'red', 2, 'g6', 'active', '2020-01-01', NULL, 'NRC', NULL),
 ('guard and not', 'hs <@ 84 and not origin = CN and value >= 0', 'blue', 2, 'g7', 'active', '2020-01-01', NULL, 'NRC', NULL),
 ('range between', 'tax_rate between 8 and 8', 'blue', 1, 'r1', 'active', '2020-01-01', NULL, 'NRC', NULL);

-- the bounds met exactly: the value itself of some lines
UPDATE profile SET criteria = format('value > %s', (SELECT percentile_disc(0.99) WITHIN GROUP (ORDER BY value) FROM declaration_line))::criteria
 WHERE name = 'exact above';
SELECT ok((SELECT count(*) FROM declaration_line_v v
            WHERE v.value = (SELECT percentile_disc(0.99) WITHIN GROUP (ORDER BY value) FROM declaration_line)) > 0,
          'some lines sit exactly on the strict bound of "exact above"');

-- lines on which match_profiles differs from testing every active profile in SQL
CREATE FUNCTION pg_temp.lines_matched_otherwise() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM customs_risk.declaration_line_v v
     WHERE customs_risk.match_profiles(v) IS DISTINCT FROM
           (SELECT coalesce(array_agg(p.profile_id ORDER BY p.profile_id), '{}') FROM customs_risk.profile p
             WHERE p.status = 'active' AND v.declared_on BETWEEN p.valid_from AND coalesce(p.valid_to, 'infinity')
               AND (p.owner_office = 'NRC' OR p.owner_office = v.district)
               AND (p.scope_offices IS NULL OR v.office = ANY (p.scope_offices) OR v.district = ANY (p.scope_offices))
               AND v OPERATOR(customs_risk.@@) p.criteria)
$$;
SELECT is(pg_temp.lines_matched_otherwise(), 0::bigint,
          'with exact entries and guards, match_profiles still equals testing every profile on every line');
SELECT ok((SELECT count(*) FROM declaration_line_v v WHERE (SELECT profile_id FROM profile WHERE name = 'exact, January only') = ANY (match_profiles(v))) > 0
          AND (SELECT count(*) FROM declaration_line_v v WHERE v.declared_on > '2020-01-31'
                AND (SELECT profile_id FROM profile WHERE name = 'exact, January only') = ANY (match_profiles(v))) = 0,
          'an exact entry selects inside its validity window and not after it');
SELECT is((SELECT count(*) FROM declaration_line_v v WHERE v.hs <> '8471'
            AND (SELECT profile_id FROM profile WHERE name = 'exact hs equal') = ANY (match_profiles(v))), 0::bigint,
          'hs = 8471 is not taken for hs <@ 8471');

-- rows passed as columns: the planner's rewrite, and the same answers as the row value
CREATE TEMP TABLE flat AS SELECT * FROM declaration_line_v;
CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    result text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP
        result := result || line || ' ';
    END LOOP;
    RETURN result;
END $$;
SELECT ok(pg_temp.plan_text('SELECT match_profiles(f) FROM flat f')
          LIKE '%match_profiles_columns(''flat''::regtype, ''(0,0)''::tid, ''{declaration_id,declared_on,%',
          'match_profiles(t) over a table is planned as match_profiles_columns with its columns');
SELECT ok(pg_temp.plan_text('SELECT match_profiles(f) FROM (VALUES (1)) o(n) LEFT JOIN flat f ON true')
          LIKE '%match_profiles_columns(''flat''::regtype, f.ctid, ''{declaration_id,declared_on,%',
          '... and under an outer join with its ctid, NULL for a row the join made up');
SELECT ok(pg_temp.plan_text($q$SELECT * FROM declaration_line_v v WHERE v @@ 'origin = CN'$q$)
          LIKE '%criteria_match_columns(''declaration_line_v''::regtype, ''(0,0)''::tid,%',
          'v @@ c over the view is planned as criteria_match_columns');
-- @@ and match_profiles declare their cost: a cheap filter written after them is checked first
SELECT ok(pg_temp.plan_text($q$SELECT 1 FROM flat f WHERE f @@ 'origin = CN' AND f.office = '10'$q$)
          LIKE '%Filter: ((f.office = ''10''::text) AND criteria_match_columns(%',
          'a cheap filter runs before @@, whichever is written first');
SELECT ok(pg_temp.plan_text($q$SELECT 1 FROM flat f WHERE cardinality(match_profiles(f)) > 0 AND upper(lower(upper(lower(f.office)))) = '10'$q$)
          LIKE '%Filter: ((upper(lower(upper(lower(f.office)))) = ''10''::text) AND (cardinality(match_profiles_columns(%',
          '... and a filter of five calls before match_profiles');
SELECT ok(pg_temp.plan_text('SELECT match_profiles(x) FROM (SELECT * FROM flat OFFSET 0) x') NOT LIKE '%_columns(%',
          'a row of an unnamed type keeps the row-value path');
SELECT is((SELECT count(*) FROM flat f WHERE match_profiles(f) IS DISTINCT FROM (SELECT match_profiles(x) FROM (SELECT f.*) x)), 0::bigint,
          'match_profiles gives the same ids for a table''s rows as columns and as row values');
SELECT is((SELECT count(*) FROM flat f WHERE (f @@ 'hs <@ 61 and origin = CN and unit_value < 20000')
                                   IS DISTINCT FROM (SELECT x @@ 'hs <@ 61 and origin = CN and unit_value < 20000' FROM (SELECT f.*) x)), 0::bigint,
          '@@ gives the same answer for a table''s rows as columns and as row values');
SELECT is((SELECT count(*) FROM declaration_line_v v WHERE (v @@ 'not (value > 1000000 or seller is null)')
                                   IS DISTINCT FROM (SELECT x @@ 'not (value > 1000000 or seller is null)' FROM (SELECT v.*) x)), 0::bigint,
          '@@ gives the same answer, NULLs included, for the view as columns and as row values');
SELECT is((SELECT match_profiles(f) FROM (VALUES (1)) o(n) LEFT JOIN flat f ON false), NULL,
          'a row an outer join made up is NULL, as for the row value');
SELECT is((SELECT f @@ 'origin = CN' FROM (VALUES (1)) o(n) LEFT JOIN flat f ON false), NULL,
          '... for @@ too');
SELECT throws_ok($$SELECT customs_risk.match_profiles_columns('customs_risk.declaration_line_v', '(0,0)', ARRAY['hs', 'origin'], '8471'::customs_risk.hscode)$$,
                 '22023', '2 column names for 1 columns', 'the columns must match their names');
SELECT throws_ok($$SELECT customs_risk.match_profiles_columns('customs_risk.declaration_line_v', '(0,0)', ARRAY[left('hsx', 2 + (random() * 0)::int)], '8471'::customs_risk.hscode)$$,
                 '22023', 'the row type and the column names must be constants', 'the names must be constants');
SELECT throws_ok($$SELECT customs_risk.match_profiles_columns('customs_risk.declaration_line_v', '(0,0)', ARRAY[NULL::text], '8471'::customs_risk.hscode)$$,
                 '22004', 'column names must not be NULL', 'a NULL name is an error');
SELECT throws_ok($$SELECT customs_risk.criteria_match_columns('customs_risk.declaration_line_v', '(0,0)', ARRAY['hs'], 'value > 1', '8471'::customs_risk.hscode)$$,
                 '42703', 'criteria use field "value", which declaration_line_v does not have',
                 'a field the columns lack is reported as for a row without it');
SELECT throws_ok($$SELECT customs_risk.criteria_match_columns(0::regtype, '(0,0)', ARRAY['value'], 'value > 1', 5.0)$$,
                 '22023', 'type 0 is not a row type', 'a row type that is no type is an error, not a failed lookup');
SELECT throws_ok($$SELECT customs_risk.match_profiles_columns('int4'::regtype, '(0,0)', ARRAY['value'], 5.0)$$,
                 '22023', 'type 23 is not a row type', '... nor is a scalar type');
SELECT throws_ok($$SELECT customs_risk.criteria_match_columns('customs_risk.declaration_line_v', '(0,0)', ARRAY[ARRAY['value']], 'value > 1', 5.0)$$,
                 '22023', 'the column names must be a one-dimensional array', 'a two-dimensional array of names is named as such');
SELECT throws_ok($$SELECT customs_risk.criteria_match_columns(NULL, '(0,0)', ARRAY['value'], 'value > 1', 5.0)$$,
                 '22004', 'the row type and the column names must not be NULL', 'a NULL row type is an error');
CREATE TEMP TABLE text_hs (hs text, value numeric);
INSERT INTO text_hs VALUES ('8471', 5);
SELECT throws_ok($$SELECT count(*) FROM text_hs t WHERE t @@ 'hs <@ 84'$$, '42804',
                 'column "hs" of text_hs has type text, which criteria cannot compare', 'a wrong column type is reported (columns path)');
SELECT throws_ok($$SELECT count(*) FROM (SELECT * FROM text_hs OFFSET 0) t WHERE t @@ 'hs <@ 84'$$, '42804',
                 NULL, '... and on the row-value path');

SELECT is((SELECT count(*) FROM (SELECT match_profiles(f) AS m FROM flat f WHERE f.importer = 'QLRUBN9'
                                  GROUP BY GROUPING SETS ((f), ())) g WHERE m IS NULL), 1::bigint,
          'under grouping sets the row-value path is kept: the grand-total row''s NULL row gives NULL');

-- profiles decided by finding them: every profile above but "hs = 8471" (HS equality is
-- not containment), the scoped one and the one with "not"
SELECT is((SELECT decided_by_lookup FROM profile_matcher_stats()),
          (SELECT count(*)::int FROM profile WHERE status = 'active') - 3,
          'a profile that is its anchor and its guards joined by "and" is decided without evaluation');

-- such a profile compares a guarded code itself, not only its hash: P187857 and P341881 hash alike
SELECT is(hashtext('P187857'), hashtext('P341881'), 'the two payment types below have the same hash');
INSERT INTO profile (name, criteria, channel, weight, description, status, valid_from, owner_office) VALUES
 ('guard code, hash alike', 'hs <@ 6109 and payment_type = P187857', 'red', 1, 'c1', 'active', '2020-01-01', 'NRC');
CREATE TEMP TABLE alike AS SELECT * FROM flat WHERE declared_on >= '2020-01-01' LIMIT 2;
UPDATE alike SET hs = '6109100000', payment_type = CASE WHEN declaration_id = (SELECT min(declaration_id) FROM alike)
                                                         THEN 'P187857' ELSE 'P341881' END;
SELECT is((SELECT array_agg(a.payment_type ORDER BY 1) FROM alike a
            WHERE (SELECT profile_id FROM profile WHERE name = 'guard code, hash alike') = ANY (match_profiles(a))),
          '{P187857}'::text[], 'only the line with the very code matches, not the one whose code hashes alike');

-- a line over many thresholds: more than 16 matches, still in id order
INSERT INTO profile (name, criteria, channel, weight, description, status, valid_from, owner_office)
SELECT 'threshold ' || k, format('value > %s', k * 1000)::criteria, 'yellow', 1, 't', 'active', '2020-01-01', 'NRC'
  FROM generate_series(1, 40) k;
SELECT ok((SELECT max(cardinality(match_profiles(f))) FROM flat f) > 16, 'some line matches more than 16 profiles');
SELECT is(pg_temp.lines_matched_otherwise(), 0::bigint,
          'with many matches per line, match_profiles still equals testing every profile, in id order');
SELECT is((SELECT count(*) FROM flat f WHERE match_profiles(f) IS DISTINCT FROM (SELECT match_profiles(x) FROM (SELECT f.*) x)), 0::bigint,
          '... as columns and as row values');
UPDATE profile SET status = 'retired' WHERE name LIKE 'threshold %' OR name = 'guard code, hash alike';

-- a crowded key: heading 3926 with a profile per origin, per common tax and payment type and
-- per value bound, so its entries are sorted by their code guards (three fields) and searched
INSERT INTO profile (name, criteria, channel, weight, description, status, valid_from, owner_office)
SELECT 'crowded ' || k, c::criteria, 'yellow', 1, 'k', 'active', '2020-01-01', 'NRC'
  FROM (SELECT row_number() OVER (ORDER BY c) AS k, c FROM (
        SELECT DISTINCT format('hs <@ 3926 and origin = %s', origin) AS c FROM flat WHERE hs OPERATOR(<@) '3926'
        UNION ALL
        (SELECT format('hs <@ 3926 and tax_type = %s', tax_type) FROM flat WHERE hs OPERATOR(<@) '3926' AND tax_type IS NOT NULL
          GROUP BY tax_type ORDER BY count(*) DESC, tax_type LIMIT 3)
        UNION ALL
        (SELECT format('hs <@ 3926 and payment_type = %s', payment_type) FROM flat WHERE hs OPERATOR(<@) '3926' AND payment_type IS NOT NULL
          GROUP BY payment_type ORDER BY count(*) DESC, payment_type LIMIT 3)
        UNION ALL
        SELECT format('hs <@ 3926 and value > %s', b) FROM (VALUES (1000), (100000), (10000000)) v(b)
        UNION ALL
        SELECT 'hs <@ 3926 and origin = ZZ and unit_value < 10') x) y;
SELECT cmp_ok((SELECT largest_key FROM profile_matcher_stats()), '>=', 40, 'at least 40 profiles are filed under one key');
SELECT cmp_ok((SELECT count(*) FROM flat f WHERE EXISTS (SELECT 1 FROM profile p WHERE p.name LIKE 'crowded %'
                                                          AND p.profile_id = ANY (match_profiles(f)))), '>', 2000::bigint,
              'the crowded key''s profiles match most 3926 lines');
SELECT is(pg_temp.lines_matched_otherwise(), 0::bigint,
          'with a crowded key searched by guard, match_profiles still equals testing every profile');
UPDATE profile SET status = 'retired' WHERE name LIKE 'crowded %';

-- the view's derived values: doubles where they hold, numeric arithmetic (and its errors) where not
SELECT throws_ok($$SELECT customs_risk.unit_value_of(1, 1e-400)$$, '22003', NULL,
                 'a unit value beyond double range is an error, as numeric division then a cast is');
SELECT is(unit_value_of(1e-300, 1e-200), 1e-100::float8, 'tiny operands divide exactly enough');
SELECT throws_ok($$SELECT customs_risk.duty_of(1e307, 100000)$$, '22003', NULL, 'a duty beyond double range is an error');

-- numbers are read without text and give the same double as the float8 cast
CREATE TEMP TABLE nums (value numeric);
INSERT INTO nums
SELECT x FROM unnest(ARRAY[0, 1, -1, 0.1, 0.3, 1000.1, 123456789.123456789, 9007199254740993, 1e22, 1e23, 1.7976931348623157e308,
                           0.000000000000000000001, 12345678901234567890.5, 99999999.99999999, 2.5e-300, 4.9e-324]::numeric[]) x
UNION ALL SELECT round((random() * 10 ^ (random() * 30 - 10))::numeric, (random() * 20)::int) FROM generate_series(1, 5000);
SELECT is((SELECT count(*) FROM nums n WHERE n.value::float8 BETWEEN -1.7976931348623157e308 AND 1.7976931348623157e308
            AND NOT coalesce(n @@ format('value = %s', n.value::float8::text)::criteria, false)), 0::bigint,
          'every numeric reads as the double its float8 cast gives (fast path and fallback)');
SELECT is((SELECT count(*) FROM declaration_line l WHERE unit_value_of(l.value, l.net_mass) IS DISTINCT FROM
              CASE WHEN l.net_mass > 0 THEN l.value::float8 / l.net_mass::float8 END), 0::bigint,
          'unit_value_of is value / mass in double precision, NULL when the mass is 0 or unknown');
SELECT is((SELECT count(*) FROM declaration_line l WHERE duty_of(l.value, l.tax_rate) IS DISTINCT FROM
              l.value::float8 * l.tax_rate::float8 / 100), 0::bigint,
          'duty_of is value x rate / 100 in double precision');

-- the batch's summaries of matched ids
SELECT is(profile_union(x), '{1,2,3,5,8}'::bigint[], 'profile_union merges ascending id sets')
  FROM (VALUES ('{2,5}'::bigint[]), ('{}'), (NULL), ('{1,2,3,8}')) v(x);
SELECT is((SELECT profile_union(x) FROM (VALUES (NULL::bigint[])) v(x)), '{}'::bigint[], 'profile_union of nothing is the empty set');
SELECT throws_ok($$SELECT customs_risk.profile_union(x) FROM (VALUES ('{3,1}'::bigint[])) v(x)$$, '22023',
                 NULL, 'ids out of order are an error');
SELECT throws_ok($$SELECT customs_risk.profile_union(x) FROM (VALUES ('{{1,2},{3,4}}'::bigint[])) v(x)$$, '22023',
                 NULL, 'a two-dimensional id array is an error');
SELECT throws_ok($$SELECT customs_risk.profile_union(x) FROM (VALUES ('{1,NULL}'::bigint[])) v(x)$$, '22023',
                 NULL, 'a NULL id is an error');
SELECT is(profile_score(NULL), NULL, 'profile_score of NULL is NULL');
SELECT is(profile_score(ARRAY(SELECT profile_id FROM profile WHERE name IN ('guard code', 'exact above') ORDER BY 1)),
          3::float8, 'profile_score sums the weights');
SELECT is(profile_channel(ARRAY(SELECT profile_id FROM profile WHERE name IN ('exact in', 'exact above') ORDER BY 1))::text,
          'yellow', 'profile_channel is the most intrusive channel');
SELECT is(profile_channel('{}'), NULL, 'no profiles, no channel');
SELECT throws_ok($$SELECT customs_risk.profile_score('{-5}')$$, 'P0002', NULL, 'an id that is not an active profile is an error');
SELECT is((SELECT ROW(s.score, s.channel, s.reasons) FROM profile_summary(ARRAY(
              SELECT profile_id FROM profile WHERE name IN ('guard code', 'exact above', 'exact in') ORDER BY 1)) s)::text,
          ROW(4::float8, 'red'::channel, ARRAY(SELECT description FROM profile
                                                WHERE name IN ('guard code', 'exact above', 'exact in') ORDER BY profile_id))::text,
          'profile_summary gives the score, the most intrusive channel and the descriptions in id order');
SELECT is((SELECT ROW(s.score, s.channel, s.reasons, s.profile_set_version) FROM profile_summary('{}') s)::text,
          ROW(0::float8, NULL::channel, '{}'::text[], (SELECT version FROM profile_set))::text,
          'profile_summary of no ids: score 0, no channel, no reasons, the current version');
SELECT ok((SELECT s.score IS NULL AND s.channel IS NULL AND s.reasons IS NULL AND s.profile_set_version IS NULL
             FROM profile_summary(NULL) s), 'profile_summary of NULL is NULL');
SELECT throws_ok($$SELECT * FROM customs_risk.profile_summary('{-5}')$$, 'P0002', NULL, 'profile_summary: an id that is not active is an error');
SELECT throws_ok($$SELECT * FROM customs_risk.profile_summary('{3,1}')$$, '22023', NULL, 'profile_summary: ids out of order are an error');
-- ids are looked up directly while the active ones are compact, and searched when they are
-- sparse: the same answers either way, inside, between and outside the active ids
CREATE TEMP TABLE ids_probe AS
SELECT array_agg(profile_id ORDER BY profile_id) AS active, min(profile_id) AS lo, max(profile_id) AS hi,
       sum(weight) AS total FROM profile WHERE status = 'active';
SELECT is(profile_score((SELECT active FROM ids_probe)), (SELECT total FROM ids_probe),
          'compact active ids: the score of them all is the sum of their weights');
SELECT throws_ok(format('SELECT customs_risk.profile_score(%L)', ARRAY[(SELECT hi + 1 FROM ids_probe)]), 'P0002', NULL,
                 'compact active ids: an id just past them is not active');
UPDATE profile SET status = 'suspended' WHERE name = 'guard hs';
SELECT throws_ok(format('SELECT customs_risk.profile_score(%L)', ARRAY[(SELECT profile_id FROM profile WHERE name = 'guard hs')]),
                 'P0002', NULL, 'compact active ids: a suspended id among them is not active');
UPDATE profile SET status = 'active' WHERE name = 'guard hs';
INSERT INTO profile (name, criteria, channel, weight, description, status, valid_from, owner_office)
SELECT 'sparse ' || k, 'origin = CN', 'blue', 0.5, 's', CASE WHEN k = 400 THEN 'active' ELSE 'retired' END::profile_status,
       '2020-01-01', 'NRC'
  FROM generate_series(1, 400) k;
SELECT is(profile_score((SELECT active FROM ids_probe) || (SELECT profile_id FROM profile WHERE name = 'sparse 400')),
          (SELECT total + 0.5 FROM ids_probe), 'sparse active ids: the same sum, the far one included');
SELECT throws_ok(format('SELECT customs_risk.profile_score(%L)', ARRAY[(SELECT profile_id FROM profile WHERE name = 'sparse 200')]),
                 'P0002', NULL, 'sparse active ids: a retired id between them is not active');
SELECT is((SELECT channel::text FROM profile_summary(ARRAY[(SELECT lo FROM ids_probe), (SELECT profile_id FROM profile WHERE name = 'sparse 400')])),
          (SELECT greatest(channel, 'blue')::text FROM profile WHERE profile_id = (SELECT lo FROM ids_probe)),
          'sparse active ids: profile_summary finds the first and the last');
UPDATE profile SET status = 'retired' WHERE name = 'sparse 400';
-- match_profile_rows: one row per matched profile, what match_profiles and profile_summary say
SELECT ok((SELECT count(*) FILTER (WHERE coalesce(r.ids, '{}') IS DISTINCT FROM match_profiles(v)
                                      OR coalesce(r.reasons, '{}') IS DISTINCT FROM
                                         (SELECT s.reasons FROM profile_summary(match_profiles(v)) s)) = 0
                  AND count(r.ids) > 0
             FROM (SELECT v.declaration_id, v.line_no FROM declaration_line_v v ORDER BY 1, 2 LIMIT 3000) k
             JOIN declaration_line_v v USING (declaration_id, line_no),
             LATERAL (SELECT array_agg(r.profile_id ORDER BY r.profile_id) AS ids,
                             array_agg(r.description ORDER BY r.profile_id) AS reasons
                        FROM match_profile_rows(v) r) r),
          'match_profile_rows gives the profiles match_profiles finds, with their descriptions');
-- the version is where the matcher reads it, also after many changes moved the profile-set row
UPDATE profile SET weight = weight + 0 WHERE status = 'active';
SELECT is(profile_set_version(), (SELECT version FROM profile_set), 'profile_set_version() is the current version');
SELECT is((SELECT (decide(min(declaration_id))).profile_set_version FROM declaration), (SELECT version FROM profile_set),
          'decide() reports the version its profiles came from');

-- the draw in C under the database key equals the auditor's formula
SELECT ensure_selection_secret();
SELECT is((SELECT count(*) FROM (SELECT declaration_id FROM declaration LIMIT 2000) d, selection_secret s
            WHERE random_draw(d.declaration_id) IS DISTINCT FROM random_draw_with(s.secret, d.declaration_id)), 0::bigint,
          'random_draw equals random_draw_with under the stored key');
SELECT is(random_draws_with('\x0102', ARRAY['a', NULL, 'c']),
          ARRAY[random_draw_with('\x0102', 'a'), NULL, random_draw_with('\x0102', 'c')], 'random_draws_with keeps order and NULLs');
SELECT is(random_draws_with('\x0102', '{}'), '{}'::float8[], '... and an empty array');
SELECT throws_ok($$SELECT customs_risk.random_draws_with('\x0102', '{{a,b},{c,d}}')$$, '2202E', NULL,
                 'a two-dimensional id array is an error');

-- the batch agrees with decide() declaration by declaration, for declarations of one line and
-- of several (a third of the day's get the goods of two other declarations as more lines: the
-- batch gathers a declaration's lines itself)
INSERT INTO declaration_line (declaration_id, line_no, hs, origin_country, origin_indicator, tax_type, tax_rate, net_mass, value)
SELECT a.declaration_id, 1 + k, b.hs, b.origin_country, b.origin_indicator, b.tax_type, b.tax_rate, b.net_mass, b.value
  FROM (SELECT d.declaration_id, row_number() OVER (ORDER BY d.declaration_id) AS rn FROM declaration d
         WHERE d.declared_on = '2020-03-02') a
  CROSS JOIN generate_series(1, 2) k
  JOIN (SELECT l.*, row_number() OVER (ORDER BY l.declaration_id DESC) AS rn FROM declaration_line l) b ON b.rn = a.rn + 17 * k
 WHERE a.rn % 3 = 0;
SELECT cmp_ok((SELECT count(*) FROM (SELECT l.declaration_id FROM declaration_line l JOIN declaration d USING (declaration_id)
                                       WHERE d.declared_on = '2020-03-02' GROUP BY 1 HAVING count(*) = 3) x), '>', 50::bigint,
              'more than fifty of the day''s declarations have three lines');
-- and grades for about half of the day's importers: certified ones waive selections, dishonest
-- ones are sent yellow at a least rate, each by its own draw
INSERT INTO trader_grade_history (trader_id, valid_from, grade, reasons)
SELECT i.importer_id, '2020-01-01', (ARRAY['advanced_certified', 'general_certified', 'dishonest'])[1 + i.k % 3]::trader_grade, '{test}'
  FROM (SELECT importer_id, row_number() OVER (ORDER BY importer_id) AS k
          FROM (SELECT DISTINCT importer_id FROM declaration WHERE declared_on = '2020-03-02') x) i
 WHERE i.k % 2 = 0;
INSERT INTO channel_policy (office_code, random_rate) VALUES ('NRC', 0.05);
CREATE TEMP TABLE day AS SELECT * FROM select_for_day('2020-03-02');
SELECT is((SELECT count(*) FROM decision_log b JOIN declaration d USING (declaration_id)
            WHERE b.selected_by LIKE 'batch-%' AND d.declared_on = '2020-03-02'
              AND ROW(b.profile_ids, b.score, b.random) IS DISTINCT FROM
                  (SELECT ROW((x).profile_ids, (x).score, (x).random) FROM (SELECT decide(b.declaration_id) AS x) y)), 0::bigint,
          'the batch finds the same profiles, score and random draw as decide() for every declaration of the day');
SELECT is((SELECT count(*) FROM decision_log b JOIN declaration d USING (declaration_id)
            WHERE b.selected_by LIKE 'batch-%' AND b.selected_by NOT IN ('batch-capacity', 'batch-topup')
              AND d.declared_on = '2020-03-02'
              AND b.channel IS DISTINCT FROM (SELECT (x).channel FROM (SELECT decide(b.declaration_id) AS x) y)), 0::bigint,
          '... and the same channel, where neither capacity nor the top-up changed it (grades included)');
SELECT cmp_ok((SELECT count(*) FROM decision_log b JOIN declaration d USING (declaration_id)
                WHERE b.selected_by = 'batch-grade' AND d.declared_on = '2020-03-02'), '>', 10::bigint,
              'more than ten of the day''s channels were set by a grade');
SELECT cmp_ok((SELECT count(*) FROM decision_log b JOIN declaration d USING (declaration_id)
                WHERE b.selected_by LIKE 'batch-%' AND d.declared_on = '2020-03-02'
                  AND cardinality(b.profile_ids) > (SELECT max(cardinality(match_profiles(v))) FROM declaration_line_v v
                                                     WHERE v.declaration_id = b.declaration_id)), '>', 0::bigint,
              '... some of them with more profiles than any one of their lines matches');
-- grade rows that overlap by mistake: the batch refuses them, as decide() does
INSERT INTO trader_grade_history (trader_id, valid_from, valid_to, grade, reasons)
SELECT trader_id, '2020-02-01', '2020-04-01', 'dishonest', '{overlap}' FROM trader_grade_history
 WHERE valid_from = '2020-01-01' ORDER BY trader_id LIMIT 1;
SELECT throws_ok($$SELECT * FROM customs_risk.select_for_day('2020-03-02')$$, '21000', NULL,
                 'an importer with two grades on the day stops the batch');

-- a call site that outlives statements (a PL/pgSQL loop that writes) reads code lists again in
-- each statement, and frees the previous statement's copy
INSERT INTO code_list VALUES ('t big list', 'memory test', NULL);
INSERT INTO code_list_entry (list_name, code) SELECT 't big list', 'C' || g FROM generate_series(1, 20000) g;
INSERT INTO profile (name, criteria, channel, description, status, valid_from, owner_office)
VALUES ('t big list user', 'importer in list ''t big list''', 'red', 'x', 'active', '2020-01-01', 'NRC');
CREATE TEMP TABLE list_sink (i int);
CREATE FUNCTION pg_temp.list_loop_growth(n int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    r record;
    ids bigint[];
    hit boolean;
    before bigint;
BEGIN
    SELECT * INTO r FROM customs_risk.declaration_line_v LIMIT 1;
    ids := customs_risk.match_profiles(r);
    hit := r OPERATOR(customs_risk.@@) 'importer in list ''t big list''';
    INSERT INTO list_sink VALUES (0);
    SELECT sum(total_bytes) INTO before FROM pg_backend_memory_contexts;
    FOR i IN 1..n LOOP
        ids := customs_risk.match_profiles(r);
        hit := r OPERATOR(customs_risk.@@) 'importer in list ''t big list''';
        INSERT INTO list_sink VALUES (i);
    END LOOP;
    RETURN (SELECT sum(total_bytes) FROM pg_backend_memory_contexts) - before;
END $$;
SELECT cmp_ok(pg_temp.list_loop_growth(40), '<', 4000000::bigint,
              'a 40-statement loop over a 20,000-code list keeps one copy of the list, not forty');

SELECT * FROM finish();
ROLLBACK;
