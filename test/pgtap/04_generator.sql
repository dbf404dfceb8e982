-- generate_declarations: reproducible, shaped like the sample, and strict about its arguments.
BEGIN;
SET search_path = customs_risk, public;
SELECT plan(15);

CREATE TEMP TABLE made AS
SELECT 'ta' AS label, * FROM customs_risk.generate_declarations(3000, seed => 42, label => 'ta', lines_per_declaration => 2.0, extra_houses => 3)
UNION ALL
SELECT 'tb', * FROM customs_risk.generate_declarations(3000, seed => 42, label => 'tb', lines_per_declaration => 2.0, extra_houses => 3)
UNION ALL
SELECT 'tc', * FROM customs_risk.generate_declarations(3000, seed => 43, label => 'tc', lines_per_declaration => 2.0, extra_houses => 3);
SELECT results_eq($$SELECT declarations, lines, inspections, houses FROM made WHERE label = 'ta'$$,
                  $$SELECT 3000::bigint, (SELECT count(*) FROM customs_risk.declaration_line WHERE declaration_id LIKE 'ta-%'),
                           (SELECT count(*) FROM customs_risk.inspection WHERE declaration_id LIKE 'ta-%'), 3::bigint$$,
                  'it reports what it made');

CREATE TEMP VIEW gen_rows AS
SELECT d.source, substr(d.declaration_id, 4) AS n, l.line_no, d.declared_on, substr(d.importer_id, 4) AS importer,
       l.hs, l.origin_country, l.net_mass, l.value, i.result
  FROM customs_risk.declaration d
  JOIN customs_risk.declaration_line l USING (declaration_id)
  LEFT JOIN customs_risk.inspection i ON i.declaration_id = l.declaration_id AND i.line_no = l.line_no
 WHERE d.source IN ('ta', 'tb', 'tc');

SELECT is((SELECT md5(string_agg(row(n, line_no, declared_on, importer, hs, origin_country, net_mass, value, result)::text, ',' ORDER BY n, line_no)) FROM gen_rows WHERE source = 'ta'),
          (SELECT md5(string_agg(row(n, line_no, declared_on, importer, hs, origin_country, net_mass, value, result)::text, ',' ORDER BY n, line_no)) FROM gen_rows WHERE source = 'tb'),
          'the same seed gives the same rows');
SELECT isnt((SELECT md5(string_agg(row(n, line_no, hs, value)::text, ',' ORDER BY n, line_no)) FROM gen_rows WHERE source = 'ta'),
            (SELECT md5(string_agg(row(n, line_no, hs, value)::text, ',' ORDER BY n, line_no)) FROM gen_rows WHERE source = 'tc'),
            'another seed gives other rows');
SELECT ok((SELECT count(*)::float8 / 3000 FROM gen_rows WHERE source = 'ta') BETWEEN 1.85 AND 2.15,
          'about two lines per declaration when asked for 2.0');
SELECT ok((SELECT avg((result <> 'none')::int) FROM gen_rows WHERE source = 'ta') BETWEEN 0.14 AND 0.28,
          'hit rate near the sample''s 21%');
SELECT ok((SELECT count(DISTINCT hs_chapter(hs)) FROM gen_rows WHERE source = 'ta') >= 60, 'goods spread over many chapters');
SELECT ok((SELECT count(*) FROM gen_rows g WHERE source = 'ta'
            AND NOT EXISTS (SELECT 1 FROM customs_risk.declaration_line s JOIN customs_risk.declaration sd USING (declaration_id)
                             WHERE sd.source LIKE 'kcs-%' AND s.hs = g.hs)) = 0,
          'every generated HS code occurs in the sample');
-- fraud concentrates: the 10% riskiest importers (with >= 5 lines) hit far more often than the median
SELECT ok((WITH t AS (SELECT importer, avg((result <> 'none')::int) AS r FROM gen_rows WHERE source IN ('ta', 'tc')
                      GROUP BY importer HAVING count(*) >= 5)
           SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY r) > 2 * percentile_cont(0.5) WITHIN GROUP (ORDER BY r) FROM t),
          'fraud concentrates on some importers');
SELECT ok((SELECT count(*) FROM customs_risk.office WHERE office_code LIKE 'ta-H%' AND level = 'house' AND parent_code IS NOT NULL) = 3,
          'extra houses sit under districts');
SELECT ok((SELECT count(DISTINCT d.office_code) FROM customs_risk.declaration d WHERE d.source = 'ta' AND d.office_code LIKE 'ta-H%') >= 1,
          'extra houses receive declarations');

SELECT throws_ok($$SELECT customs_risk.generate_declarations(0)$$, '22023', NULL, 'zero declarations is an error');
SELECT throws_ok($$SELECT customs_risk.generate_declarations(10, label => 'Bad Label')$$, '22023', NULL, 'a malformed label is an error');
SELECT throws_ok($$SELECT customs_risk.generate_declarations(10, first_day => 'infinity')$$, '22023', NULL,
                 'an infinite first day is an error before any row is made');
SELECT throws_ok($$SELECT customs_risk.generate_declarations(10, first_day => '2200-12-20', n_days => 30)$$, '22023',
                 'the days generated, 2200-12-20 for 30 day(s), must lie between 1950-01-01 and 2200-12-31',
                 '... and days past what a declaration may carry');
SELECT throws_ok($$SELECT customs_risk.generate_declarations(10, seed => 42, label => 'ta')$$, '23505', NULL, 'a label in use is an error');

SELECT * FROM finish();
ROLLBACK;
