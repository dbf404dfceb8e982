-- Risk-indicator benchmark (bin/bench-indicators): hit_evidence per importer against the
-- plain-SQL way (count(*) FILTER), serial and with 2 workers; the decayed form; daily states
-- merged into a quarter against reading every outcome again.
\set ON_ERROR_STOP on
CREATE SCHEMA IF NOT EXISTS cr_bench;
SET search_path = cr_bench, customs_risk, public;
SET client_min_messages = warning;
SET work_mem = '256MB';

DROP TABLE IF EXISTS bench_outcome, bench_daily, bench_scored;
-- one row per declaration: its importer, its day, the outcome (NULL when not inspected)
CREATE UNLOGGED TABLE bench_outcome AS
SELECT d.importer_id AS importer, d.declared_on, o.hit
  FROM declaration d JOIN declaration_outcome_v o USING (declaration_id)
 WHERE d.source = 'bi';
ANALYZE bench_outcome;

\ir time_it.sql

\o /dev/null
-- every query sums the per-importer results: a result nobody reads is planned away (the
-- planner replaces an unread subquery column, aggregate included, by NULL)
SELECT pg_temp.time_it('hit_evidence', w, $q$SELECT sum(v) FROM (SELECT importer, posterior_mean(hit_evidence(hit), 1, 9) AS v FROM bench_outcome GROUP BY importer) x$q$),
       pg_temp.time_it('plain SQL', w, $q$SELECT sum(v) FROM (SELECT importer, (1 + count(*) FILTER (WHERE hit))::float8 / (10 + count(hit)) AS v FROM bench_outcome GROUP BY importer) x$q$),
       -- both decayed forms weigh each outcome against the latest day of all (the aggregate's own
       -- reference is each group's latest inspection; decay_to moves it to the common day)
       pg_temp.time_it('hit_evidence decayed', w, $q$SELECT sum(v) FROM (SELECT importer, posterior_mean(decay_to(hit_evidence(hit, declared_on::timestamptz, '90 days'), m.last), 1, 9) AS v FROM bench_outcome, (SELECT max(declared_on)::timestamptz AS last FROM bench_outcome) m GROUP BY importer, m.last) x$q$),
       pg_temp.time_it('plain SQL decayed', w, $q$SELECT sum(v) FROM (SELECT importer, (1 + coalesce(sum(power(2::float8, -extract(epoch FROM (m.last - declared_on::timestamptz))::float8 / 7776000)) FILTER (WHERE hit), 0)) / (10 + coalesce(sum(power(2::float8, -extract(epoch FROM (m.last - declared_on::timestamptz))::float8 / 7776000)) FILTER (WHERE hit IS NOT NULL), 0)) AS v FROM bench_outcome, (SELECT max(declared_on)::timestamptz AS last FROM bench_outcome) m GROUP BY importer) x$q$)
  FROM (VALUES (0), (2)) v(w);

-- daily states stored once, then a quarter per importer from them
SET max_parallel_workers_per_gather = 0;
CREATE UNLOGGED TABLE bench_daily AS
SELECT importer, declared_on, hit_evidence(hit) AS e FROM bench_outcome GROUP BY importer, declared_on;
ANALYZE bench_daily;
SELECT pg_temp.time_it('quarter from daily states', 0, $q$SELECT sum(inspections(e)) FROM (SELECT importer, hit_evidence_merge(e) AS e FROM bench_daily GROUP BY importer) x$q$),
       pg_temp.time_it('quarter from every outcome', 0, $q$SELECT sum(inspections(e)) FROM (SELECT importer, hit_evidence(hit) AS e FROM bench_outcome GROUP BY importer) x$q$);
-- evaluation of a ranking over every inspected declaration: precision at 5% and AUC,
-- against the plain-SQL way (a sort with LIMIT; ranks summed by a window)
CREATE UNLOGGED TABLE bench_scored AS
SELECT hashtext(importer || declared_on::text)::float8 + CASE WHEN hit THEN 1e9 ELSE 0 END AS score, hit
  FROM bench_outcome WHERE hit IS NOT NULL;
ANALYZE bench_scored;
SELECT pg_temp.time_it('precision_at(5%)', 0, $q$SELECT (precision_at(score, hit, 0.05) * 1e6)::bigint FROM bench_scored$q$),
       pg_temp.time_it('plain SQL precision', 0, $q$SELECT (avg(hit::int) * 1e6)::bigint FROM (SELECT hit FROM bench_scored ORDER BY score DESC LIMIT (SELECT ceil(0.05 * count(*)) FROM bench_scored)) x$q$),
       pg_temp.time_it('auc', 0, $q$SELECT (auc(score, hit) * 1e6)::bigint FROM bench_scored$q$),
       pg_temp.time_it('plain SQL auc', 0, $q$SELECT ((sum(r) FILTER (WHERE hit) - count(*) FILTER (WHERE hit) * (count(*) FILTER (WHERE hit) + 1) / 2.0) / (count(*) FILTER (WHERE hit) * count(*) FILTER (WHERE NOT hit)) * 1e6)::bigint FROM (SELECT hit, rank() OVER (ORDER BY score) + (count(*) OVER (PARTITION BY score) - 1) / 2.0 AS r FROM bench_scored) x$q$);
\o

\echo
\echo '### Ranking evaluation over every inspected declaration (best of 3, one core)'
SELECT e.what AS "aggregate", round(e.seconds::numeric, 3) AS "seconds", round(p.seconds::numeric, 3) AS "plain SQL seconds",
       round((e.seconds / p.seconds)::numeric, 2) AS "cost ratio", e.result / 1e6 AS "value", p.result / 1e6 AS "plain SQL value"
  FROM bench_timing e
  JOIN bench_timing p ON p.what = CASE e.what WHEN 'auc' THEN 'plain SQL auc' ELSE 'plain SQL precision' END
 WHERE e.what IN ('precision_at(5%)', 'auc') ORDER BY 1;

\echo
\echo '### Smoothed hit rate per importer (best of 3)'
SELECT h.what AS "indicator", h.workers AS "workers", round(h.seconds::numeric, 3) AS "seconds",
       round(p.seconds::numeric, 3) AS "plain SQL seconds", round((h.seconds / p.seconds)::numeric, 2) AS "cost ratio",
       h.result AS "sum of results", p.result AS "plain SQL sum"
  FROM bench_timing h
  JOIN bench_timing p ON p.workers = h.workers AND p.what = replace(h.what, 'hit_evidence', 'plain SQL')
 WHERE h.what LIKE 'hit_evidence%' ORDER BY 1, 2;
SELECT what, round(seconds::numeric, 3) AS seconds, result AS "inspections summed"
  FROM bench_timing WHERE what LIKE 'quarter%' ORDER BY 1;
SELECT (SELECT count(*) FROM bench_outcome) AS outcomes, (SELECT count(hit) FROM bench_outcome) AS inspections,
       (SELECT count(*) FROM bench_daily) AS daily_states;
SELECT count(*) AS "importers whose merged quarter differs from the direct one"
  FROM (SELECT importer, hit_evidence_merge(e)::text AS m FROM bench_daily GROUP BY importer) a
  JOIN (SELECT importer, hit_evidence(hit)::text AS d FROM bench_outcome GROUP BY importer) b USING (importer)
 WHERE a.m <> b.d;
