-- Risk-model benchmark (bin/bench-model): train on the 2020 split of the bundled sample,
-- score the first quarter of 2021, time scoring on :rows rows on one core.  Prints
-- "key value" lines that bin/bench-model sets beside XGBoost's.
\set ON_ERROR_STOP on
SET search_path = cr_bench, customs_risk, public;
SET client_min_messages = warning;
SET work_mem = '256MB';
DROP TABLE IF EXISTS bench_model_result, bench_scored, bench_score_rows;
CREATE UNLOGGED TABLE bench_model_result (key text, value text);

-- train both kinds; the wall time includes reading the query and encoding
CREATE FUNCTION pg_temp.train(model text, kind text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
    m customs_risk.model;
BEGIN
    m := customs_risk.train_model(model,
        'SELECT * FROM cr_bench.model_rows WHERE declared_on < ''2021-01-01''', 'hit',
        jsonb_build_object('kind', kind, 'replace', true, 'trees', 100, 'depth', 6, 'eta', 0.1,
                           'lambda', 1, 'min_child_weight', 1, 'bins', 255, 'folds', 5, 'smoothing', 20,
                           'exclude', jsonb_build_array('duty')));   -- duty is the revenue measure, not a feature
    INSERT INTO bench_model_result VALUES
        (kind || '_train_wall_seconds', round(extract(epoch FROM clock_timestamp() - t0)::numeric, 3)),
        (kind || '_train_seconds', m.metrics ->> 'train_seconds'),
        (kind || '_read_seconds', m.metrics ->> 'read_seconds'),
        (kind || '_features', m.metrics ->> 'features'),
        ('train_rows', m.metrics ->> 'rows');
END $$;
SELECT pg_temp.train('bench_gbdt', 'gbdt'), pg_temp.train('bench_logistic', 'logistic');

CREATE UNLOGGED TABLE bench_scored AS
SELECT score('bench_gbdt', r) AS gbdt, score('bench_logistic', r) AS logistic, r.hit, r.duty
  FROM model_rows r WHERE r.declared_on >= '2021-01-01';
INSERT INTO bench_model_result
SELECT k || '_' || m || '_at_' || (f * 100)::int,
       round(CASE m WHEN 'precision' THEN precision_at(s, hit, f)
                    WHEN 'recall' THEN recall_at(s, hit, f)
                    ELSE revenue_at(s, duty, f) END::numeric, 3)
  FROM (SELECT 'gbdt' AS k, gbdt AS s, hit, duty FROM bench_scored
        UNION ALL SELECT 'logistic', logistic, hit, duty FROM bench_scored) x,
       (VALUES (0.01), (0.02), (0.05), (0.10)) fr(f), (VALUES ('precision'), ('recall'), ('revenue')) mm(m)
 GROUP BY k, m, f;
INSERT INTO bench_model_result
SELECT 'gbdt_auc', round(auc(gbdt, hit)::numeric, 4) FROM bench_scored
UNION ALL SELECT 'logistic_auc', round(auc(logistic, hit)::numeric, 4) FROM bench_scored
UNION ALL SELECT 'valid_rows', count(*) FROM bench_scored
UNION ALL SELECT 'valid_base_rate', round(avg(hit::int), 3) FROM bench_scored;

-- scoring throughput: the first-quarter rows repeated to :rows rows
CREATE UNLOGGED TABLE bench_score_rows AS
SELECT r.* FROM model_rows r, generate_series(1, ceil(:rows / 8134.0)::int) g
 WHERE r.declared_on >= '2021-01-01' LIMIT :rows;
VACUUM ANALYZE bench_score_rows;
\ir time_it.sql
-- an aggregate over the scores, so that no score can be planned away
SELECT pg_temp.time_it('scan_seconds', 0, 'SELECT sum(length(r.importer)) FROM cr_bench.bench_score_rows r'),
       pg_temp.time_it('gbdt_score_seconds', 0, $q$SELECT sum(customs_risk.score('bench_gbdt', r)) FROM cr_bench.bench_score_rows r$q$),
       pg_temp.time_it('gbdt_score_seconds_2_workers', 2, $q$SELECT sum(customs_risk.score('bench_gbdt', r)) FROM cr_bench.bench_score_rows r$q$),
       pg_temp.time_it('logistic_score_seconds', 0, $q$SELECT sum(customs_risk.score('bench_logistic', r)) FROM cr_bench.bench_score_rows r$q$);
INSERT INTO bench_model_result SELECT what, round(seconds::numeric, 3) FROM bench_timing;
-- the one-core run's sum of the scores, every digit: a change to scoring must leave it alone
INSERT INTO bench_model_result SELECT 'gbdt_score_sum', result::text FROM bench_timing WHERE what = 'gbdt_score_seconds';
INSERT INTO bench_model_result SELECT 'score_rows', count(*) FROM bench_score_rows;

\pset tuples_only on
\pset format unaligned
\pset fieldsep ' '
SELECT key, value FROM bench_model_result ORDER BY key;
