-- Targeting benchmark (bin/bench-targeting): matching 1,000,000 lines against 100, 1,000 and
-- 10,000 active profiles with match_profiles() and with the best plain-SQL join of the same rules,
-- then batch decisions for the day's 1,000,000 declarations.  Parallel query off: one core.
\set ON_ERROR_STOP on
-- The benchmark's own tables live in schema cr_bench, never in the extension's schema.
CREATE SCHEMA IF NOT EXISTS cr_bench;
SET search_path = cr_bench, customs_risk, public;
SET max_parallel_workers_per_gather = 0;
SET client_min_messages = warning;
SET work_mem = '256MB';

-- The lines, flat, as a BI extract would hold them; plain SQL gets helper columns and indexes.
DROP TABLE IF EXISTS bench_lines, bench_rule, bench_result;
CREATE UNLOGGED TABLE bench_lines AS
SELECT v.*, left(v.hs::text, 2) AS hs2, left(v.hs::text, 4) AS hs4, left(v.hs::text, 6) AS hs6
  FROM declaration_line_v v WHERE v.declaration_id LIKE 'bt-%';
CREATE INDEX ON bench_lines (hs4);
CREATE INDEX ON bench_lines (hs6);
CREATE INDEX ON bench_lines (origin, hs2);
CREATE INDEX ON bench_lines (importer);
CREATE INDEX ON bench_lines (value);
CREATE INDEX ON bench_lines (transport, net_mass);
CREATE INDEX ON bench_lines (transport, unit_value);
CREATE INDEX ON bench_lines (unit_value);
VACUUM ANALYZE bench_lines;
CREATE UNLOGGED TABLE bench_result (what text, profiles int, seconds float8, hits bigint);

-- 10,000 rules the way real profiles look, each narrow: 40% goods (an HS heading or subheading
-- with an origin, a unit-value ceiling (undervaluation), or both), 20% an origin with a chapter
-- and a high value, 30% an importer (maybe with a chapter), 10% only value, mass, unit value
-- or transport.  Drawn deterministically.
CREATE UNLOGGED TABLE bench_rule AS
WITH pools AS (
    SELECT (SELECT array_agg(h ORDER BY h) FROM (SELECT DISTINCT hs4 AS h FROM bench_lines) x) AS hs4,
           (SELECT array_agg(h ORDER BY h) FROM (SELECT DISTINCT hs6 AS h FROM bench_lines) x) AS hs6,
           (SELECT array_agg(h ORDER BY h) FROM (SELECT DISTINCT hs2 AS h FROM bench_lines) x) AS hs2,
           (SELECT array_agg(o ORDER BY n DESC, o) FROM (SELECT origin AS o, count(*) AS n FROM bench_lines GROUP BY 1) x) AS origins,
           (SELECT array_agg(i ORDER BY i) FROM (SELECT DISTINCT importer AS i FROM bench_lines) x) AS importers,
           (SELECT percentile_cont(0.995) WITHIN GROUP (ORDER BY value) FROM bench_lines) AS value_hi,
           (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY value) FROM bench_lines) AS value_p90,
           (SELECT percentile_cont(0.995) WITHIN GROUP (ORDER BY net_mass) FROM bench_lines) AS mass_hi,
           (SELECT percentile_cont(0.005) WITHIN GROUP (ORDER BY unit_value) FROM bench_lines) AS uv_lo,
           (SELECT percentile_cont(0.995) WITHIN GROUP (ORDER BY unit_value) FROM bench_lines) AS uv_hi
), draws AS (
    SELECT i, p.*, gen_uniform(i, 1, 99) AS u1, gen_uniform(i, 2, 99) AS u2, gen_uniform(i, 3, 99) AS u3,
           gen_uniform(i, 4, 99) AS u4, i % 10 AS k
      FROM generate_series(1, 10000) AS i, pools p
)
SELECT i AS rule_no,
       CASE WHEN k = 0 THEN 'num' WHEN k <= 4 THEN 'hs' WHEN k <= 6 THEN 'origin' ELSE 'importer' END AS kind,
       CASE WHEN k BETWEEN 1 AND 4 THEN
            CASE WHEN u1 < 0.5 THEN hs4[1 + floor(u2 * cardinality(hs4))::int] ELSE hs6[1 + floor(u2 * cardinality(hs6))::int] END
       END AS hs_prefix,
       CASE WHEN k BETWEEN 1 AND 4 AND u3 < 0.5 THEN ARRAY[origins[1 + floor(u4 * 6)::int]]
            WHEN k BETWEEN 1 AND 4 AND u3 >= 0.8 THEN ARRAY[origins[1 + floor(u4 * 3)::int], origins[4 + floor(u4 * 3)::int]] END AS origins,
       CASE WHEN k BETWEEN 1 AND 4 AND u3 >= 0.5 THEN round((uv_lo * 20 * (0.5 + u4))::numeric, 2) END AS uv_max,
       CASE WHEN k IN (5, 6) THEN origins[1 + floor(u1 * least(40, cardinality(origins)))::int] END AS origin,
       CASE WHEN k IN (5, 6) OR (k >= 7 AND u3 < 0.7) THEN hs2[1 + floor(u2 * cardinality(hs2))::int] END AS hs2,
       CASE WHEN k IN (5, 6) THEN round(value_p90::numeric, 0) END AS origin_value_min,
       CASE WHEN k >= 7 THEN importers[1 + floor(u1 * cardinality(importers))::int] END AS importer,
       CASE WHEN k = 0 AND u1 < 0.25 THEN round((value_hi * (1 + 4 * u2))::numeric, 0) END AS value_min,
       CASE WHEN k = 0 AND u1 >= 0.25 AND u1 < 0.5 THEN round((mass_hi * (1 + 4 * u2))::numeric, 0) END AS mass_min,
       CASE WHEN k = 0 AND u1 >= 0.5 AND u1 < 0.75 THEN round((uv_lo * (0.2 + u2))::numeric, 3) END AS uv_below,
       CASE WHEN k = 0 AND u1 >= 0.75 THEN round((uv_hi * (1 + 4 * u2))::numeric, 0) END AS uv_above,
       CASE WHEN k = 0 AND u1 >= 0.25 AND u1 < 0.5 THEN 'sea' WHEN k = 0 AND u1 >= 0.5 AND u1 < 0.75 THEN 'air' END AS transport
  FROM draws;
