-- The benchmark's model rows: every declaration line of the bundled sample with its outcome
-- and the features both models get (the same columns go to XGBoost as CSV).  The crossed
-- codes (goods x origin, goods x departure, goods x origin x tariff type) were chosen on a
-- split inside 2020 (train January-September, test October-December), never on 2021.
CREATE SCHEMA IF NOT EXISTS cr_bench;
DROP TABLE IF EXISTS cr_bench.model_rows;
CREATE TABLE cr_bench.model_rows AS
SELECT l.declared_on, o.hit,
       l.office, l.process_type, l.import_type, l.import_use, l.payment_type, l.transport::text AS transport,
       l.departure, l.hs::text AS hs, l.origin, l.origin_indicator, l.tax_type,
       l.tax_rate::float8 AS tax_rate, l.net_mass::float8 AS net_mass, l.value::float8 AS value,
       l.unit_value, l.duty,
       l.importer, l.declarant, l.seller, l.courier,
       customs_risk.hs_truncate(l.hs, 6)::text || l.origin AS hs6_origin,
       l.hs::text || l.origin AS hs10_origin,
       customs_risk.hs_truncate(l.hs, 6)::text || l.origin || l.tax_type AS hs6_origin_tax,
       l.hs::text || l.origin || l.tax_type AS hs10_origin_tax,
       customs_risk.hs_truncate(l.hs, 6)::text || l.departure AS hs6_departure
  FROM customs_risk.declaration_line_v l
  JOIN customs_risk.declaration_outcome_v o USING (declaration_id)
 WHERE l.declaration_id IN (SELECT declaration_id FROM customs_risk.declaration WHERE source LIKE 'kcs-%');
ANALYZE cr_bench.model_rows;
