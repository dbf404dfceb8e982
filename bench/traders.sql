-- Trader compliance benchmark (bin/bench-traders): the compliance aggregate per importer
-- against the plain-SQL way, serial and with 2 workers, and grade_traders() for all.
\set ON_ERROR_STOP on
CREATE SCHEMA IF NOT EXISTS cr_bench;
SET search_path = cr_bench, customs_risk, public;
SET client_min_messages = warning;
SET work_mem = '256MB';

DROP TABLE IF EXISTS bench_trader_outcome;
-- one row per declaration: its importer, its day, whether inspected, the outcome
CREATE UNLOGGED TABLE bench_trader_outcome AS
SELECT d.importer_id AS importer, d.declared_on, o.inspected, o.hit
  FROM declaration d JOIN declaration_outcome_v o USING (declaration_id)
 WHERE d.source = 'bt';
ANALYZE bench_trader_outcome;

\ir time_it.sql

-- both sides compute declarations, inspections, hits, inspection rate and hit rate per importer,
-- and every one is read (an unread result is planned away)
\o /dev/null
SELECT pg_temp.time_it('compliance', w, $q$
           SELECT sum(declarations(c) + inspections(c) + hits(c) + inspection_rate(c) + coalesce(hit_rate(c), 0))
             FROM (SELECT importer, compliance(inspected, hit) AS c FROM cr_bench.bench_trader_outcome GROUP BY importer) x$q$),
       pg_temp.time_it('plain SQL', w, $q$
           SELECT sum(n + k + h + ir + coalesce(hr, 0))
             FROM (SELECT importer, count(*) AS n, count(*) FILTER (WHERE inspected) AS k,
                          count(*) FILTER (WHERE inspected AND hit) AS h, avg(inspected::int) AS ir,
                          avg(hit::int) FILTER (WHERE inspected) AS hr
                     FROM cr_bench.bench_trader_outcome GROUP BY importer) x$q$)
  FROM (VALUES (0), (2)) v(w);
\o

\echo
\echo '### compliance per importer against plain SQL (best of 3)'
SELECT c.workers AS "workers", round(c.seconds::numeric, 3) AS "compliance seconds",
       round(p.seconds::numeric, 3) AS "plain SQL seconds", round((c.seconds / p.seconds)::numeric, 2) AS "cost ratio",
       round(c.result::numeric, 3) AS "sum of results", round(p.result::numeric, 3) AS "plain SQL sum"
  FROM bench_timing c JOIN bench_timing p ON p.workers = c.workers AND p.what = 'plain SQL'
 WHERE c.what = 'compliance' ORDER BY 1;
SELECT (SELECT count(*) FROM bench_trader_outcome) AS declarations,
       (SELECT count(DISTINCT importer) FROM bench_trader_outcome) AS importers;

\echo
\echo '### grade_traders() for every importer'
SET max_parallel_workers_per_gather = 2;
DELETE FROM trader_grade_history;
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) AS "graded (changes)" FROM grade_traders('2023-01-01');
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 1) AS "grade_traders seconds";
SELECT grade, count(*) FROM trader_grade_history WHERE valid_to IS NULL GROUP BY 1 ORDER BY 1;
SELECT clock_timestamp() AS t1 \gset
SELECT count(*) AS "changes on a second run (0: idempotent)" FROM grade_traders('2023-01-01');
SELECT round(extract(epoch FROM clock_timestamp() - :'t1'::timestamptz)::numeric, 1) AS "second run seconds";
