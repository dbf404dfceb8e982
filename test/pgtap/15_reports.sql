-- The report views and the GeoJSON map on the loaded sample: each agrees with a direct count.
BEGIN;
SET search_path = customs_risk, public;
SET client_min_messages = warning;
SELECT plan(18);

-- workload trend: months and year totals
SELECT set_eq($$SELECT year, month, declarations, lines, value, inspections, hits FROM workload_trend_v WHERE month IS NOT NULL$$,
              $$SELECT extract(year FROM d.declared_on)::int AS y, extract(month FROM d.declared_on)::int AS m, count(*) AS n,
                       sum((SELECT count(*) FROM declaration_line l WHERE l.declaration_id = d.declaration_id)) AS lines,
                       coalesce(sum((SELECT sum(l.value) FROM declaration_line l WHERE l.declaration_id = d.declaration_id)), 0) AS v,
                       count(*) FILTER (WHERE o.inspected) AS k, count(*) FILTER (WHERE o.hit) AS h
                  FROM declaration d JOIN declaration_outcome_v o USING (declaration_id) GROUP BY 1, 2$$,
              'workload trend: declarations, lines, value, inspections and hits per month equal direct counts');
SELECT set_eq($$SELECT year, declarations, value FROM workload_trend_v WHERE month IS NULL$$,
              $$SELECT year, sum(declarations) AS n, sum(value) AS v FROM workload_trend_v WHERE month IS NOT NULL GROUP BY 1$$,
              'a row with month NULL totals its year');
SELECT is((SELECT declarations FROM workload_trend_v WHERE year = 2020 AND month IS NULL), 37385::bigint,
          'the sample''s 2020: 37,385 entries');

-- a day of batch decisions inside the last year of data (2020-04-01 .. 2021-03-31), so that
-- channels and the harmonisation view have something to show
CREATE TEMP TABLE day_batch AS SELECT * FROM select_for_day('2021-03-02');
SELECT is((SELECT sum(green + blue + yellow + red) FROM office_daily_v WHERE day = '2021-03-02'),
          (SELECT count(DISTINCT declaration_id)::numeric FROM decision_log),
          'office daily: the channels of the day''s decisions add up to the declarations decided');
SELECT set_eq($$SELECT office_code, red, undecided FROM office_daily_v WHERE day = '2021-03-02'$$,
              $$SELECT d.office_code, count(*) FILTER (WHERE l.channel = 'red') AS red, count(*) FILTER (WHERE l.declaration_id IS NULL) AS u
                  FROM declaration d LEFT JOIN decision_log l USING (declaration_id) WHERE d.declared_on = '2021-03-02' GROUP BY 1$$,
              'office daily: red and undecided per house equal the decision log');
SELECT set_eq($$SELECT office_code, district_code, day, declarations, inspections, hits FROM office_daily_v$$,
              $$SELECT o.office, h.parent_code, o.declared_on, count(*) AS n, count(*) FILTER (WHERE o.inspected) AS k,
                       count(*) FILTER (WHERE o.hit) AS hits
                  FROM declaration_outcome_v o JOIN office h ON h.office_code = o.office GROUP BY 1, 2, 3$$,
              'office daily: declarations, inspections and hits per house and day equal declaration_outcome_v');

-- channel performance over the last year of data (2020-04-01 .. 2021-03-31): the sample
-- records no channel on its inspections
SELECT set_eq($$SELECT channel, office_code, inspections, hits FROM channel_performance_v$$,
              $$SELECT 'unrecorded', office, count(*) AS k, count(*) FILTER (WHERE hit) AS h FROM declaration_outcome_v
                 WHERE declared_on BETWEEN '2020-04-01' AND '2021-03-31' AND inspected GROUP BY 2$$,
              'channel performance: inspections and hits per house over the last year of data');
SELECT ok((SELECT bool_and(ci_low <= hit_rate AND hit_rate <= ci_high) FROM channel_performance_v),
          'channel performance: each hit rate lies in its Wilson interval');

-- profile performance lists every profile
INSERT INTO profile (name, criteria, channel, weight, description, status, valid_from, valid_to, owner_office)
VALUES ('report test', 'hs <@ 8471', 'yellow', 1, 'test', 'active', '2020-01-01', CURRENT_DATE + 5, 'NRC');
SELECT results_eq($$SELECT inspections, hits, flags FROM profile_performance_v WHERE name = 'report test'$$,
                  $$VALUES (0::bigint, 0::bigint, '{expires_soon}'::text[])$$,
                  'profile performance: a profile without inspections, expiring in 5 days');
SELECT is((SELECT count(*) FROM profile_performance_v), (SELECT count(*) FROM profile), 'profile performance lists every profile');

