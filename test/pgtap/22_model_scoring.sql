-- Scoring's category lookup and binned rows (src/model_codec.h, gbdt_core.h): codes longer
-- than the 16 bytes a lookup slot holds inline, codes that share those 16 bytes, the empty
-- code, unseen codes and NULLs score exactly as the same categories spelt short.
BEGIN;
SET search_path = customs_risk, public;
SET client_min_messages = warning;
SELECT plan(31);

-- one category spelt two ways: short ('A', 'B', 'C', '') and long (a 16-byte prefix, then
-- the short code: 17 bytes, or exactly the 16-byte prefix for ''); each category with its
-- own hit rate (not tied to the training folds, i mod 5), a number beside it (NULL in
-- every 11th row)
CREATE TEMP TABLE spelt AS
SELECT i, (i * 7919 % 100) < CASE i % 7 WHEN 0 THEN 70 WHEN 1 THEN 10 WHEN 2 THEN 40 WHEN 3 THEN 25 ELSE 55 END AS hit,
       s AS short_code, '0123456789abcdef' || s AS long_code,
       CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 31 % 97)::float8 / 7 END AS x
  FROM generate_series(1, 4000) i,
       LATERAL (SELECT CASE i % 7 WHEN 0 THEN 'A' WHEN 1 THEN 'B' WHEN 2 THEN '' WHEN 3 THEN 'C' END AS s) c;

SELECT lives_ok($$SELECT train_model('t_short', 'SELECT hit, short_code AS code, x FROM spelt ORDER BY i', 'hit',
                                     '{"trees": 20, "depth": 3}')$$,
                'a model on short codes');
SELECT lives_ok($$SELECT train_model('t_long', 'SELECT hit, long_code AS code, x FROM spelt ORDER BY i', 'hit',
                                     '{"trees": 20, "depth": 3}')$$,
                'the same rows with the codes spelt 16 and 17 bytes long');

-- the same categories, so the same features, trees and scores to the bit
SELECT is((SELECT count(*) FROM spelt s
            WHERE score('t_short', (SELECT r FROM (SELECT s.short_code AS code, s.x) r)) IS DISTINCT FROM
                  score('t_long', (SELECT r FROM (SELECT s.long_code AS code, s.x) r))), 0::bigint,
          'every row scores the same bits with its code spelt short or long');
SELECT is((SELECT count(DISTINCT score('t_long', (SELECT r FROM (SELECT s.long_code AS code, 1.0::float8 AS x) r)))
             FROM spelt s), 5::bigint,
          'codes sharing their first 16 bytes (and the 16-byte code itself) are five categories, NULL among them');

-- unseen codes: past the inline bytes, within them, empty-prefixed; all score as "never seen"
SELECT is((SELECT array_agg(DISTINCT score('t_long', r)) FROM
             (VALUES ('0123456789abcdefZ', 1.0::float8), ('0123456789abcdeF', 1.0), ('0123456789abcdefAA', 1.0),
                     ('0123456789abcde', 1.0), ('zz', 1.0)) r(code, x)),
          (SELECT array_agg(score('t_short', r)) FROM (VALUES ('never seen', 1.0::float8)) r(code, x)),
          'an unseen code scores as any unseen code, however much it shares with a known one');

-- a number's bin: values on either side of every threshold the model splits on score as
-- the explanation (which walks the unbinned features) says
SELECT ok((SELECT bool_and(abs(e.total - ln(s / (1 - s))) < 1e-9)
             FROM (SELECT r, score('t_long', r) s
                     FROM (SELECT c AS code, v / 14.0 AS x FROM generate_series(-20, 220) v,
                                  unnest(ARRAY['0123456789abcdefA', '0123456789abcdef']) c
                           UNION ALL SELECT '0123456789abcdefB', NULL) r) y,
                  LATERAL (SELECT sum(contribution) total FROM score_explain('t_long', y.r)) e),
          'scores of numbers across the whole range, and NULL, agree with the explanation');

