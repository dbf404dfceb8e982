-- hscode on the loaded lines: containment and hierarchy agree with digit strings; the index is used.
BEGIN;
SET search_path = customs_risk, public;
SELECT plan(7);

SELECT is((SELECT count(*) FROM declaration_line WHERE hs <@ '8471'),
          (SELECT count(*) FROM declaration_line WHERE left(hs::text, 4) = '8471'),
          'hs <@ 8471 finds exactly the lines whose code starts 8471');
SELECT is((SELECT count(*) FROM declaration_line WHERE '85' @> hs),
          (SELECT count(*) FROM declaration_line WHERE left(hs::text, 2) = '85'),
          '85 @> hs finds exactly chapter 85');
SELECT is((SELECT count(*) FROM declaration_line WHERE hs_subheading(hs)::text <> left(hs::text, 6)), 0::bigint,
          'hs_subheading is the first six digits');
SELECT is((SELECT count(*) FROM declaration_line WHERE hs_chapter(hs) <> left(hs::text, 2)::int), 0::bigint,
          'hs_chapter is the first two digits');
SELECT is((SELECT count(*) FROM declaration_line l JOIN hs_sections s ON hs_chapter(l.hs) BETWEEN s.first_chapter AND s.last_chapter
            WHERE s.section <> hs_section(l.hs)), 0::bigint, 'hs_section agrees with table hs_sections on every line');
SELECT is((SELECT count(*) FROM declaration_line WHERE hs_section(hs) IS NULL), 0::bigint, 'every sample code has a section');

CREATE TEMP TABLE plan_text (line text);
DO $$
DECLARE r record;
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) SELECT count(*) FROM customs_risk.declaration_line WHERE hs OPERATOR(customs_risk.<@) ''8471''' LOOP
        INSERT INTO plan_text VALUES (r."QUERY PLAN");
    END LOOP;
END $$;
SELECT ok((SELECT bool_or(line LIKE '%declaration_line_hs_idx%') AND bool_or(line LIKE '%hs <= ''8471999999''%')
             FROM plan_text), 'hs <@ 8471 on declaration_line is an index range scan');

SELECT * FROM finish();
ROLLBACK;
