-- Risk indicators: hit_evidence, its aggregates and the smoothed hit rate.
SET search_path = customs_risk, public;
SET timezone = 'UTC';
SET extra_float_digits = 0;
SET datestyle = 'ISO, YMD';

-- text I/O round trips
SELECT e::text, e::text::hit_evidence::text = e::text AS round_trip
  FROM (VALUES ('3/10'::hit_evidence), ('0/0'), (' 7/7 '),
               ('2.5/7.25 half-life 30 days at 2021-03-31 00:00:00+00'),
               ('0.5/1.5 half-life 3600 s at 2021-01-01 12:00:00+00'),
               ('0/0 half-life 1.5 days')) v(e);

-- bad input: each is 22P02 and says what is wrong
CREATE FUNCTION pg_temp.try(input text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    PERFORM input::customs_risk.hit_evidence;
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || SQLERRM || coalesce(' / ' || nullif(detail, ''), '');
END $$;
SELECT input, pg_temp.try(input) AS result
  FROM unnest(ARRAY['', '3', '3/', '/10', 'a/b', '11/10', '-1/10', '3/-10', '1.5/10', 'nan/10', '3/inf',
                    '3/10 extra', '3/10 half-life', '3/10 half-life 30', '3/10 half-life 0 days',
                    '3/10 half-life -5 s', '3/10 half-life 30 weeks', '3/10 half-life 30 days',
                    '3/10 half-life 30 days at', '3/10 half-life 30 days at never',
                    '3/10 half-life 30 days at infinity', '1e300/1e301']) AS input;

-- the aggregate: NULL outcomes (not inspected) are skipped
SELECT hit_evidence(hit) FROM (VALUES (true), (false), (NULL), (true), (false)) v(hit);
SELECT hit_evidence(hit) FROM (VALUES (NULL::boolean)) v(hit);
SELECT hits(e), inspections(e), round(posterior_mean(e)::numeric, 6) AS mean_uniform_prior,
       round(posterior_mean(e, 2, 98)::numeric, 6) AS mean_2pct_prior
  FROM (SELECT '3/10'::hit_evidence AS e) x;
-- the credible interval: Beta(4, 8) under the uniform prior
SELECT array(SELECT round(b::numeric, 6) FROM unnest(credible_interval('3/10')) b) AS ci95,
       array(SELECT round(b::numeric, 6) FROM unnest(credible_interval('3/10', 0.5)) b) AS ci50,
       array(SELECT round(b::numeric, 6) FROM unnest(credible_interval('0/0')) b) AS prior_only;
-- more evidence, narrower interval; no evidence, the prior
SELECT round(posterior_mean('0/0', 1, 49)::numeric, 4) AS prior_mean,
       (credible_interval('300/1000'))[2] - (credible_interval('300/1000'))[1]
         < (credible_interval('3/10'))[2] - (credible_interval('3/10'))[1] AS narrower;
SELECT posterior_mean('3/10', 0, 1);
SELECT posterior_mean('3/10', 1, 'nan');
SELECT credible_interval('3/10', 1);
SELECT credible_interval('3/10', 0);

-- merging stored states gives what one aggregate over all rows gives
CREATE TEMP TABLE outcomes AS
SELECT i, (i % 7 = 0) AS hit, timestamptz '2021-01-01' + (i % 90) * interval '1 day' AS at, i % 3 AS part
  FROM generate_series(1, 3000) i;
SELECT (SELECT hit_evidence(hit) FROM outcomes)::text AS all_at_once,
       (SELECT hit_evidence_merge(e) FROM (SELECT hit_evidence(hit) AS e FROM outcomes GROUP BY part) p)::text AS merged;
-- decayed: a hit 30 days before the latest weighs a half
SELECT hit_evidence(hit, at, '30 days') FROM (VALUES (true, timestamptz '2021-01-01'), (false, '2021-01-31')) v(hit, at);
SELECT hit_evidence(hit, at, '30 days') FROM (VALUES (false, timestamptz '2021-01-31'), (true, '2021-01-01')) v(hit, at);
SELECT decay_to('1.5/2 half-life 30 days at 2021-01-31 00:00:00+00', '2021-03-02');
SELECT abs(hits(a) - hits(b)) < 1e-9 AND abs(inspections(a) - inspections(b)) < 1e-9 AS decayed_merge_same
  FROM (SELECT (SELECT hit_evidence(hit, at, '30 days') FROM outcomes) AS a,
               (SELECT hit_evidence_merge(e) FROM (SELECT hit_evidence(hit, at, '30 days') AS e FROM outcomes GROUP BY part) p) AS b) x;
SELECT hit_evidence(hit, at, h) FROM (VALUES (true, now(), interval '30 days'), (false, now(), interval '31 days')) v(hit, at, h);
SELECT hit_evidence(hit, at, '1 month') FROM (VALUES (true, now())) v(hit, at);
SELECT hit_evidence(hit, at, '-1 day') FROM (VALUES (true, now())) v(hit, at);
SELECT hit_evidence(hit, at, '1 day') FROM (VALUES (true, timestamptz 'infinity')) v(hit, at);
SELECT hit_evidence_merge(e) FROM (VALUES ('3/10'::hit_evidence), ('1/2 half-life 30 days at 2021-01-01 00:00:00+00')) v(e);
SELECT decay_to('3/10', now());
-- no evidence at all decays to itself (the decayed aggregate over uninspected declarations gives it)
SELECT decay_to(hit_evidence(hit, at, '30 days'), '2021-03-01') FROM (VALUES (NULL::boolean, timestamptz '2021-01-01')) v(hit, at);
SELECT decay_to('1/2 half-life 30 days at 2021-01-31 00:00:00+00', '2021-01-01');

-- binary send/recv round trip, and malformed bytes refused
CREATE TEMP TABLE ev (e hit_evidence);
INSERT INTO ev VALUES ('3/10'), ('2.5/7.25 half-life 30 days at 2021-03-31 00:00:00+00');
\set binfile '/tmp/customs_risk_hit_evidence.bin'
COPY ev TO :'binfile' (FORMAT binary);
CREATE TEMP TABLE ev2 (e hit_evidence);
COPY ev2 FROM :'binfile' (FORMAT binary);
SELECT e::text FROM ev2;
-- binary input is validated like text input: 11 hits out of 10, a negative half-life, a bad version
CREATE FUNCTION pg_temp.try_copy(path text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY ev2 FROM %L (FORMAT binary)', path);
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
COPY (SELECT ('\x00000001' || '00000000' || encode(float8send(11), 'hex') || encode(float8send(10), 'hex')
              || encode(float8send(0), 'hex') || '0000000000000000')::bytea) TO :'binfile' (FORMAT binary);
SELECT pg_temp.try_copy(:'binfile') AS more_hits_than_inspections;
COPY (SELECT ('\x00000001' || '00000000' || encode(float8send(1), 'hex') || encode(float8send(2), 'hex')
              || encode(float8send(-5), 'hex') || '0000000000000000')::bytea) TO :'binfile' (FORMAT binary);
SELECT pg_temp.try_copy(:'binfile') AS negative_half_life;
COPY (SELECT ('\x00000002' || '00000000' || encode(float8send(1), 'hex') || encode(float8send(2), 'hex')
              || encode(float8send(0), 'hex') || '0000000000000000')::bytea) TO :'binfile' (FORMAT binary);
SELECT pg_temp.try_copy(:'binfile') AS unknown_version;
COPY (SELECT '\x0000000100'::bytea) TO :'binfile' (FORMAT binary);
SELECT pg_temp.try_copy(:'binfile') AS too_short;
SELECT count(*) AS rows_after_refusals FROM ev2;

-- parallel aggregation gives the same evidence as serial
CREATE TABLE indicator_lines AS
SELECT i, (i % 11 = 0) AS hit, timestamptz '2021-01-01' + (i % 365) * interval '1 day' AS at
  FROM generate_series(1, 200000) i;
ANALYZE indicator_lines;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT hit_evidence(hit) FROM indicator_lines;
SELECT hit_evidence(hit)::text AS parallel FROM indicator_lines;
SELECT round(hits(e)::numeric, 4) AS parallel_hits, round(inspections(e)::numeric, 4) AS parallel_inspections
  FROM (SELECT hit_evidence(hit, at, '90 days') AS e FROM indicator_lines) x;
SET max_parallel_workers_per_gather = 0;
SELECT hit_evidence(hit)::text AS serial FROM indicator_lines;
SELECT round(hits(e)::numeric, 4) AS serial_hits, round(inspections(e)::numeric, 4) AS serial_inspections
  FROM (SELECT hit_evidence(hit, at, '90 days') AS e FROM indicator_lines) x;
DROP TABLE indicator_lines;