-- NaN and infinity are still refused when binned
SELECT throws_ok($$SELECT score('t_long', r) FROM (SELECT 'x'::text AS code, 'infinity'::float8 AS x) r$$, '22003',
                 NULL, 'an infinite number is an error, not a bin');
SELECT throws_ok($$SELECT score('t_long', r) FROM (SELECT 'x'::text AS code, 1e400::numeric AS x) r$$, '22003',
                 'column "x" is beyond the range of double precision, which models compute in',
                 'a numeric too large for double precision is named as such, not as infinite');
SELECT throws_ok($$SELECT score('t_long', r) FROM (SELECT 'x'::text AS code, 'infinity'::numeric AS x) r$$, '22003',
                 'column "x" is infinite', '... and an infinite numeric as infinite');
SELECT throws_ok($$SELECT customs_risk.score_columns('t_long', 999999::regtype, '(0,0)', ARRAY['code', 'x'], 'a'::text, 1.0)$$,
                 '22023', 'type 999999 is not a row type', 'score_columns with a row type that is no type is an error');

-- a table scan reads the columns directly (score_columns, binned by a plan per call site):
-- codes as varchar and char(n), numbers as numeric, score as the row form does
CREATE TEMP TABLE typed AS SELECT i, short_code::varchar AS code, x::numeric AS x FROM spelt;
CREATE TEMP TABLE padded AS SELECT i, short_code::char(20) AS code, x FROM spelt;
SELECT is((SELECT count(*) FROM typed t JOIN spelt s USING (i)
            WHERE score('t_short', t) IS DISTINCT FROM score('t_short', (SELECT r FROM (SELECT s.short_code AS code, s.x) r))),
          0::bigint, 'a table of varchar codes and numeric numbers scores as the row form, to the bit');
SELECT is((SELECT count(*) FROM padded t JOIN spelt s USING (i)
            WHERE score('t_short', t) IS DISTINCT FROM score('t_short', (SELECT r FROM (SELECT s.short_code AS code, s.x) r))),
          0::bigint, '... and char(n) codes, without their padding');
-- codes too long for a short header (stored with a 4-byte one) take the general path
CREATE TEMP TABLE wide AS
SELECT i, hit, repeat('0123456789', 20) || short_code AS code, x FROM spelt;
SELECT lives_ok($$SELECT train_model('t_wide', 'SELECT hit, code, x FROM wide ORDER BY i', 'hit', '{"trees": 20, "depth": 3}')$$,
                'a model on 200-byte codes');
SELECT is((SELECT count(*) FROM wide w
            WHERE score('t_wide', w) IS DISTINCT FROM score('t_wide', (SELECT r FROM (SELECT w.code, w.x) r))),
          0::bigint, 'a table of 200-byte codes scores as the row form');
-- codes stored out of line (TOAST): a category read through its pointer would be garbage
-- (training crashed on it); the same codes kept inline give the same model and scores
CREATE TEMP TABLE toasted (i int, hit boolean, code text, x float8);
ALTER TABLE toasted ALTER COLUMN code SET STORAGE EXTERNAL;
INSERT INTO toasted SELECT i, hit, repeat('x', 3000) || short_code, x FROM spelt;
CREATE TEMP TABLE inline_copy AS SELECT i, hit, code || '' AS code, x FROM toasted;
SELECT cmp_ok((SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = 'toasted'::regclass), '>', 4000 * 2000::bigint,
              'the codes are stored out of line');
SELECT lives_ok($$SELECT train_model('t_toasted', 'SELECT hit, code, x FROM toasted ORDER BY i', 'hit', '{"trees": 20, "depth": 3}')$$,
                'a model on codes stored out of line');
SELECT lives_ok($$SELECT train_model('t_inline', 'SELECT hit, code, x FROM inline_copy ORDER BY i', 'hit', '{"trees": 20, "depth": 3}')$$,
                '... and on the same codes held inline');
