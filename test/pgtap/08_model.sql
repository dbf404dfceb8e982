-- The in-database risk model on the bundled sample: training, scoring, explanation,
-- retraining, parallel scoring and every bad input the issue names.
BEGIN;
SET search_path = customs_risk, public;
SET client_min_messages = warning;
SELECT plan(76);

CREATE TEMP TABLE rows AS
SELECT l.declared_on, o.hit, l.office, l.process_type, l.import_type, l.transport, l.departure, l.hs, l.origin,
       l.origin_indicator, l.tax_type, l.tax_rate, l.net_mass, l.value, l.unit_value, l.importer, l.declarant,
       l.seller, hs_truncate(l.hs, 6)::text || l.origin AS hs6_origin,
       hs_truncate(l.hs, 6)::text || l.origin || l.tax_type AS hs6_origin_tax
  FROM declaration_line_v l JOIN declaration_outcome_v o USING (declaration_id);
CREATE TEMP VIEW train_rows AS SELECT * FROM rows WHERE declared_on < '2021-01-01';
CREATE TEMP VIEW valid_rows AS SELECT * FROM rows WHERE declared_on >= '2021-01-01';

SELECT lives_ok($$SELECT train_model('t_gbdt', 'SELECT * FROM train_rows', 'hit')$$, 'train_model trains a GBDT from any query');
SELECT is((SELECT (metrics ->> 'rows')::int || '/' || (metrics ->> 'positives') FROM model WHERE name = 't_gbdt'),
          '37385/8114', 'the model records its training rows and hits');
SELECT is((SELECT train_from::date || '..' || train_to::date FROM model WHERE name = 't_gbdt'), '2020-01-01..2020-12-31',
          'the training window comes from the date column, which is not a feature');
SELECT is((SELECT string_agg((f ->> 'column') || ':' || (f ->> 'type'), ',') FROM model, jsonb_array_elements(features) f
            WHERE name = 't_gbdt' AND f ->> 'column' IN ('importer', 'tax_rate', 'hs')),
          'hs:category,tax_rate:number,importer:category', 'numbers are numeric features, codes categorical');
SELECT is((SELECT options ->> 'trees' || '/' || (options ->> 'depth') || '/' || (options ->> 'folds') FROM model WHERE name = 't_gbdt'),
          '100/6/5', 'the options used are stored, defaults filled in');

-- quality on the later period: the issue's goals are 0.82 and 0.72
SELECT cmp_ok((SELECT precision_at(score('t_gbdt', v), hit, 0.05) FROM valid_rows v), '>=', 0.82::float8,
              'precision at 5% on 2021 Q1 is at least 0.82');
SELECT cmp_ok((SELECT precision_at(score('t_gbdt', v), hit, 0.10) FROM valid_rows v), '>=', 0.72::float8,
              'precision at 10% on 2021 Q1 is at least 0.72');
SELECT ok((SELECT bool_and(s > 0 AND s < 1) FROM (SELECT score('t_gbdt', v) s FROM valid_rows v) x), 'every score is a probability');

-- the explanation adds up to the score
SELECT ok((SELECT bool_and(abs(e.total - ln(s / (1 - s))) < 1e-9)
             FROM (SELECT v, score('t_gbdt', v) s FROM valid_rows v LIMIT 50) x,
                  LATERAL (SELECT sum(contribution) total FROM score_explain('t_gbdt', x.v)) e),
          'score_explain contributions sum to the log-odds of score()');
SELECT is((SELECT count(*) FROM score_explain('t_gbdt', (SELECT v FROM valid_rows v LIMIT 1))), 19::bigint,
          'one contribution per column read, plus the base');
SELECT ok((SELECT bool_and(abs(contribution) <= lag_c) FROM (
             SELECT contribution, lag(abs(contribution), 1, 'infinity') OVER () AS lag_c
               FROM score_explain('t_gbdt', (SELECT v FROM valid_rows v LIMIT 1))) x),
          'largest contribution first');

