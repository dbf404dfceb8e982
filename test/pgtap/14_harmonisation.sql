-- Harmonisation ("equal treatment of equal risks") on generated data: a district made
-- stricter for the same risk is flagged, equal districts are not, a district whose goods are
-- checked more everywhere is flagged only before its trade mix is normalised, and the
-- statistics equal their formulas computed independently.
BEGIN;
SET search_path = customs_risk, public;
SET client_min_messages = warning;
SELECT plan(18);

\ir ../evaluation_data.sql
-- 2031: officers in RC-SEOUL send a further 5% of the declarations the rules leave green to yellow
SELECT pg_temp.make_evaluation_data('hs', 40000, 11, '2031-01-01', 365, strict_district => 'RC-SEOUL', strict_extra => 0.05) AS made \gset
-- 2032: every district treats every risk the same
SELECT pg_temp.make_evaluation_data('he', 40000, 1, '2032-01-01', 365) AS made \gset

CREATE TEMP TABLE strict AS SELECT * FROM harmonisation_report('2031-01-01', '2031-12-31');
SELECT is((SELECT array_agg(district_code ORDER BY district_code) FROM strict WHERE scope = 'district' AND deviates),
          '{RC-SEOUL}'::text[], 'the stricter district, and only it, deviates once its trade mix is normalised');
SELECT ok((SELECT ratio_ci_low > 1 AND z > 0 FROM strict WHERE scope = 'district' AND district_code = 'RC-SEOUL'),
          'it inspects more than expected: its ratio''s interval lies above 1');
SELECT is((SELECT array_agg(band || ' ' || district_code) FROM strict WHERE scope = 'band' AND deviates),
          '{"0 RC-SEOUL"}'::text[], 'among band rows only its band-0 row (the declarations no profile selects) deviates');
SELECT ok((SELECT deviates AND p_value < 1e-6 AND harmonisation_index < 1 AND df = 14 FROM strict WHERE scope = 'index'),
          'the index row rejects homogeneity (14 df: 15 districts in the one informative band)');
SELECT is((SELECT array_agg(district_code) FROM harmonisation_report('2031-01-01', '2031-12-31', 'model_score')
            WHERE scope = 'district' AND deviates), '{RC-SEOUL}'::text[],
          'bands of the model score flag the same district');
SELECT is((SELECT array_agg(district_code) FROM harmonisation_report('2031-01-01', '2031-12-31', 'profile')
            WHERE scope = 'district' AND deviates), '{RC-SEOUL}'::text[],
          'bands of the matched profiles flag the same district');

CREATE TEMP TABLE equal AS SELECT * FROM harmonisation_report('2032-01-01', '2032-12-31');
SELECT is((SELECT count(*) FROM equal WHERE deviates), 0::bigint, 'with equal districts no row deviates');
SELECT ok((SELECT p_value > 0.05 AND harmonisation_index > 0.98 FROM equal WHERE scope = 'index'),
          'and the index row does not reject homogeneity');
SELECT is((SELECT count(*) FROM equal WHERE scope = 'district'), 15::bigint, 'one district row for each of the 15 districts');

-- the statistics against their formulas, computed here from the decision log
CREATE TEMP TABLE d AS
SELECT CASE WHEN l.score = 0 THEN '0' ELSE floor(l.score)::int || '-' || floor(l.score)::int + 1 END AS band,
       o.parent_code AS district, l.channel <> 'green' AS insp
  FROM decision_log l JOIN declaration x USING (declaration_id) JOIN office o ON o.office_code = x.office_code
 WHERE x.declared_on BETWEEN '2031-01-01' AND '2031-12-31';
CREATE TEMP TABLE cells AS
SELECT c.*, b.nn, b.p FROM (SELECT band, district, count(*) AS n, count(*) FILTER (WHERE insp) AS k FROM d GROUP BY 1, 2) c
  JOIN (SELECT band, count(*)::float8 AS nn, avg(insp::int) AS p FROM d GROUP BY 1) b USING (band);
