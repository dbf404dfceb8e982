-- Random selection is auditable: the keyed draw equals a formula an auditor can run in plain SQL.
SET search_path = customs_risk, public;
SELECT id, round(random_draw_with(k, id)::numeric, 12) AS draw,
       random_draw_with(k, id) = ('x' || substr(encode(sha256(k || convert_to(id, 'UTF8')), 'hex'), 1, 13))::bit(52)::bigint
                                 / 4503599627370496.0 AS same_as_sql
  FROM (VALUES ('\x00112233445566778899aabbccddeeff'::bytea, '97061800'), ('\x00112233445566778899aabbccddeeff', '97061801'),
               ('\xffffffffffffffffffffffffffffffff', '97061800'), ('\x00112233445566778899aabbccddeeff', '')) AS v(k, id);
-- uniform: 20,000 draws under one key fall evenly into ten bins
SELECT count(*) AS bins, min(n) >= 1800 AND max(n) <= 2200 AS even
  FROM (SELECT floor(random_draw_with('\x0102', i::text) * 10) AS bin, count(*) AS n
          FROM generate_series(1, 20000) i GROUP BY 1) b;
SELECT random_draw_with(NULL, 'x') IS NULL AS null_key, random_draw_with('\x01', NULL) IS NULL AS null_id;
-- the digest is the extension's own SHA-256: the same as the server's for keys and ids of every
-- length across the 64-byte block boundaries (0 to 150 bytes each)
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE random_draw_with(k, id) IS DISTINCT FROM
                              ('x' || substr(encode(sha256(k || convert_to(id, 'UTF8')), 'hex'), 1, 13))::bit(52)::bigint
                              / 4503599627370496.0) AS differ
  FROM (SELECT decode(repeat('a5', n), 'hex') AS k, repeat(chr(65 + m % 26), m) AS id
          FROM generate_series(0, 150) n, generate_series(0, 150) m) x;
-- the draw under the database key is not for everyone
CREATE ROLE customs_risk_t_clerk NOLOGIN;
SELECT has_function_privilege('customs_risk_t_clerk', 'customs_risk.random_draw(text)', 'EXECUTE') AS clerk_may_draw,
       has_function_privilege('customs_risk_t_clerk', 'customs_risk.random_draws(text[])', 'EXECUTE') AS clerk_may_draw_many,
       has_table_privilege('customs_risk_t_clerk', 'customs_risk.selection_secret', 'SELECT') AS clerk_reads_key;
DROP ROLE customs_risk_t_clerk;
-- an office without a policy row gets the built-in defaults
SELECT office_code, share_red, share_yellow, share_blue, random_rate, random_channel, max_hits_green, daily_capacity
  FROM effective_policy('no-such-house');
