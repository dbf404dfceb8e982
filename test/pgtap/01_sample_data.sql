-- The bundled Korea Customs sample, as bin/load-kcs loads it: counts, labels and the office tree.
BEGIN;
SET search_path = customs_risk, public;
SELECT plan(31);

SELECT is((SELECT count(*) FROM declaration), 45519::bigint, '45,519 declarations (train + valid)');
SELECT is((SELECT count(*) FROM declaration WHERE source = 'kcs-train'), 37385::bigint, '37,385 from the train split');
SELECT is((SELECT count(*) FROM declaration WHERE source = 'kcs-valid'), 8134::bigint, '8,134 from the valid split');
SELECT is((SELECT count(*) FROM declaration_line), 45519::bigint, 'one line per declaration');
SELECT is((SELECT count(*) FROM inspection), 45519::bigint, 'every declaration was inspected');
SELECT is((SELECT count(*) FROM inspection WHERE result IN ('minor', 'critical')), 9818::bigint, '9,818 hits (Fraud = 1)');
SELECT is((SELECT count(*) FROM inspection WHERE result = 'critical'), 472::bigint, '472 of them critical');
SELECT is((SELECT count(*) FROM inspection WHERE selected_by = 'external'), 45519::bigint,
          'imported inspections are marked as selected outside this system');
SELECT is((SELECT count(*) FROM office WHERE level = 'house'), 42::bigint, '42 customs houses');
SELECT is((SELECT count(DISTINCT office_code) FROM declaration), 42::bigint, 'declarations use all 42 houses');
SELECT is((SELECT count(*) FROM office h JOIN office d ON d.office_code = h.parent_code
            JOIN office n ON n.office_code = d.parent_code
           WHERE h.level = 'house' AND d.level = 'district' AND n.level = 'national'), 42::bigint,
          'every house sits under a district under the national centre');
SELECT is((SELECT count(*) FROM office
           WHERE NOT (public.ST_Y(location::public.geometry) BETWEEN 33 AND 39
                      AND public.ST_X(location::public.geometry) BETWEEN 124 AND 131)), 0::bigint,
          'every office is located in South Korea');
SELECT is((SELECT count(*) FROM declaration_line WHERE net_mass IS NULL), 340::bigint, '340 lines with unknown (0) mass');
SELECT is((SELECT count(*) FROM declaration_line WHERE value IS NULL), 437::bigint, '437 lines with unknown (0.0) value');
SELECT is((SELECT count(*) FROM declaration_line_v WHERE unit_value IS NULL),
          (SELECT count(*) FROM declaration_line WHERE net_mass IS NULL OR value IS NULL),
          'unit value is NULL exactly where mass or value is unknown');
SELECT is((SELECT count(*) FROM declaration_line WHERE hs_level(hs) = 10), 45519::bigint, 'all HS codes have 10 digits');
SELECT is((SELECT count(*) FROM declaration_line WHERE hs_chapter(hs) < 10), 2142::bigint,
          '2,142 codes in chapters 01-09 got their leading zero back');
SELECT is((SELECT count(*) FROM declaration_line WHERE origin_country = 'ZZ'), 24::bigint,
          'the 24 lines with origin ZZ (unknown) load');
SELECT is((SELECT count(*) FROM trader WHERE 'importer' = ANY (roles)), 13676::bigint, '13,676 importers');
SELECT is((SELECT count(*) FROM trader WHERE 'declarant' = ANY (roles)), 1236::bigint, '1,236 declarants');
SELECT is((SELECT count(*) FROM declaration_outcome_v WHERE hit), 9818::bigint, 'the outcome view agrees on the hits');
SELECT is((SELECT min(declared_on) || ' ' || max(declared_on) FROM declaration), '2020-01-01 2021-03-31', 'dates span 2020-01 to 2021-03');

-- a line's district: the office tree's, through district_of()
SELECT is((SELECT count(*) FROM declaration_line_v v JOIN office o ON o.office_code = v.office
            WHERE v.district IS DISTINCT FROM o.parent_code), 0::bigint,
          'every line''s district is its house''s parent in the office tree');
SELECT is(district_of('30') || ' ' || district_of('RC-BUSAN') || ' ' || coalesce(district_of('NRC'), 'none'),
          'RC-BUSAN RC-BUSAN none', 'district_of: a house''s district, a district itself, none for the national centre');
SELECT is(district_of(NULL), NULL, 'district_of(NULL) is NULL');
SELECT throws_ok($$SELECT customs_risk.district_of('NO-SUCH')$$, '22023', 'office ''NO-SUCH'' does not exist',
                 'district_of: an unknown office is an error');
SELECT throws_ok($$SELECT customs_risk.district_of('')$$, '22023', NULL, '... so is the empty code');
-- a new house, a move and a move undone are seen at once (what a session keeps between
-- transactions is tested across sessions in the kept_sets isolation test)
SELECT district_of('30') AS warm \gset
INSERT INTO office (office_code, name, level, parent_code) VALUES ('T-NEW', 'new house', 'house', 'RC-SEOUL');
SELECT is(district_of('T-NEW'), 'RC-SEOUL', 'district_of sees an office added after its first use in the session');
SAVEPOINT moved;
UPDATE office SET parent_code = 'RC-BUSAN' WHERE office_code = 'T-NEW';
SELECT is((SELECT district FROM (VALUES ('T-NEW')) x(o), LATERAL (SELECT district_of(x.o) AS district) d),
          'RC-BUSAN', 'district_of sees a house moved to another district');
ROLLBACK TO SAVEPOINT moved;
SELECT is(district_of('T-NEW'), 'RC-SEOUL', '... and the move undone');
-- a role that may not read the office table gets no district
CREATE ROLE customs_risk_t_noone NOLOGIN;
GRANT USAGE ON SCHEMA customs_risk TO customs_risk_t_noone;
SET LOCAL ROLE customs_risk_t_noone;
SELECT throws_ok($$SELECT customs_risk.district_of('30')$$, '42501', NULL,
                 'district_of needs the right to read the office tree');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
