-- Monitoring benchmark (bin/bench-monitoring): run_monitoring(as_of) on the last generated day (a
-- year of daily lines, value and hit-rate series for every HS chapter x origin x office active on
-- at least 120 days; CUSUM k 1, h 5, 90-day baseline) against two plain-SQL formulations of the
-- same charts, serial and with 2 workers, best of 3 each:
--   window     the CUSUM as a Lindley recursion in closed form, S_t = C_t - min(0, min_{j<=t} C_j)
--              with C_t the running sum of (u - k): window sums and minima, no recursion;
--   recursive  the CUSUM step by step, S_t = max(0, S_{t-1} + u_t - k), in a recursive CTE.
-- Both peers build the series exactly as run_monitoring does (same filters; lines with quiet days
-- as 0, value and hit rate over days with items; each day's mean as a z-score against the mean and
-- standard deviation of the baseline's items, at least sqrt(mean) for lines, winsorised at 3,
-- target 0 and sigma 1, the points of the first 90 days skipped; the min_days rule on each); the
-- statistic is S+ when S+ >= S- else -S-, an alert is |statistic| > 5, statistics do not reset
-- after an alert.  Afterwards the alerts of both are compared series by series, and every chart
-- of the peers against cusum_summary() over the same points.
-- Everything runs in one transaction that is rolled back: the alerts of as_of it deletes before
-- each timed run_monitoring come back on a server that had some.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET work_mem = '256MB';
BEGIN;
\ir time_it.sql

-- the last day of the generated year (of all the data when there is none)
SELECT coalesce(max(declared_on) FILTER (WHERE source = 'bm'), max(declared_on)) AS as_of
  FROM customs_risk.declaration \gset
\set min_days 120

