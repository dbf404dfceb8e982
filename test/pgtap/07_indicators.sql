-- Risk indicators and ranking evaluation on the bundled sample, end to end.
BEGIN;
SET search_path = customs_risk, public;
SELECT plan(16);

SELECT is((SELECT hit_evidence(o.hit)::text FROM declaration_outcome_v o), '9818/45519',
          'the national evidence: 9,818 hits in 45,519 inspections');
SELECT is((SELECT hit_evidence_merge(e)::text FROM (SELECT hit_evidence(o.hit) AS e FROM declaration_outcome_v o
                                                       GROUP BY o.office) s), '9818/45519',
          'per-office states merge into the national evidence');

-- each HS-6 and origin pair's smoothed 2020 hit rate, scoring the first quarter of 2021
CREATE TEMP TABLE scored AS
WITH past AS (
    SELECT hs_truncate(l.hs, 6) AS hs6, l.origin, hit_evidence(o.hit) AS e
      FROM declaration_line_v l JOIN declaration_outcome_v o USING (declaration_id)
     WHERE l.declared_on < '2021-01-01' AND hs_level(l.hs) >= 6 GROUP BY 1, 2
)
SELECT posterior_mean(coalesce(p.e, '0/0'), 2.2, 7.8) AS score, o.hit
  FROM declaration_line_v l JOIN declaration_outcome_v o USING (declaration_id)
  LEFT JOIN past p ON p.hs6 = hs_truncate(l.hs, 6) AND p.origin = l.origin
 WHERE l.declared_on >= '2021-01-01';
SELECT is((SELECT round(precision_at(score, hit, 0.05)::numeric, 3) FROM scored), 0.723,
          'the HS-6 and origin indicator: precision 0.723 at a 5% inspection rate (base rate 0.209)');
SELECT is((SELECT round(auc(score, hit)::numeric, 3) FROM scored), 0.808, '... AUC 0.808');
SELECT ok((SELECT recall_at(score, hit, 0.05) * (SELECT count(*) FROM scored WHERE hit)
             FROM scored) <= (SELECT ceil(0.05 * count(*)) FROM scored),
          'the hits found at 5% are no more than the declarations inspected');

-- decayed evidence at the ends of the timestamp range, and a state whose weight has all
-- decayed away (both found by a review)
SELECT ok(abs(hits(decay_to('1/2 half-life 100000000 days at 4714-11-24 00:00:00+00 BC', '294276-12-30 00:00:00+00'))
              - 0.4690991331540435) < 1e-12,
          'decaying across the whole timestamp range shrinks the evidence (the time difference overflowed)');
SELECT is((SELECT hit_evidence(h, t, '1 day')::text::hit_evidence::text
             FROM (VALUES (true, '4714-11-24 00:00:00+00 BC'::timestamptz), (false, '294276-12-30')) v(h, t)),
          (SELECT hit_evidence(h, t, '1 day')::text
             FROM (VALUES (true, '4714-11-24 00:00:00+00 BC'::timestamptz), (false, '294276-12-30')) v(h, t)),
          '... and such a state reads back from its text');
SELECT is((WITH o AS (SELECT hit_evidence(true, '2018-01-01'::timestamptz, '1 day') e),
                n AS (SELECT hit_evidence(false, '2021-01-01'::timestamptz, '1 day') e)
           SELECT array[posterior_mean(hit_evidence_merge(decay_to(o.e, '2021-06-01'), n.e)),
                        posterior_mean(decay_to(hit_evidence_merge(o.e, n.e), '2021-06-01'))] FROM o, n),
          '{0.5,0.5}'::float8[],
          'evidence decayed to nothing keeps its time: merging it, then decaying, is decaying, then merging');
SELECT throws_ok($$SELECT '0x3/0xa'::customs_risk.hit_evidence$$, '22P02', NULL, 'hexadecimal counts are refused');
SELECT throws_ok($$SELECT '1/2 half-life 0x10 s at 2020-01-01'::customs_risk.hit_evidence$$, '22P02', NULL,
                 '... and a hexadecimal half-life');
SELECT throws_ok($$SELECT '0/0 half-life 30 days at -infinity'::customs_risk.hit_evidence$$, '22P02', NULL,
                 'a decayed state''s time is finite');
SELECT ok((SELECT c[1] < 0.5 AND c[2] > 0.5 AND c[2] - c[1] < 1e-4 FROM (SELECT credible_interval('500000000/1000000000') c) x),
          'a billion inspections: the interval holds the mean and is narrow (the continued fraction stopped short)');
SELECT throws_ok($$SELECT customs_risk.posterior_mean('3/10', 1e308, 1e308)$$, '22023', NULL,
                 'a prior past 1e15 inspections is refused, not overflowed');
SELECT throws_ok($$SELECT customs_risk.hit_evidence_merge('9007199254740992/9007199254740992', '0/1')$$, '22003', NULL,
                 'counting past 2^53 inspections is an error, not a count that stops moving');
SET LOCAL extra_float_digits = 0;
SELECT is((SELECT hits(e::text::hit_evidence) = hits(e) AND inspections(e::text::hit_evidence) = inspections(e)
             FROM (SELECT hit_evidence(h, t, '45 days') e
                     FROM (VALUES (true, '2021-01-01'::timestamptz), (false, '2021-01-07')) v(h, t)) x),
          true, 'decayed evidence reads back exactly from its text whatever extra_float_digits is');
RESET extra_float_digits;

SELECT ok(customs_risk.quantile('n=9223372036854775807 zeros=0 buckets=0:1,100:9223372036854775806', 1) > 7,
          'the top quantile of a count near 2^63 is the top bucket''s (the rank wrapped to the smallest)');
SELECT * FROM finish();
ROLLBACK;
