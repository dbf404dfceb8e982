-- run_monitoring(): a stable series raises no alert over a year, a series whose lines jump
-- raises one within days, and the alerts are recorded once per run date.
BEGIN;
SET search_path = customs_risk, public;
SET client_min_messages = warning;
SELECT plan(8);

INSERT INTO trader (trader_id, roles) VALUES ('M-IMP', '{importer}');
-- a year of daily lines of HS chapter 97 from two origins at house 40: Antarctica steady, Bouvet
-- Island steady until the last week, then three times as many
CREATE FUNCTION pg_temp.lines(origin text, first_jump date) RETURNS void LANGUAGE sql AS $$
    INSERT INTO customs_risk.declaration (declaration_id, declared_on, office_code, importer_id, process_type,
                                          import_type, import_use, payment_type, transport, departure_country, source)
    SELECT 'M-' || origin || '-' || d::date || '-' || k, d::date, '40', 'M-IMP', 'A', '11', '21', '11', 'sea', origin, 'test'
      FROM generate_series('2030-01-01'::date, '2030-12-31', '1 day') d,
           LATERAL generate_series(1, 8 + floor(customs_risk.gen_uniform((d::date - '2030-01-01') + 1000 * ascii(origin), 1, 7) * 5)::int
                                      + CASE WHEN d >= first_jump THEN 20 ELSE 0 END) k;
    INSERT INTO customs_risk.declaration_line (declaration_id, line_no, hs, origin_country, value)
    SELECT d.declaration_id, 1, '9701100000', origin, 1000 FROM customs_risk.declaration d
     WHERE d.declaration_id LIKE 'M-' || origin || '-%';
$$;
SELECT pg_temp.lines('AQ', 'infinity');
SELECT pg_temp.lines('BV', '2030-12-26');
-- Heard Island: steady but sparse, one line on about half the days, twice as much value on some
INSERT INTO customs_risk.declaration (declaration_id, declared_on, office_code, importer_id, process_type,
                                      import_type, import_use, payment_type, transport, departure_country, source)
SELECT 'M-HM-' || d::date, d::date, '40', 'M-IMP', 'A', '11', '21', '11', 'sea', 'HM', 'test'
  FROM generate_series('2030-01-01'::date, '2030-12-31', '1 day') d
 WHERE customs_risk.gen_uniform(d::date - '2030-01-01', 2, 11) < 0.5;
INSERT INTO customs_risk.declaration_line (declaration_id, line_no, hs, origin_country, value)
SELECT d.declaration_id, 1, '9701100000', 'HM', 1000 * (1 + (customs_risk.gen_uniform(d.declared_on - '2030-01-01', 3, 11) < 0.3)::int)
  FROM customs_risk.declaration d WHERE d.declaration_id LIKE 'M-HM-%';

CREATE TEMP TABLE run1 AS SELECT * FROM run_monitoring('2030-12-31');
SELECT is((SELECT count(*) FROM run1 WHERE origin = 'AQ'), 0::bigint, 'a steady series raises no alert over a year');
SELECT is((SELECT count(*) FROM run1 WHERE origin = 'HM'), 0::bigint, 'nor does a steady sparse one (a line on half the days)');
SELECT is((SELECT direction || ' ' || severity FROM run1 WHERE origin = 'BV' AND metric = 'lines'), 'up high',
          'lines that triple in the last week raise a high alert, up');
SELECT ok((SELECT first_alert BETWEEN '2030-12-26' AND '2030-12-28' FROM run1 WHERE origin = 'BV' AND metric = 'lines'),
          'within three days of the jump');
SELECT is((SELECT count(*) FROM monitoring_alert WHERE as_of = '2030-12-31' AND hs_chapter = 97), (SELECT count(*) FROM run1),
          'the alerts are recorded');
SELECT is((SELECT count(*) FROM run_monitoring('2030-12-31')), 0::bigint, 'a second run for the same date records nothing new');
SELECT throws_ok($$SELECT * FROM run_monitoring(NULL)$$, '22004', NULL, 'a NULL date');
SELECT throws_ok($$SELECT * FROM run_monitoring('2030-12-31', 30)$$, '22023', NULL, 'fewer active days than the baseline');

SELECT * FROM finish();
ROLLBACK;
