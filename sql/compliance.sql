-- Trader compliance: the compliance type, its aggregates, accessors and Wilson interval.
SET search_path = customs_risk, public;
SET extra_float_digits = 0;
SET datestyle = 'ISO, YMD';

-- text I/O round trips: spaces between fields and around the value, leading zeros and
-- trailing decimal zeros are accepted; the output is canonical
SELECT c::text, c::text::compliance::text = c::text AS round_trip
  FROM (VALUES ('declarations=0 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0'::compliance),
               ('declarations=10 inspections=4 pending=1 hits=2 minor=1 critical=1 extra_revenue=123.75'),
               ('  declarations=010   inspections=4 pending=0 hits=0 minor=0 critical=0 extra_revenue=0.000000001  '),
               ('declarations=7 inspections=7 pending=0 hits=7 minor=3 critical=4 extra_revenue=1.500000000'),
               ('declarations=9223372036854775807 inspections=9223372036854775807 pending=0 hits=9223372036854775807 '
                'minor=0 critical=9223372036854775807 extra_revenue=9223372036854775807.999999999')) v(c);

-- bad input: each is refused with 22P02 (22003 for out of range), naming the type and the position
SELECT input, try(format('SELECT %L::customs_risk.compliance', input)) AS result
  FROM unnest(ARRAY[
    '',
    'garbage',
    'declarations=10',
    'declarations=10 inspections=4 pending=0 hits=1 minor=1 critical=0',
    'declarations=10 inspections=4 pending=0 hits=1 minor=1 critical=0 extra_revenue=',
    'inspections=4 declarations=10 pending=0 hits=1 minor=1 critical=0 extra_revenue=0',
    'declarations=10 inspections=4 hits=1 pending=0 minor=1 critical=0 extra_revenue=0',
    'declarations=-1 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0',
    'declarations=+1 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0',
    'declarations=1.5 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0',
    'declarations=1e3 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0',
    'declarations=abc inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0',
    'declarations = 1 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0',
    'Declarations=1 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0',
    'declarations=1,inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0',
    'declarations=9223372036854775808 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0',
    'declarations=4 inspections=5 pending=0 hits=0 minor=0 critical=0 extra_revenue=0',
    'declarations=5 inspections=4 pending=5 hits=0 minor=0 critical=0 extra_revenue=0',
    'declarations=5 inspections=4 pending=1 hits=4 minor=0 critical=0 extra_revenue=0',
    'declarations=5 inspections=4 pending=0 hits=2 minor=3 critical=0 extra_revenue=0',
    'declarations=5 inspections=4 pending=0 hits=2 minor=1 critical=2 extra_revenue=0',
    'declarations=5 inspections=4 pending=0 hits=2 minor=1 critical=1 extra_revenue=-1',
    'declarations=5 inspections=4 pending=0 hits=2 minor=1 critical=1 extra_revenue=nan',
    'declarations=5 inspections=4 pending=0 hits=2 minor=1 critical=1 extra_revenue=1.',
    'declarations=5 inspections=4 pending=0 hits=2 minor=1 critical=1 extra_revenue=.5',
    'declarations=5 inspections=4 pending=0 hits=2 minor=1 critical=1 extra_revenue=1.0000000001',
    'declarations=5 inspections=4 pending=0 hits=2 minor=1 critical=1 extra_revenue=1e3',
    'declarations=5 inspections=4 pending=0 hits=2 minor=1 critical=1 extra_revenue=1.5x',
    'declarations=5 inspections=4 pending=0 hits=2 minor=1 critical=1 extra_revenue=9223372036854775808',
    'declarations=5 inspections=4 pending=0 hits=2 minor=1 critical=1 extra_revenue=0 hits=2',
    'declarations=5 inspections=4 pending=0 hits=2 minor=1 critical=1 extra_revenue=0 x']) AS input;

