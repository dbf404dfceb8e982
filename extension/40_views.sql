
-- ===========================================================================
-- Views for analysts, profiles, models and BI tools
-- ===========================================================================

-- The derived values in double precision, from numeric without a detour through text
-- (C: src/numeric_double.c); a view column computed for every line must be cheap.
CREATE FUNCTION customs_risk.unit_value_of(value numeric, net_mass numeric) RETURNS float8
    AS 'MODULE_PATHNAME', 'unit_value_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.unit_value_of(numeric, numeric) IS
    'value per kg in double precision: value / net_mass, NULL when the mass is 0 (or NULL)';
CREATE FUNCTION customs_risk.duty_of(value numeric, tax_rate numeric) RETURNS float8
    AS 'MODULE_PATHNAME', 'duty_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.duty_of(numeric, numeric) IS
    'duty at stake in double precision: value x tax rate / 100';
-- A line's district, from a per-query copy of the small office tree (C: src/office_tree.c):
-- a join to office cost a nested-loop step per line.
CREATE FUNCTION customs_risk.district_of(office text) RETURNS text
    AS 'MODULE_PATHNAME', 'district_of' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.district_of(text) IS
    'the district risk centre an office belongs to: a customs house''s parent, a district centre itself, NULL for the national centre; 22023 for an unknown office';

CREATE VIEW customs_risk.declaration_line_v AS
SELECT l.declaration_id,
       l.line_no,
       d.declared_on,
       d.office_code AS office,
       customs_risk.district_of(d.office_code) COLLATE "C" AS district,
       d.importer_id AS importer,
       d.declarant_id AS declarant,
       d.seller_id AS seller,
       d.courier_id AS courier,
       d.process_type,
       d.import_type,
       d.import_use,
       d.payment_type,
       d.transport,
       d.departure_country AS departure,
       l.hs,
       l.origin_country AS origin,
       l.origin_indicator,
       l.tax_type,
       l.tax_rate,
       l.net_mass,
       l.value,
       customs_risk.unit_value_of(l.value, l.net_mass) AS unit_value,
       customs_risk.duty_of(l.value, l.tax_rate) AS duty
  FROM customs_risk.declaration_line l
  JOIN customs_risk.declaration d ON d.declaration_id = l.declaration_id;
COMMENT ON VIEW customs_risk.declaration_line_v IS
    'one row per declaration line with every header and line field a targeting profile or risk model may use';
COMMENT ON COLUMN customs_risk.declaration_line_v.declaration_id IS 'declaration number';
COMMENT ON COLUMN customs_risk.declaration_line_v.line_no IS 'line number within the declaration';
COMMENT ON COLUMN customs_risk.declaration_line_v.declared_on IS 'date the declaration was lodged';
COMMENT ON COLUMN customs_risk.declaration_line_v.office IS 'customs house that received it';
COMMENT ON COLUMN customs_risk.declaration_line_v.district IS 'district risk centre over that customs house';
COMMENT ON COLUMN customs_risk.declaration_line_v.importer IS 'importer of record';
COMMENT ON COLUMN customs_risk.declaration_line_v.declarant IS 'declarant (customs broker)';
COMMENT ON COLUMN customs_risk.declaration_line_v.seller IS 'overseas seller';
COMMENT ON COLUMN customs_risk.declaration_line_v.courier IS 'express courier';
COMMENT ON COLUMN customs_risk.declaration_line_v.process_type IS 'declaration process type';
COMMENT ON COLUMN customs_risk.declaration_line_v.import_type IS 'transaction type';
COMMENT ON COLUMN customs_risk.declaration_line_v.import_use IS 'purpose of import';
COMMENT ON COLUMN customs_risk.declaration_line_v.payment_type IS 'duty payment type';
COMMENT ON COLUMN customs_risk.declaration_line_v.transport IS 'mode of transport';
COMMENT ON COLUMN customs_risk.declaration_line_v.departure IS 'country of departure';
COMMENT ON COLUMN customs_risk.declaration_line_v.hs IS 'HS code of the goods';
COMMENT ON COLUMN customs_risk.declaration_line_v.origin IS 'country of origin';
COMMENT ON COLUMN customs_risk.declaration_line_v.origin_indicator IS 'origin marking indicator (B, E, G, N, S, Y)';
COMMENT ON COLUMN customs_risk.declaration_line_v.tax_type IS 'tariff rate type';
COMMENT ON COLUMN customs_risk.declaration_line_v.tax_rate IS 'tariff rate, percent';
COMMENT ON COLUMN customs_risk.declaration_line_v.net_mass IS 'net mass, kg (NULL when unknown)';
COMMENT ON COLUMN customs_risk.declaration_line_v.value IS 'assessed value (NULL when unknown)';
COMMENT ON COLUMN customs_risk.declaration_line_v.unit_value IS 'value per kg; NULL where mass is 0 or unknown';
COMMENT ON COLUMN customs_risk.declaration_line_v.duty IS 'duty at stake, value x tax rate / 100: a proxy, not assessed revenue';

CREATE VIEW customs_risk.declaration_outcome_v AS
SELECT d.declaration_id,
       d.declared_on,
       d.office_code AS office,
       count(i.inspection_id) > 0 AS inspected,
       bool_or(i.result IN ('minor', 'critical')) AS hit,
       bool_or(i.result = 'critical') AS critical,
       sum(i.extra_revenue) AS extra_revenue
  FROM customs_risk.declaration d
  LEFT JOIN customs_risk.inspection i ON i.declaration_id = d.declaration_id
 GROUP BY d.declaration_id;
COMMENT ON VIEW customs_risk.declaration_outcome_v IS
    'one row per declaration: was it inspected, and did an inspection hit (the label for evaluation and model training)';
COMMENT ON COLUMN customs_risk.declaration_outcome_v.declaration_id IS 'declaration number';
COMMENT ON COLUMN customs_risk.declaration_outcome_v.declared_on IS 'date the declaration was lodged';
COMMENT ON COLUMN customs_risk.declaration_outcome_v.office IS 'customs house that received it';
COMMENT ON COLUMN customs_risk.declaration_outcome_v.inspected IS 'true when at least one inspection is recorded';
COMMENT ON COLUMN customs_risk.declaration_outcome_v.hit IS 'true when an inspection found a minor or critical violation; NULL when not inspected';
COMMENT ON COLUMN customs_risk.declaration_outcome_v.critical IS 'true when an inspection found a critical violation; NULL when not inspected';
COMMENT ON COLUMN customs_risk.declaration_outcome_v.extra_revenue IS 'extra revenue assessed over its inspections; NULL when none assessed';
