
-- ===========================================================================
-- Reports for BI tools: documented views (plain views, always current) and a GeoJSON map of
-- the customs houses.  Views that summarise a period cover the last year of data: the 365
-- days up to the latest declaration (none when there are no declarations).
-- ===========================================================================

-- Entries and value per year and month, like the origin document's table of entries and
-- values per year; a row with month NULL is the year's total.
CREATE VIEW customs_risk.workload_trend_v AS
WITH l AS (
    SELECT dl.declaration_id, count(*) AS lines, sum(dl.value) AS value
      FROM customs_risk.declaration_line dl GROUP BY dl.declaration_id
), i AS (
    SELECT x.declaration_id, bool_or(x.result <> 'none'::customs_risk.inspection_result) AS hit
      FROM customs_risk.inspection x GROUP BY x.declaration_id
)
SELECT extract(year FROM d.declared_on)::integer AS year,
       extract(month FROM d.declared_on)::integer AS month,
       count(*) AS declarations,
       coalesce(sum(l.lines), 0)::bigint AS lines,
       coalesce(sum(l.value), 0) AS value,
       count(i.declaration_id) AS inspections,
       count(*) FILTER (WHERE i.hit) AS hits,
       count(*) FILTER (WHERE i.hit)::float8 / nullif(count(i.declaration_id), 0) AS hit_rate
  FROM customs_risk.declaration d
  LEFT JOIN l ON l.declaration_id = d.declaration_id
  LEFT JOIN i ON i.declaration_id = d.declaration_id
 GROUP BY GROUPING SETS ((extract(year FROM d.declared_on)::integer, extract(month FROM d.declared_on)::integer),
                         (extract(year FROM d.declared_on)::integer))
 ORDER BY 1, 2 NULLS LAST;
COMMENT ON VIEW customs_risk.workload_trend_v IS
    'workload trend: declarations (entries), lines and declared value per year and month, with inspections and hits; month NULL is the year''s total';
COMMENT ON COLUMN customs_risk.workload_trend_v.year IS 'year the declarations were lodged';
COMMENT ON COLUMN customs_risk.workload_trend_v.month IS 'month 1..12; NULL on the row that totals the year';
COMMENT ON COLUMN customs_risk.workload_trend_v.declarations IS 'declarations (entries) lodged';
COMMENT ON COLUMN customs_risk.workload_trend_v.lines IS 'their lines (items)';
COMMENT ON COLUMN customs_risk.workload_trend_v.value IS 'declared customs value of their lines (unknown values count as 0)';
COMMENT ON COLUMN customs_risk.workload_trend_v.inspections IS 'declarations with at least one inspection recorded';
COMMENT ON COLUMN customs_risk.workload_trend_v.hits IS 'declarations where an inspection found a minor or critical violation';
COMMENT ON COLUMN customs_risk.workload_trend_v.hit_rate IS 'hits / inspections; NULL without inspections';

-- The channel of a declaration, for the reports: its latest logged decision.
CREATE VIEW customs_risk.latest_decision_v AS
SELECT DISTINCT ON (l.declaration_id) l.declaration_id, l.office_code, l.channel, l.score, l.model_score,
       l.profile_ids, l.random, l.decided_at
  FROM customs_risk.decision_log l
 ORDER BY l.declaration_id, l.decision_id DESC;
COMMENT ON VIEW customs_risk.latest_decision_v IS
    'the decision in force for each decided declaration: its latest row in decision_log';
COMMENT ON COLUMN customs_risk.latest_decision_v.declaration_id IS 'the declaration';
COMMENT ON COLUMN customs_risk.latest_decision_v.office_code IS 'its customs house';
COMMENT ON COLUMN customs_risk.latest_decision_v.channel IS 'the channel decided: green, blue, yellow or red';
COMMENT ON COLUMN customs_risk.latest_decision_v.score IS 'risk score: the matched profiles'' weights summed';
COMMENT ON COLUMN customs_risk.latest_decision_v.model_score IS 'model score; NULL without a model';
COMMENT ON COLUMN customs_risk.latest_decision_v.profile_ids IS 'the profiles matched';
COMMENT ON COLUMN customs_risk.latest_decision_v.random IS 'selected at random (control sample)';
COMMENT ON COLUMN customs_risk.latest_decision_v.decided_at IS 'when the decision was made';