ALTER TABLE bench_rule ADD COLUMN criteria text;
UPDATE bench_rule SET criteria = concat_ws(' and ',
    CASE WHEN hs_prefix IS NOT NULL THEN 'hs <@ ' || hs_prefix END,
    CASE WHEN origins IS NOT NULL THEN 'origin in (' || array_to_string(origins, ', ') || ')' END,
    CASE WHEN uv_max IS NOT NULL THEN 'unit_value < ' || uv_max END,
    CASE WHEN origin IS NOT NULL THEN 'origin = ' || origin END,
    CASE WHEN hs2 IS NOT NULL THEN 'hs <@ ' || hs2 END,
    CASE WHEN origin_value_min IS NOT NULL THEN 'value > ' || origin_value_min END,
    CASE WHEN importer IS NOT NULL THEN 'importer = ' || quote_literal(importer) END,
    CASE WHEN value_min IS NOT NULL THEN 'value > ' || value_min END,
    CASE WHEN mass_min IS NOT NULL THEN 'net_mass > ' || mass_min END,
    CASE WHEN uv_below IS NOT NULL THEN 'unit_value < ' || uv_below END,
    CASE WHEN uv_above IS NOT NULL THEN 'unit_value > ' || uv_above END,
    CASE WHEN transport IS NOT NULL THEN 'transport = ' || transport END);
CREATE INDEX ON bench_rule (rule_no);
ANALYZE bench_rule;

-- Load the first N rules as the active profile set, then time both ways of matching.
CREATE FUNCTION pg_temp.load_profiles(n int) RETURNS void LANGUAGE sql AS $$
    UPDATE customs_risk.profile SET status = 'retired' WHERE status = 'active';
    INSERT INTO customs_risk.profile (name, criteria, channel, weight, description, status, valid_from, owner_office)
    SELECT format('bench %s: %s/%s', to_char(now(), 'YYYY-MM-DD HH24:MI:SS.US'), n, rule_no), criteria::customs_risk.criteria,
           (ARRAY['yellow', 'red', 'blue'])[1 + rule_no % 3]::customs_risk.channel, 1 + rule_no % 5,
           'benchmark rule ' || rule_no, 'active', '2020-01-01', 'NRC'
      FROM bench_rule WHERE rule_no <= n;
$$;