-- the aggregates on a small table, by hand:
--   A: 5 declarations (the inspected NULL row is skipped), 4 inspections of which 1 pending,
--      2 hits (1 critical, 1 minor), extra revenue 100.5 + 20 + 3.25 = 123.75
--   B: 2 declarations, not inspected (the hit of a row not inspected is ignored)
--   C: only a row with inspected NULL: the all-zero state
--   D: 1 inspection, a hit of unknown severity, extra revenue 0
CREATE TEMP TABLE small (trader text, inspected boolean, hit boolean, critical boolean, extra_revenue float8);
INSERT INTO small VALUES
    ('A', true, true, true, 100.5), ('A', true, true, false, 20), ('A', true, false, NULL, NULL),
    ('A', false, NULL, NULL, NULL), ('A', true, NULL, NULL, 3.25), ('A', NULL, true, true, 999),
    ('B', false, NULL, NULL, NULL), ('B', false, true, true, NULL),
    ('C', NULL, NULL, NULL, NULL),
    ('D', true, true, NULL, 0);
SELECT trader, compliance(inspected, hit) FROM small GROUP BY trader ORDER BY trader;
SELECT trader, compliance(inspected, hit, critical, extra_revenue) FROM small GROUP BY trader ORDER BY trader;
SELECT trader, declarations(c), inspections(c), pending_inspections(c), hits(c), minor_findings(c),
       critical_findings(c), extra_revenue(c), round(inspection_rate(c)::numeric, 6) AS inspection_rate,
       round(hit_rate(c)::numeric, 6) AS hit_rate,
       (SELECT array_agg(round(b::numeric, 6)) FROM unnest(wilson_interval(c)) b) AS wilson95
  FROM (SELECT trader, compliance(inspected, hit, critical, extra_revenue) AS c FROM small GROUP BY trader) g
 ORDER BY trader;
-- all rows together: 8 declarations, 5 inspections (1 pending), 3 hits
SELECT compliance(inspected, hit, critical, extra_revenue) FROM small;
-- empty groups: no rows at all, and rows that are all NULL, give the all-zero state (not NULL)
SELECT compliance(inspected, hit) AS no_rows, compliance(inspected, hit, critical, extra_revenue) AS no_rows_4
  FROM small WHERE false;
SELECT compliance(inspected, hit) AS all_null FROM (VALUES (NULL::boolean, NULL::boolean), (NULL, true)) v(inspected, hit);
SELECT compliance_merge(c) AS merge_of_nothing FROM (SELECT NULL::compliance AS c) x;
SELECT declarations(c), inspection_rate(c), hit_rate(c), wilson_interval(c)
  FROM (SELECT compliance(inspected, hit) AS c FROM small WHERE false) x;
-- the aggregates as window functions (running totals)
SELECT s.trader, s.n, compliance(inspected, hit) OVER (ORDER BY s.n) AS running
  FROM (SELECT row_number() OVER (ORDER BY trader, inspected NULLS LAST, hit NULLS LAST) AS n, * FROM small) s
 ORDER BY s.n;
-- extra revenue is summed exactly: ten times 0.1 is 1, in any order
SELECT compliance(true, false, NULL, 0.1) AS ten_tenths FROM generate_series(1, 10);
SELECT extra_revenue(compliance(true, false, NULL, x)) = 1 AS exact
  FROM (VALUES (0.7::float8), (0.2), (0.1)) v(x);
-- refused extra revenue
SELECT try($$SELECT customs_risk.compliance(true, true, false, -1::float8)$$) AS negative,
       try($$SELECT customs_risk.compliance(true, true, false, 'nan'::float8)$$) AS nan,
       try($$SELECT customs_risk.compliance(true, true, false, 'infinity'::float8)$$) AS infinite,
       try($$SELECT customs_risk.compliance(true, true, false, 1e19::float8)$$) AS too_large;

-- accessors on stored states; + merges two
SELECT c + 'declarations=2 inspections=1 pending=0 hits=1 minor=0 critical=1 extra_revenue=0.25' AS merged
  FROM (SELECT 'declarations=10 inspections=4 pending=1 hits=2 minor=1 critical=1 extra_revenue=123.75'::compliance AS c) x;
SELECT compliance_merge(c) AS merged_agg
  FROM (VALUES ('declarations=10 inspections=4 pending=1 hits=2 minor=1 critical=1 extra_revenue=123.75'::compliance),
               (NULL), ('declarations=2 inspections=1 pending=0 hits=1 minor=0 critical=1 extra_revenue=0.25')) v(c);
-- the transition functions called directly do not change their argument; a NULL state starts from zero
SELECT compliance_add(NULL, true, true) AS from_null,
       compliance_add('declarations=1 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0', true, NULL) AS pending_one,
       compliance_add(NULL, true, true, true, 2.5) AS from_null_4;