-- the same seed and data give the same model
SELECT lives_ok($$SELECT train_model('t_gbdt2', 'SELECT * FROM train_rows', 'hit')$$, 'train again under another name');
SELECT is((SELECT md5(body) FROM model WHERE name = 't_gbdt2'), (SELECT md5(body) FROM model WHERE name = 't_gbdt'),
          'training is deterministic: the same bytes');

-- rows of other types: varchar and char(n) read as the same categories, unseen codes score at the prior
CREATE TEMP TABLE other_types AS
SELECT v.declared_on, v.office::varchar(10) AS office, v.process_type, v.import_type, v.transport, v.departure, v.hs,
       v.origin::char(2) AS origin, v.origin_indicator, v.tax_type, v.tax_rate::float8 AS tax_rate,
       v.net_mass, v.value, v.unit_value, v.importer::varchar AS importer, v.declarant, v.seller,
       v.hs6_origin, v.hs6_origin_tax, 'extra' AS unused, v AS orig
  FROM valid_rows v LIMIT 100;
SELECT ok((SELECT bool_and(score('t_gbdt', o) = score('t_gbdt', o.orig)) FROM other_types o),
          'varchar, char(n) and float8 columns score as text and numeric ones do; extra columns are ignored');
UPDATE other_types SET importer = 'NEVER-SEEN', seller = NULL;
SELECT ok((SELECT bool_and(score('t_gbdt', o) BETWEEN 0 AND 1) FROM other_types o),
          'an importer never seen in training and a NULL seller still score');

-- parallel scoring gives the same scores
CREATE TEMP TABLE big AS SELECT v.* FROM valid_rows v, generate_series(1, 4);
SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0; SET LOCAL max_parallel_workers_per_gather = 2;
-- temp tables are never scanned in parallel: copy into a plain table
CREATE TABLE public.model_test_big AS SELECT * FROM big;
ANALYZE public.model_test_big;
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
SELECT ok(pg_temp.plan_text('SELECT sum(score(''t_gbdt'', b)) FROM public.model_test_big b') LIKE '%Gather%Partial Aggregate%Parallel Seq Scan%',
          'score() runs under a parallel plan');
SELECT sum(score('t_gbdt', b)) AS parallel_sum FROM public.model_test_big b \gset
SELECT ok(abs(:parallel_sum - (SELECT sum(score('t_gbdt', v)) * 4 FROM valid_rows v)) < 1e-6,
          'parallel workers score exactly as the leader');
RESET max_parallel_workers_per_gather;

-- over a table, score(m, t) is planned on the scan's columns, with the same scores
SELECT ok(pg_temp.plan_text('SELECT score(''t_gbdt'', b) FROM public.model_test_big b') LIKE '%score_columns(''t_gbdt''::text, ''model_test_big''::regtype, ''(0,0)''::tid, %',
          'score(m, t) over a table is planned as score_columns with its columns (no outer join: the row is never NULL)');
SELECT ok(pg_temp.plan_text('SELECT score(''t_gbdt'', b) FROM (SELECT 1) x LEFT JOIN public.model_test_big b ON true') LIKE '%score_columns(''t_gbdt''::text, ''model_test_big''::regtype, b.ctid, %',
          'under an outer join, score_columns tests the row for NULL by its ctid');
SELECT ok((SELECT bool_and(a.s = b.s) FROM
             (SELECT row_number() OVER () AS i, score('t_gbdt', t) AS s FROM (SELECT * FROM public.model_test_big LIMIT 500) t) a
             JOIN (SELECT row_number() OVER () AS i, score('t_gbdt', t) AS s FROM (SELECT * FROM public.model_test_big OFFSET 0 LIMIT 500) t) b USING (i)),
          'the column form scores exactly as the row form');
-- score() declares its cost: a cheaper filter written after it, even one of five calls, runs first
SELECT ok(pg_temp.plan_text($q$SELECT 1 FROM public.model_test_big b
                               WHERE score('t_gbdt', b) > 0.5 AND upper(lower(upper(lower(b.office)))) = '10'$q$)
          LIKE '%Filter: ((upper(lower(upper(lower(b.office)))) = ''10''::text) AND (score_columns(%',
          'a cheaper filter runs before score(), whichever is written first');
