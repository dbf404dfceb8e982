-- The hscode type: input, output, errors, order, containment, hierarchy, casts, binary I/O.
SET search_path = customs_risk, public;

-- Accepted spellings, printed as digits only
SELECT s AS input, s::hscode AS code, hs_level(s::hscode) AS level
  FROM (VALUES ('84'), ('8471'), ('8471.30'), ('847130'), ('8471.30.00'), ('8471.30.00.00'),
               ('8471 30 00 00'), ('84.71.30'), (' 8471 '), ('0101.21'), ('01'), ('9706000000'))
       AS v(s);

-- Bad input: each is 22P02 naming the type, the input and where it went wrong
SELECT s AS input, try(format('SELECT %L::customs_risk.hscode', s)) AS result
  FROM (VALUES (''), ('   '), ('8'), ('847'), ('84713'), ('847130000000'), ('84713000001'),
               ('84a1'), ('HS8471'), ('8471x'), ('-8471'), ('+8471'), ('8.471'), ('8471..30'),
               ('.8471'), ('8471.'), ('8471-30'), ('8471/30'), ('8471_30'), ('00'), ('0012'),
               ('8471,30'), (E'84\t71'), ('８４７１'), ('84 71 30 00 00 00'),
               ('123456789012345678901234567890123'), ('8471 . 30'), ('NaN'), ('Infinity'))
       AS v(s);
-- a long input is quoted up to 40 characters: it may be any text, of any size
SELECT try(format('SELECT %L::customs_risk.hscode', repeat('8', 100000))) AS long_input;

-- NULL in, NULL out
SELECT NULL::hscode IS NULL AS null_is_null, hs_chapter(NULL) IS NULL AS strict;

-- Total order: a prefix sorts before its descendants
SELECT array_agg(c ORDER BY c) AS sorted
  FROM unnest('{8472,847130,84,8471,85,8499,8500,0101,01,847130.10.00,8471.30.10}'::hscode[]) AS c;
SELECT '84'::hscode < '8471' AS a, '8471'::hscode < '847130' AS b, '847130'::hscode < '8472' AS c,
       '8471'::hscode = '8471.00' AS d, '8471.30'::hscode = '847130' AS e,
       '8471'::hscode <> '847100' AS f, '85'::hscode >= '8499' AS g, hscode_cmp('84', '8471') AS h;

-- Containment both ways
SELECT a, b, a <@ b AS "a <@ b", b @> a AS "b @> a"
  FROM (VALUES ('847130'::hscode, '8471'::hscode), ('8471', '8471'), ('8471', '847130'),
               ('8472', '8471'), ('8500', '85'), ('8500', '84'), ('0101210000', '01')) AS v(a, b);

-- Hierarchy functions on a code from every section, and on the national-use chapters
SELECT c AS code, hs_level(c) AS level, hs_chapter(c) AS chapter, hs_heading(c) AS heading,
       hs_subheading(c) AS subheading, hs_section(c) AS section
  FROM unnest('{0101210000,0602,1517900000,2204210000,2710,3004909000,3926,4202,4408909195,
               4802,6208221000,6403,6907221000,7113,7326909000,8471300000,8703,9018,9303,9503,
               9706000000,77,9801,99}'::hscode[]) AS c;
SELECT hs_truncate('8471300000', 2) AS d2, hs_truncate('8471300000', 4) AS d4,
       hs_truncate('8471300000', 8) AS d8, hs_truncate('8471', 6) AS shorter,
       hs_range_end('8471') AS range_end;
SELECT try($$SELECT customs_risk.hs_truncate('8471', 5)$$) AS odd_digits,
       try($$SELECT customs_risk.hs_truncate('8471', 12)$$) AS too_many;

-- Casts to and from text
SELECT '8471.30'::text::hscode AS from_text, ('847130'::hscode)::text || '!' AS to_text,
       pg_typeof('8471'::hscode::text) AS text_type;
CREATE TEMP TABLE cast_target (hs hscode);
INSERT INTO cast_target SELECT '8471.30'::text;  -- assignment cast from text
SELECT hs FROM cast_target;

