-- The reference data model: constraints that keep bad rows out, views, comments, dump registration.
SET search_path = customs_risk, public;
BEGIN;
INSERT INTO office (office_code, name, level, parent_code, location) VALUES
    ('N', 'National centre', 'national', NULL, 'SRID=4326;POINT(127 36.5)'),
    ('D1', 'District one', 'district', 'N', 'SRID=4326;POINT(127 37.5)'),
    ('H1', 'House one', 'house', 'D1', 'SRID=4326;POINT(127.1 37.5)');
INSERT INTO trader (trader_id, roles) VALUES ('IMP1', '{importer}'), ('BRK1', '{declarant}');
INSERT INTO declaration (declaration_id, declared_on, office_code, importer_id, declarant_id,
                         process_type, import_type, import_use, payment_type, transport, departure_country)
VALUES ('D-1', '2021-02-01', 'H1', 'IMP1', 'BRK1', 'B', '11', '21', '11', 'air', 'CN');
INSERT INTO declaration_line (declaration_id, line_no, hs, origin_country, origin_indicator, tax_type,
                              tax_rate, net_mass, value)
VALUES ('D-1', 1, '8471.30', 'CN', 'Y', 'A', 8, 2, 1000),
       ('D-1', 2, '6208221000', 'VN', 'G', 'C', 13, 0, 500),
       ('D-1', 3, '9503', 'ZZ', NULL, NULL, NULL, NULL, NULL);
INSERT INTO inspection (declaration_id, line_no, selected_by, inspected_on, result, extra_revenue)
VALUES ('D-1', 2, 'random', '2021-02-02', 'minor', 40);

-- every bad row is refused with the SQLSTATE of the rule it breaks
SELECT what, try(stmt) AS result FROM (VALUES
  ('house under a house', $$INSERT INTO customs_risk.office VALUES ('H2', 'x', 'house', 'H1')$$),
  ('district without a parent', $$INSERT INTO customs_risk.office VALUES ('D2', 'x', 'district', NULL)$$),
  ('national with a parent', $$INSERT INTO customs_risk.office VALUES ('N2', 'x', 'national', 'N')$$),
  ('office code with a space', $$INSERT INTO customs_risk.office VALUES ('H 3', 'x', 'house', 'D1')$$),
  ('unknown level', $$INSERT INTO customs_risk.office VALUES ('H4', 'x', 'port', 'D1')$$),
  ('trader with no role', $$INSERT INTO customs_risk.trader (trader_id, roles) VALUES ('T1', '{}')$$),
  ('trader with a NULL role', $$INSERT INTO customs_risk.trader (trader_id, roles) VALUES ('T2', '{importer,NULL}')$$),
  ('unknown role', $$INSERT INTO customs_risk.trader (trader_id, roles) VALUES ('T3', '{smuggler}')$$),
  ('declaration at a district', $$INSERT INTO customs_risk.declaration VALUES ('D-2', '2021-02-01', 'D1', DEFAULT, 'IMP1', NULL, NULL, NULL, 'B', '11', '21', '11', 'air', 'CN')$$),
  ('declaration at an unknown office', $$INSERT INTO customs_risk.declaration VALUES ('D-2', '2021-02-01', 'H9', DEFAULT, 'IMP1', NULL, NULL, NULL, 'B', '11', '21', '11', 'air', 'CN')$$),
  ('unknown importer', $$INSERT INTO customs_risk.declaration VALUES ('D-2', '2021-02-01', 'H1', DEFAULT, 'NOBODY', NULL, NULL, NULL, 'B', '11', '21', '11', 'air', 'CN')$$),
  ('unknown transport mode', $$INSERT INTO customs_risk.declaration VALUES ('D-2', '2021-02-01', 'H1', DEFAULT, 'IMP1', NULL, NULL, NULL, 'B', '11', '21', '11', 'boat', 'CN')$$),
  ('departure XX', $$INSERT INTO customs_risk.declaration VALUES ('D-2', '2021-02-01', 'H1', DEFAULT, 'IMP1', NULL, NULL, NULL, 'B', '11', '21', '11', 'air', 'XX')$$),
  ('departure in lower case', $$INSERT INTO customs_risk.declaration VALUES ('D-2', '2021-02-01', 'H1', DEFAULT, 'IMP1', NULL, NULL, NULL, 'B', '11', '21', '11', 'air', 'cn')$$),
  ('date in year 1066', $$INSERT INTO customs_risk.declaration VALUES ('D-2', '1066-10-14', 'H1', DEFAULT, 'IMP1', NULL, NULL, NULL, 'B', '11', '21', '11', 'air', 'CN')$$),
  ('empty declaration id', $$INSERT INTO customs_risk.declaration VALUES ('', '2021-02-01', 'H1', DEFAULT, 'IMP1', NULL, NULL, NULL, 'B', '11', '21', '11', 'air', 'CN')$$),
  ('negative mass', $$INSERT INTO customs_risk.declaration_line VALUES ('D-1', 9, '8471', 'CN', 'Y', 'A', 8, -1, 10)$$),
  ('NaN mass', $$INSERT INTO customs_risk.declaration_line VALUES ('D-1', 9, '8471', 'CN', 'Y', 'A', 8, 'NaN', 10)$$),
  ('infinite value', $$INSERT INTO customs_risk.declaration_line VALUES ('D-1', 9, '8471', 'CN', 'Y', 'A', 8, 1, 'Infinity')$$),
  ('negative value', $$INSERT INTO customs_risk.declaration_line VALUES ('D-1', 9, '8471', 'CN', 'Y', 'A', 8, 1, -5)$$),
  ('NaN tax rate', $$INSERT INTO customs_risk.declaration_line VALUES ('D-1', 9, '8471', 'CN', 'Y', 'A', 'NaN', 1, 10)$$),
  ('line number 0', $$INSERT INTO customs_risk.declaration_line VALUES ('D-1', 0, '8471', 'CN', 'Y', 'A', 8, 1, 10)$$),
  ('bad HS code', $$INSERT INTO customs_risk.declaration_line VALUES ('D-1', 9, '847', 'CN', 'Y', 'A', 8, 1, 10)$$),
  ('origin indicator Q', $$INSERT INTO customs_risk.declaration_line VALUES ('D-1', 9, '8471', 'CN', 'Q', 'A', 8, 1, 10)$$),
  ('line of no declaration', $$INSERT INTO customs_risk.declaration_line VALUES ('D-9', 1, '8471', 'CN', 'Y', 'A', 8, 1, 10)$$),
  ('duplicate line', $$INSERT INTO customs_risk.declaration_line VALUES ('D-1', 1, '8471', 'CN', 'Y', 'A', 8, 1, 10)$$),
  ('profile selection without profile', $$INSERT INTO customs_risk.inspection (declaration_id, selected_by, inspected_on, result) VALUES ('D-1', 'profile', '2021-02-02', 'none')$$),
  ('model selection without model', $$INSERT INTO customs_risk.inspection (declaration_id, selected_by, inspected_on, result) VALUES ('D-1', 'model', '2021-02-02', 'none')$$),
  ('inspection in the green channel', $$INSERT INTO customs_risk.inspection (declaration_id, channel, selected_by, inspected_on, result) VALUES ('D-1', 'green', 'random', '2021-02-02', 'none')$$),
  ('negative extra revenue', $$INSERT INTO customs_risk.inspection (declaration_id, selected_by, inspected_on, result, extra_revenue) VALUES ('D-1', 'random', '2021-02-02', 'minor', -1)$$),
  ('inspection of an unknown line', $$INSERT INTO customs_risk.inspection (declaration_id, line_no, selected_by, inspected_on, result) VALUES ('D-1', 7, 'random', '2021-02-02', 'none')$$),
  ('unknown result', $$INSERT INTO customs_risk.inspection (declaration_id, selected_by, inspected_on, result) VALUES ('D-1', 'random', '2021-02-02', 'seized')$$)
) AS t(what, stmt);

