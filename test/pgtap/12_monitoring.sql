-- run_monitoring(): a stable series raises no alert over a year, a series whose lines jump
-- raises one within days, and the alerts are recorded once per run date.
BEGIN;
SET search_path = customs_risk, public;
SET client_min_messages = warning;
SELECT plan(18);

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

-- Lumpy values, as in real trade: a day's lines (1 to 4 at Christmas Island, 8 to 12 at the
-- Cocos Islands) come from three clusters of value, near e^2, e^9 and e^14.  Christmas Island
-- stays so all year; at the Cocos Islands every value falls to a thousandth from 26 December
-- (undervaluation).  Cook Islands: 10 to 14 inspected lines a day, one in ten a hit, one in two
-- from 26 December; Niue: 1 to 3 inspected lines a day, one in twenty a hit, all year.
CREATE FUNCTION pg_temp.lumpy(origin text, lo int, hi int, first_drop date, p_hit float8, p_hit_after float8)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO customs_risk.declaration (declaration_id, declared_on, office_code, importer_id, process_type,
                                          import_type, import_use, payment_type, transport, departure_country, source)
    SELECT 'M-' || origin || '-' || d::date || '-' || k, d::date, '40', 'M-IMP', 'A', '11', '21', '11', 'sea', origin, 'test'
      FROM generate_series('2030-01-01'::date, '2030-12-31', '1 day') d,
           LATERAL generate_series(1, lo + floor(customs_risk.gen_uniform((d::date - '2030-01-01') + 1000 * ascii(origin), 4, 7)
                                                 * (hi - lo + 1))::int) k;
    INSERT INTO customs_risk.declaration_line (declaration_id, line_no, hs, origin_country, value)
    SELECT d.declaration_id, 1, '9701100000', origin,
           round((exp(CASE WHEN u.c < 0.2 THEN 2 WHEN u.c < 0.5 THEN 9 ELSE 14 END + 2 * u.e - 1)
                  * CASE WHEN d.declared_on >= first_drop THEN 0.001 ELSE 1 END)::numeric, 2)
      FROM customs_risk.declaration d,
           LATERAL (SELECT customs_risk.gen_uniform(hashtext(d.declaration_id), 5, 7) AS c,
                           customs_risk.gen_uniform(hashtext(d.declaration_id), 6, 7) AS e) u
     WHERE d.declaration_id LIKE 'M-' || origin || '-%';
    INSERT INTO customs_risk.inspection (declaration_id, line_no, selected_by, inspected_on, result, office_code)
    SELECT d.declaration_id, 1, 'random', d.declared_on,
           CASE WHEN customs_risk.gen_uniform(hashtext(d.declaration_id), 8, 7)
                     < CASE WHEN d.declared_on >= first_drop THEN p_hit_after ELSE p_hit END
                THEN 'minor' ELSE 'none' END::customs_risk.inspection_result, '40'
      FROM customs_risk.declaration d
     WHERE d.declaration_id LIKE 'M-' || origin || '-%' AND p_hit IS NOT NULL;
$$;
SELECT pg_temp.lumpy('CX', 1, 4, 'infinity', NULL, NULL);
SELECT pg_temp.lumpy('CC', 8, 12, '2030-12-26', NULL, NULL);
SELECT pg_temp.lumpy('CK', 10, 14, 'infinity', 0.1, 0.1);
UPDATE customs_risk.inspection SET result = 'minor'
 WHERE declaration_id LIKE 'M-CK-%' AND inspected_on >= '2030-12-26'
   AND customs_risk.gen_uniform(hashtext(declaration_id), 9, 7) < 0.45;
SELECT pg_temp.lumpy('NU', 1, 3, 'infinity', 0.05, 0.05);

CREATE TEMP TABLE run1 AS SELECT * FROM run_monitoring('2030-12-31');
SELECT is((SELECT count(*) FROM run1 WHERE origin = 'AQ'), 0::bigint, 'a steady series raises no alert over a year');
SELECT is((SELECT count(*) FROM run1 WHERE origin = 'HM'), 0::bigint, 'nor does a steady sparse one (a line on half the days)');
SELECT is((SELECT direction || ' ' || severity FROM run1 WHERE origin = 'BV' AND metric = 'lines'), 'up high',
          'lines that triple in the last week raise a high alert, up');
SELECT ok((SELECT first_alert BETWEEN '2030-12-26' AND '2030-12-28' FROM run1 WHERE origin = 'BV' AND metric = 'lines'),
          'within three days of the jump');
SELECT is((SELECT count(*) FROM run1 WHERE origin IN ('CX', 'NU')), 0::bigint,
          'lumpy values, 1 to 4 lines a day, and a rare hit over 1 to 3 inspections a day raise no alert over a year');
