-- Law-enforcement evaluation on generated data with a known truth (test/evaluation_data.sql):
-- the random control sample's estimates contain the truth, counts agree with direct counts,
-- lift against the right control, the profile flags, and parallel plans give the same report.
BEGIN;
SET search_path = customs_risk, public;
SET client_min_messages = warning;
SELECT plan(29);

\ir ../evaluation_data.sql
-- 40,000 declarations in 2030: true violation rate 0.10 by design, random control rate 5%
SELECT pg_temp.make_evaluation_data('ev', 40000, 7, '2030-01-01', 365) AS made \gset
CREATE TEMP TABLE truth AS
SELECT count(*) AS n, count(*) FILTER (WHERE violates) AS v,
       count(*) FILTER (WHERE selected_by IS NOT NULL) AS inspected,
       count(*) FILTER (WHERE violates AND selected_by IS NOT NULL) AS found,
       sum(revenue) FILTER (WHERE violates) AS rev_all,
       sum(revenue) FILTER (WHERE violates AND selected_by IS NOT NULL) AS rev_found
  FROM ev_truth;
CREATE TEMP TABLE est AS SELECT * FROM noncompliance_estimate('2030-01-01', '2030-12-31');

SELECT is((SELECT ARRAY[declarations, inspections, hits] FROM est), (SELECT ARRAY[n, inspected, found] FROM truth),
          'the estimate counts every declaration, inspection and hit of the period');
SELECT ok((SELECT e.rate_ci_low <= t.v::float8 / t.n AND t.v::float8 / t.n <= e.rate_ci_high FROM est e, truth t),
          'the realised violation rate lies in the random sample''s Wilson interval');
SELECT ok((SELECT rate_ci_low <= 0.10 AND 0.10 <= rate_ci_high FROM est),
          'the design rate 0.10 lies in the interval too');
SELECT ok((SELECT e.violations_ci_low <= t.v AND t.v <= e.violations_ci_high FROM est e, truth t),
          'the true number of violations lies in the interval of the estimate');
SELECT ok((SELECT e.missed_ci_low <= t.v - t.found AND t.v - t.found <= e.missed_ci_high FROM est e, truth t),
          'the violations targeting missed lie in their interval');
SELECT ok((SELECT e.share_caught_ci_low <= t.found::float8 / t.v AND t.found::float8 / t.v <= e.share_caught_ci_high
             FROM est e, truth t),
          'the share of violations targeting caught lies in its interval');
SELECT ok((SELECT e.revenue_missed_ci_low <= t.rev_all - t.rev_found AND t.rev_all - t.rev_found <= e.revenue_missed_ci_high
             FROM est e, truth t),
          'the revenue missed lies in its interval');
SELECT ok((SELECT t.found::float8 / t.inspected > e.rate_ci_high FROM est e, truth t),
          'the hit rate of all inspections is far above the true rate: only the random sample estimates it');

-- performance by source
CREATE TEMP TABLE by_source AS SELECT * FROM performance_report('2030-01-01', '2030-12-31', 'source');
SELECT set_eq($$SELECT group_key, inspections, hits FROM by_source$$,
              $$SELECT CASE WHEN random THEN 'random' ELSE selected_by::text END AS k, count(*) AS n, count(*) FILTER (WHERE violates) AS h
                  FROM ev_truth WHERE selected_by IS NOT NULL GROUP BY 1$$,
              'inspections and hits per selection source equal the direct counts');
SELECT is((SELECT lift FROM by_source WHERE group_key = 'random'), 1::float8, 'the random control sample has lift 1');
SELECT ok((SELECT lift_ci_low > 1 AND random_hit_rate = (SELECT rate FROM est) FROM by_source WHERE group_key = 'profile'),
          'profile selection beats the random control sample (lift interval above 1), against the same random rate');
SELECT ok((SELECT bool_and(ci_low <= hit_rate AND hit_rate <= ci_high AND lift_ci_low <= lift AND lift <= lift_ci_high)
             FROM by_source),
          'each hit rate and lift lies in its own interval');

-- performance by profile: counts, and the high-risk profile's design hit rate in its interval
CREATE TEMP TABLE by_profile AS
SELECT p.name, r.* FROM performance_report('2030-01-01', '2030-12-31', 'profile') r JOIN profile p ON p.profile_id = r.group_key::bigint;
SELECT set_eq($$SELECT group_key::bigint, inspections, hits, extra_revenue FROM by_profile$$,
              $$SELECT profile_id, count(*) AS n, count(*) FILTER (WHERE violates) AS h, coalesce(sum(revenue), 0)::float8 AS rev
                  FROM ev_truth WHERE selected_by = 'profile' GROUP BY 1$$,
              'inspections, hits and extra revenue per profile equal the direct counts');
-- P(violates | matched by "high") = (0.2 x 0.7 x 0.30 + 0.8 x 0.1 x 0.05) / (0.2 x 0.7 + 0.8 x 0.1)
SELECT ok((SELECT ci_low <= 0.046 / 0.22 AND 0.046 / 0.22 <= ci_high FROM by_profile WHERE name = 'ev high'),
          'the high-risk profile''s design hit rate 0.209 lies in its Wilson interval');