-- Daily statistics per customs house.
CREATE VIEW customs_risk.office_daily_v AS
WITH l AS (
    SELECT dl.declaration_id, sum(dl.value) AS value FROM customs_risk.declaration_line dl GROUP BY dl.declaration_id
), i AS (
    SELECT x.declaration_id, bool_or(x.result <> 'none'::customs_risk.inspection_result) AS hit
      FROM customs_risk.inspection x GROUP BY x.declaration_id
)
SELECT d.office_code, o.parent_code AS district_code, d.declared_on AS day,
       count(*) AS declarations,
       coalesce(sum(l.value), 0) AS value,
       count(*) FILTER (WHERE ld.channel = 'green') AS green,
       count(*) FILTER (WHERE ld.channel = 'blue') AS blue,
       count(*) FILTER (WHERE ld.channel = 'yellow') AS yellow,
       count(*) FILTER (WHERE ld.channel = 'red') AS red,
       count(*) FILTER (WHERE ld.declaration_id IS NULL) AS undecided,
       count(i.declaration_id) AS inspections,
       count(*) FILTER (WHERE i.hit) AS hits
  FROM customs_risk.declaration d
  JOIN customs_risk.office o ON o.office_code = d.office_code
  LEFT JOIN l ON l.declaration_id = d.declaration_id
  LEFT JOIN i ON i.declaration_id = d.declaration_id
  LEFT JOIN customs_risk.latest_decision_v ld ON ld.declaration_id = d.declaration_id
 GROUP BY d.office_code, o.parent_code, d.declared_on;
COMMENT ON VIEW customs_risk.office_daily_v IS
    'per customs house and day: declarations, declared value, the channels decided (latest logged decision), inspections and hits';
COMMENT ON COLUMN customs_risk.office_daily_v.office_code IS 'customs house';
COMMENT ON COLUMN customs_risk.office_daily_v.district_code IS 'its district risk centre';
COMMENT ON COLUMN customs_risk.office_daily_v.day IS 'day the declarations were lodged';
COMMENT ON COLUMN customs_risk.office_daily_v.declarations IS 'declarations lodged';
COMMENT ON COLUMN customs_risk.office_daily_v.value IS 'their declared value (unknown values count as 0)';
COMMENT ON COLUMN customs_risk.office_daily_v.green IS 'declarations whose latest decision is green (released)';
COMMENT ON COLUMN customs_risk.office_daily_v.blue IS '... blue (post-clearance audit)';
COMMENT ON COLUMN customs_risk.office_daily_v.yellow IS '... yellow (documentary check)';
COMMENT ON COLUMN customs_risk.office_daily_v.red IS '... red (physical inspection)';
COMMENT ON COLUMN customs_risk.office_daily_v.undecided IS 'declarations with no logged decision (imported history)';
COMMENT ON COLUMN customs_risk.office_daily_v.inspections IS 'declarations with at least one inspection recorded';
COMMENT ON COLUMN customs_risk.office_daily_v.hits IS 'declarations where an inspection found a minor or critical violation';

-- Hit rate per inspection channel and customs house over the last year of data.
CREATE VIEW customs_risk.channel_performance_v AS
WITH m AS (
    SELECT max(d.declared_on) AS last_day FROM customs_risk.declaration d HAVING max(d.declared_on) IS NOT NULL
), g AS (
    SELECT coalesce(r.channel::text, 'unrecorded') AS channel, r.office_code, r.district_code,
           customs_risk.compliance(r.inspected, r.hit, r.critical, r.extra_revenue) AS c
      FROM m, LATERAL customs_risk.evaluation_rows((m.last_day - interval '1 year')::date + 1, m.last_day) r
     WHERE r.inspected
     GROUP BY 1, r.office_code, r.district_code
)
SELECT g.channel, g.office_code, g.district_code, customs_risk.inspections(g.c) AS inspections,
       customs_risk.hits(g.c) AS hits, customs_risk.hit_rate(g.c) AS hit_rate,
       (customs_risk.wilson_interval(g.c))[1] AS ci_low, (customs_risk.wilson_interval(g.c))[2] AS ci_high,
       customs_risk.critical_findings(g.c) AS critical, customs_risk.extra_revenue(g.c) AS extra_revenue
  FROM g;
