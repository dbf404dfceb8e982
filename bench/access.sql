-- Row-level security benchmark (bin/bench-access): one evaluation report over the generated
-- declarations ('ba'), lines, inspections and decisions, per customs house and channel, run by
--   * the administrator for the whole country,
--   * the administrator for one district, restricted by a WHERE clause on the declaration's house,
--   * a district analyst bound to that district, restricted by row-level security alone.
-- The goal (issue 7) is about the last two: the same rows, filtered by policies instead of a
-- WHERE clause, at no more than 1.2 times the time.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET work_mem = '256MB';

-- logins for the run (cluster-wide; kept between runs, rebound each time)
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cr_bench_admin') THEN
        CREATE ROLE cr_bench_admin LOGIN IN ROLE customs_risk_admin;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cr_bench_district') THEN
        CREATE ROLE cr_bench_district LOGIN IN ROLE customs_risk_district;
    END IF;
END $$;
INSERT INTO customs_risk.user_scope (role_name, office_code) VALUES ('cr_bench_district', :'district')
ON CONFLICT (role_name) DO UPDATE SET office_code = excluded.office_code;

-- one logged decision per generated declaration (a fixture, not decide(): the channel follows a
-- keyed draw, about 3% red, 7% yellow, 2% blue); replica mode skips the log's stamping trigger
SELECT NOT EXISTS (SELECT 1 FROM customs_risk.decision_log WHERE declaration_id LIKE 'ba-%') AS need_decisions \gset
\if :need_decisions
SET session_replication_role = replica;
INSERT INTO customs_risk.decision_log (declaration_id, office_code, channel, score, profile_ids, random, selected_by,
                                       profile_set_version)
SELECT d.declaration_id, d.office_code,
       CASE WHEN r < 0.03 THEN 'red' WHEN r < 0.10 THEN 'yellow' WHEN r < 0.12 THEN 'blue' ELSE 'green' END::customs_risk.channel,
       0, '{}', r >= 0.99, 'batch-profile', 0
  FROM (SELECT d.declaration_id, d.office_code, customs_risk.random_draw_with('\x0123456789abcdef0123456789abcdef', d.declaration_id) AS r
          FROM customs_risk.declaration d WHERE d.source = 'ba') d
 ORDER BY d.declaration_id;
RESET session_replication_role;
\endif
VACUUM ANALYZE customs_risk.declaration, customs_risk.declaration_line, customs_risk.inspection, customs_risk.decision_log;

\ir time_it.sql
GRANT INSERT ON bench_timing TO PUBLIC;

-- The report: lines, value, inspections, hits and hit rate per house and channel.  %s is the
-- administrator's district restriction, or nothing.
SELECT $q$SELECT sum(x.lines + x.inspections + x.hits + coalesce(x.hit_rate, 0) + x.value / 1e9)
             FROM (SELECT d.office_code, dl.channel, count(*) AS lines, coalesce(sum(l.value), 0) AS value,
                          count(i.inspection_id) AS inspections,
                          count(*) FILTER (WHERE i.result IN ('minor', 'critical')) AS hits,
                          (count(*) FILTER (WHERE i.result IN ('minor', 'critical')))::float8
                              / nullif(count(i.inspection_id), 0) AS hit_rate
                     FROM customs_risk.declaration d
                     JOIN customs_risk.declaration_line l ON l.declaration_id = d.declaration_id
                     LEFT JOIN customs_risk.inspection i ON i.declaration_id = l.declaration_id AND i.line_no = l.line_no
                     JOIN customs_risk.decision_log dl ON dl.declaration_id = d.declaration_id
                    WHERE d.source = 'ba' %s
                    GROUP BY d.office_code, dl.channel) x$q$ AS report \gset
SELECT format('AND d.office_code IN (SELECT h.office_code FROM customs_risk.office h WHERE h.parent_code = %L)',
              :'district') AS where_district \gset

\o /dev/null
SET ROLE cr_bench_admin;
SELECT pg_temp.time_it('admin, country', w, format(:'report', '')) FROM (VALUES (0), (2)) v(w);
SELECT pg_temp.time_it('admin, WHERE district', w, format(:'report', :'where_district')) FROM (VALUES (0), (2)) v(w);
SET ROLE cr_bench_district;
SELECT pg_temp.time_it('district analyst, RLS', w, format(:'report', '')) FROM (VALUES (0), (2)) v(w);
RESET ROLE;