SELECT is((SELECT count(*) FROM public.model_test_big b WHERE score('t_gbdt', b) > 0.5 AND b.office = '10'),
          (SELECT count(*) FROM public.model_test_big b WHERE b.office = '10' AND score('t_gbdt', b) > 0.5),
          '... with the same rows either way');
SELECT is((SELECT score('t_gbdt', b) FROM (SELECT 1) x LEFT JOIN public.model_test_big b ON false), NULL::float8,
          'a NULL row from an outer join scores NULL, as the strict score() does');

-- retraining takes effect at the next query
SELECT lives_ok($$SELECT train_model('t_gbdt', 'SELECT * FROM train_rows', 'hit', '{"trees": 3, "replace": true}')$$,
                'retrain with {"replace": true}');
SELECT isnt((SELECT score('t_gbdt', v) FROM valid_rows v ORDER BY hs, importer, value LIMIT 1),
            (SELECT score('t_gbdt2', v) FROM valid_rows v ORDER BY hs, importer, value LIMIT 1),
            'the next query scores with the retrained model');

-- ... also for a PL/pgSQL expression, which lives for the whole transaction
SELECT lives_ok($$SELECT train_model('t_loop', 'SELECT * FROM train_rows', 'hit', '{"trees": 2}')$$, 'a small model');
CREATE FUNCTION pg_temp.loop_score(x valid_rows) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN
    RETURN customs_risk.score('t_loop', x);
END $$;
CREATE TEMP TABLE loop_before AS SELECT pg_temp.loop_score(v) AS s FROM valid_rows v ORDER BY hs, importer, value LIMIT 1;
SELECT train_model('t_loop', 'SELECT * FROM train_rows', 'hit', '{"trees": 20, "replace": true}') IS NOT NULL AS retrained \gset
SELECT ok((SELECT pg_temp.loop_score(v) = score('t_loop', v) AND pg_temp.loop_score(v) <> (SELECT s FROM loop_before)
             FROM valid_rows v ORDER BY hs, importer, value LIMIT 1),
          'a PL/pgSQL function scores with the retrained model in the next statement');

-- a date made categorical is keyed by its day, whatever DateStyle says
SELECT train_model('t_date', 'SELECT hit, office, declared_on AS d FROM train_rows', 'hit',
                   '{"categorical": ["d"], "trees": 5}') IS NOT NULL AS dated \gset
SELECT score('t_date', x) AS iso_score FROM (SELECT office, declared_on AS d FROM train_rows ORDER BY declared_on, office LIMIT 1) x \gset
SET LOCAL DateStyle = 'SQL, DMY';
SELECT is((SELECT score('t_date', x) FROM (SELECT office, declared_on AS d FROM train_rows ORDER BY declared_on, office LIMIT 1) x),
          :iso_score::float8, 'a categorical date scores the same under another DateStyle');
RESET DateStyle;

-- the logistic baseline
SELECT lives_ok($$SELECT train_model('t_logit', 'SELECT * FROM train_rows', 'hit', '{"kind": "logistic"}')$$,
                'a logistic regression trains from the same query');
SELECT ok((SELECT auc(score('t_logit', v), hit) > 0.7 FROM valid_rows v), 'the logistic model ranks better than chance (AUC > 0.7)');
SELECT ok((SELECT bool_and(abs(e.total - ln(s / (1 - s))) < 1e-9)
             FROM (SELECT v, score('t_logit', v) s FROM valid_rows v LIMIT 20) x,
                  LATERAL (SELECT sum(contribution) total FROM score_explain('t_logit', x.v)) e),
          'its contributions sum to the log-odds too');