-- The plain-SQL way: the same rules as rows of column conditions, one equi-join per anchor
-- column (hash or index joins), index range joins for the value-only rules.
CREATE FUNCTION pg_temp.plain_sql_hits(n int) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM (
        SELECT l.declaration_id FROM bench_lines l JOIN bench_rule r ON r.kind = 'hs' AND length(r.hs_prefix) = 4 AND r.hs_prefix = l.hs4
         WHERE r.rule_no <= n AND (r.origins IS NULL OR l.origin = ANY (r.origins)) AND (r.uv_max IS NULL OR l.unit_value < r.uv_max)
        UNION ALL
        SELECT l.declaration_id FROM bench_lines l JOIN bench_rule r ON r.kind = 'hs' AND length(r.hs_prefix) = 6 AND r.hs_prefix = l.hs6
         WHERE r.rule_no <= n AND (r.origins IS NULL OR l.origin = ANY (r.origins)) AND (r.uv_max IS NULL OR l.unit_value < r.uv_max)
        UNION ALL
        SELECT l.declaration_id FROM bench_lines l JOIN bench_rule r ON r.kind = 'origin' AND r.origin = l.origin
         WHERE r.rule_no <= n AND (r.hs2 IS NULL OR l.hs2 = r.hs2) AND l.value > r.origin_value_min
        UNION ALL
        SELECT l.declaration_id FROM bench_lines l JOIN bench_rule r ON r.kind = 'importer' AND r.importer = l.importer
         WHERE r.rule_no <= n AND (r.hs2 IS NULL OR l.hs2 = r.hs2)
        UNION ALL
        SELECT l.declaration_id FROM bench_rule r JOIN bench_lines l ON l.value > r.value_min WHERE r.rule_no <= n
        UNION ALL
        SELECT l.declaration_id FROM bench_rule r JOIN bench_lines l ON l.transport = r.transport::customs_risk.transport_mode AND l.net_mass > r.mass_min
         WHERE r.rule_no <= n
        UNION ALL
        SELECT l.declaration_id FROM bench_rule r JOIN bench_lines l ON l.transport = r.transport::customs_risk.transport_mode AND l.unit_value < r.uv_below
         WHERE r.rule_no <= n
        UNION ALL
        SELECT l.declaration_id FROM bench_rule r JOIN bench_lines l ON l.unit_value > r.uv_above WHERE r.rule_no <= n
    ) hits
$$;

-- match_profiles three times (the median is reported: this machine's timings wander), the
-- plain-SQL join once (it is the slow one either way).
CREATE FUNCTION pg_temp.time_matching(n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    hits bigint;
BEGIN
    PERFORM pg_temp.load_profiles(n);
    FOR run IN 1..3 LOOP
        t0 := clock_timestamp();
        SELECT sum(cardinality(customs_risk.match_profiles(b))) INTO hits FROM bench_lines b;
        INSERT INTO bench_result VALUES ('match_profiles', n, extract(epoch FROM clock_timestamp() - t0), hits);
    END LOOP;
    t0 := clock_timestamp();
    hits := pg_temp.plain_sql_hits(n);
    INSERT INTO bench_result VALUES ('plain SQL', n, extract(epoch FROM clock_timestamp() - t0), hits);
END $$;

SELECT pg_temp.time_matching(100);
SELECT pg_temp.time_matching(1000);
SELECT pg_temp.time_matching(10000);

\echo
\echo '### Matching 1,000,000 lines (one core, parallel query off)'
SELECT m.profiles AS "active profiles",
       round(m.seconds::numeric, 2) AS "match_profiles s (median of 3)",
       round((1000000 / m.seconds)::numeric, 0) AS "lines/s",
       round(m.fastest::numeric, 2) AS "fastest s",
       round(p.seconds::numeric, 2) AS "plain SQL s",
       round((1000000 / p.seconds)::numeric, 0) AS "plain SQL lines/s",
       round((p.seconds / m.seconds)::numeric, 1) AS "speed-up",
       m.hits AS "hits", m.hits = p.hits AND m.answers = 1 AS "same hits"
  FROM (SELECT r.profiles, percentile_disc(0.5) WITHIN GROUP (ORDER BY r.seconds) AS seconds,
               min(r.seconds) AS fastest, min(r.hits) AS hits, count(DISTINCT r.hits) AS answers
          FROM bench_result r WHERE r.what = 'match_profiles' GROUP BY r.profiles) m
  JOIN bench_result p ON p.profiles = m.profiles AND p.what = 'plain SQL'
 ORDER BY 1;
SELECT * FROM profile_matcher_stats();