SELECT is((SELECT count(*) FROM toasted t JOIN inline_copy c USING (i)
            WHERE score('t_toasted', t) IS DISTINCT FROM score('t_inline', c)
               OR score('t_inline', t) IS DISTINCT FROM score('t_inline', c)), 0::bigint,
          'codes stored out of line score as the same codes inline, with either model');
SELECT cmp_ok((SELECT count(DISTINCT score('t_toasted', t)) FROM toasted t), '>', 5::bigint,
              '... and the model tells the categories apart');
-- a categorical column's type spells its categories: integer 0 is not numeric 0.0 nor a
-- boolean, so a row of another kind of type is an error, not a silently unseen category
CREATE TEMP TABLE int_codes AS SELECT i, (i * 7919 % 100) < 20 + 20 * (i % 3) AS hit, (i % 3)::int4 AS k FROM generate_series(1, 3000) i;
SELECT lives_ok($$SELECT train_model('t_intcat', 'SELECT hit, k FROM int_codes ORDER BY i', 'hit', '{"trees": 5, "categorical": ["k"]}')$$,
                'a model on an integer column made categorical');
SELECT is((SELECT score('t_intcat', r) FROM (SELECT 0::int8 AS k) r), (SELECT score('t_intcat', r) FROM (SELECT 0::int4 AS k) r),
          'an int8 column scores as the int4 one trained on');
SELECT throws_ok($$SELECT score('t_intcat', r) FROM (SELECT 0.0::numeric AS k) r$$, '42804',
                 'risk model "t_intcat" was trained on column "k" as an integer, but the row''s is numeric',
                 'a numeric column for an integer category is an error');
SELECT throws_ok($$SELECT score('t_intcat', r) FROM (SELECT false AS k) r$$, '42804', NULL, '... and so is a boolean');
SELECT throws_ok($$SELECT score('t_intcat', r) FROM (SELECT '0'::text AS k) r$$, '42804', NULL, '... and a text');
SELECT lives_ok($$SELECT train_model('t_f8cat', 'SELECT hit, (k + 0.1)::float8 AS k FROM int_codes ORDER BY i', 'hit',
                                     '{"trees": 5, "categorical": ["k"]}')$$, 'a model on a float8 column made categorical');
SELECT throws_ok($$SELECT score('t_f8cat', r) FROM (SELECT 0.1::real AS k) r$$, '42804', NULL,
                 'a real column for a double precision category is an error (their keys differ for 0.1)');
-- a column the trees never split on (constant in training) is not read: a NaN there scores,
-- and explains with no contribution, the same as score()
SELECT lives_ok($$SELECT train_model('t_unused', 'SELECT hit, short_code AS code, 1.0::float8 AS z FROM spelt ORDER BY i', 'hit',
                                     '{"trees": 5, "depth": 2}')$$, 'a model with a column it never splits on');
SELECT is((SELECT score('t_unused', r) FROM (SELECT 'A'::text AS code, 'NaN'::float8 AS z) r),
          (SELECT score('t_unused', r) FROM (SELECT 'A'::text AS code, 1.0::float8 AS z) r),
          'a NaN in that column scores as any value');
SELECT is((SELECT contribution FROM (SELECT 'A'::text AS code, 'NaN'::float8 AS z) r, score_explain('t_unused', r) e
            WHERE e.feature = 'z'), 0::float8,
          '... and score_explain gives it no contribution instead of an error');
-- bad numbers in a table scan are the same errors
CREATE TEMP TABLE bad_numbers AS SELECT 'A'::text AS code, v AS x FROM (VALUES ('NaN'::float8), ('-infinity')) b(v);
SELECT throws_ok($$SELECT score('t_short', b) FROM bad_numbers b WHERE x::text = 'NaN'$$, '22003',
                 'column "x" is NaN', 'a NaN in a scanned float8 column is an error');
SELECT throws_ok($$SELECT score('t_short', b) FROM bad_numbers b WHERE x < 0$$, '22003',
                 'column "x" is infinite', '... and so is an infinite one');

SELECT * FROM finish();
ROLLBACK;
