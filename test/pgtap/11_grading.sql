-- Trader grading: each rule fired by a trader built for it and missed by one built to just
-- miss it, certification and its lapse, idempotence, the effective-dated history, and the
-- inspection rates the channel decision gives each grade on a generated month.
BEGIN;
SET search_path = customs_risk, public;
SET client_min_messages = warning;
SELECT plan(47);

-- synthetic traders declaring in 2029 (the sample ends in 2021, outside every rule's period)
INSERT INTO trader (trader_id, roles)
SELECT t, '{importer}' FROM unnest(ARRAY['T-CRIT', 'T-CRIT-OLD', 'T-SHARE', 'T-SHARE-MISS', 'T-BASE', 'T-ERR',
                                         'T-ERR-MISS', 'T-CERT', 'T-CERT-LAPSED', 'T-NEW', 'T-OLD', 'T-EXP']) t;
-- n declarations of a trader, the first k of them with a finding (critical when said), from a day on
CREATE FUNCTION pg_temp.declare(trader text, n int, k int, first_day date, critical boolean DEFAULT false)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO customs_risk.declaration (declaration_id, declared_on, office_code, importer_id, process_type,
                                          import_type, import_use, payment_type, transport, departure_country, source)
    SELECT trader || '-' || to_char(first_day, 'YYYYMMDD') || '-' || g, first_day + (g % 28), '40', trader,
           'A', '11', '21', '11', 'sea', 'CN', 'test'
      FROM generate_series(1, n) g;
    INSERT INTO customs_risk.inspection (declaration_id, selected_by, inspected_on, result)
    SELECT trader || '-' || to_char(first_day, 'YYYYMMDD') || '-' || g, 'officer', first_day + (g % 28),
           CASE WHEN g <= k THEN (CASE WHEN critical THEN 'critical' ELSE 'minor' END)::customs_risk.inspection_result
                ELSE 'none' END
      FROM generate_series(1, n) g;
$$;
SELECT pg_temp.declare('T-CRIT', 50, 1, '2029-08-01', true);       -- critical finding 5 months before: dishonest
SELECT pg_temp.declare('T-CRIT-OLD', 50, 1, '2028-11-01', true);   -- 14 months before: outside the year
SELECT pg_temp.declare('T-CRIT-OLD', 2000, 0, '2029-03-01');
SELECT pg_temp.declare('T-SHARE', 1000, 2, '2029-02-01');          -- 2 per 1,000: above 1 per 1,000
SELECT pg_temp.declare('T-SHARE-MISS', 1000, 1, '2029-02-01');     -- exactly 1 per 1,000: not above
SELECT pg_temp.declare('T-CERT', 100, 0, '2029-06-01');
SELECT pg_temp.declare('T-CERT-LAPSED', 100, 1, '2029-06-01', true);
SELECT pg_temp.declare('T-NEW', 10, 0, '2029-11-01');
SELECT pg_temp.declare('T-OLD', 10, 0, '2027-01-01');
SELECT pg_temp.declare('T-OLD', 10, 0, '2029-03-01');
INSERT INTO trader_certification (trader_id, level, valid_from, audit_reference) VALUES
    ('T-CERT', 'advanced_certified', '2029-01-01', 'AUD-1'), ('T-CERT-LAPSED', 'general_certified', '2029-01-01', 'AUD-2');
-- certified until February 2030, and no declarations at all
INSERT INTO trader_certification (trader_id, level, valid_from, valid_to, audit_reference)
VALUES ('T-EXP', 'advanced_certified', '2029-06-01', '2030-02-01', 'AUD-3');
-- the sample traders declared years ago and become general credit; keep the result to the test's traders
CREATE TEMP TABLE g1 AS SELECT * FROM grade_traders('2030-01-01') WHERE trader_id LIKE 'T-%';

SELECT is((SELECT new_grade FROM g1 WHERE trader_id = 'T-CRIT'), 'dishonest'::trader_grade, 'a critical finding in the year: dishonest');
SELECT ok((SELECT reasons[1] LIKE 'critical violation: 1 critical finding(s)%' FROM g1 WHERE trader_id = 'T-CRIT'), '... with the reason');
SELECT is((SELECT new_grade FROM g1 WHERE trader_id = 'T-CRIT-OLD'), 'general_credit'::trader_grade,
          'a critical finding 14 months back is outside the year (and 1 in 2,050 is below 1 per 1,000)');
SELECT is((SELECT new_grade FROM g1 WHERE trader_id = 'T-SHARE'), 'dishonest'::trader_grade, '2 violations in 1,000 declarations: dishonest');
SELECT is((SELECT new_grade FROM g1 WHERE trader_id = 'T-SHARE-MISS'), 'general_credit'::trader_grade, '1 in 1,000 is not above the share');
SELECT is((SELECT new_grade FROM g1 WHERE trader_id = 'T-CERT'), 'advanced_certified'::trader_grade, 'an audited certification gives its grade');
SELECT is((SELECT new_grade || ' ' || certification_lapsed FROM g1 WHERE trader_id = 'T-CERT-LAPSED'), 'dishonest true',
          'a certified trader with a critical finding is dishonest and flagged as no longer meeting the conditions');
SELECT ok((SELECT reasons @> ARRAY['new trader: first declaration 2029-11-02'] FROM g1 WHERE trader_id = 'T-NEW'), 'a new trader is general credit, as new');
SELECT is((SELECT reasons FROM g1 WHERE trader_id = 'T-OLD'), ARRAY['general credit: no rule applies'], 'an old clean trader: general credit');

SELECT is((SELECT count(*) FROM grade_traders('2030-01-01')), 0::bigint, 'grading again for the same date changes nothing');

-- the error-rate rule alone (the others switched off: rules are rows)
INSERT INTO grading_rule (rule, enabled, threshold, lookback) VALUES
    ('violation_share', false, 0.001, '1 year'), ('critical_violation', false, 1, '1 year');
SELECT pg_temp.declare('T-BASE', 1000, 50, '2030-03-01');       -- 5%
SELECT pg_temp.declare('T-ERR', 100, 13, '2030-03-01');         -- 13% > 2 x 75 / 1,200 (6.25%)
SELECT pg_temp.declare('T-ERR-MISS', 100, 12, '2030-03-01');    -- 12% < 12.5%
CREATE TEMP TABLE g2 AS SELECT * FROM grade_traders('2030-04-01') WHERE trader_id LIKE 'T-%';
SELECT is((SELECT new_grade FROM g2 WHERE trader_id = 'T-ERR'), 'dishonest'::trader_grade,
          'an error rate above twice the national one in the quarter: dishonest');
SELECT is((SELECT reasons[1] FROM g2 WHERE trader_id = 'T-ERR'), 'error rate 0.1300 since 2030-01-01, above 2 times the national 0.0625',
          '... with the figures');
SELECT ok(NOT EXISTS (SELECT 1 FROM g2 WHERE trader_id IN ('T-ERR-MISS', 'T-BASE') AND new_grade = 'dishonest'),
          'just under twice the national rate is not');
SELECT is((SELECT old_grade || ' -> ' || new_grade FROM g2 WHERE trader_id = 'T-EXP'), 'advanced_certified -> general_credit',
          'a certificate that expired takes its grade with it, declarations or not');
SELECT is((SELECT old_grade || ' -> ' || new_grade FROM g2 WHERE trader_id = 'T-CRIT'), 'dishonest -> general_credit',
          'with its rule switched off, the critical trader is graded again and the change returned');

-- the history: effective-dated, no overlaps, one current row each
SELECT is((SELECT valid_from || '..' || valid_to FROM trader_grade_history WHERE trader_id = 'T-CRIT' AND grade = 'dishonest'),
          '2030-01-01..2030-04-01', 'the replaced grade is closed on the new grading date');
SELECT is((SELECT count(*) FROM trader_grade_history a JOIN trader_grade_history b
             ON a.trader_id = b.trader_id AND a.valid_from < b.valid_from
            AND daterange(a.valid_from, a.valid_to) && daterange(b.valid_from, b.valid_to)), 0::bigint,
          'no two grades of a trader overlap');
SELECT is(trader_grade_on('T-CRIT', '2030-02-15'), 'dishonest'::trader_grade, 'trader_grade_on reads the history by date');
-- the same date graded again with the rules back on: the critical trader's grade before it returns
DELETE FROM grading_rule;
SELECT is((SELECT old_grade || ' -> ' || new_grade FROM grade_traders('2030-04-01') WHERE trader_id = 'T-CRIT'),
          'general_credit -> dishonest', 'grading a date again replaces that date''s grades');
SELECT is((SELECT string_agg(grade || ' ' || valid_from || '..' || coalesce(valid_to::text, ''), ', ' ORDER BY valid_from)
             FROM trader_grade_history WHERE trader_id = 'T-CRIT'), 'dishonest 2030-01-01..',
          '... and the grade before it is reopened, not written twice in a row');
SELECT throws_ok($$SELECT * FROM grade_traders('2029-06-01')$$, '22023', NULL, 'grading runs forward in time');
SELECT throws_ok($$SELECT * FROM grade_traders(NULL)$$, '22004', NULL, 'a NULL date is refused');
SELECT throws_ok($$INSERT INTO grading_rule (rule, threshold, lookback) VALUES ('made_up', 1, '1 year')$$, '23514', NULL,
                 'an unknown rule is refused');

-- the dossier and the ranking
CREATE TEMP TABLE dossier AS SELECT trader_dossier('T-CRIT') AS d;
SELECT is((SELECT (d -> 'compliance' ->> 'declarations') || '/' || (d -> 'compliance' ->> 'hits') || '/' || (d -> 'compliance' ->> 'critical') FROM dossier),
          '50/1/1', 'the dossier''s compliance: 50 declarations, 1 hit, critical');
SELECT is((SELECT jsonb_array_length(d -> 'activity_by_month') FROM dossier), 1, 'its activity by month (all in August 2029)');
SELECT is((SELECT string_agg(g ->> 'grade', ',' ORDER BY g ->> 'valid_from') FROM dossier, jsonb_array_elements(d -> 'grade_history') g),
          'dishonest', 'its grade history with reasons (dishonest since 2030-01-01, reopened above)');
SELECT is((SELECT d -> 'recent_changes' -> 'new_origins' FROM (SELECT trader_dossier('T-OLD') AS d) x), '[]'::jsonb,
          'no new origin for a trader that always imports from CN');
SELECT is((SELECT jsonb_array_length(trader_dossier('T-CRIT', '2030-02-01') -> 'grade_history')), 1,
          'a dossier as of a past day shows the grades up to that day only');
SELECT throws_ok($$SELECT trader_dossier('NO-SUCH')$$, 'P0002', NULL, 'an unknown trader');
SELECT throws_ok($$SELECT trader_dossier(NULL)$$, '22004', NULL, 'a NULL trader');
SELECT ok((SELECT bool_and(smoothed_hit_rate <= prev) FROM (
             SELECT smoothed_hit_rate, lag(smoothed_hit_rate, 1, 'infinity') OVER (ORDER BY rank) AS prev
               FROM trader_risk_ranking('2029-01-01', '2030-04-01')) x)
          AND (SELECT trader_id FROM trader_risk_ranking('2029-01-01', '2030-04-01') WHERE rank = 1) = 'T-ERR',
          'traders ranked by smoothed hit rate, the one with 13% findings first');

-- a generated month: the decisions give each grade its inspection rate (under a fixed key, so
-- the keyed draws, and the rates, are the same in every run)
DELETE FROM selection_secret;
INSERT INTO selection_secret (secret) VALUES (sha256(convert_to('customs_risk grading test key', 'UTF8')));
SELECT lives_ok($$SELECT * FROM generate_declarations(12000, n_importers => 600, seed => 11, label => 'tg',
                                                     first_day => '2031-01-01', n_days => 28, inspected_share => 0)$$,
                'a generated month');
DELETE FROM grading_rule;
INSERT INTO trader_certification (trader_id, level, valid_from, audit_reference)
SELECT trader_id, 'advanced_certified', '2030-06-01', 'AUD-G' FROM trader WHERE trader_id ~ '^tg-I000000[0-5]';
-- dishonest: a critical finding on an earlier declaration of every importer ending in 7
SELECT pg_temp.declare(t.trader_id, 1, 1, '2030-10-01', true) FROM trader t WHERE t.trader_id ~ '^tg-I.*7$';
SELECT lives_ok($$SELECT count(*) FROM grade_traders('2031-01-01')$$, 'graded on the first day of the month');
SELECT lives_ok($$SELECT count(*) FROM generate_series('2031-01-01'::date, '2031-01-28', '1 day') d, LATERAL select_for_day(d::date)$$,
                'every day of the month selected in batch');
CREATE TEMP TABLE rep AS SELECT * FROM grade_inspection_report('2031-01-01', '2031-01-29');
SELECT ok((SELECT bool_and(meets_target) AND count(*) FILTER (WHERE declarations > 100) = 3 FROM rep
            WHERE grade IN ('advanced_certified', 'general_credit', 'dishonest')),
          'advanced certified below 20% of the general-credit rate, dishonest above 80%: ' ||
          (SELECT string_agg(grade || ' ' || declarations || '/' || round(inspection_rate::numeric, 3), ', ') FROM rep));

SELECT throws_ok($$SELECT * FROM customs_risk.grade_traders('infinity')$$, '22023', NULL,
                 'grading as of infinity is refused (no finite date could be graded after it)');
SELECT throws_ok($$SELECT * FROM customs_risk.grade_traders('5874897-12-31')$$, '22023',
                 'grade_traders(): as_of must be at most 294276-12-31 (the last day a timestamp holds), not 5874897-12-31',
                 '... and so is a date past the timestamp range, by name (it was a bare 22008)');
SELECT throws_ok($$SELECT customs_risk.trader_dossier((SELECT min(trader_id) FROM customs_risk.trader), 'infinity')$$, '22023', NULL,
                 'a dossier as of infinity is refused');
SELECT throws_ok($$SELECT * FROM customs_risk.grade_inspection_report('2020-01-01', '294277-01-01')$$, '22023',
                 'grade_inspection_report(): to_day must be at most 294276-12-31 (the last day a timestamp holds), not 294277-01-01',
                 'a half-open report names its bound to_day');
SELECT throws_ok($$SELECT * FROM customs_risk.trader_risk_ranking('2021-01-01', '2020-01-01')$$, '22023', NULL,
                 'a reversed period is an error in trader_risk_ranking (it gave no rows)');
SELECT throws_ok($$SELECT * FROM customs_risk.grade_inspection_report('2021-01-01', '2020-01-01')$$, '22023', NULL,
                 '... and in grade_inspection_report (it gave rows of zeros)');
SELECT throws_ok($$SELECT * FROM customs_risk.grade_inspection_report('2020-01-01', '2021-01-01', 'NO-SUCH')$$, 'P0002',
                 'office ''NO-SUCH'' does not exist', 'an unknown office is an error (it gave rows of zeros)');
SELECT throws_ok($$SELECT * FROM customs_risk.grade_inspection_report('2020-01-01', '2021-01-01',
                                                                      (SELECT min(office_code) FROM customs_risk.office WHERE level = 'district'))$$,
                 '22023', NULL, '... and so is a district centre, where no declaration is lodged');
-- the grade rule itself: a kept selection below the factor, a least rate below min_rate
SELECT is(ARRAY[customs_risk.grade_channel('red', 0.3, 0.5, NULL), customs_risk.grade_channel('red', 0.5, 0.5, NULL),
                customs_risk.grade_channel('green', 0.01, NULL, 0.05), customs_risk.grade_channel('green', 0.05, NULL, 0.05),
                customs_risk.grade_channel('yellow', 0.9, NULL, NULL)],
          ARRAY['red', 'green', 'yellow', 'green', 'yellow']::customs_risk.channel[],
          'grade_channel: selections kept below the factor, yellow below the least rate, unchanged without either');
SELECT throws_ok($$SELECT customs_risk.grade_channel('red', 'NaN', 0.5, NULL)$$, '22023', 'grade_draw must lie in [0, 1), not NaN',
                 'a NaN draw is refused');
SELECT throws_ok($$SELECT customs_risk.grade_channel('red', 1, 0.5, NULL)$$, '22023', 'grade_draw must lie in [0, 1), not 1',
                 'a draw of 1 is refused');
SELECT throws_ok($$SELECT customs_risk.grade_channel('red', 0.5, 'NaN', NULL)$$, '22023',
                 'rate_factor and min_rate must lie in [0, 1], not NaN and NULL', 'a NaN factor is refused');

SELECT * FROM finish();
ROLLBACK;