-- hits(), inspections() exist for hit_evidence too: a literal of unknown type needs a cast
SELECT try($$SELECT customs_risk.hits('declarations=1 inspections=1 pending=0 hits=1 minor=0 critical=0 extra_revenue=0')$$) AS untyped;
SELECT hits('declarations=1 inspections=1 pending=0 hits=1 minor=0 critical=0 extra_revenue=0'::compliance) AS compliance_hits,
       hits('3/10'::hit_evidence) AS evidence_hits;

-- the Wilson interval, checked by hand against (x + z^2/2 -+ z sqrt(x (n - x) / n + z^2 / 4)) / (n + z^2):
--   3/10 at 95% (z = 1.959964): {0.107791, 0.603222}; at 99% {0.079566, 0.679975}; at 50% {0.212715, 0.404691}
--   0/10: {0, 0.277533}; 10/10: {0.722467, 1}; 1/1000: {0.000177, 0.005643}; pending inspections are left out
CREATE FUNCTION pg_temp.state(hits bigint, n bigint, pending bigint DEFAULT 0) RETURNS customs_risk.compliance
    LANGUAGE sql AS $$ SELECT format('declarations=%s inspections=%s pending=%s hits=%s minor=0 critical=0 extra_revenue=0',
                                     n + pending, n + pending, pending, hits)::customs_risk.compliance $$;
SELECT x, n, lvl, array(SELECT round(b::numeric, 6) FROM unnest(wilson_interval(pg_temp.state(x, n, p), lvl)) b) AS wilson
  FROM (VALUES (3, 10, 0.95, 0), (3, 10, 0.99, 0), (3, 10, 0.5, 0), (0, 10, 0.95, 0), (10, 10, 0.95, 0),
               (1, 1000, 0.95, 0), (3, 10, 0.95, 5)) v(x, n, lvl, p);
SELECT (wilson_interval(pg_temp.state(0, 10)))[1] = 0 AS zero_hits_exact_0,
       (wilson_interval(pg_temp.state(10, 10)))[2] = 1 AS all_hits_exact_1,
       wilson_interval(pg_temp.state(0, 0, 3)) AS only_pending,
       hit_rate(pg_temp.state(0, 0, 3)) AS only_pending_rate,
       wilson_interval(pg_temp.state(3, 10), NULL) AS null_level;
-- the normal quantile behind it: for 0 hits in 1 inspection the upper bound is z^2 / (1 + z^2),
-- so z = sqrt(u / (1 - u)) can be read back and compared with the known quantiles
SELECT lvl, round(sqrt(u / (1 - u))::numeric, 12) AS z, round(known, 12) AS known
  FROM (SELECT lvl, known, (wilson_interval(pg_temp.state(0, 1), lvl))[2] AS u
          FROM (VALUES (0.5, 0.674489750196082), (0.8, 1.281551565544601), (0.9, 1.644853626951472),
                       (0.95, 1.959963984540054), (0.99, 2.575829303548901), (0.999, 3.290526731491894))
                  v(lvl, known)) x;
SELECT try($$SELECT customs_risk.wilson_interval('declarations=1 inspections=1 pending=0 hits=0 minor=0 critical=0 extra_revenue=0', 1)$$) AS level_1,
       try($$SELECT customs_risk.wilson_interval('declarations=1 inspections=1 pending=0 hits=0 minor=0 critical=0 extra_revenue=0', 0)$$) AS level_0,
       try($$SELECT customs_risk.wilson_interval('declarations=0 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0', 'nan')$$) AS level_nan;

-- overflow of a count or of the extra revenue is an error, never a wrap
SELECT try($$SELECT customs_risk.compliance_add('declarations=9223372036854775807 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0', false, NULL)$$) AS add_overflow;
SELECT try($$SELECT 'declarations=9223372036854775807 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0'::customs_risk.compliance
               OPERATOR(customs_risk.+) 'declarations=1 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0'$$) AS plus_overflow;
SELECT try($$SELECT customs_risk.compliance_merge(c) FROM (VALUES
               ('declarations=9223372036854775807 inspections=1 pending=0 hits=1 minor=0 critical=0 extra_revenue=0'::customs_risk.compliance),
               ('declarations=1 inspections=1 pending=0 hits=0 minor=0 critical=0 extra_revenue=0')) v(c)$$) AS merge_overflow;
