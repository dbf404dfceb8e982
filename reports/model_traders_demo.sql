-- The risk model and trader grading on the sample: a GBDT trained on 2020 ranks the first
-- quarter of 2021, one score explained; traders graded as of 2021-01-01.  Run by bin/demo.
SET search_path = customs_risk, public;
SET client_min_messages = warning;

\echo
\echo '### An in-database risk model: gradient-boosted trees trained on 2020, ranking Q1 2021'
SELECT name, metrics ->> 'rows' AS "training lines", metrics ->> 'features' AS features,
       round((metrics ->> 'train_seconds')::numeric, 2) AS "train seconds"
  FROM train_model('risk_2020', $q$
    SELECT o.hit, m.declared_on, m.office, m.process_type, m.import_type, m.import_use, m.payment_type,
           m.transport, m.departure, m.hs, m.origin, m.origin_indicator, m.tax_type, m.tax_rate, m.net_mass,
           m.value, m.unit_value, m.importer, m.declarant, m.seller, m.courier,
           m.hs6_origin, m.hs10_origin, m.hs6_origin_tax, m.hs10_origin_tax, m.hs6_departure
      FROM model_line_v m JOIN declaration_outcome_v o USING (declaration_id)
     WHERE m.declared_on < '2021-01-01'$q$, 'hit', '{"replace": true}');
CREATE TEMP TABLE demo_scored AS
SELECT m.declaration_id, score('risk_2020', m) AS score, o.hit
  FROM model_line_v m JOIN declaration_outcome_v o USING (declaration_id)
 WHERE m.declared_on >= '2021-01-01';
SELECT round(100 * f, 0) || '%' AS "inspect the top", round(precision_at(score, hit, f)::numeric, 3) AS "precision",
       round(recall_at(score, hit, f)::numeric, 3) AS "recall",
       round((SELECT auc(score, hit) FROM demo_scored)::numeric, 3) AS "AUC"
  FROM demo_scored, unnest(ARRAY[0.01, 0.02, 0.05, 0.10]) f
 GROUP BY f ORDER BY f;

\echo
\echo '### Why the highest-scored declaration of Q1 2021 scored as it did (log-odds contributions)'
SELECT feature, value, round(contribution::numeric, 3) AS contribution
  FROM score_explain('risk_2020', (SELECT m FROM model_line_v m
                                    WHERE m.declaration_id = (SELECT declaration_id FROM demo_scored
                                                               ORDER BY score DESC, declaration_id LIMIT 1)))
 LIMIT 6;

\echo
\echo '### Trader grades as of 2021-01-01 (rules: grading_rules())'
SELECT count(*) AS "grade changes written" FROM grade_traders('2021-01-01');
SELECT grade, count(*) AS importers FROM trader_grade_history
 WHERE valid_from <= '2021-01-01' AND (valid_to IS NULL OR valid_to > '2021-01-01') GROUP BY 1 ORDER BY 1;
\echo
\echo '### The riskiest importers over the last year of data (trader_risk_v)'
SELECT rank, trader_id, grade, declarations, hits, round(smoothed_hit_rate::numeric, 3) AS "smoothed hit rate"
  FROM trader_risk_v LIMIT 5;