-- The plain-SQL monitoring run: the points of every charted series, their baseline, the CUSUM of
-- every point after the baseline (by the chosen method) and one summary row per series in
-- plain_chart; returns the series in alert on as_of.  Temp tables as in run_monitoring.
CREATE FUNCTION pg_temp.plain_monitoring(as_of date, min_days integer, recursive boolean) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    n_alerts bigint;
BEGIN
    DROP TABLE IF EXISTS plain_points, plain_baseline, plain_stat, plain_chart;
    CREATE TEMP TABLE plain_points AS
    WITH daily AS (
        SELECT chapter, origin, office_code, day, count(*)::float8 AS lines,
               count(lv)::float8 AS n, sum(lv) AS s, sum(lv * lv) AS ss
          FROM (SELECT customs_risk.hs_chapter(l.hs) AS chapter, l.origin_country::text AS origin, d.office_code,
                       d.declared_on AS day, ln(1 + least(l.value, 1e300)::float8) AS lv
                  FROM customs_risk.declaration d
                  JOIN customs_risk.declaration_line l ON l.declaration_id = d.declaration_id
                 WHERE d.declared_on > as_of - 365 AND d.declared_on <= as_of) x
         GROUP BY 1, 2, 3, 4
    ), series AS (
        -- active on min_days days and on more than 45 of the 90 baseline days
        SELECT chapter, origin, office_code FROM daily GROUP BY 1, 2, 3
        HAVING count(*) >= min_days AND count(*) FILTER (WHERE day <= as_of - 275) > 45
    ), filled AS (
        SELECT s.chapter, s.origin, s.office_code, g.day, coalesce(m.lines, 0) AS lines
          FROM series s
         CROSS JOIN (SELECT (as_of - 364 + i)::date AS day FROM generate_series(0, 364) i) g
          LEFT JOIN daily m ON m.chapter = s.chapter AND m.origin = s.origin AND m.office_code = s.office_code
                           AND m.day = g.day
    ), means AS (
        -- lines: the day (quiet days as 0); value: the day's valued lines; hit_rate: the day's
        -- inspections (a line's, or the whole declaration's on each of its lines); n items,
        -- their sum and sum of squares
        SELECT 'lines' AS metric, chapter, origin, office_code, day, 1::float8 AS n, lines AS s, lines ^ 2 AS ss
          FROM filled
        UNION ALL
        SELECT 'value', chapter, origin, office_code, day, n, s, ss
          FROM daily JOIN series USING (chapter, origin, office_code) WHERE n > 0
        UNION ALL
        SELECT 'hit_rate', chapter, origin, office_code, day, count(*), sum(hit), sum(hit)
          FROM (SELECT customs_risk.hs_chapter(l.hs) AS chapter, l.origin_country::text AS origin, d.office_code,
                       i.inspected_on AS day, (i.result IN ('minor', 'critical'))::int::float8 AS hit
                  FROM customs_risk.inspection i
                  JOIN customs_risk.declaration d ON d.declaration_id = i.declaration_id
                  JOIN customs_risk.declaration_line l ON l.declaration_id = d.declaration_id
                                                       AND (i.line_no IS NULL OR l.line_no = i.line_no)
                 WHERE i.inspected_on > as_of - 365 AND i.inspected_on <= as_of) r
          JOIN series USING (chapter, origin, office_code)
         GROUP BY 1, 2, 3, 4, 5
    ), item_base AS (
        -- the baseline's items: mean and standard deviation, floored as in run_monitoring
        SELECT metric, chapter, origin, office_code, sum(s) / sum(n) AS mu,
               greatest(sqrt(greatest(sum(ss) - sum(s) ^ 2 / sum(n), 0) / (sum(n) - 1)),
                        CASE WHEN metric = 'lines' THEN sqrt(sum(s) / sum(n)) ELSE 0 END,
                        1e-9 * greatest(abs(sum(s) / sum(n)), 1)) AS sd
          FROM means WHERE day <= as_of - 275 GROUP BY 1, 2, 3, 4 HAVING sum(n) >= 2
    ), z AS (
        SELECT m.metric, m.chapter, m.origin, m.office_code, m.day, b.mu, b.sd,
               greatest(-3, least(3, (m.s / m.n - b.mu) / (b.sd / sqrt(m.n)))) AS x,
               count(*) OVER (PARTITION BY m.metric, m.chapter, m.origin, m.office_code) AS days
          FROM means m JOIN item_base b USING (metric, chapter, origin, office_code)
    )
    SELECT metric, chapter, origin, office_code, row_number() OVER (PARTITION BY metric, chapter, origin, office_code ORDER BY day) AS t,
           day, x, day <= as_of - 275 AS base, mu, sd
      FROM z WHERE days >= min_days;
    CREATE INDEX ON plain_points (metric, chapter, origin, office_code, t);
    ANALYZE plain_points;

    -- z-scores: target 0 and sigma 1, after their baseline points
    CREATE TEMP TABLE plain_baseline AS
    SELECT metric, chapter, origin, office_code, 0::float8 AS mean, 1::float8 AS sigma,
           count(*) FILTER (WHERE base) AS nb, min(mu) AS shown_mean, min(sd) AS shown_sigma
      FROM plain_points GROUP BY 1, 2, 3, 4;
    ANALYZE plain_baseline;

    IF recursive THEN
        -- one step a day for every series at once; each step looks its point up by index (a hash
        -- join would hash all the points again on every one of the 275 steps)
        SET enable_hashjoin = off;
        SET enable_mergejoin = off;
        CREATE TEMP TABLE plain_stat AS
        WITH RECURSIVE c(metric, chapter, origin, office_code, mean, sigma, t, day, sp, sm) AS (
            SELECT metric, chapter, origin, office_code, mean, sigma, nb, NULL::date, 0::float8, 0::float8
              FROM plain_baseline
            UNION ALL
            SELECT c.metric, c.chapter, c.origin, c.office_code, c.mean, c.sigma, p.t, p.day,
                   greatest(0, c.sp + (p.x - c.mean) / c.sigma - 1), greatest(0, c.sm - (p.x - c.mean) / c.sigma - 1)
              FROM c JOIN plain_points p ON p.metric = c.metric AND p.chapter = c.chapter AND p.origin = c.origin
                                        AND p.office_code = c.office_code AND p.t = c.t + 1
        )
        SELECT metric, chapter, origin, office_code, t, day, CASE WHEN sp >= sm THEN sp ELSE -sm END AS statistic
          FROM c WHERE day IS NOT NULL;
        RESET enable_hashjoin;
        RESET enable_mergejoin;
    ELSE
        CREATE TEMP TABLE plain_stat AS
        WITH u AS (
            SELECT p.metric, p.chapter, p.origin, p.office_code, p.t, p.day, (p.x - b.mean) / b.sigma AS u
              FROM plain_points p JOIN plain_baseline b USING (metric, chapter, origin, office_code)
             WHERE NOT p.base
        ), c AS (
            SELECT u.*, sum(u - 1) OVER w AS cp, sum(-u - 1) OVER w AS cm
              FROM u WINDOW w AS (PARTITION BY metric, chapter, origin, office_code ORDER BY t ROWS UNBOUNDED PRECEDING)
        ), s AS (
            SELECT c.*, cp - least(0, min(cp) OVER w) AS sp, cm - least(0, min(cm) OVER w) AS sm
              FROM c WINDOW w AS (PARTITION BY metric, chapter, origin, office_code ORDER BY t ROWS UNBOUNDED PRECEDING)
        )
        SELECT metric, chapter, origin, office_code, t, day, CASE WHEN sp >= sm THEN sp ELSE -sm END AS statistic
          FROM s;
    END IF;

    CREATE TEMP TABLE plain_chart AS
    SELECT s.metric, s.chapter, s.origin, s.office_code, b.shown_mean AS baseline_mean, b.shown_sigma AS baseline_sigma,
           max(s.t) AS points, min(s.day) FILTER (WHERE abs(s.statistic) > 5) AS first_alert,
           count(*) FILTER (WHERE abs(s.statistic) > 5) AS alert_days, max(s.day) AS last_day,
           (array_agg(s.statistic ORDER BY s.t DESC))[1] AS last_statistic,
           (array_agg(abs(s.statistic) > 5 ORDER BY s.t DESC))[1] AS last_alert
      FROM plain_stat s JOIN plain_baseline b USING (metric, chapter, origin, office_code)
     GROUP BY s.metric, s.chapter, s.origin, s.office_code, b.shown_mean, b.shown_sigma;
    SELECT count(*) INTO n_alerts FROM plain_chart c WHERE c.last_alert AND c.last_day = as_of;
    RETURN n_alerts;