-- bad input
SELECT throws_ok($$SELECT train_model('bad', 'SELECT * FROM train_rows WHERE false', 'hit')$$, '22023',
                 'the training query returned no rows', 'an empty training set');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT 2 AS y, office FROM train_rows', 'y')$$, '22023', NULL, 'a label that is not 0/1');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT hit, office FROM train_rows', 'hit', '{"exclude": ["hit"]}')$$, '22023',
                 'the label column "hit" cannot be excluded or made categorical', 'the label cannot be excluded');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT hit, office, declared_on FROM train_rows', 'hit',
                                      '{"window": "declared_on", "categorical": ["declared_on"]}')$$, '22023',
                 'the window column "declared_on" cannot be excluded or made categorical', '... nor the window made a feature');
SELECT throws_ok($$SELECT train_model('', 'SELECT hit, office FROM train_rows', 'hit')$$, '22023',
                 'a risk model''s name must be 1 to 120 bytes long', 'an empty model name, before any training');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT hit, office FROM train_rows', 'hit', '{"trees": 1e400}')$$, '22023', NULL,
                 'a number beyond float8 as an option is out of range, not an overflow');
SET LOCAL timezone = 'Asia/Seoul';
CREATE TEMP TABLE tz_rows AS
SELECT i % 3 = 0 AS hit, (i % 7)::float8 AS x, timestamptz '2020-01-01 00:00+09' + i * interval '1 hour' AS t
  FROM generate_series(0, 2999) i;
SELECT is((SELECT train_from FROM train_model('t_tz', 'SELECT hit, x, t FROM tz_rows', 'hit', '{"trees": 1}')),
          timestamp '2020-01-01 00:00', 'a timestamptz window is kept in the session''s time, not UTC''s');
RESET timezone;
SET LOCAL extra_float_digits = 0;
SELECT is((SELECT options->>'seed' FROM train_model('t_digits', 'SELECT hit, office FROM train_rows', 'hit',
                                                     '{"trees": 1, "seed": 1234567890123456}')),
          '1234567890123456', 'the options keep every digit whatever extra_float_digits is');
RESET extra_float_digits;
SELECT throws_ok($$SELECT train_model('bad', 'SELECT NULL::int AS y, office FROM train_rows', 'y')$$, '22004', NULL, 'a NULL label');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT 1 AS y, office FROM train_rows', 'y')$$, '22023', NULL, 'one class only');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT hit, office, NULL::float8 AS x FROM train_rows', 'hit')$$, '22023',
                 'feature column "x" is NULL in every row of the training query', 'an all-NULL feature');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT hit, office, ''NaN''::float8 AS x FROM train_rows', 'hit')$$, '22003',
                 'column "x" is NaN', 'a NaN feature');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT hit, office, ''infinity''::float8 AS x FROM train_rows', 'hit')$$, '22003',
                 'column "x" is infinite', 'an infinite feature');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT office FROM train_rows', 'hit')$$, '42703', NULL, 'a missing label column');
SELECT throws_ok($$SELECT train_model('bad', 'SELEC 1', 'hit')$$, '42601', NULL, 'a query with a syntax error');
SELECT throws_ok($$SELECT train_model('bad', 'INSERT INTO code_list VALUES (''x'') RETURNING 1 AS hit', 'hit')$$, '0A000',
                 'the training query must be a SELECT, not INSERT', 'a training query may not write');
SELECT throws_ok($$SELECT train_model('bad', 'WITH gone AS (DELETE FROM code_list RETURNING 1) SELECT hit, office FROM train_rows', 'hit')$$,
                 '0A000', 'the training query must not write: WITH query "gone" is a data-modifying statement',
                 '... nor in a WITH query, and the message names it');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT hit, office FROM train_rows FOR UPDATE', 'hit')$$, '0A000',
                 'the training query must not lock rows (FOR UPDATE, FOR SHARE)', '... nor lock rows');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT hit, office INTO TEMP made FROM train_rows', 'hit')$$, '0A000',
                 'the training query must not write: SELECT INTO creates a table', '... nor make a table');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT hit, office INTO TEMP made FROM train_rows UNION ALL SELECT hit, office FROM train_rows', 'hit')$$,
                 '0A000', 'the training query must not write: SELECT INTO creates a table', '... nor from inside a UNION');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT * FROM (SELECT hit, office FROM train_rows FOR SHARE) s', 'hit')$$, '0A000',
                 'the training query must not lock rows (FOR UPDATE, FOR SHARE)', '... nor lock rows in a subquery');