-- ln(1/1000) is about 1.5 standard deviations of a line's ln value here: with 8 to 12 lines a
-- day, over 4 sigmas on the day's mean, winsorised to 3, 2 more than k on the CUSUM a day: over
-- h = 5 on the third day
SELECT is((SELECT direction || ' ' || (first_alert BETWEEN '2030-12-26' AND '2030-12-28') FROM run1 WHERE origin = 'CC' AND metric = 'value'),
          'down true', 'values that fall to a thousandth raise a value alert, down, within three days');
SELECT is((SELECT count(*) FROM run1 WHERE origin = 'CC' AND metric <> 'value'), 0::bigint,
          'and no other: the lines did not change');
SELECT is((SELECT direction || ' ' || (first_alert BETWEEN '2030-12-26' AND '2030-12-28') FROM run1 WHERE origin = 'CK' AND metric = 'hit_rate'),
          'up true', 'a hit rate that rises from 10% to about 50% raises a hit-rate alert, up, within three days');
SELECT ok((SELECT abs(baseline_mean - 0.1) < 0.02 FROM run1 WHERE origin = 'CK' AND metric = 'hit_rate'),
          'its baseline is the share of hits in the first 90 days');
SELECT is((SELECT count(*) FROM monitoring_alert WHERE as_of = '2030-12-31' AND hs_chapter = 97), (SELECT count(*) FROM run1),
          'the alerts are recorded');
SELECT is((SELECT count(*) FROM run_monitoring('2030-12-31')), 0::bigint, 'a second run for the same date records nothing new');
-- numeric holds values far beyond float8: one such line is capped, not a failed run
INSERT INTO declaration (declaration_id, declared_on, office_code, importer_id, process_type,
                         import_type, import_use, payment_type, transport, departure_country, source)
VALUES ('M-AQ-huge', '2030-06-01', '40', 'M-IMP', 'A', '11', '21', '11', 'sea', 'AQ', 'test');
INSERT INTO declaration_line (declaration_id, line_no, hs, origin_country, value)
VALUES ('M-AQ-huge', 1, '9701100000', 'AQ', 1e400);
SELECT is((SELECT count(*) FROM run_monitoring('2030-12-30') WHERE origin = 'AQ'), 0::bigint,
          'a value of 1e400 on one day neither fails the run nor raises an alert');
SELECT throws_ok($$SELECT * FROM run_monitoring(NULL)$$, '22004', NULL, 'a NULL date');
SELECT throws_ok($$SELECT * FROM run_monitoring('2030-12-31', 30)$$, '22023', NULL, 'fewer active days than the baseline');

SELECT throws_ok($$SELECT * FROM customs_risk.run_monitoring('infinity')$$, '22023', NULL,
                 'monitoring as of infinity is refused');
SELECT throws_ok($$SELECT * FROM customs_risk.run_monitoring('294277-01-01')$$, '22023', NULL,
                 '... and as of a day past the timestamp range');
SELECT throws_ok($$SELECT customs_risk.report_html('2020-01-01', '294277-01-01')$$, '22023',
                 'report_html(): to_date must be at most 294276-12-31 (the last day a timestamp holds), not 294277-01-01',
                 'a report period that ends past the timestamp range is refused by name');
-- an inspection of a whole declaration counts once in its series, not once a line: two offices
-- with the same inspections and results, one declaring ten lines a day and one a single line,
-- give the same (quiet) hit-rate charts (counted per line, the ten-line office alerted on most days)
SELECT setseed(0.77);
INSERT INTO trader (trader_id, roles) VALUES ('T-MON-IMP', '{importer}');
CREATE TEMP TABLE hitgen AS SELECT d::date AS day, random() < 0.3 AS hit
  FROM generate_series('2026-01-01'::date, '2026-12-31', '1 day') d;
INSERT INTO declaration (declaration_id, declared_on, office_code, importer_id, process_type, import_type,
                         import_use, payment_type, transport, departure_country, source)
SELECT 'T-MON-' || o || '-' || day, day, o, 'T-MON-IMP', 'A', 'A', 'A', 'A', 'sea', 'JP', 't'
  FROM hitgen, (VALUES ('10'), ('30')) v(o);
INSERT INTO declaration_line (declaration_id, line_no, hs, origin_country, value)
SELECT 'T-MON-' || o || '-' || day, k, '8471300000'::hscode, 'JP', 1000
  FROM hitgen, (VALUES ('10', 10), ('30', 1)) v(o, nl), generate_series(1, nl) k;
INSERT INTO inspection (declaration_id, selected_by, inspected_on, result)
SELECT 'T-MON-' || o || '-' || day, 'officer', day, CASE WHEN hit THEN 'minor' ELSE 'none' END::inspection_result
  FROM hitgen, (VALUES ('10'), ('30')) v(o);
SELECT is((SELECT count(*) FROM (SELECT (run_monitoring(d::date)).* FROM generate_series('2026-12-20'::date, '2026-12-31', '1 day') d) x
            WHERE x.hs_chapter = 84 AND x.metric = 'hit_rate'), 0::bigint,
          'a declaration of ten lines inspected once is one inspection in the hit-rate chart');
SELECT * FROM finish();
ROLLBACK;