SELECT is((SELECT round(z::numeric, 9) FROM strict WHERE scope = 'band' AND band = '0' AND district_code = 'RC-SEOUL'),
          (SELECT round(((k - n * p) / sqrt(n * p * (1 - p) * (1 - n / nn)))::numeric, 9) FROM cells
            WHERE band = '0' AND district = 'RC-SEOUL'),
          'a band row''s z is the adjusted residual (k - n p) / sqrt(n p (1 - p) (1 - n / N))');
SELECT is((SELECT round(statistic::numeric, 6) FROM strict WHERE scope = 'index'),
          (SELECT round(sum((k - n * p) ^ 2 / (n * p * (1 - p)))::numeric, 6) FROM cells WHERE p > 0 AND p < 1),
          'the index statistic is the sum over bands of the Pearson chi-square');
SELECT is((SELECT round(p_value::numeric, 12) FROM strict WHERE scope = 'band' AND band = '0' AND district_code = 'RC-BUSAN'),
          (SELECT round(chi_square_p(z ^ 2, 1)::numeric, 12) FROM strict WHERE scope = 'band' AND band = '0' AND district_code = 'RC-BUSAN'),
          'p-values are two-sided: the 1-df chi-square tail of z squared');
SELECT ok((SELECT bool_and(p = 1) FROM cells WHERE band <> '0'),
          'every profile-selected band is all inspected (and so left out of the tests)');
SELECT is((SELECT sum(declarations) FROM strict WHERE scope = 'district'), 40000::numeric,
          'the district rows share every decided declaration');

-- trade mix: in 2032 officers everywhere check 30% of the green band-0 wine (HS chapter 22)
-- declarations, and RC-JEJU imports nothing but wine.  Raw, within band 0, it inspects more
-- than the others; normalised for its goods it does not deviate.
UPDATE declaration_line l SET hs = '2204210000'
  FROM declaration x JOIN office o ON o.office_code = x.office_code
 WHERE l.declaration_id = x.declaration_id AND x.source = 'he' AND o.parent_code = 'RC-JEJU';
INSERT INTO decision_log (declaration_id, office_code, channel, score, profile_ids, random, selected_by, profile_set_version)
SELECT l.declaration_id, l.office_code, 'yellow', l.score, l.profile_ids, l.random, 'decide', 0
  FROM decision_log l JOIN declaration_line dl ON dl.declaration_id = l.declaration_id AND dl.line_no = 1
 WHERE l.declaration_id LIKE 'he-%' AND l.channel = 'green' AND dl.hs <@ '22'
   AND gen_uniform(substr(l.declaration_id, 4)::bigint, 20, 1) < 0.3;
CREATE TEMP TABLE mix AS SELECT * FROM harmonisation_report('2032-01-01', '2032-12-31');
SELECT ok((SELECT deviates AND z > 0 FROM mix WHERE scope = 'band' AND band = '0' AND district_code = 'RC-JEJU'),
          'raw, within its risk band, the wine-importing district inspects more than the others');
SELECT is((SELECT count(*) FROM mix WHERE scope = 'district' AND deviates), 0::bigint,
          'normalised for band x HS chapter (indirect standardisation) no district deviates');
SELECT ok((SELECT abs(ratio - 1) < 0.05 FROM mix WHERE scope = 'district' AND district_code = 'RC-JEJU'),
          'its observed / expected inspections ratio is close to 1');

-- a period in which one district alone has decisions: nothing to compare, so nothing deviates
-- (the band tests' Bonferroni divisor is then 0; this once raised division by zero)
SELECT count(*) FROM generate_declarations(300, n_importers => 20, seed => 5, label => 'h1', first_day => '2035-01-02', n_days => 1) \gset
SELECT count(decide(d.declaration_id)) FROM declaration d JOIN office o ON o.office_code = d.office_code
 WHERE d.source = 'h1' AND o.parent_code = 'RC-BUSAN' \gset
SELECT is((SELECT string_agg(district_code, ',') FILTER (WHERE scope = 'district') || ' ' || count(*) FILTER (WHERE deviates)
             FROM harmonisation_report('2035-01-02', '2035-01-02')),
          'RC-BUSAN 0', 'one district alone: its row, and no row deviates');

SELECT * FROM finish();
ROLLBACK;
