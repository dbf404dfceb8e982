-- Evaluation aggregates: precision_at, recall_at, revenue_at, auc.
SET search_path = customs_risk, public;
SET extra_float_digits = 0;

-- ten declarations, four hits; scores without ties
CREATE TEMP TABLE r (score float8, hit boolean, revenue float8);
INSERT INTO r VALUES (0.9, true, 100), (0.8, false, 0), (0.7, true, 50), (0.6, false, 0), (0.5, true, 10),
                     (0.4, false, 0), (0.3, false, 0), (0.2, true, 40), (0.1, false, 0), (0.05, false, 0);
SELECT f, precision_at(score, hit, f) AS precision, recall_at(score, hit, f) AS recall,
       revenue_at(score, revenue, f) AS revenue
  FROM r, (VALUES (0.1), (0.2), (0.3), (0.5), (1.0)) v(f) GROUP BY f ORDER BY f;
-- AUC by hand: of 4 x 6 pairs, the hits outrank 6 + 5 + 4 + 2 = 17 misses
SELECT auc(score, hit) AS auc, 17.0 / 24 AS by_hand FROM r;

-- ties count as their expectation under random tie-breaking: the top 3 cut through a tie of
-- four (two hits) after one sure hit: 1 + 2 x 2/4 = 2 hits in 3
CREATE TEMP TABLE t (score float8, hit boolean);
INSERT INTO t VALUES (9, true), (5, true), (5, false), (5, true), (5, false), (1, false);
SELECT round(precision_at(score, hit, 0.5)::numeric, 6) AS precision_top3,
       round(recall_at(score, hit, 0.5)::numeric, 6) AS recall_top3,
       round(auc(score, hit)::numeric, 6) AS auc FROM t;
-- every score equal: precision is the base rate at any rate, AUC one half
SELECT precision_at(1, hit, 0.3) AS precision, recall_at(1, hit, 0.3) AS recall, auc(1, hit) AS auc FROM r;
-- row order does not matter
SELECT precision_at(score, hit, 0.5) = (SELECT precision_at(score, hit, 0.5) FROM (SELECT * FROM t ORDER BY hit) x) AS same FROM t;

-- NULL scores, labels and revenues are skipped; nothing left gives NULL
SELECT precision_at(s, h, 0.5) AS precision, auc(s, h) AS auc
  FROM (VALUES (1.0, true), (NULL, true), (0.5, NULL), (0.2, false)) v(s, h);
SELECT precision_at(s, h, 0.5) AS no_rows, recall_at(s, h, 0.5) AS no_rows_recall, auc(s, h) AS no_rows_auc
  FROM (VALUES (NULL::float8, NULL::boolean)) v(s, h);
SELECT precision_at(score, hit, NULL) AS no_fraction FROM r;
SELECT recall_at(score, false, 0.5) AS no_hits, auc(score, false) AS one_class, revenue_at(score, 0, 0.5) AS no_revenue FROM r;

-- bad input
SELECT precision_at(score, hit, 0) FROM r;
SELECT precision_at(score, hit, 1.5) FROM r;
SELECT precision_at(score, hit, 'nan') FROM r;
SELECT recall_at(score, hit, -0.1) FROM r;
SET extra_float_digits = 1;   -- the default outside pg_regress: every digit the value needs
SELECT precision_at(score, hit, 1.0000000000000002) FROM r;
RESET extra_float_digits;
SELECT precision_at(score, hit, CASE WHEN score > 0.5 THEN 0.1 ELSE 0.2 END) FROM r;
SELECT auc('nan', hit) FROM r;
SELECT revenue_at(score, -1, 0.5) FROM r;
SELECT revenue_at(score, 'infinity', 0.5) FROM r;

-- against plain SQL on 20,000 rows with many ties: the tie-aware precision and the rank-sum AUC
CREATE TEMP TABLE big AS
SELECT i, floor(random() * 50)::float8 AS score, random() < 0.2 + 0.01 * floor(random() * 50) AS hit
  FROM generate_series(1, 20000) i;
UPDATE big SET hit = random() < 0.05 + score / 60;
WITH ranked AS (
    SELECT score, hit::int AS y, count(*) OVER () AS n,
           count(*) OVER (ORDER BY score DESC RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
           count(*) OVER (PARTITION BY score) AS grp, sum(hit::int) OVER (PARTITION BY score) AS grp_hits
      FROM big
), cut AS (SELECT ceil(0.1 * min(n)) AS k FROM ranked),
groups AS (SELECT DISTINCT score, upto, grp, grp_hits FROM ranked)
SELECT abs((SELECT precision_at(score, hit, 0.1) FROM big)
           - (SELECT sum(CASE WHEN g.upto <= c.k THEN g.grp_hits
                              WHEN g.upto - g.grp < c.k THEN g.grp_hits * (c.k - (g.upto - g.grp)) / g.grp
                              ELSE 0 END) / c.k
                FROM groups g, cut c GROUP BY c.k)) < 1e-12 AS precision_matches_sql;
WITH r AS (SELECT hit, rank() OVER (ORDER BY score) + (count(*) OVER (PARTITION BY score) - 1) / 2.0 AS avg_rank FROM big)
SELECT abs((SELECT auc(score, hit) FROM big)
           - (sum(avg_rank) FILTER (WHERE hit) - count(*) FILTER (WHERE hit) * (count(*) FILTER (WHERE hit) + 1) / 2.0)
             / (count(*) FILTER (WHERE hit) * count(*) FILTER (WHERE NOT hit))) < 1e-12 AS auc_matches_rank_sum
  FROM r;

-- parallel query gives the same answers (the state is serialized between processes)
CREATE TABLE eval_lines AS
SELECT i, (i * 7919 % 1000)::float8 AS score, (i * 7919 % 1000) > 600 AND i % 3 <> 0 AS hit, (i % 17)::float8 AS revenue
  FROM generate_series(1, 200000) i;
ANALYZE eval_lines;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT precision_at(score, hit, 0.05) FROM eval_lines;
CREATE TEMP TABLE par AS
SELECT precision_at(score, hit, 0.05) AS p, recall_at(score, hit, 0.05) AS r, revenue_at(score, revenue, 0.05) AS v,
       auc(score, hit) AS a FROM eval_lines;
SET max_parallel_workers_per_gather = 0;
SELECT p = precision_at(score, hit, 0.05) AND r = recall_at(score, hit, 0.05)
       AND abs(v - revenue_at(score, revenue, 0.05)) < 1e-12 AND abs(a - auc(score, hit)) < 1e-12 AS parallel_same_as_serial
  FROM eval_lines, par GROUP BY p, r, v, a;
DROP TABLE eval_lines;
