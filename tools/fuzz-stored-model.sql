-- Fuzz the stored model format: corrupt a trained model's bytes at random (1-4 bytes set or
-- bits flipped, half of them in the last 4 kB where the trees are, a tenth also cut short),
-- score 50 rows with each, and count the outcomes.  Every changed body must be an error
-- (XX001); "scored" would be a damaged model scoring silently, and a crash ends the run.
-- Run by hand in a database where bin/bench-model has built cr_bench.model_rows:
--   PGDATABASE=... bin/bench-model 10000 && psql -X -v n=15000 -f tools/fuzz-stored-model.sql
-- It trains two small models (fz_g, fz_l) and leaves them, with cr_bench.fz_rows and fz_orig;
-- each corrupted body is rolled back after its try.
SET client_min_messages = warning;
SELECT name FROM customs_risk.train_model('fz_g', $q$SELECT office, transport, origin, importer, tax_rate, value, unit_value, hit FROM cr_bench.model_rows WHERE declared_on < '2020-03-01'$q$, 'hit', '{"trees": 12, "depth": 4, "bins": 32, "replace": true}');
SELECT name FROM customs_risk.train_model('fz_l', $q$SELECT office, transport, origin, importer, tax_rate, value, unit_value, hit FROM cr_bench.model_rows WHERE declared_on < '2020-03-01'$q$, 'hit', '{"kind": "logistic", "replace": true}');
DROP TABLE IF EXISTS cr_bench.fz_rows; CREATE TABLE cr_bench.fz_rows AS SELECT * FROM cr_bench.model_rows WHERE declared_on >= '2021-01-01' LIMIT 50;
DROP TABLE IF EXISTS cr_bench.fz_orig; CREATE TABLE cr_bench.fz_orig AS SELECT name, body FROM customs_risk.model WHERE name IN ('fz_g','fz_l');
SELECT name, length(body) FROM cr_bench.fz_orig;
CREATE OR REPLACE FUNCTION pg_temp.fuzz(mname text, n int, seed float8) RETURNS TABLE(outcome text, cnt bigint) LANGUAGE plpgsql AS $$
DECLARE
  orig bytea; b bytea; len int; pos int; k int; bitpos int; st text; res text[] := '{}'; s float8;
BEGIN
  PERFORM setseed(seed);
  SELECT body INTO orig FROM cr_bench.fz_orig WHERE name = mname;
  len := length(orig);
  FOR i IN 1..n LOOP
    b := orig;
    k := 1 + floor(random() * 4)::int;
    FOR j IN 1..k LOOP
      IF random() < 0.5 THEN pos := floor(random() * len)::int;
      ELSE pos := len - 1 - floor(random() * least(len, 4000))::int; END IF;
      IF random() < 0.7 THEN
        b := set_byte(b, pos, floor(random() * 256)::int);
      ELSE
        bitpos := pos * 8 + floor(random() * 8)::int;
        b := set_bit(b, bitpos, 1 - get_bit(b, bitpos));
      END IF;
    END LOOP;
    IF random() < 0.1 THEN b := substr(b, 1, floor(random() * len)::int); END IF;
    BEGIN
      UPDATE customs_risk.model SET body = b WHERE name = mname;
      SELECT sum(customs_risk.score(mname, r)) INTO s FROM cr_bench.fz_rows r;
      st := CASE WHEN b = orig THEN 'unchanged' WHEN s IS NULL THEN 'null' WHEN s = 'NaN'::float8 THEN 'nan' WHEN s IN ('Infinity','-Infinity') THEN 'inf' ELSE 'scored' END;
      RAISE EXCEPTION USING ERRCODE = 'P0099', MESSAGE = st;
    EXCEPTION WHEN OTHERS THEN
      IF SQLSTATE = 'P0099' THEN res := res || SQLERRM; ELSE res := res || (SQLSTATE || ' ' || left(regexp_replace(regexp_replace(SQLERRM, $r$"[^"]*"$r$, $r$"x"$r$), $r$[0-9]+$r$, $r$N$r$, $r$g$r$), 70)); END IF;
    END;
  END LOOP;
  RETURN QUERY SELECT u, count(*) FROM unnest(res) u GROUP BY u ORDER BY 2 DESC;
END $$;
SELECT * FROM pg_temp.fuzz('fz_g', :n, 0.1);
SELECT * FROM pg_temp.fuzz('fz_l', :n, 0.2);
