-- A first look at the loaded declarations: volumes, where and when, and what inspections found.
-- Run by bin/demo; any analyst can run it with psql -f.
SET search_path = customs_risk, public;
\pset null '-'

\echo
\echo '### What is loaded'
SELECT (SELECT count(*) FROM declaration) AS declarations,
       (SELECT count(*) FROM declaration_line) AS lines,
       (SELECT count(*) FROM inspection) AS inspections,
       (SELECT count(*) FROM office WHERE level = 'house') AS customs_houses,
       (SELECT count(*) FROM office WHERE level = 'district') AS districts,
       (SELECT count(*) FROM trader WHERE 'importer' = ANY (roles)) AS importers,
       (SELECT count(*) FROM trader WHERE 'declarant' = ANY (roles)) AS declarants,
       (SELECT min(declared_on) || ' .. ' || max(declared_on) FROM declaration) AS period;

\echo
\echo '### Inspection outcomes (every sample declaration was inspected)'
SELECT d.source, count(*) AS inspections,
       count(*) FILTER (WHERE i.result <> 'none') AS hits,
       round(100.0 * count(*) FILTER (WHERE i.result <> 'none') / count(*), 1) AS "hit rate %",
       count(*) FILTER (WHERE i.result = 'critical') AS critical
  FROM inspection i JOIN declaration d USING (declaration_id)
 GROUP BY ROLLUP (d.source) ORDER BY d.source NULLS LAST;

\echo
\echo '### Declarations per month in the six busiest districts'
WITH top AS (
    SELECT o.parent_code AS district FROM declaration d JOIN office o USING (office_code)
     GROUP BY 1 ORDER BY count(*) DESC LIMIT 6
)
SELECT to_char(d.declared_on, 'YYYY-MM') AS month, o.parent_code AS district, count(*) AS declarations
  FROM declaration d JOIN office o USING (office_code)
 WHERE o.parent_code IN (SELECT district FROM top)
 GROUP BY 1, 2 ORDER BY 1, sum(count(*)) OVER (PARTITION BY o.parent_code) DESC
\crosstabview month district declarations

\echo
\echo '### Busiest customs houses'
SELECT d.office_code AS house, o.name, o.parent_code AS district, count(*) AS declarations,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS "share %",
       round(100.0 * avg((x.hit)::int), 1) AS "hit rate %"
  FROM declaration d JOIN office o USING (office_code)
  JOIN declaration_outcome_v x USING (declaration_id)
 GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 10;

\echo
\echo '### Hit rate by mode of transport'
SELECT v.transport, count(*) AS lines, round(100.0 * avg(x.hit::int), 1) AS "hit rate %",
       round(100.0 * avg(x.critical::int), 2) AS "critical %",
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY v.unit_value)::numeric, 0) AS "median value/kg"
  FROM declaration_line_v v JOIN declaration_outcome_v x USING (declaration_id)
 GROUP BY 1 ORDER BY 2 DESC;

\echo
\echo '### Top HS chapters (hscode hierarchy functions)'
SELECT lpad(hs_chapter(l.hs)::text, 2, '0') AS chapter, hs_section(l.hs) AS section, s.title AS section_title,
       count(*) AS lines, round(100.0 * avg(x.hit::int), 1) AS "hit rate %",
       count(*) FILTER (WHERE x.critical) AS critical
  FROM declaration_line l
  JOIN declaration_outcome_v x USING (declaration_id)
  LEFT JOIN hs_sections s ON s.section = hs_section(l.hs)
 GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 10;

\echo
\echo '### Top origins, and the duty at stake (value x tax rate / 100: a proxy, not assessed revenue)'
SELECT v.origin, c.name, count(*) AS lines, round(100.0 * avg(x.hit::int), 1) AS "hit rate %",
       round(sum(v.duty)::numeric / 1e6, 1) AS "duty at stake, M KRW",
       round((sum(v.duty) FILTER (WHERE x.hit))::numeric / 1e6, 1) AS "of which on hits, M KRW"
  FROM declaration_line_v v JOIN declaration_outcome_v x USING (declaration_id)
  JOIN country c ON c.code = v.origin
 GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 8;

\echo
\echo '### Goods within heading 8471 (computers), answered through the hscode index'
SELECT hs_subheading(hs) AS subheading, count(*) AS lines
  FROM declaration_line WHERE hs <@ '8471' GROUP BY 1 ORDER BY 2 DESC LIMIT 5;