COMMENT ON VIEW customs_risk.channel_performance_v IS
    'hit rate per inspection channel and customs house over the last year of data (365 days up to the latest declaration)';
COMMENT ON COLUMN customs_risk.channel_performance_v.channel IS 'the most intrusive channel recorded on the declaration''s inspections (blue, yellow, red), unrecorded when none';
COMMENT ON COLUMN customs_risk.channel_performance_v.office_code IS 'customs house';
COMMENT ON COLUMN customs_risk.channel_performance_v.district_code IS 'its district risk centre';
COMMENT ON COLUMN customs_risk.channel_performance_v.inspections IS 'inspected declarations';
COMMENT ON COLUMN customs_risk.channel_performance_v.hits IS 'of them with a minor or critical finding';
COMMENT ON COLUMN customs_risk.channel_performance_v.hit_rate IS 'hits / inspections';
COMMENT ON COLUMN customs_risk.channel_performance_v.ci_low IS 'lower bound of the 95% Wilson interval of the hit rate';
COMMENT ON COLUMN customs_risk.channel_performance_v.ci_high IS 'upper bound of the 95% Wilson interval of the hit rate';
COMMENT ON COLUMN customs_risk.channel_performance_v.critical IS 'of them with a critical finding';
COMMENT ON COLUMN customs_risk.channel_performance_v.extra_revenue IS 'extra revenue assessed';

-- Profiles ranked by effectiveness over the last year of data, flagged as of today.
CREATE VIEW customs_risk.profile_performance_v AS
SELECT p.profile_id, p.name, p.owner_office, p.status, p.inspections, p.hits, p.hit_rate, p.lift, p.flags,
       p.rank, p.valid_to, p.ci_low, p.ci_high, p.random_hit_rate, p.extra_revenue
  FROM (SELECT max(d.declared_on) AS last_day FROM customs_risk.declaration d HAVING max(d.declared_on) IS NOT NULL) m,
       LATERAL customs_risk.profile_effectiveness((m.last_day - interval '1 year')::date + 1, m.last_day) p;
COMMENT ON VIEW customs_risk.profile_performance_v IS
    'every profile ranked by effectiveness over the last year of data (profile_effectiveness with its defaults: 20 inspections for evidence, expiry within 30 days of today)';
COMMENT ON COLUMN customs_risk.profile_performance_v.profile_id IS 'the profile';
COMMENT ON COLUMN customs_risk.profile_performance_v.name IS 'its name';
COMMENT ON COLUMN customs_risk.profile_performance_v.owner_office IS 'the national or district centre that owns it';
COMMENT ON COLUMN customs_risk.profile_performance_v.status IS 'draft, active, suspended or retired';
COMMENT ON COLUMN customs_risk.profile_performance_v.inspections IS 'declarations inspected on its selection (inspection.profile_id)';
COMMENT ON COLUMN customs_risk.profile_performance_v.hits IS 'of them with a minor or critical finding';
COMMENT ON COLUMN customs_risk.profile_performance_v.hit_rate IS 'hits / inspections; NULL without inspections';
COMMENT ON COLUMN customs_risk.profile_performance_v.lift IS 'hit rate / the random control sample''s hit rate over the same year';
COMMENT ON COLUMN customs_risk.profile_performance_v.flags IS 'no_better_than_random, never_hit, expires_soon, expired (see profile_effectiveness)';
COMMENT ON COLUMN customs_risk.profile_performance_v.rank IS '1 for the most effective: by the lower bound of the hit rate''s 95% Wilson interval';
COMMENT ON COLUMN customs_risk.profile_performance_v.valid_to IS 'last declaration date it applies to; NULL for open-ended';
COMMENT ON COLUMN customs_risk.profile_performance_v.ci_low IS 'lower bound of the 95% Wilson interval of the hit rate';
COMMENT ON COLUMN customs_risk.profile_performance_v.ci_high IS 'upper bound of the 95% Wilson interval of the hit rate';
COMMENT ON COLUMN customs_risk.profile_performance_v.random_hit_rate IS 'hit rate of the random control sample over the same year';
COMMENT ON COLUMN customs_risk.profile_performance_v.extra_revenue IS 'extra revenue its inspections assessed';