-- the line view: header and line in one row, unit value NULL where mass is 0 or unknown
SELECT declaration_id, line_no, office, district, importer, transport, departure, hs, origin,
       net_mass, value, unit_value, duty
  FROM declaration_line_v ORDER BY line_no;
SELECT declaration_id, inspected, hit, critical, extra_revenue FROM declaration_outcome_v;

-- deleting a declaration removes its lines and inspections
DELETE FROM declaration WHERE declaration_id = 'D-1';
SELECT (SELECT count(*) FROM declaration_line) AS lines_left, (SELECT count(*) FROM inspection) AS inspections_left;
ROLLBACK;

-- Every table, view and column of the extension has a comment (BI tools show them).
SELECT c.relname, a.attname
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'customs_risk'
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relkind IN ('r', 'v', 'm', 'p')
   AND (obj_description(c.oid, 'pg_class') IS NULL
        OR (a.attnum IS NOT NULL AND col_description(c.oid, a.attnum) IS NULL))
 ORDER BY 1, 2;
-- Every function, type and operator has a comment too.
SELECT p.oid::regprocedure AS function_without_comment FROM pg_proc p
 WHERE p.pronamespace = 'customs_risk'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL;
SELECT o.oid::regoperator AS operator_without_comment FROM pg_operator o
 WHERE o.oprnamespace = 'customs_risk'::regnamespace AND obj_description(o.oid, 'pg_operator') IS NULL;
SELECT c.opcname AS opclass_without_comment FROM pg_opclass c
 WHERE c.opcnamespace = 'customs_risk'::regnamespace AND obj_description(c.oid, 'pg_opclass') IS NULL;
SELECT t.typname AS type_without_comment FROM pg_type t
 WHERE t.typnamespace = 'customs_risk'::regnamespace AND t.typtype IN ('b', 'e', 'd') AND t.typelem = 0
   AND obj_description(t.oid, 'pg_type') IS NULL;
-- C functions are all parallel safe but the one that trains a model (it runs the training
-- query), the batch's and decide()'s (they write the decision log) and the closing check's
-- (it takes the latest snapshot, which no backend may in parallel mode), and none is
-- SECURITY DEFINER without a safe search_path.
SELECT p.oid::regprocedure AS c_function_not_parallel_safe FROM pg_proc p
 WHERE p.pronamespace = 'customs_risk'::regnamespace AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
   AND p.proparallel <> 's' AND p.proname NOT IN ('model_train_body', 'batch_channels', 'decide', 'risk_item_unfinished_now');
SELECT p.oid::regprocedure AS unsafe_security_definer FROM pg_proc p
 WHERE p.pronamespace = 'customs_risk'::regnamespace AND p.prosecdef
   AND NOT coalesce(p.proconfig @> '{"search_path=pg_catalog, pg_temp"}', false);

-- pg_dump keeps the rows of the tables users fill
SELECT unnest(extconfig)::regclass AS dumped_with_data FROM pg_extension WHERE extname = 'customs_risk';