SELECT throws_ok($$SELECT train_model('bad', 'CREATE TEMP TABLE zz AS SELECT 1 AS hit; SELECT * FROM zz', 'hit')$$, '42601',
                 'the training query must be a single SELECT, not 2 statements', 'statements are counted before any is analysed');
SELECT throws_ok($$SELECT train_model('bad', 'EXPLAIN SELECT hit, office FROM train_rows', 'hit')$$, '0A000',
                 'the training query must be a SELECT, not EXPLAIN', 'an EXPLAIN is not a training query');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT hit, office FROM train_rows; SELECT 1', 'hit')$$, '42601',
                 'the training query must be a single SELECT, not 2 statements', 'two statements are not one query');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT 2 AS hit, 1 AS x UNION ALL SELECT 2, 2', 'hit')$$, '22023',
                 'label column "hit" is 2 in row 1 of the training query; it must be 0 or 1',
                 'a row error names the column for a UNION too');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT true AS hit, ''NaN''::float8 AS x UNION ALL SELECT false, 2', 'hit')$$, '22003',
                 'column "x" is NaN', '... a NaN feature too');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT g % 2 = 0 AS hit, (g % 2) * 1e300 AS big FROM generate_series(1, 100) g', 'hit', '{"kind": "logistic"}')$$,
                 '22003', 'column "big" is 1e+300 in row 1 of the training query, beyond the logistic model''s bound of +-1e+100',
                 'a number beyond the logistic bound names its column and row');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT * FROM train_rows', 'hit', '{"tress": 10}')$$, '22023',
                 'train_model has no option "tress"', 'an unknown option');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT * FROM train_rows', 'hit', '{"trees": 0}')$$, '22023', NULL, 'zero trees');
SELECT throws_ok($$SELECT train_model('bad', 'SELECT * FROM train_rows', 'hit', '{"kind": "svm"}')$$, '22023', NULL, 'an unknown kind');
SELECT throws_ok($$SELECT train_model('t_logit', 'SELECT * FROM train_rows', 'hit')$$, '42710', NULL, 'a name in use, without replace');
SELECT throws_ok($$SELECT train_model(NULL, 'SELECT 1', 'hit')$$, '22004', NULL, 'a NULL name');
SELECT throws_ok($$SELECT score('no_such_model', v) FROM valid_rows v LIMIT 1$$, '42704',
                 'risk model "no_such_model" does not exist', 'an unknown model');
SELECT throws_ok($$SELECT score('t_gbdt2', r) FROM (SELECT office, hs FROM valid_rows LIMIT 1) r$$, '42703', NULL,
                 'a row without a column the model needs');
SELECT throws_ok($$SELECT score('t_gbdt2', r) FROM (SELECT v.*, 'x' AS tax_rate FROM (SELECT declared_on, office, process_type, import_type, transport, departure, hs, origin, origin_indicator, tax_type, net_mass, value, unit_value, importer, declarant, seller, hs6_origin, hs6_origin_tax FROM valid_rows LIMIT 1) v) r$$,
                 '42804', NULL, 'a number the row gives as text');
SELECT throws_ok($$SELECT * FROM model_train_body('SELECT 1 AS hit', 'hit', NULL, NULL, NULL, NULL, 5, 20, 10, 3, 255, 0.1, 1, 0, 1, 1, 1, 0, 1)$$,
                 '22004', NULL, 'the C half refuses a NULL argument instead of crashing when called directly');
SELECT throws_ok($$SELECT * FROM model_train_body('SELECT 1 AS hit', 'hit', 'gbdt', NULL, NULL, NULL, 0, 20, 10, 3, 255, 0.1, 1, 0, 1, 1, 1, 0, 1)$$,
                 '22023', NULL, '... and zero folds');