-- by office, district and month: all declarations, the random rate of the same scope
CREATE TEMP TABLE by_office AS SELECT * FROM performance_report('2030-01-01', '2030-12-31', 'office');
SELECT is((SELECT sum(declarations) FROM by_office), 40::numeric * 1000, 'the offices share all 40,000 declarations');
SELECT set_eq($$SELECT group_key, random_inspections, random_hit_rate FROM by_office$$,
              $$SELECT office_code, count(*) FILTER (WHERE random) AS n,
                       (count(*) FILTER (WHERE random AND violates))::float8 / nullif(count(*) FILTER (WHERE random), 0)
                  FROM ev_truth GROUP BY 1$$,
              'an office''s lift is against the random inspections of that office');
SELECT set_eq($$SELECT group_key, declarations, inspections, hits FROM performance_report('2030-01-01', '2030-12-31', 'district')$$,
              $$SELECT district_code, count(*) AS n, count(selected_by) AS k, count(*) FILTER (WHERE violates AND selected_by IS NOT NULL) AS h
                  FROM ev_truth GROUP BY 1$$,
              'per district: declarations, inspections and hits equal the direct counts');
SELECT set_eq($$SELECT group_key, declarations, hits FROM performance_report('2030-01-01', '2030-12-31', 'month')$$,
              $$SELECT to_char(declared_on, 'YYYY-MM') AS m, count(*) AS n, count(*) FILTER (WHERE violates AND selected_by IS NOT NULL) AS h
                  FROM ev_truth GROUP BY 1$$,
              'per month: declarations and hits equal the direct counts');
SELECT set_eq($$SELECT group_key, inspections FROM performance_report('2030-01-01', '2030-12-31', 'channel')$$,
              $$SELECT channel::text AS c, count(*) AS n FROM ev_truth WHERE selected_by IS NOT NULL GROUP BY 1$$,
              'per channel: the inspections recorded in it');
SELECT is((SELECT count(*) FROM performance_report('2030-01-01', '2030-12-31', 'model')), 0::bigint,
          'no inspection was selected by a model: no model rows');

-- profile effectiveness and its flags
CREATE TEMP TABLE eff AS SELECT * FROM profile_effectiveness('2030-01-01', '2030-12-31', as_of => '2030-12-31')
                          WHERE name LIKE 'ev %';
SELECT results_eq($$SELECT name, flags FROM eff ORDER BY rank$$,
                  $$VALUES ('ev high', '{}'::text[]), ('ev useless', '{no_better_than_random,expires_soon}'),
                           ('ev never', '{no_better_than_random,never_hit}')$$,
                  'ranked: the high-risk profile first without flags, the useless one not better than random and expiring, the other never hitting');
SELECT is((SELECT array_agg(name ORDER BY name) FROM profile_effectiveness('2030-01-01', '2030-12-31', as_of => '2031-02-01')
            WHERE 'expired' = ANY (flags) AND name LIKE 'ev %'), '{"ev useless"}'::text[],
          'past its valid_to an active profile is flagged expired');

-- the same report under parallel workers
CREATE TEMP TABLE serial AS SELECT * FROM performance_report('2030-01-01', '2030-12-31', 'district');
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE line text; result text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP result := result || line || E'\n'; END LOOP;
    RETURN result;
END $$;
SELECT ok(pg_temp.plan_text($$SELECT r.district_code, compliance(r.inspected, r.hit, r.critical, r.extra_revenue)
                                FROM evaluation_rows('2030-01-01', '2030-12-31') r GROUP BY 1$$) LIKE '%Gather%',
          'the rows the reports aggregate can be read by parallel workers (the functions are parallel safe)');
SELECT throws_ok($$SELECT count(*) FROM evaluation_rows('2030-01-01', '2030-12-31', 'bogus')$$, '22023',
                 'evaluation_rows(): unknown split_by ''bogus''', 'evaluation_rows refuses an unknown split_by (it was ignored)');
SELECT throws_ok($$SELECT count(*) FROM evaluation_rows('2030-12-31', '2030-01-01')$$, '22023', NULL,
                 '... and a reversed period, as the reports do');
SELECT set_eq($$SELECT * FROM performance_report('2030-01-01', '2030-12-31', 'district')$$,
              $$SELECT * FROM serial$$, 'a plan with parallel workers gives the same report');

-- revenue_at's sums: the same bits whatever order the rows come in (ties in score included),
-- exactly 1 at fraction 1, and no overflow near the top of the double range
CREATE TEMP TABLE rev_rows AS
SELECT (g % 7)::float8 AS s, (g * 7919 % 1000)::float8 / 7 + 0.1 AS r FROM generate_series(1, 5000) g;
SELECT is((SELECT revenue_at(s, r, 0.3 ORDER BY r) FROM rev_rows),
          (SELECT revenue_at(s, r, 0.3 ORDER BY r DESC) FROM rev_rows),
          'revenue_at gives the same bits for the rows in any order');
SELECT is((SELECT revenue_at(s, r, 1) FROM rev_rows), 1::float8, 'revenue_at at fraction 1 is exactly 1');
SELECT is((SELECT revenue_at(s, r, 0.5) FROM (VALUES (1::float8, 1e308::float8), (2, 1e308)) v(s, r)), 0.5::float8,
          'revenues near the largest double do not overflow the share');
SELECT * FROM finish();
ROLLBACK;
