-- A btree index answers containment on a table of a million lines.
SET search_path = customs_risk, public;
CREATE TABLE lines_1m AS
SELECT i AS id,
       hscode(lpad(((i * 7919) % 97 + 1)::text, 2, '0') || lpad(((i * 104729) % 10000)::text, 4, '0')
              || lpad((i % 10000)::text, 4, '0')) AS hs
  FROM generate_series(1::bigint, 1000000) AS i;
ALTER TABLE lines_1m SET (autovacuum_enabled = off);   -- plans must not change mid-test
CREATE INDEX lines_1m_hs_idx ON lines_1m (hs);
ANALYZE lines_1m;

EXPLAIN (COSTS OFF) SELECT count(*) FROM lines_1m WHERE hs <@ '8471';
EXPLAIN (COSTS OFF) SELECT count(*) FROM lines_1m WHERE '847130' @> hs;
EXPLAIN (COSTS OFF) SELECT id FROM lines_1m WHERE hs <@ '8471300000';
-- a parameter in a generic plan: the bound is computed at run time
SET plan_cache_mode = force_generic_plan;
PREPARE within_param(hscode) AS SELECT count(*) FROM lines_1m WHERE hs <@ $1;
EXPLAIN (COSTS OFF) EXECUTE within_param('8471');
RESET plan_cache_mode;

-- The index gives the same answer as a scan that compares digit strings.
SELECT (SELECT count(*) FROM lines_1m WHERE hs <@ '8471') AS via_index,
       (SELECT count(*) FROM lines_1m WHERE left(hs::text, 4) = '8471') AS via_text;
EXECUTE within_param('8471');
SELECT (SELECT count(*) FROM lines_1m WHERE hs <@ '97') AS via_index_97,
       (SELECT count(*) FROM lines_1m WHERE left(hs::text, 2) = '97') AS via_text_97,
       (SELECT count(*) FROM lines_1m WHERE '01' @> hs) AS via_index_01,
       (SELECT count(*) FROM lines_1m WHERE left(hs::text, 2) = '01') AS via_text_01;
-- the planner's row estimates come from the column statistics, not a fixed default
SELECT plan_rows($$SELECT id FROM lines_1m WHERE hs <@ '8471'$$) BETWEEN 20 AND 1000 AS est_8471_near_102,
       plan_rows($$SELECT id FROM lines_1m WHERE hs <@ '84'$$) BETWEEN 5000 AND 20000 AS est_84_near_10309;
DROP TABLE lines_1m;
