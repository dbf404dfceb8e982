-- Evaluation reports: performance_report, noncompliance_estimate, profile_effectiveness,
-- harmonisation_report, office_geojson and chi_square_p; bad input and a small hand-checked case.
SET search_path = customs_risk, public;
SET extra_float_digits = 0;
SET datestyle = 'ISO, YMD';

-- chi_square_p against table values: 3.841 (1 df) and 11.07 (5 df) are the 5% points,
-- 6.635 (1 df) the 1% point; 2 df is exp(-x/2)
SELECT round(chi_square_p(3.841458820694124, 1)::numeric, 6) AS p_1df,
       round(chi_square_p(11.070497693516351, 5)::numeric, 6) AS p_5df,
       round(chi_square_p(6.6348966010212145, 1)::numeric, 6) AS p_1pct,
       round(chi_square_p(4, 2)::numeric, 9) = round(exp(-2)::numeric, 9) AS two_df,
       chi_square_p(0, 3) AS at_zero;

-- bad input: every one an error with its SQLSTATE
SELECT what, try(stmt) AS result FROM (VALUES
  ('NULL from_date', $$SELECT * FROM customs_risk.performance_report(NULL, '2020-12-31')$$),
  ('NULL to_date', $$SELECT * FROM customs_risk.performance_report('2020-01-01', NULL)$$),
  ('NULL group_by', $$SELECT * FROM customs_risk.performance_report('2020-01-01', '2020-12-31', NULL)$$),
  ('from after to', $$SELECT * FROM customs_risk.performance_report('2021-01-01', '2020-12-31')$$),
  ('unknown group_by', $$SELECT * FROM customs_risk.performance_report('2020-01-01', '2020-12-31', 'importer')$$),
  ('group_by in capitals', $$SELECT * FROM customs_risk.performance_report('2020-01-01', '2020-12-31', 'Office')$$),
  ('estimate: NULL date', $$SELECT * FROM customs_risk.noncompliance_estimate('2020-01-01', NULL)$$),
  ('estimate: from after to', $$SELECT * FROM customs_risk.noncompliance_estimate('2020-02-01', '2020-01-31')$$),
  ('profiles: from after to', $$SELECT * FROM customs_risk.profile_effectiveness('2020-02-01', '2020-01-31')$$),
  ('profiles: min_inspections 0', $$SELECT * FROM customs_risk.profile_effectiveness('2020-01-01', '2020-12-31', 0)$$),
  ('profiles: negative expiry_days', $$SELECT * FROM customs_risk.profile_effectiveness('2020-01-01', '2020-12-31', 20, -1)$$),
  ('profiles: expiry_days past a century', $$SELECT * FROM customs_risk.profile_effectiveness('2020-01-01', '2020-12-31', 20, 2147483647)$$),
  ('profiles: as_of past the timestamp range', $$SELECT * FROM customs_risk.profile_effectiveness('2020-01-01', '2020-12-31', 20, 30, '5874897-12-31')$$),
  ('profiles: NULL as_of', $$SELECT * FROM customs_risk.profile_effectiveness('2020-01-01', '2020-12-31', 20, 30, NULL)$$),
  ('profiles: infinite as_of', $$SELECT * FROM customs_risk.profile_effectiveness('2020-01-01', '2020-12-31', 20, 30, 'infinity')$$),
  ('harmonisation: NULL from_date', $$SELECT * FROM customs_risk.harmonisation_report(NULL, '2020-12-31')$$),
  ('harmonisation: from after to', $$SELECT * FROM customs_risk.harmonisation_report('2020-12-31', '2020-01-01')$$),
  ('harmonisation: unknown band_by', $$SELECT * FROM customs_risk.harmonisation_report('2020-01-01', '2020-12-31', 'hs')$$),
  ('harmonisation: NULL band_by', $$SELECT * FROM customs_risk.harmonisation_report('2020-01-01', '2020-12-31', NULL)$$),
  ('harmonisation: alpha 0', $$SELECT * FROM customs_risk.harmonisation_report('2020-01-01', '2020-12-31', 'score', 0)$$),
  ('harmonisation: alpha 1', $$SELECT * FROM customs_risk.harmonisation_report('2020-01-01', '2020-12-31', 'score', 1)$$),
  ('harmonisation: alpha NaN', $$SELECT * FROM customs_risk.harmonisation_report('2020-01-01', '2020-12-31', 'score', 'NaN')$$),
  ('geojson: NULL to_date', $$SELECT customs_risk.office_geojson('2020-01-01', NULL)$$),
  ('geojson: from after to', $$SELECT customs_risk.office_geojson('2020-01-02', '2020-01-01')$$),
  ('chi-square: negative statistic', $$SELECT customs_risk.chi_square_p(-1, 2)$$),
  ('chi-square: NaN statistic', $$SELECT customs_risk.chi_square_p('NaN', 2)$$),
  ('chi-square: infinite statistic', $$SELECT customs_risk.chi_square_p('Infinity', 2)$$),
  ('chi-square: 0 df', $$SELECT customs_risk.chi_square_p(1, 0)$$),
  ('chi-square: infinite df', $$SELECT customs_risk.chi_square_p(1, 'Infinity')$$)
) v(what, stmt);
-- a NULL argument of the strict chi_square_p is NULL, not an error
SELECT chi_square_p(NULL, 2) IS NULL AS strict_null;

