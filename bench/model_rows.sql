-- The benchmark's model rows: every line of the bundled sample as model_line_v gives it, with
-- its outcome; the same columns go to XGBoost as CSV.  Codes are stored as text so that both
-- sides see the same strings.  The crossed codes (goods x origin, goods x origin x tariff
-- type, goods x departure) were chosen on a split inside 2020 (train January-September,
-- test October-December), never on 2021.
CREATE SCHEMA IF NOT EXISTS cr_bench;
DROP TABLE IF EXISTS cr_bench.model_rows;
CREATE TABLE cr_bench.model_rows AS
SELECT m.declared_on, o.hit,
       m.office, m.process_type, m.import_type, m.import_use, m.payment_type, m.transport::text AS transport,
       m.departure::text AS departure, m.hs::text AS hs, m.origin::text AS origin, m.origin_indicator, m.tax_type,
       m.tax_rate::float8 AS tax_rate, m.net_mass::float8 AS net_mass, m.value::float8 AS value,
       m.unit_value, m.duty,
       m.importer, m.declarant, m.seller, m.courier,
       m.hs6_origin, m.hs10_origin, m.hs6_origin_tax, m.hs10_origin_tax, m.hs6_departure
  FROM customs_risk.model_line_v m
  JOIN customs_risk.declaration_outcome_v o USING (declaration_id)
 WHERE m.declaration_id IN (SELECT declaration_id FROM customs_risk.declaration WHERE source LIKE 'kcs-%')
 -- a fixed physical order: the training query and the CSV for XGBoost read the rows in it, so
 -- every run, in any cluster, gets the same folds
 ORDER BY m.declaration_id, m.line_no;
ANALYZE cr_bench.model_rows;