END
$fn$;

\o /dev/null
-- best of 3 of each side at each worker setting (time_it.sql); the alerts of as_of are deleted
-- before each run (a second run_monitoring on a day adds nothing)
\set undo 'DELETE FROM customs_risk.monitoring_alert WHERE as_of = ' :'as_of'
SELECT pg_temp.time_it('plain SQL, recursive CTE', w,
                       format('SELECT pg_temp.plain_monitoring(%L, %s, true)', :'as_of', :min_days), :'undo')
  FROM (VALUES (0), (2)) v(w);
CREATE TEMP TABLE chart_recursive AS TABLE plain_chart;
SELECT pg_temp.time_it('plain SQL, window sums', w,
                       format('SELECT pg_temp.plain_monitoring(%L, %s, false)', :'as_of', :min_days), :'undo')
  FROM (VALUES (0), (2)) v(w);
SELECT pg_temp.time_it('run_monitoring', w,
                       format('SELECT count(*) FROM customs_risk.run_monitoring(%L, %s)', :'as_of', :min_days), :'undo')
  FROM (VALUES (0), (2)) v(w);
\o

\echo
\echo '### run_monitoring against plain SQL (best of 3; as_of = the last generated day)'
SELECT :'as_of'::date AS as_of,
       (SELECT count(*) FROM customs_risk.declaration WHERE declared_on > :'as_of'::date - 365 AND declared_on <= :'as_of') AS "declarations in the year",
       (SELECT count(DISTINCT (chapter, origin)) FROM plain_chart) AS "chapter x origin pairs charted",
       (SELECT count(*) FROM plain_chart WHERE metric = 'lines') AS "lines series",
       (SELECT count(*) FROM plain_chart WHERE metric = 'value') AS "value series",
       (SELECT count(*) FROM plain_chart WHERE metric = 'hit_rate') AS "hit_rate series",
       (SELECT count(*) FROM plain_points) AS points;
SELECT r.workers AS "workers", round(r.seconds::numeric, 3) AS "run_monitoring s", r.result AS "alerts",
       round(w.seconds::numeric, 3) AS "window s", round((w.seconds / r.seconds)::numeric, 2) AS "window / ours",
       w.result AS "alerts (window)",
       round(c.seconds::numeric, 3) AS "recursive s", round((c.seconds / r.seconds)::numeric, 2) AS "recursive / ours",
       c.result AS "alerts (recursive)"
  FROM bench_timing r
  JOIN bench_timing w ON w.workers = r.workers AND w.what = 'plain SQL, window sums'
  JOIN bench_timing c ON c.workers = r.workers AND c.what = 'plain SQL, recursive CTE'
 WHERE r.what = 'run_monitoring' ORDER BY 1;