-- Binary send/recv round-trip through COPY BINARY, and recv rejects bad bytes
SELECT hscode_send('847130') AS wire;
SELECT '/tmp/customs_risk_hscode_' || pg_backend_pid() || '.bin' AS binfile,
       '/tmp/customs_risk_hscode_bad_' || pg_backend_pid() || '.bin' AS badfile \gset
CREATE TEMP TABLE bin_src AS SELECT c::hscode AS hs FROM unnest('{01,8471,847130,84713000,8471300000,9999999999}'::text[]) c;
COPY bin_src TO :'binfile' (FORMAT binary);
CREATE TEMP TABLE bin_dst (hs hscode);
COPY bin_dst FROM :'binfile' (FORMAT binary);
SELECT (SELECT array_agg(hs ORDER BY hs) FROM bin_src) = (SELECT array_agg(hs ORDER BY hs) FROM bin_dst) AS round_trip;
-- a bytea field has the same framing, so its payload reaches hscode_recv
COPY (SELECT '\x030000000000000001'::bytea) TO :'badfile' (FORMAT binary);
SELECT try(format('COPY bin_dst FROM %L (FORMAT binary)', :'badfile')) AS odd_digit_count;
COPY (SELECT '\x040000000000000000'::bytea) TO :'badfile' (FORMAT binary);
SELECT try(format('COPY bin_dst FROM %L (FORMAT binary)', :'badfile')) AS chapter_zero;
COPY (SELECT '\x04000000000001869f'::bytea) TO :'badfile' (FORMAT binary);
SELECT try(format('COPY bin_dst FROM %L (FORMAT binary)', :'badfile')) AS too_many_digits;
COPY (SELECT '\x04000000'::bytea) TO :'badfile' (FORMAT binary);
SELECT try(format('COPY bin_dst FROM %L (FORMAT binary)', :'badfile')) AS truncated;
COPY (SELECT '\x0400000000000021c7'::bytea) TO :'badfile' (FORMAT binary);
SELECT try(format('COPY bin_dst FROM %L (FORMAT binary)', :'badfile')) AS valid_8647;

-- Hash opclass: hash index, hash join and GROUP BY agree with equality
CREATE TEMP TABLE h AS SELECT (lpad((i % 97 + 1)::text, 2, '0') || lpad((i % 100)::text, 2, '0'))::hscode AS hs
  FROM generate_series(1, 5000) i;
CREATE INDEX ON h USING hash (hs);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM h WHERE hs = '0101';
SELECT count(*) AS via_hash_index FROM h WHERE hs = '0101';
RESET enable_seqscan;
SELECT count(*) AS groups FROM (SELECT hs FROM h GROUP BY hs) g;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM h a JOIN h b ON a.hs = b.hs;
SELECT count(*) AS hash_join_rows FROM h a JOIN h b ON a.hs = b.hs;
RESET enable_mergejoin;
RESET enable_nestloop;
SELECT hscode_hash('8471') = hscode_hash('84.71'::text::hscode) AS equal_codes_equal_hash,
       hscode_hash_extended('8471', 1) <> hscode_hash_extended('8471', 2) AS seed_changes_hash;
CREATE TEMP TABLE parted (hs hscode) PARTITION BY HASH (hs);
CREATE TEMP TABLE parted_0 PARTITION OF parted FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TEMP TABLE parted_1 PARTITION OF parted FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO parted SELECT hs FROM h;
SELECT (SELECT count(*) FROM parted_0) > 0 AND (SELECT count(*) FROM parted_1) > 0 AS both_partitions_used;
-- a datum that bypassed input (binary-coercible cast from bigint) is refused on output
CREATE CAST (bigint AS hscode) WITHOUT FUNCTION;
SELECT try($$SELECT (7::bigint)::customs_risk.hscode::text$$) AS bad_level;
SELECT try($$SELECT customs_risk.hscode_send((-8::bigint)::customs_risk.hscode)$$) AS negative_key;
DROP CAST (bigint AS hscode);