-- A small hand-checked case: 2 districts, 10 declarations each in January 2040.
BEGIN;
INSERT INTO office (office_code, name, level, parent_code) VALUES
    ('PN', 'national', 'national', NULL), ('PD1', 'district 1', 'district', 'PN'), ('PD2', 'district 2', 'district', 'PN'),
    ('PH1', 'house 1', 'house', 'PD1'), ('PH2', 'house 2', 'house', 'PD2');
INSERT INTO trader (trader_id, roles) VALUES ('P-IMP', '{importer}');
INSERT INTO profile (name, criteria, channel, weight, description, status, valid_from, valid_to, owner_office)
VALUES ('perf test', 'importer = NOBODY', 'red', 1, 'test', 'active', '2040-01-01', '2040-02-10', 'PN');
INSERT INTO declaration (declaration_id, declared_on, office_code, importer_id, process_type, import_type, import_use,
                         payment_type, transport, departure_country, source)
SELECT 'P' || g, '2040-01-01'::date + g, CASE WHEN g <= 10 THEN 'PH1' ELSE 'PH2' END, 'P-IMP', 'A', '11', '21', '11',
       'sea', 'CN', 'perf'
  FROM generate_series(1, 20) g;
INSERT INTO declaration_line (declaration_id, line_no, hs, origin_country, value)
SELECT 'P' || g, 1, '8471300000', 'CN', 100 * g FROM generate_series(1, 20) g;
-- house 1: 4 random inspections (1 hit), 3 profile inspections (2 hits, one critical with 500 extra revenue)
-- house 2: 4 random inspections (2 hits), 2 profile inspections (2 hits)
INSERT INTO inspection (declaration_id, channel, selected_by, profile_id, inspected_on, result, extra_revenue)
SELECT 'P' || g, CASE WHEN s = 'random' THEN 'yellow' ELSE 'red' END::channel, s::selection_source,
       CASE WHEN s = 'profile' THEN (SELECT profile_id FROM profile WHERE name = 'perf test') END,
       '2040-01-01'::date + g, r::inspection_result, rev
  FROM (VALUES (1, 'random', 'minor', NULL), (2, 'random', 'none', NULL), (3, 'random', 'none', NULL), (4, 'random', 'none', NULL),
               (5, 'profile', 'critical', 500), (6, 'profile', 'minor', NULL), (7, 'profile', 'none', NULL),
               (11, 'random', 'minor', 100), (12, 'random', 'minor', NULL), (13, 'random', 'none', NULL), (14, 'random', 'none', NULL),
               (15, 'profile', 'minor', NULL), (16, 'profile', 'minor', NULL)) v(g, s, r, rev);
-- by source: random 8 inspections, 3 hits; profile 5 inspections, 4 hits: lift (4/5) / (3/8) = 2.133
SELECT group_key, declarations, inspections, hits, critical, round(hit_rate::numeric, 4) AS hit_rate,
       round(ci_low::numeric, 4) AS ci_low, round(ci_high::numeric, 4) AS ci_high, random_inspections,
       round(random_hit_rate::numeric, 4) AS random_rate, round(lift::numeric, 4) AS lift,
       round(lift_ci_low::numeric, 4) AS lift_low, round(lift_ci_high::numeric, 4) AS lift_high, extra_revenue
  FROM performance_report('2040-01-01', '2040-01-31', 'source');
-- by district: each district's lift is against its own random inspections
SELECT group_key, declarations, inspections, hits, round(hit_rate::numeric, 4) AS hit_rate, random_inspections,
       round(random_hit_rate::numeric, 4) AS random_rate, round(lift::numeric, 4) AS lift, extra_revenue
  FROM performance_report('2040-01-01', '2040-01-31', 'district');
-- one day only (from = to): declaration P1
SELECT group_key, declarations, inspections, hits FROM performance_report('2040-01-02', '2040-01-02', 'office');
-- the estimate: random rate 3/8 of 20 declarations = 7.5 violations; 7 found, so 0.5 missed
SELECT declarations, inspections, hits, random_inspections, random_hits, rate, round(rate_ci_low::numeric, 4) AS rate_low,
       round(rate_ci_high::numeric, 4) AS rate_high, violations, missed, round(share_caught::numeric, 4) AS share,
       extra_revenue, revenue_at_stake, revenue_missed
  FROM noncompliance_estimate('2040-01-01', '2040-01-31');
-- the profile: 5 inspections are below min_inspections 20, so no evidence flags; it expires in 10 days
SELECT rank, name, inspections, hits, hit_rate, round(lift::numeric, 4) AS lift, flags
  FROM profile_effectiveness('2040-01-01', '2040-01-31', as_of => '2040-01-31');
SELECT name, flags FROM profile_effectiveness('2040-01-01', '2040-01-31', min_inspections => 5, as_of => '2040-01-31');
-- a model's selection: P8 inspected for model m1 (a hit), P9 for m1 too (nothing found)
INSERT INTO inspection (declaration_id, channel, selected_by, model_name, inspected_on, result)
VALUES ('P8', 'red', 'model', 'm1', '2040-01-09', 'minor'), ('P9', 'red', 'model', 'm1', '2040-01-10', 'none');
SELECT group_key, inspections, hits, hit_rate, random_hit_rate, round(lift::numeric, 4) AS lift
  FROM performance_report('2040-01-01', '2040-01-31', 'model');
-- an empty period gives no rows and an all-NULL estimate
SELECT count(*) AS rows FROM performance_report('1990-01-01', '1990-12-31', 'office');
SELECT declarations, rate, violations, share_caught FROM noncompliance_estimate('1990-01-01', '1990-12-31');
SELECT count(*) AS rows FROM harmonisation_report('1990-01-01', '1990-12-31');
ROLLBACK;