SELECT r.what AS "run", round((s.seconds / r.seconds)::numeric, 2) AS "speed-up with 2 workers"
  FROM bench_timing r JOIN bench_timing s ON s.what = r.what AND s.workers = 0
 WHERE r.workers = 2 ORDER BY 1 DESC;

\echo
\echo '### the series in alert on as_of: run_monitoring against each peer (must be the same set)'
WITH a AS (
    SELECT * FROM customs_risk.monitoring_alert WHERE as_of = :'as_of'
), peer AS (
    SELECT 'window sums' AS peer, * FROM plain_chart UNION ALL SELECT 'recursive CTE', * FROM chart_recursive
)
SELECT v.peer, x.*
  FROM (VALUES ('window sums'), ('recursive CTE')) v(peer)
 CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE a.metric IS NOT NULL AND p.metric IS NOT NULL) AS "in both",
           count(*) FILTER (WHERE p.metric IS NULL) AS "only run_monitoring",
           count(*) FILTER (WHERE a.metric IS NULL) AS "only plain SQL",
           count(*) FILTER (WHERE a.first_alert IS DISTINCT FROM p.first_alert) AS "first_alert differs",
           max(abs(a.statistic - p.last_statistic)) AS "max statistic difference",
           max(abs(a.baseline_mean - p.baseline_mean) + abs(a.baseline_sigma - p.baseline_sigma))
               AS "max baseline difference"
      FROM a
      FULL JOIN (SELECT * FROM peer WHERE peer.peer = v.peer AND last_alert AND last_day = :'as_of') p
        ON p.metric = a.metric AND p.chapter = a.hs_chapter AND p.origin = a.origin AND p.office_code = a.office_code
 ) x
 ORDER BY 1 DESC;

\echo
\echo '### every chart, not only those in alert: each peer against cusum_summary over the same points'
WITH ours AS (
    SELECT metric, chapter, origin, office_code,
           customs_risk.cusum_summary(customs_risk.daily_series(day, x), k => 1, h => 5,
                                      baseline_days => count(*) FILTER (WHERE base)::int, target => 0, sigma => 1) AS c
      FROM plain_points GROUP BY 1, 2, 3, 4
)
SELECT p.peer, count(*) AS series,
       count(*) FILTER (WHERE (o.c).last_alert IS DISTINCT FROM p.last_alert) AS "last_alert differs",
       count(*) FILTER (WHERE (o.c).first_alert IS DISTINCT FROM p.first_alert) AS "first_alert differs",
       count(*) FILTER (WHERE (o.c).alert_days <> p.alert_days) AS "alert_days differs",
       max(abs((o.c).last_statistic - p.last_statistic)) AS "max last_statistic difference"
  FROM ours o
  JOIN (SELECT 'window sums' AS peer, * FROM plain_chart UNION ALL SELECT 'recursive CTE', * FROM chart_recursive) p
    USING (metric, chapter, origin, office_code)
 GROUP BY 1 ORDER BY 1 DESC;

-- The generated days are uniform (no shift anywhere), so every alert here is a false one.  This
-- data raised 400 in 2,189 series when sparse series were charted against a median of 0, and 46
-- in 1,159 on the last day when the charts stood on the median and MAD of the daily points (64
-- lines series of 577 in alert on some day of the year): a day's count of a few lines, or mean of
-- 1 to 5 lumpy values, is neither centred on nor spread like that (README, Risk monitoring).
\echo
\echo '### the alerts of as_of by metric and severity'
SELECT metric, severity, direction, count(*) AS alerts
  FROM customs_risk.monitoring_alert WHERE as_of = :'as_of' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
\echo
\echo '### series in alert on any day of the year (all false: the data has no shift)'
SELECT metric, count(*) AS series, count(*) FILTER (WHERE first_alert IS NOT NULL) AS "alerted on some day",
       sum(alert_days) AS "alert days", count(*) * 275 AS "days charted"
  FROM plain_chart GROUP BY 1 ORDER BY 1;
ROLLBACK;
