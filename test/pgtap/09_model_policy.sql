-- A risk model in the channel decision: an office policy with model thresholds and a
-- model-ranked top-up, criteria that use the model score, decide() and the batch agreeing.
BEGIN;
SET search_path = customs_risk, public;
SET client_min_messages = warning;
SELECT plan(22);

SELECT lives_ok($$SELECT train_model('t_policy',
    $q$SELECT o.hit, m.declared_on, m.office, m.transport, m.departure, m.hs, m.origin, m.origin_indicator, m.tax_type,
              m.tax_rate, m.value, m.unit_value, m.importer, m.declarant, m.seller, m.hs6_origin, m.hs6_origin_tax,
              m.hs10_origin, m.hs6_departure
         FROM model_line_v m JOIN declaration_outcome_v o USING (declaration_id)
        WHERE m.declared_on < '2021-01-01'$q$, 'hit', '{"trees": 40}')$$,
    'a model trained on model_line_v columns');

SELECT throws_ok($$INSERT INTO channel_policy (office_code, model_name) VALUES ('40', 'no_such_model')$$, '23503', NULL,
                 'a policy names a model that exists');
SELECT throws_ok($$INSERT INTO channel_policy (office_code, model_red) VALUES ('40', 0.9)$$, '23514', NULL,
                 'thresholds need a model');
SELECT throws_ok($$INSERT INTO channel_policy (office_code, model_name, model_yellow, model_red) VALUES ('40', 't_policy', 0.9, 0.5)$$,
                 '23514', NULL, 'the yellow threshold is not above the red one');
INSERT INTO channel_policy (office_code, model_name, model_yellow, model_red, random_rate)
VALUES ('40', 't_policy', 0.5, 0.8, 0);
SELECT throws_ok($$DELETE FROM model WHERE name = 't_policy'$$, '23503', NULL, 'a model a policy uses cannot be dropped');

-- one declaration of house 40 the model scores high, and one it scores low
CREATE TEMP TABLE q1 AS
SELECT d.declaration_id, declaration_model_score('t_policy', d.declaration_id) AS ms
  FROM declaration d WHERE d.office_code = '40' AND d.declared_on >= '2021-01-01';
SELECT declaration_id AS hi FROM q1 WHERE ms >= 0.8 ORDER BY ms DESC, declaration_id LIMIT 1 \gset
SELECT declaration_id AS lo FROM q1 WHERE ms < 0.5 ORDER BY ms, declaration_id LIMIT 1 \gset
CREATE TEMP TABLE dec AS SELECT (decide(:'hi')).* UNION ALL SELECT (decide(:'lo')).*;
SELECT is((SELECT channel FROM dec WHERE declaration_id = :'hi'), 'red'::channel, 'a model score at or above the red threshold sends red');
SELECT ok((SELECT reasons[cardinality(reasons)] LIKE 'risk model t_policy scored 0.%, at or above its red threshold' FROM dec WHERE declaration_id = :'hi'),
          'the reason names the model, its score and the threshold');
SELECT is((SELECT model_score FROM dec WHERE declaration_id = :'hi'), (SELECT ms FROM q1 WHERE declaration_id = :'hi'),
          'the decision carries the declaration''s model score (its highest line)');
SELECT is((SELECT channel FROM dec WHERE declaration_id = :'lo'), 'green'::channel, 'a low score leaves a declaration without hits green');
SELECT is((SELECT model_name || ' ' || round(model_score::numeric, 6) FROM decision_log WHERE declaration_id = :'hi' ORDER BY decision_id DESC LIMIT 1),
          't_policy ' || round((SELECT ms FROM q1 WHERE declaration_id = :'hi')::numeric, 6), 'the log keeps the model and its score');

-- the batch: model thresholds and a top-up ranked by model score, agreeing with decide(); a
-- third of the day's declarations get the goods of two others as more lines, so a
-- declaration's model score is its highest line's, gathered by the batch itself
INSERT INTO declaration_line (declaration_id, line_no, hs, origin_country, origin_indicator, tax_type, tax_rate, net_mass, value)
SELECT a.declaration_id, 1 + k, b.hs, b.origin_country, b.origin_indicator, b.tax_type, b.tax_rate, b.net_mass, b.value
  FROM (SELECT d.declaration_id, row_number() OVER (ORDER BY d.declaration_id) AS rn FROM declaration d
         WHERE d.declared_on = '2021-02-02' AND d.office_code = '40') a
  CROSS JOIN generate_series(1, 2) k
  JOIN (SELECT l.*, row_number() OVER (ORDER BY l.declaration_id DESC) AS rn FROM declaration_line l) b ON b.rn = a.rn + 11 * k
 WHERE a.rn % 3 = 0;