-- Importers per current grade.
CREATE VIEW customs_risk.grade_distribution_v AS
WITH t AS (
    SELECT coalesce(h.grade, 'general_credit'::customs_risk.trader_grade) AS grade
      FROM customs_risk.trader tr
      LEFT JOIN customs_risk.trader_grade_history h ON h.trader_id = tr.trader_id AND h.valid_to IS NULL
     WHERE 'importer'::customs_risk.trader_role = ANY (tr.roles)
)
SELECT g.grade, count(t.grade) AS traders,
       count(t.grade)::float8 / nullif(sum(count(t.grade)) OVER (), 0) AS share
  FROM unnest(enum_range(NULL::customs_risk.trader_grade)) g(grade)
  LEFT JOIN t ON t.grade = g.grade
 GROUP BY g.grade
 ORDER BY g.grade DESC;
COMMENT ON VIEW customs_risk.grade_distribution_v IS
    'importers per current credit grade (the open row of trader_grade_history; general_credit when never graded), every grade listed';
COMMENT ON COLUMN customs_risk.grade_distribution_v.grade IS 'credit grade';
COMMENT ON COLUMN customs_risk.grade_distribution_v.traders IS 'importers holding it now';
COMMENT ON COLUMN customs_risk.grade_distribution_v.share IS 'their share of all importers; NULL when there are none';

-- Equal treatment of equal risks over the last year of data: the band x district rows of
-- harmonisation_report (bands of the profile score).
CREATE VIEW customs_risk.harmonisation_v AS
SELECT h.band, h.district_code, h.declarations, h.inspected, h.inspection_rate, h.deviates,
       h.expected, h.z, h.p_value
  FROM (SELECT max(d.declared_on) AS last_day FROM customs_risk.declaration d HAVING max(d.declared_on) IS NOT NULL) m,
       LATERAL customs_risk.harmonisation_report((m.last_day - interval '1 year')::date + 1, m.last_day, 'score') h
 WHERE h.scope = 'band';
COMMENT ON VIEW customs_risk.harmonisation_v IS
    'per profile-score band and district, over the last year of decided declarations: the non-green rate and whether it deviates from the band''s pooled rate (harmonisation_report, alpha 0.05, Bonferroni)';
COMMENT ON COLUMN customs_risk.harmonisation_v.band IS 'profile-score band of the decision: 0, 0-1, 1-2, ..., 10+';
COMMENT ON COLUMN customs_risk.harmonisation_v.district_code IS 'district risk centre (the parent of the declaration''s customs house)';
COMMENT ON COLUMN customs_risk.harmonisation_v.declarations IS 'decided declarations in the band and district';
COMMENT ON COLUMN customs_risk.harmonisation_v.inspected IS 'of them sent to a non-green channel (blue, yellow, red)';
COMMENT ON COLUMN customs_risk.harmonisation_v.inspection_rate IS 'inspected / declarations';
COMMENT ON COLUMN customs_risk.harmonisation_v.deviates IS 'true when the district''s rate differs from the band''s pooled rate beyond chance (two-sided p below 0.05 / rows tested)';
COMMENT ON COLUMN customs_risk.harmonisation_v.expected IS 'inspections expected at the band''s pooled rate';
COMMENT ON COLUMN customs_risk.harmonisation_v.z IS 'adjusted residual (observed - expected) / its standard deviation; NULL when the band has one district or a rate of 0 or 1';
COMMENT ON COLUMN customs_risk.harmonisation_v.p_value IS 'two-sided p-value of z';

-- Monitoring alerts, newest first.
CREATE VIEW customs_risk.alert_v AS
SELECT a.alert_id, a.as_of, a.metric, a.hs_chapter, a.origin, a.office_code, o.parent_code AS district_code,
       a.first_alert, a.direction, a.statistic, a.baseline_mean, a.baseline_sigma, a.severity, a.raised_at
  FROM customs_risk.monitoring_alert a
  LEFT JOIN customs_risk.office o ON o.office_code = a.office_code
 ORDER BY a.as_of DESC, a.alert_id DESC;