SELECT try($$SELECT 'declarations=0 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=9223372036854775807.5'::customs_risk.compliance
               OPERATOR(customs_risk.+) 'declarations=0 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0.5'$$) AS revenue_overflow;
SELECT try($$SELECT customs_risk.compliance(true, true, false, x) FROM (VALUES (5e18::float8), (5e18)) v(x)$$) AS revenue_sum_overflow;

-- binary send/recv round trip, and malformed bytes refused
CREATE TEMP TABLE states (c compliance);
INSERT INTO states VALUES ('declarations=0 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0'),
    ('declarations=10 inspections=4 pending=1 hits=2 minor=1 critical=1 extra_revenue=123.75'),
    ('declarations=9223372036854775807 inspections=5 pending=0 hits=5 minor=2 critical=3 extra_revenue=0.000000001');
SELECT encode(compliance_send(c), 'hex') AS wire FROM states LIMIT 2;
\set binfile '/tmp/customs_risk_compliance.bin'
COPY states TO :'binfile' (FORMAT binary);
CREATE TEMP TABLE states2 (c compliance);
COPY states2 FROM :'binfile' (FORMAT binary);
SELECT c::text FROM states2;
-- the wire form: version byte, flags byte, the six counts and the revenue units as int8, the billionths as int4
CREATE FUNCTION pg_temp.wire(version int, flags int, counts bigint[], nanos int) RETURNS bytea LANGUAGE sql AS $$
    SELECT decode(lpad(to_hex(version), 2, '0') || lpad(to_hex(flags), 2, '0'), 'hex')
           || (SELECT string_agg(int8send(n), ''::bytea ORDER BY i) FROM unnest(counts) WITH ORDINALITY u(n, i))
           || int4send(nanos) $$;