-- grade distribution: every importer once
SELECT results_eq($$SELECT grade::text, traders, share FROM grade_distribution_v$$,
                  $$SELECT g, CASE WHEN g = 'general_credit' THEN (SELECT count(*) FROM trader WHERE 'importer' = ANY (roles)) ELSE 0 END,
                           CASE WHEN g = 'general_credit' THEN 1 ELSE 0 END::float8
                      FROM unnest('{advanced_certified,general_certified,general_credit,dishonest}'::text[]) g$$,
                  'grade distribution before grading: every importer general credit');
CREATE TEMP TABLE graded AS SELECT * FROM grade_traders('2021-01-01');
SELECT set_eq($$SELECT grade, traders FROM grade_distribution_v WHERE traders > 0$$,
              $$SELECT coalesce(h.grade, 'general_credit') AS g, count(*) AS n FROM trader t
                  LEFT JOIN trader_grade_history h ON h.trader_id = t.trader_id AND h.valid_to IS NULL
                 WHERE 'importer' = ANY (t.roles) GROUP BY 1$$,
              'grade distribution after grading: importers per current grade');

-- harmonisation view: the band rows of the report over the last year
SELECT is((SELECT sum(declarations) FROM harmonisation_v), (SELECT count(DISTINCT declaration_id)::numeric FROM decision_log),
          'harmonisation view: every declaration decided in the last year is in a band row');
SELECT set_eq($$SELECT band, district_code, declarations, inspected, deviates FROM harmonisation_v$$,
              $$SELECT band, district_code, declarations, inspected, deviates
                  FROM harmonisation_report('2020-04-01', '2021-03-31') WHERE scope = 'band'$$,
              'harmonisation view: the band rows of harmonisation_report over the last year of data');

-- alerts, newest first
INSERT INTO monitoring_alert (as_of, metric, hs_chapter, origin, office_code, first_alert, direction, statistic,
                              baseline_mean, baseline_sigma, severity)
VALUES ('2020-06-01', 'lines', 84, 'CN', '10', '2020-05-30', 'up', 6, 10, 2, 'low'),
       ('2020-07-01', 'value', 85, 'VN', '40', '2020-06-28', 'down', -12, 10, 2, 'high');
SELECT results_eq($$SELECT metric, office_code, district_code FROM alert_v$$,
                  $$SELECT metric, a.office_code, o.parent_code FROM monitoring_alert a JOIN office o USING (office_code)
                     ORDER BY as_of DESC, alert_id DESC$$,
                  'alerts: newest first, with the district of the house');

-- the map: a valid FeatureCollection of every customs house
INSERT INTO office (office_code, name, level, parent_code) VALUES ('NOLOC', 'house without a location', 'house', 'RC-SEOUL');
CREATE TEMP TABLE gj AS SELECT office_geojson('2020-01-01', '2020-12-31') AS j;
SELECT ok((SELECT j->>'type' = 'FeatureCollection' AND jsonb_typeof(j->'features') = 'array'
                  AND jsonb_array_length(j->'features') = (SELECT count(*) FROM office WHERE level = 'house') FROM gj),
          'GeoJSON: a FeatureCollection with one feature per customs house');
SELECT ok((SELECT bool_and(f->>'type' = 'Feature' AND jsonb_typeof(f->'properties') = 'object'
                           AND CASE WHEN f->>'id' = 'NOLOC' THEN jsonb_typeof(f->'geometry') = 'null'
                                    ELSE f->'geometry'->>'type' = 'Point' AND jsonb_array_length(f->'geometry'->'coordinates') = 2
                                         AND (f->'geometry'->'coordinates'->>0)::float8 BETWEEN -180 AND 180
                                         AND (f->'geometry'->'coordinates'->>1)::float8 BETWEEN -90 AND 90 END)
                FROM gj, jsonb_array_elements(j->'features') f),
          'GeoJSON: every feature has properties and a lon/lat Point, or geometry null where the location is unknown');
SELECT set_eq($$SELECT f->>'id' AS id, (f->'properties'->>'declarations')::bigint AS n, (f->'properties'->>'hits')::bigint AS h
                  FROM gj, jsonb_array_elements(j->'features') f WHERE (f->'properties'->>'declarations')::bigint > 0$$,
              $$SELECT office, count(*) AS n, count(*) FILTER (WHERE hit) AS h FROM declaration_outcome_v
                 WHERE declared_on BETWEEN '2020-01-01' AND '2020-12-31' GROUP BY 1$$,
              'GeoJSON: declarations and hits per house equal the direct counts');

SELECT * FROM finish();
ROLLBACK;