-- a row wider than a function's argument limit keeps the row form, and still scores
DO $$ BEGIN
    EXECUTE 'CREATE TEMP TABLE wide AS SELECT v.*, ' ||
            (SELECT string_agg('0 AS pad' || g, ', ') FROM generate_series(1, 100) g) || ' FROM valid_rows v LIMIT 10';
END $$;
SELECT ok((SELECT bool_and(score('t_gbdt', w) = score('t_gbdt', w.*::record)) FROM wide w),
          'a 120-column row scores (too wide for the column form)');
UPDATE model SET body = substr(body, 1, 200) WHERE name = 't_logit';
SELECT throws_ok($$SELECT score('t_logit', v) FROM valid_rows v LIMIT 1$$, 'XX001', NULL, 'a truncated stored model');
-- rows ordered so that each category repeats with the folds' period: its out-of-fold rate
-- must still come from rows of its own (folds by row number mod 5 gave every category one fold
-- and the model nothing to learn: AUC 0.5)
CREATE TEMP TABLE periodic AS
SELECT i, i % 2 = 0 AS hit, 'k' || (i % 5) || '_' || (i % 2) AS code FROM generate_series(1, 3000) i;
SELECT lives_ok($$SELECT train_model('t_periodic', 'SELECT hit, code FROM periodic ORDER BY i', 'hit', '{"trees": 10}')$$,
                'a model on rows whose categories repeat with the folds'' period');
SELECT cmp_ok((SELECT auc(score('t_periodic', p), p.hit) FROM periodic p), '>', 0.99::float8,
              '... learns the categories (its folds do not follow row numbers)');
-- one bit of one leaf value (the last bytes are the trees') still decodes: the checksum catches it
CREATE TEMP TABLE good_body AS SELECT body FROM model WHERE name = 't_gbdt2';
UPDATE model SET body = set_bit(body, (length(body) - 20) * 8 + 3, 1 - get_bit(body, (length(body) - 20) * 8 + 3))
 WHERE name = 't_gbdt2';
SELECT throws_ok($$SELECT score('t_gbdt2', v) FROM valid_rows v LIMIT 1$$, 'XX001',
                 'stored model "t_gbdt2" is corrupt: its checksum does not match its bytes',
                 'a stored model with one bit of a leaf flipped is an error, not a changed score');
-- any single flipped bit, wherever it is: 200 random ones, each an error
CREATE FUNCTION pg_temp.flipped_scores(n int) RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
    good bytea := (SELECT body FROM good_body);
    bit bigint;
    scored bigint := 0;
BEGIN
    PERFORM setseed(0.42);
    FOR i IN 1..n LOOP
        bit := floor(random() * length(good) * 8)::bigint;
        BEGIN
            UPDATE model SET body = set_bit(good, bit::int, 1 - get_bit(good, bit::int)) WHERE name = 't_gbdt2';
            PERFORM sum(score('t_gbdt2', v)) FROM valid_rows v;
            scored := scored + 1;
        EXCEPTION WHEN data_corrupted THEN
            NULL;
        END;
    END LOOP;
    RETURN scored;
END $fn$;
SELECT is(pg_temp.flipped_scores(200), 0::bigint, 'none of 200 stored models with a random bit flipped scores');
UPDATE model SET body = (SELECT body FROM good_body) WHERE name = 't_gbdt2';
SELECT ok((SELECT sum(score('t_gbdt2', v)) FROM valid_rows v) IS NOT NULL, 'the model scores again with its bytes put back');
UPDATE model SET body = overlay(body PLACING '\xff'::bytea FROM 5 FOR 1) WHERE name = 't_gbdt2';
SELECT throws_ok($$SELECT score('t_gbdt2', v) FROM valid_rows v LIMIT 1$$, 'XX001', NULL, 'a stored model with a bad version');

SELECT * FROM finish();
ROLLBACK;