-- write the bytes as a binary COPY file of one bytea field, then read it back as a compliance column
CREATE FUNCTION pg_temp.try_bytes(bytes bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    path text := '/tmp/customs_risk_compliance.bin';
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', bytes, path);
    EXECUTE format('COPY states2 FROM %L (FORMAT binary)', path);
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.wire(1, 0, '{10,4,1,2,1,1,123}', 750000000) = compliance_send('declarations=10 inspections=4 pending=1 hits=2 minor=1 critical=1 extra_revenue=123.75')
       AS wire_matches_send;
SELECT what, pg_temp.try_bytes(bytes) AS result
  FROM (VALUES ('valid', pg_temp.wire(1, 0, '{10,4,1,2,1,1,123}', 750000000)),
               ('unknown version', pg_temp.wire(2, 0, '{10,4,1,2,1,1,123}', 0)),
               ('version 0', pg_temp.wire(0, 0, '{10,4,1,2,1,1,123}', 0)),
               ('unknown flags', pg_temp.wire(1, 128, '{10,4,1,2,1,1,123}', 0)),
               ('negative count', pg_temp.wire(1, 0, '{10,4,1,2,-1,1,123}', 0)),
               ('negative revenue', pg_temp.wire(1, 0, '{10,4,1,2,1,1,-123}', 0)),
               ('inspections > declarations', pg_temp.wire(1, 0, '{3,4,1,2,1,1,0}', 0)),
               ('pending > inspections', pg_temp.wire(1, 0, '{10,4,5,0,0,0,0}', 0)),
               ('hits > inspections with a result', pg_temp.wire(1, 0, '{10,4,1,4,0,0,0}', 0)),
               ('findings > hits', pg_temp.wire(1, 0, '{10,4,0,2,2,1,0}', 0)),
               ('billionths too large', pg_temp.wire(1, 0, '{10,4,1,2,1,1,0}', 1000000000)),
               ('negative billionths', pg_temp.wire(1, 0, '{10,4,1,2,1,1,0}', -1)),
               ('too short', substring(pg_temp.wire(1, 0, '{10,4,1,2,1,1,123}', 0) FROM 1 FOR 20)),
               ('trailing bytes', pg_temp.wire(1, 0, '{10,4,1,2,1,1,123}', 0) || '\x00'::bytea),
               ('empty', ''::bytea)) v(what, bytes);
-- the three round-tripped rows and the one valid row: nothing refused got in
SELECT count(*) AS rows_after_refusals FROM states2;

-- parallel aggregation gives exactly what serial does, and what count(*) FILTER gives
CREATE TABLE compliance_lines AS
SELECT i, date '2021-01-01' + (i % 90) AS day,
       CASE WHEN i % 97 = 0 THEN NULL ELSE i % 5 = 0 OR i % 7 = 0 END AS inspected,
       CASE WHEN i % 89 = 0 THEN NULL ELSE i % 3 = 0 END AS hit,
       CASE WHEN i % 11 = 0 THEN NULL ELSE i % 4 = 0 END AS critical,
       CASE WHEN i % 13 = 0 THEN NULL ELSE (i % 1000) * 0.01 END AS extra_revenue
  FROM generate_series(1, 200000) i;
ANALYZE compliance_lines;
CREATE FUNCTION pg_temp.by_filter(g int) RETURNS TABLE (grp int, c text) LANGUAGE sql AS $$
    SELECT i % g, format('declarations=%s inspections=%s pending=%s hits=%s minor=%s critical=%s extra_revenue=%s',
                  count(*) FILTER (WHERE inspected IS NOT NULL), count(*) FILTER (WHERE inspected),
                  count(*) FILTER (WHERE inspected AND hit IS NULL), count(*) FILTER (WHERE inspected AND hit),
                  count(*) FILTER (WHERE inspected AND hit AND NOT critical),
                  count(*) FILTER (WHERE inspected AND hit AND critical),
                  coalesce(trim_scale(sum(extra_revenue) FILTER (WHERE inspected IS NOT NULL)), 0))
      FROM compliance_lines GROUP BY 1 $$;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT compliance(inspected, hit) FROM compliance_lines;
CREATE TEMP TABLE parallel_result AS
SELECT 'all' AS what, compliance(inspected, hit)::text AS c FROM compliance_lines
UNION ALL SELECT 'all 4', compliance(inspected, hit, critical, extra_revenue)::text FROM compliance_lines
UNION ALL SELECT 'merge', compliance_merge(c)::text
            FROM (SELECT compliance(inspected, hit, critical, extra_revenue) AS c FROM compliance_lines GROUP BY i % 1000) s
UNION ALL SELECT 'day ' || day, compliance(inspected, hit, critical, extra_revenue)::text FROM compliance_lines GROUP BY day;
SELECT what, c FROM parallel_result WHERE what NOT LIKE 'day %' ORDER BY what;
SELECT (SELECT c FROM parallel_result WHERE what = 'all 4') = (SELECT c FROM pg_temp.by_filter(1)) AS equals_count_filter;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_result AS
SELECT 'all' AS what, compliance(inspected, hit)::text AS c FROM compliance_lines
UNION ALL SELECT 'all 4', compliance(inspected, hit, critical, extra_revenue)::text FROM compliance_lines
UNION ALL SELECT 'merge', compliance_merge(c)::text
            FROM (SELECT compliance(inspected, hit, critical, extra_revenue) AS c FROM compliance_lines GROUP BY i % 1000) s
UNION ALL SELECT 'day ' || day, compliance(inspected, hit, critical, extra_revenue)::text FROM compliance_lines GROUP BY day;
SELECT count(*) AS results, count(*) FILTER (WHERE s.c = p.c) AS identical
  FROM serial_result s FULL JOIN parallel_result p USING (what);
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- daily states, stored, merge into the monthly result computed directly from the lines
CREATE TEMP TABLE daily AS
SELECT day, compliance(inspected, hit, critical, extra_revenue) AS c FROM compliance_lines GROUP BY day;
SELECT m.month, m.c::text = d.c::text AS merged_equals_direct, m.c
  FROM (SELECT date_trunc('month', day)::date AS month, compliance(inspected, hit, critical, extra_revenue) AS c
          FROM compliance_lines GROUP BY 1) m
  JOIN (SELECT date_trunc('month', day)::date AS month, compliance_merge(c) AS c FROM daily GROUP BY 1) d USING (month)
 ORDER BY m.month;
SELECT (SELECT compliance_merge(c) FROM daily)::text = (SELECT c FROM pg_temp.by_filter(1)) AS quarter_equals_count_filter,
       (SELECT count(*) FROM pg_temp.by_filter(7) f
          JOIN (SELECT i % 7 AS grp, compliance(inspected, hit, critical, extra_revenue)::text AS c
                  FROM compliance_lines GROUP BY 1) a USING (grp) WHERE a.c = f.c) AS groups_equal_count_filter;
DROP TABLE compliance_lines;
