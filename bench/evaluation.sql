-- Evaluation benchmark (bin/bench-evaluation): performance_report (by office: inspections,
-- hits, Wilson interval, lift over the office's random sample, extra revenue) and
-- harmonisation_report (score bands x districts, trade-mix standardisation, the index) against
-- plain-SQL formulations of the same figures, serial and with 2 workers, best of 3 each.
-- The plain harmonisation leaves out the p-values and flags: PostgreSQL 15 has no chi-square
-- or normal distribution function to compute them with.
\set ON_ERROR_STOP on
SET search_path = customs_risk, public;
SET client_min_messages = warning;
SET work_mem = '256MB';
\ir time_it.sql

\o /dev/null
SELECT pg_temp.time_it('performance_report', w, $q$
           SELECT sum(inspections + hits + coalesce(ci_low, 0) + coalesce(ci_high, 0) + coalesce(lift, 0)
                      + extra_revenue / 1e6)
             FROM customs_risk.performance_report('2022-01-01', '2022-12-31', 'office')$q$),
       pg_temp.time_it('performance plain SQL', w, $q$
           WITH per_decl AS (
               SELECT d.declaration_id, d.office_code, count(i.inspection_id) > 0 AS inspected,
                      bool_or(i.result <> 'none') AS hit, sum(i.extra_revenue) AS rev,
                      coalesce(bool_or(i.selected_by = 'random'), false) AS random
                 FROM customs_risk.declaration d
                 LEFT JOIN customs_risk.inspection i ON i.declaration_id = d.declaration_id
                WHERE d.declared_on BETWEEN '2022-01-01' AND '2022-12-31'
                GROUP BY d.declaration_id
           ), g AS (
               SELECT p.office_code, count(*) FILTER (WHERE p.inspected) AS k, count(*) FILTER (WHERE p.hit) AS h,
                      coalesce(sum(p.rev), 0)::float8 AS rev, count(*) FILTER (WHERE p.random) AS kr,
                      count(*) FILTER (WHERE p.random AND p.hit) AS hr
                 FROM per_decl p GROUP BY p.office_code
           ), w AS (
               SELECT g.*, g.h::float8 / nullif(g.k, 0) AS p, g.hr::float8 / nullif(g.kr, 0) AS pr,
                      1.959963984540054::float8 AS z
                 FROM g
           )
           SELECT sum(w.k + w.h
                      + coalesce((w.p + w.z ^ 2 / (2 * w.k) - w.z * sqrt(w.p * (1 - w.p) / w.k + w.z ^ 2 / (4.0 * w.k ^ 2)))
                                 / (1 + w.z ^ 2 / w.k), 0)
                      + coalesce((w.p + w.z ^ 2 / (2 * w.k) + w.z * sqrt(w.p * (1 - w.p) / w.k + w.z ^ 2 / (4.0 * w.k ^ 2)))
                                 / (1 + w.z ^ 2 / w.k), 0)
                      + coalesce(w.p / nullif(w.pr, 0), 0) + w.rev / 1e6)
             FROM w$q$),
       pg_temp.time_it('harmonisation_report', w, $q$
           SELECT sum(declarations + inspected + coalesce(z, 0) + coalesce(ratio, 0) + coalesce(statistic, 0))
             FROM customs_risk.harmonisation_report('2022-01-01', '2022-12-31', 'score')$q$),
       pg_temp.time_it('harmonisation plain SQL', w, $q$
           WITH latest AS (
               SELECT DISTINCT ON (l.declaration_id) l.declaration_id, d.office_code, l.channel, l.score
                 FROM customs_risk.decision_log l
                 JOIN customs_risk.declaration d ON d.declaration_id = l.declaration_id
                WHERE d.declared_on BETWEEN '2022-01-01' AND '2022-12-31'
                ORDER BY l.declaration_id, l.decision_id DESC
           ), cell AS (
               SELECT CASE WHEN x.score <= 0 THEN '0' WHEN x.score >= 10 THEN '10+'
                           ELSE floor(x.score)::int || '-' || (floor(x.score)::int + 1) END AS band,
                      o.parent_code AS district, coalesce(hs_chapter(dl.hs), 0) AS chapter,
                      count(*) AS n, count(*) FILTER (WHERE x.channel <> 'green') AS k
                 FROM latest x
                 JOIN customs_risk.office o ON o.office_code = x.office_code
                 LEFT JOIN customs_risk.declaration_line dl ON dl.declaration_id = x.declaration_id AND dl.line_no = 1
                GROUP BY 1, 2, 3
           ), bd AS (
               SELECT band, district, sum(n) AS n, sum(k) AS k FROM cell GROUP BY 1, 2
           ), bb AS (
               SELECT band, sum(n)::float8 AS nn, sum(k)::float8 / sum(n) AS p FROM bd GROUP BY 1
           ), band_rows AS (
               SELECT x.n, x.k, x.n * b.p AS e,
                      CASE WHEN b.p > 0 AND b.p < 1 AND x.n < b.nn
                           THEN (x.k - x.n * b.p) / sqrt(x.n * b.p * (1 - b.p) * (1 - x.n / b.nn)) END AS z,
                      CASE WHEN b.p > 0 AND b.p < 1 THEN (x.k - x.n * b.p) ^ 2 / (x.n * b.p * (1 - b.p)) END AS pearson
                 FROM bd x JOIN bb b USING (band)
           ), cr AS (
               SELECT band, chapter, sum(k)::float8 / sum(n) AS r FROM cell GROUP BY 1, 2
           ), dist AS (
               SELECT c.district, sum(c.n) AS n, sum(c.k) AS k, sum(c.n * cr.r) AS e, sum(c.n * cr.r * (1 - cr.r)) AS v
                 FROM cell c JOIN cr USING (band, chapter) GROUP BY 1
           )
           SELECT (SELECT sum(n + k + coalesce(z, 0) + coalesce(k / nullif(e, 0), 0)) FROM band_rows)
                + (SELECT sum(n + k + coalesce((k - e) / sqrt(nullif(v, 0)), 0) + coalesce(k / nullif(e, 0), 0)) FROM dist)
                + (SELECT sum(n) + sum(k) + sum(pearson) FROM band_rows WHERE pearson IS NOT NULL)$q$)
  FROM (VALUES (0), (2)) v(w);
\o

\echo
\echo '### the reports against their plain-SQL formulations (best of 3)'
SELECT r.what AS "report", r.workers AS "workers", round(r.seconds::numeric, 3) AS "customs_risk s",
       round(p.seconds::numeric, 3) AS "plain SQL s", round((r.seconds / p.seconds)::numeric, 2) AS "cost ratio",
       round(r.result::numeric, 3) AS "sum of results", round(p.result::numeric, 3) AS "plain SQL sum"
  FROM bench_timing r
  JOIN bench_timing p ON p.workers = r.workers AND p.what = replace(r.what, '_report', ' plain SQL')
 WHERE r.what LIKE '%_report' ORDER BY r.what DESC, r.workers;
SELECT r.what AS "report", round((s.seconds / r.seconds)::numeric, 2) AS "speed-up with 2 workers"
  FROM bench_timing r JOIN bench_timing s ON s.what = r.what AND s.workers = 0
 WHERE r.workers = 2 ORDER BY 1 DESC;
SELECT (SELECT count(*) FROM customs_risk.declaration WHERE source = 'be') AS declarations,
       (SELECT count(*) FROM customs_risk.declaration_line l WHERE l.declaration_id LIKE 'be-%') AS lines,
       (SELECT count(*) FROM customs_risk.inspection i WHERE i.declaration_id LIKE 'be-%') AS inspections,
       (SELECT count(*) FROM customs_risk.decision_log l WHERE l.declaration_id LIKE 'be-%') AS decisions;

\echo
\echo '### what they say (2022, the generated year)'
SELECT group_key, inspections, hits, round(hit_rate::numeric, 3) AS hit_rate, round(lift::numeric, 2) AS lift,
       round(lift_ci_low::numeric, 2) AS lift_low, round(lift_ci_high::numeric, 2) AS lift_high
  FROM customs_risk.performance_report('2022-01-01', '2022-12-31', 'source');
SELECT round(rate::numeric, 4) AS rate, round(rate_ci_low::numeric, 4) AS low, round(rate_ci_high::numeric, 4) AS high,
       round(share_caught::numeric, 3) AS share_caught, round(missed) AS missed
  FROM customs_risk.noncompliance_estimate('2022-01-01', '2022-12-31');
SELECT scope, band, district_code, declarations, inspected, round(ratio::numeric, 3) AS ratio, round(z::numeric, 1) AS z,
       p_value, round(harmonisation_index::numeric, 3) AS index
  FROM customs_risk.harmonisation_report('2022-01-01', '2022-12-31', 'score') WHERE deviates;
