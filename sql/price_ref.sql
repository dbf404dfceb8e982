-- Price anomaly: price_ref, the reference distribution of unit values.
SET search_path = customs_risk, public;
SET extra_float_digits = 0;

-- the aggregate: NULL skipped, zeros apart, values in 2% log buckets
SELECT price_ref(x) FROM (VALUES (1.0), (2.0), (0), (NULL), (100.0), (2.0)) v(x);
SELECT price_ref(x) FROM (VALUES (NULL::float8)) v(x);
SELECT price_ref(x)::text::price_ref::text AS round_trip FROM (VALUES (1.0), (2.0), (0), (100.0)) v(x);
SELECT price_ref(x) FROM (VALUES (1.0), (-1.0)) v(x);
SELECT price_ref(x) FROM (VALUES ('nan'::float8)) v(x);
SELECT price_ref(x) FROM (VALUES ('infinity'::float8)) v(x);

-- bad text input
CREATE FUNCTION pg_temp.try(input text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    PERFORM input::customs_risk.price_ref;
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || coalesce(detail, SQLERRM);
END $$;
SELECT input, pg_temp.try(input) AS result
  FROM unnest(ARRAY['', 'n=1', 'n=1 zeros=0', 'n=1 zeros=0 buckets=', 'n=0 zeros=0 buckets=', 'n=1 zeros=1 buckets=',
                    'n=2 zeros=0 buckets=5:1,5:1', 'n=2 zeros=0 buckets=6:1,5:1', 'n=3 zeros=0 buckets=5:1,6:1',
                    'n=1 zeros=0 buckets=5:0,6:1', 'n=1 zeros=0 buckets=5:-1', 'n=1 zeros=2 buckets=',
                    'n=1 zeros=0 buckets=999999:1', 'n=1 zeros=0 buckets=5;1', 'n=1 zeros=0 buckets=5:1,',
                    'n=99999999999999999999 zeros=0 buckets=', 'n=-1 zeros=-1 buckets=']) AS input;

-- quantiles within 1% of the exact ones, on 20,000 log-normal unit values
CREATE TEMP TABLE uv AS
SELECT i, exp(ln(50) + 1.5 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())) AS x
  FROM generate_series(1, 20000) i;
SELECT bool_and(abs(quantile(r.ref, q.p) / q.exact - 1) <= 0.01) AS quantiles_within_1pct
  FROM (SELECT price_ref(x) AS ref FROM uv) r,
       (SELECT p, percentile_disc(p) WITHIN GROUP (ORDER BY x) AS exact
          FROM uv, unnest(ARRAY[0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999]) p GROUP BY p) q;
-- a value's percentile is within its bucket's share of the exact rank
SELECT bool_and(abs(percentile_of(r.ref, t.x) - t.exact) <= 0.02) AS percentiles_close
  FROM (SELECT price_ref(x) AS ref FROM uv) r,
       (SELECT x, (SELECT count(*) FROM uv u WHERE u.x < v.x)::float8 / 20000 AS exact FROM uv v WHERE i % 500 = 0) t;
-- the robust z-score: the median is near 0, a tenth of it far below, ten times it far above
SELECT round(robust_z(ref, 50)::numeric, 1) AS z_median, robust_z(ref, 5) < -1 AS tenth_is_low,
       robust_z(ref, 500) > 1 AS tenfold_is_high, robust_z(ref, 0) AS z_of_zero,
       round(percentile_of(ref, 0)::numeric, 3) AS below_zero, price_count(ref)
  FROM (SELECT price_ref(x) AS ref FROM uv) r;
-- the rank is percentile_disc's, also where p n rounds just above a whole number (0.07 x 100)
SELECT bool_and(abs(quantile(r.ref, q.p) / q.exact - 1) <= 0.01) AS small_group_ranks_as_percentile_disc
  FROM (SELECT price_ref(1.1 ^ i) AS ref FROM generate_series(1, 100) i) r,
       (SELECT p, percentile_disc(p) WITHIN GROUP (ORDER BY 1.1 ^ i) AS exact
          FROM generate_series(1, 100) i, unnest(ARRAY[0.01, 0.07, 0.13, 0.29, 0.5, 0.57, 0.99, 1]) p GROUP BY p) q;
