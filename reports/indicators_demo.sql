-- Risk indicators on the sample: each HS-6 code and origin's smoothed hit rate from 2020,
-- judged on the first quarter of 2021 by precision, recall and AUC.  Run by bin/demo.
SET search_path = customs_risk, public;

\echo
\echo '### A transparent risk indicator: 2020 hit rate per HS-6 code and origin, smoothed, ranking Q1 2021'
WITH past AS (
    SELECT hs_truncate(l.hs, 6) AS hs6, l.origin, hit_evidence(o.hit) AS e
      FROM declaration_line_v l JOIN declaration_outcome_v o USING (declaration_id)
     WHERE l.declared_on < '2021-01-01' AND hs_level(l.hs) >= 6 GROUP BY 1, 2
), scored AS (
    SELECT posterior_mean(coalesce(p.e, '0/0'), 2.2, 7.8) AS score, o.hit
      FROM declaration_line_v l JOIN declaration_outcome_v o USING (declaration_id)
      LEFT JOIN past p ON p.hs6 = hs_truncate(l.hs, 6) AND p.origin = l.origin
     WHERE l.declared_on >= '2021-01-01'
)
SELECT round(100 * f, 0) || '%' AS "inspect the top", round(precision_at(score, hit, f)::numeric, 3) AS "precision",
       round(recall_at(score, hit, f)::numeric, 3) AS "recall",
       round((SELECT avg(hit::int) FROM scored)::numeric, 3) AS "base rate",
       round((SELECT auc(score, hit) FROM scored)::numeric, 3) AS "AUC"
  FROM scored, unnest(ARRAY[0.01, 0.02, 0.05, 0.10]) f
 GROUP BY f ORDER BY f;