-- performance_report() (91_performance.sql) per office for the generated year, and its core,
-- evaluation_rows() aggregated per office: the administrator restricts that one to the district
-- with a WHERE clause on district_code, the analyst leaves it to row-level security
SELECT $q$SELECT sum(r.inspections + r.hits + coalesce(r.hit_rate, 0))
             FROM customs_risk.performance_report('2022-01-01', '2022-12-31', 'office') r$q$ AS perf \gset
SELECT $q$SELECT sum(customs_risk.inspections(x.c) + customs_risk.hits(x.c) + coalesce(customs_risk.hit_rate(x.c), 0))
             FROM (SELECT r.office_code, customs_risk.compliance(r.inspected, r.hit, r.critical, r.extra_revenue) AS c
                     FROM customs_risk.evaluation_rows('2022-01-01', '2022-12-31') r %s
                    GROUP BY r.office_code) x$q$ AS rows_q \gset
SET ROLE cr_bench_admin;
SELECT pg_temp.time_it('admin, performance_report', w, :'perf') FROM (VALUES (0), (2)) v(w);
SELECT pg_temp.time_it('admin, evaluation_rows WHERE district', w, format(:'rows_q', format('WHERE r.district_code = %L', :'district')))
  FROM (VALUES (0), (2)) v(w);
SET ROLE cr_bench_district;
SELECT pg_temp.time_it('district analyst, performance_report', w, :'perf') FROM (VALUES (0), (2)) v(w);
SELECT pg_temp.time_it('district analyst, evaluation_rows RLS', w, format(:'rows_q', '')) FROM (VALUES (0), (2)) v(w);
RESET ROLE;
\o

SELECT count(*) AS lines_all, count(*) FILTER (WHERE l.office_code IN (SELECT h.office_code FROM customs_risk.office h
                                                                          WHERE h.parent_code = :'district')) AS lines_district
  FROM customs_risk.declaration_line l WHERE l.declaration_id LIKE 'ba-%' \gset
\echo
\echo '### evaluation report per house and channel: district analyst (row-level security) against the administrator (best of 3)'
SELECT r.workers AS "workers",
       round(a.seconds::numeric, 3) AS "admin, country s",
       round(w.seconds::numeric, 3) AS "admin, WHERE district s",
       round(r.seconds::numeric, 3) AS "district analyst, RLS s",
       round((r.seconds / w.seconds)::numeric, 2) AS "RLS / WHERE (goal <= 1.2)",
       round((r.seconds / :lines_district * 1e9)::numeric) AS "RLS ns/district line",
       round((a.seconds / :lines_all * 1e9)::numeric) AS "admin ns/line",
       abs(r.result - w.result) <= 1e-9 * abs(w.result) AS "same figures"
  FROM bench_timing r
  JOIN bench_timing w ON w.workers = r.workers AND w.what = 'admin, WHERE district'
  JOIN bench_timing a ON a.workers = r.workers AND a.what = 'admin, country'
 WHERE r.what = 'district analyst, RLS' ORDER BY 1;
SELECT :lines_all AS "lines", :lines_district AS "lines of the district", :'district' AS "district";

\echo
\echo '### performance_report() per office, and its core evaluation_rows() per office: district analyst (RLS) against the administrator (best of 3)'
SELECT r.workers AS "workers",
       round(pa.seconds::numeric, 3) AS "admin performance_report s",
       round(pr.seconds::numeric, 3) AS "district performance_report s",
       round(w.seconds::numeric, 3) AS "admin evaluation_rows WHERE district s",
       round(r.seconds::numeric, 3) AS "district evaluation_rows RLS s",
       round((r.seconds / w.seconds)::numeric, 2) AS "RLS / WHERE (goal <= 1.2)",
       abs(r.result - w.result) <= 1e-9 * abs(w.result) AS "same figures"
  FROM bench_timing r
  JOIN bench_timing w ON w.workers = r.workers AND w.what = 'admin, evaluation_rows WHERE district'
  JOIN bench_timing pa ON pa.workers = r.workers AND pa.what = 'admin, performance_report'
  JOIN bench_timing pr ON pr.workers = r.workers AND pr.what = 'district analyst, performance_report'
 WHERE r.what = 'district analyst, evaluation_rows RLS' ORDER BY 1;