-- the largest doubles keep the 1% guarantee; counts that would pass 2^63 are an error
SELECT abs(quantile(price_ref(x), 0.5) / 1e308 - 1) <= 0.01 AS huge_values FROM (VALUES (1e308::float8)) v(x);
SELECT price_ref_merge(r) FROM (VALUES ('n=9223372036854775807 zeros=0 buckets=0:9223372036854775807'::price_ref),
                                       ('n=1 zeros=0 buckets=0:1')) v(r);
SELECT quantile(price_ref(x), 1.5) FROM uv;
SELECT percentile_of(price_ref(x), -1) FROM uv;
SELECT robust_z(price_ref(x), 'nan') FROM uv;
SELECT quantile('n=0 zeros=0 buckets=', 0.5) AS empty_quantile, percentile_of('n=0 zeros=0 buckets=', 1) AS empty_percentile,
       robust_z('n=0 zeros=0 buckets=', 1) AS empty_z, robust_z('n=2 zeros=2 buckets=', 1) AS only_zeros;

-- stored references merge exactly: per-month sketches into one equals the sketch of all
SELECT (SELECT price_ref(x)::text FROM uv) = (SELECT price_ref_merge(r)::text FROM (SELECT price_ref(x) AS r FROM uv GROUP BY i % 12) m)
       AS merge_is_exact;

-- binary send/recv round trip, and malformed bytes refused
CREATE TEMP TABLE refs (r price_ref);
INSERT INTO refs SELECT price_ref(x) FROM uv;
INSERT INTO refs VALUES ('n=0 zeros=0 buckets=');
\set binfile '/tmp/customs_risk_price_ref.bin'
COPY refs TO :'binfile' (FORMAT binary);
CREATE TEMP TABLE refs2 (r price_ref);
COPY refs2 FROM :'binfile' (FORMAT binary);
SELECT (SELECT array_agg(r::text ORDER BY r::text) FROM refs) = (SELECT array_agg(r::text ORDER BY r::text) FROM refs2) AS binary_round_trip;
CREATE FUNCTION pg_temp.try_copy(path text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY refs2 FROM %L (FORMAT binary)', path);
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- version 1, flags 0, 1 bucket, alpha 0.01, n 2, zeros 0, bucket 5 with count 1: the counts do not add up
COPY (SELECT ('\x0001' || '0000' || '00000001' || encode(float8send(0.01), 'hex') || encode(int8send(2), 'hex')
              || encode(int8send(0), 'hex') || '00000005' || encode(int8send(1), 'hex'))::bytea) TO :'binfile' (FORMAT binary);
SELECT pg_temp.try_copy(:'binfile') AS counts_do_not_add_up;
COPY (SELECT ('\x0001' || '0000' || '7fffffff' || encode(float8send(0.01), 'hex'))::bytea) TO :'binfile' (FORMAT binary);
SELECT pg_temp.try_copy(:'binfile') AS too_many_buckets;
COPY (SELECT ('\x0001' || '0000' || '00000000' || encode(float8send(0.05), 'hex') || encode(int8send(0), 'hex')
              || encode(int8send(0), 'hex'))::bytea) TO :'binfile' (FORMAT binary);
SELECT pg_temp.try_copy(:'binfile') AS other_accuracy;

-- parallel aggregation gives the same reference
CREATE TABLE price_lines AS SELECT i, (i * 7919 % 100000) / 100.0 AS x, i % 50 AS grp FROM generate_series(1, 200000) i;
ANALYZE price_lines;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT price_ref(x) FROM price_lines;
CREATE TEMP TABLE par AS SELECT price_ref(x)::text AS r FROM price_lines;
SET max_parallel_workers_per_gather = 0;
SELECT r = (SELECT price_ref(x)::text FROM price_lines) AS parallel_same_as_serial FROM par;
DROP TABLE price_lines;