COMMENT ON VIEW customs_risk.alert_v IS 'alerts run_monitoring() raised, newest first, with the district of the customs house';
COMMENT ON COLUMN customs_risk.alert_v.alert_id IS 'alert number';
COMMENT ON COLUMN customs_risk.alert_v.as_of IS 'the monitoring run''s date';
COMMENT ON COLUMN customs_risk.alert_v.metric IS 'lines, value or hit_rate';
COMMENT ON COLUMN customs_risk.alert_v.hs_chapter IS 'HS chapter of the series';
COMMENT ON COLUMN customs_risk.alert_v.origin IS 'origin country of the series';
COMMENT ON COLUMN customs_risk.alert_v.office_code IS 'customs house of the series';
COMMENT ON COLUMN customs_risk.alert_v.district_code IS 'its district risk centre';
COMMENT ON COLUMN customs_risk.alert_v.first_alert IS 'first day in the year the series alerted';
COMMENT ON COLUMN customs_risk.alert_v.direction IS 'up or down';
COMMENT ON COLUMN customs_risk.alert_v.statistic IS 'CUSUM statistic on the last day, in sigmas';
COMMENT ON COLUMN customs_risk.alert_v.baseline_mean IS 'baseline of the series';
COMMENT ON COLUMN customs_risk.alert_v.baseline_sigma IS 'its spread';
COMMENT ON COLUMN customs_risk.alert_v.severity IS 'low, medium or high';
COMMENT ON COLUMN customs_risk.alert_v.raised_at IS 'when it was written';

-- A GeoJSON FeatureCollection of the customs houses with their statistics, for maps.  Every
-- customs house is a Feature (id: its code); a house without a location has geometry null
-- (allowed by RFC 7946); districts and the national centre are left out.
CREATE FUNCTION customs_risk.office_geojson(from_date date, to_date date) RETURNS jsonb
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp   -- PostGIS's schema is added below, at install time
AS $fn$
DECLARE
    result jsonb;
BEGIN
    PERFORM customs_risk.check_report_period('office_geojson', from_date, to_date);
    WITH s AS (
        SELECT r.office_code, customs_risk.compliance(r.inspected, r.hit, r.critical, r.extra_revenue) AS c
          FROM customs_risk.evaluation_rows(from_date, to_date) r GROUP BY r.office_code
    ), v AS (
        SELECT d.office_code, sum(l.value) AS value
          FROM customs_risk.declaration d JOIN customs_risk.declaration_line l ON l.declaration_id = d.declaration_id
         WHERE d.declared_on >= from_date AND d.declared_on <= to_date
         GROUP BY d.office_code
    )
    SELECT jsonb_build_object(
               'type', 'FeatureCollection',
               'features', coalesce(jsonb_agg(jsonb_build_object(
                   'type', 'Feature',
                   'id', o.office_code,
                   'geometry', ST_AsGeoJSON(o.location)::jsonb,
                   'properties', jsonb_build_object(
                       'office_code', o.office_code, 'name', o.name, 'district_code', o.parent_code,
                       'declarations', coalesce(customs_risk.declarations(s.c), 0),
                       'value', coalesce(v.value, 0),
                       'inspections', coalesce(customs_risk.inspections(s.c), 0),
                       'hits', coalesce(customs_risk.hits(s.c), 0),
                       'hit_rate', customs_risk.hit_rate(s.c),
                       'hit_rate_ci', to_jsonb(customs_risk.wilson_interval(s.c)),
                       'extra_revenue', coalesce(customs_risk.extra_revenue(s.c), 0)))
                   ORDER BY o.office_code), '[]'::jsonb))
      INTO result
      FROM customs_risk.office o
      LEFT JOIN s ON s.office_code = o.office_code
      LEFT JOIN v ON v.office_code = o.office_code
     WHERE o.level = 'house';
    RETURN result;
END
$fn$;
COMMENT ON FUNCTION customs_risk.office_geojson(date, date) IS
    'GeoJSON FeatureCollection of every customs house (Point geometry, null when its location is unknown) with its statistics for declarations lodged in [from_date, to_date]: '
    'declarations, value, inspections, hits, hit_rate, hit_rate_ci (95% Wilson), extra_revenue, district_code';

DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION customs_risk.office_geojson(date, date) SET search_path = pg_catalog, %I, pg_temp',
                   (SELECT n.nspname FROM pg_catalog.pg_extension e
                      JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'postgis'));
END
$$;