UPDATE channel_policy SET topup_by = 'model', share_red = 0.05, share_yellow = 0.2, share_blue = 0 WHERE office_code = '40';
CREATE TEMP TABLE day AS SELECT * FROM select_for_day('2021-02-02', '40');
SELECT ok((SELECT by_model > 0 FROM day), 'the batch selects by model score');
CREATE TEMP TABLE batch AS
SELECT l.declaration_id, l.channel, l.selected_by, l.model_score FROM decision_log l
 WHERE l.selected_by LIKE 'batch-%' AND l.office_code = '40' AND l.decided_at = (SELECT max(decided_at) FROM decision_log);
SELECT is((SELECT count(*) FROM batch b, LATERAL decide(b.declaration_id) d
            WHERE b.selected_by IN ('batch-profile', 'batch-model', 'batch-green')
              AND (d.channel <> b.channel OR d.model_score IS DISTINCT FROM b.model_score)), 0::bigint,
          'every batch decision before the top-up is what decide() gives, model score included');
SELECT cmp_ok((SELECT count(*) FROM batch b
                WHERE b.model_score > (SELECT customs_risk.score('t_policy', m) FROM model_line_v m
                                        WHERE m.declaration_id = b.declaration_id AND m.line_no = 1)), '>', 0::bigint,
              '... among them declarations whose model score is another line''s than their first');
SELECT ok((SELECT min(model_score) FROM batch WHERE selected_by = 'batch-topup')
          >= (SELECT max(model_score) FROM batch WHERE selected_by = 'batch-green'),
          'the top-up takes the greens with the highest model scores');


-- criteria can use the model score
SELECT ok((SELECT x @@ 'model_score > 0.5'::criteria FROM (SELECT 0.7::float8 AS model_score) x), 'model_score is a criteria field');
SELECT ok((SELECT (x @@ 'model_score > 0.5'::criteria) IS NOT TRUE FROM (SELECT 'CN'::text AS origin) x),
          'a row without a model score does not satisfy a model_score condition');
INSERT INTO profile (name, criteria, channel, weight, description, status, valid_from, owner_office)
VALUES ('model and origin', 'model_score >= 0.5 and origin <> ZZ', 'yellow', 1, 'the model is confident', 'active', '2020-01-01', 'NRC');
SELECT ok((SELECT (SELECT profile_id FROM profile WHERE name = 'model and origin') = ANY (profile_ids) FROM decide(:'hi')),
          'a profile on the model score matches in decide() for an office whose policy has the model');

-- the rule itself: thresholds inclusive, NULL means no effect, out-of-range arguments refused
SELECT is(ARRAY[customs_risk.model_channel(0.8, 0.5, 0.8), customs_risk.model_channel(0.5, 0.5, 0.8),
                customs_risk.model_channel(0.49, 0.5, 0.8), customs_risk.model_channel(NULL, 0.5, 0.8),
                customs_risk.model_channel(0.9, NULL, NULL)],
          ARRAY['red', 'yellow', 'green', 'green', 'green']::customs_risk.channel[],
          'model_channel: each threshold reached counts, a NULL score or threshold has no effect');
SELECT throws_ok($$SELECT customs_risk.model_channel('NaN', 0.4, 0.6)$$, '22023', 'model score must lie in [0, 1], not NaN',
                 'a NaN score is refused (NaN sorts above every number, and read as red)');
SELECT throws_ok($$SELECT customs_risk.model_channel(1.5, 0.4, 0.6)$$, '22023', 'model score must lie in [0, 1], not 1.5',
                 'a score above 1 is refused');
SELECT throws_ok($$SELECT customs_risk.model_channel(0.5, 'NaN', 0.6)$$, '22023', 'model thresholds must lie in [0, 1], not NaN and 0.6',
                 'a NaN threshold is refused');
SELECT throws_ok($$SELECT customs_risk.model_channel(0.5, 0.7, 0.6)$$, '22023', 'the yellow threshold 0.7 is above the red one 0.6',
                 'a yellow threshold above the red one is refused');

SELECT * FROM finish();
ROLLBACK;
