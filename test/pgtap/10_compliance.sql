-- Compliance aggregates on the bundled sample: national totals, per importer against count(*)
-- FILTER, daily states merged into months, parallel against serial, exact extra revenue.
BEGIN;
SET search_path = customs_risk, public;
SELECT plan(19);

SELECT has_type('customs_risk', 'compliance', 'the compliance type exists');
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
            WHERE p.pronamespace = 'customs_risk'::regnamespace AND p.proname IN ('compliance', 'compliance_merge')
              AND a.aggcombinefn <> 0 AND p.proparallel = 's'), 3::bigint,
          'the three compliance aggregates have a combine function and are parallel safe');

-- the national record: every declaration of the sample was inspected
CREATE TEMP TABLE national AS
SELECT compliance(o.inspected, o.hit, o.critical, o.extra_revenue) AS c FROM declaration_outcome_v o;
SELECT is((SELECT c::text FROM national),
          'declarations=45519 inspections=45519 pending=0 hits=9818 minor=9346 critical=472 extra_revenue=0',
          'national: 45,519 declarations, all inspected, 9,818 hits (472 critical, 9,346 minor), no extra revenue recorded');
SELECT is((SELECT critical_findings(c) FROM national),
          (SELECT count(*) FROM inspection WHERE result = 'critical'), '... the 472 critical findings are the inspections that found one');
SELECT is((SELECT compliance(o.inspected, o.hit)::text FROM declaration_outcome_v o),
          'declarations=45519 inspections=45519 pending=0 hits=9818 minor=0 critical=0 extra_revenue=0',
          'the two-argument form counts the same declarations, inspections and hits');
SELECT is((SELECT ARRAY[inspection_rate(c), round(hit_rate(c)::numeric, 6)::float8] FROM national), ARRAY[1, 0.215690]::float8[],
          'inspection rate 1, hit rate 9,818 / 45,519 = 0.215690');
SELECT is((SELECT array(SELECT round(b::numeric, 6) FROM unnest(wilson_interval(c)) b) FROM national),
          ARRAY[0.211936, 0.219492]::numeric[], 'the 95% Wilson interval of the national hit rate is {0.211936, 0.219492}');

-- per importer, the aggregate is what count(*) FILTER gives
CREATE TEMP TABLE per_importer AS
SELECT d.importer_id,
       compliance(o.inspected, o.hit, o.critical, o.extra_revenue)::text AS c,
       format('declarations=%s inspections=%s pending=%s hits=%s minor=%s critical=%s extra_revenue=0',
              count(*) FILTER (WHERE o.inspected IS NOT NULL), count(*) FILTER (WHERE o.inspected),
              count(*) FILTER (WHERE o.inspected AND o.hit IS NULL), count(*) FILTER (WHERE o.inspected AND o.hit),
              count(*) FILTER (WHERE o.inspected AND o.hit AND NOT o.critical),
              count(*) FILTER (WHERE o.inspected AND o.hit AND o.critical)) AS by_filter,
       hit_rate(compliance(o.inspected, o.hit)) AS rate,
       (count(*) FILTER (WHERE o.hit))::float8 / nullif(count(*) FILTER (WHERE o.inspected AND o.hit IS NOT NULL), 0) AS rate_by_filter
  FROM declaration_outcome_v o JOIN declaration d USING (declaration_id)
 GROUP BY d.importer_id;
SELECT is((SELECT count(*) FROM per_importer), 13676::bigint, 'a record for each of the 13,676 importers');
SELECT is((SELECT count(*) FROM per_importer WHERE c IS DISTINCT FROM by_filter), 0::bigint,
          'per importer, the record equals the count(*) FILTER formulation');
SELECT is((SELECT count(*) FROM per_importer WHERE rate IS DISTINCT FROM rate_by_filter), 0::bigint,
          'per importer, hit_rate equals hits / inspections');
SELECT is((SELECT compliance_merge(c::compliance)::text FROM per_importer), (SELECT c::text FROM national),
          'the importers'' records merge into the national one');

-- daily states (per office) merged into months equal the monthly aggregate over the declarations
CREATE TEMP TABLE daily AS
SELECT o.declared_on AS day, o.office, compliance(o.inspected, o.hit, o.critical, o.extra_revenue) AS c
  FROM declaration_outcome_v o GROUP BY 1, 2;
CREATE TEMP TABLE monthly AS
SELECT date_trunc('month', o.declared_on) AS month, o.office, compliance(o.inspected, o.hit, o.critical, o.extra_revenue)::text AS c
  FROM declaration_outcome_v o GROUP BY 1, 2;
SELECT is((SELECT count(DISTINCT month) FROM monthly), 15::bigint, '15 months, 2020-01 to 2021-03');
SELECT is((SELECT count(*) FROM monthly m
             FULL JOIN (SELECT date_trunc('month', day) AS month, office, compliance_merge(c)::text AS c
                          FROM daily GROUP BY 1, 2) d USING (month, office)
            WHERE m.c IS DISTINCT FROM d.c), 0::bigint,
          'per office and month, the merged daily states equal the direct monthly record');

-- with parallel workers the records are the same: on a plain table (rolled back) as the view
-- aggregates itself, the planner scans in parallel and aggregates partially
CREATE TABLE public.compliance_t_outcome AS
SELECT o.*, d.importer_id FROM declaration_outcome_v o JOIN declaration d USING (declaration_id);
ANALYZE public.compliance_t_outcome;
CREATE FUNCTION pg_temp.plan(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || query;
END $$;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.plan($$SELECT customs_risk.compliance(inspected, hit, critical, extra_revenue)
                                                  FROM public.compliance_t_outcome$$) l WHERE l ~ 'Partial Aggregate'),
          'EXPLAIN shows a Partial Aggregate under a Gather');
SELECT is((SELECT compliance(inspected, hit, critical, extra_revenue)::text FROM public.compliance_t_outcome),
          (SELECT c::text FROM national), 'the national record in parallel');
SELECT is((SELECT count(*) FROM per_importer p
             FULL JOIN (SELECT importer_id, compliance(inspected, hit, critical, extra_revenue)::text AS c
                          FROM public.compliance_t_outcome GROUP BY importer_id) q USING (importer_id)
            WHERE p.c IS DISTINCT FROM q.c), 0::bigint, 'the importers'' records in parallel');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- extra revenue (none in the sample): assessed on the hits here, and summed exactly
UPDATE inspection SET extra_revenue = (inspection_id % 100000) * 0.01 + 0.005 WHERE result <> 'none';
SELECT is((SELECT trim_scale(sum(extra_revenue))::text FROM inspection),
          (SELECT substring(compliance(o.inspected, o.hit, o.critical, o.extra_revenue)::text FROM 'extra_revenue=(.*)$')
             FROM declaration_outcome_v o),
          'the extra revenue of the record is the exact numeric sum of the inspections''');
SELECT is((SELECT count(*) FROM (
              SELECT d.importer_id, extra_revenue(compliance(o.inspected, o.hit, o.critical, o.extra_revenue)) AS x,
                     coalesce(sum(o.extra_revenue), 0)::float8 AS s
                FROM declaration_outcome_v o JOIN declaration d USING (declaration_id) GROUP BY 1) t
            WHERE x <> s), 0::bigint,
          'per importer, extra_revenue() equals the sum rounded to float8');

SELECT is(wilson_interval(compliance(true, false), 1e-20), '{0,0}'::float8[],
          'a Wilson interval at a vanishing level is the point estimate, not NaN');
SELECT * FROM finish();
ROLLBACK;
