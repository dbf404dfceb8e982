-- Fuzz the binary input (receive) of the state types: compliance, hit_evidence, price_ref and
-- daily_series.  Each type's sent form of a real value has 1-3 bytes set or bits flipped (some
-- also cut short or with bytes added) and goes through COPY ... (FORMAT binary); a rejected
-- value must be a clear error (22P03 or the protocol's 08P01), and an accepted one must work
-- with the type's functions and print text that reads back to the same text.  A crash ends
-- the run.  Run by hand in a database with the extension and the bundled sample loaded:
--   psql -X -v n=3000 -f tools/fuzz-binary-recv.sql
-- (criteria and hscode have their own fuzz loops in test/unit.)  Writes /tmp/fz_recv.bin on
-- the server.
SET client_min_messages = warning;
SET search_path = customs_risk, public;
CREATE TEMP TABLE base(typ text, v text);
INSERT INTO base SELECT 'compliance', compliance(inspected, hit, critical, extra_revenue)::text FROM (SELECT d.declaration_id, o.inspected, o.hit, o.critical, 0::float8 AS extra_revenue FROM declaration_outcome_v o JOIN declaration d USING (declaration_id) LIMIT 500) x;
INSERT INTO base SELECT 'hit_evidence', hit_evidence(hit, now() - (g || ' days')::interval, '30 days')::text FROM (SELECT random() < 0.2 AS hit, g FROM generate_series(1, 300) g) x;
INSERT INTO base SELECT 'price_ref', price_ref(u)::text FROM (SELECT exp(random() * 5) AS u FROM generate_series(1, 2000)) x;
INSERT INTO base SELECT 'daily_series', daily_series(d::date, random() * 10)::text FROM generate_series('2024-01-01'::date, '2024-03-31', '1 day') d;
SELECT typ, length(v) FROM base;
CREATE OR REPLACE FUNCTION pg_temp.fuzz_recv(typ text, probe text, n int, seed float8) RETURNS TABLE(outcome text, cnt bigint) LANGUAGE plpgsql AS $$
DECLARE orig bytea; b bytea; len int; pos int; st text; res text[] := '{}'; path text := '/tmp/fz_recv.bin'; r text;
BEGIN
  PERFORM setseed(seed);
  EXECUTE format('SELECT customs_risk.%I(v::customs_risk.%I) FROM base WHERE typ = %L', typ || '_send', typ, typ) INTO orig;
  len := length(orig);
  EXECUTE format('CREATE TEMP TABLE IF NOT EXISTS dst_%s (v customs_risk.%I)', typ, typ);
  FOR i IN 1..n LOOP
    b := orig;
    FOR j IN 1..(1 + floor(random() * 3)::int) LOOP
      pos := floor(random() * len)::int;
      IF random() < 0.5 THEN b := set_byte(b, pos, floor(random() * 256)::int);
      ELSE pos := pos * 8 + floor(random() * 8)::int; b := set_bit(b, pos, 1 - get_bit(b, pos)); END IF;
    END LOOP;
    IF random() < 0.15 THEN b := substr(b, 1, floor(random() * len)::int); END IF;
    IF random() < 0.05 THEN b := b || '\x00ff'::bytea; END IF;
    BEGIN
      EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', b, path);
      EXECUTE format('TRUNCATE dst_%s', typ);
      EXECUTE format('COPY dst_%s FROM %L (FORMAT binary)', typ, path);
      st := 'accepted';
      BEGIN
        EXECUTE format('SELECT (%s)::text FROM dst_%s AS d(v)', probe, typ) INTO r;
        EXECUTE format('SELECT v::text = v::text::customs_risk.%I::text FROM dst_%s', typ, typ) INTO r;
        st := 'accepted, probes ok, text round trip ' || coalesce(r, 'null');
      EXCEPTION WHEN OTHERS THEN st := 'accepted, probe error ' || SQLSTATE || ' ' || left(regexp_replace(SQLERRM, '[0-9][0-9.e+-]*', 'N', 'g'), 60);
      END;
      RAISE EXCEPTION USING ERRCODE = 'P0099', MESSAGE = st;
    EXCEPTION WHEN OTHERS THEN
      IF SQLSTATE = 'P0099' THEN res := res || SQLERRM; ELSE res := res || (SQLSTATE || ' ' || left(regexp_replace(SQLERRM, '[0-9][0-9.e+-]*', 'N', 'g'), 70)); END IF;
    END;
  END LOOP;
  RETURN QUERY SELECT u, count(*) FROM unnest(res) u GROUP BY u ORDER BY 2 DESC;
END $$;
SELECT 'compliance', * FROM pg_temp.fuzz_recv('compliance', 'hit_rate(v) + inspection_rate(v) + coalesce(extra_revenue(v),0) + (wilson_interval(v, 0.95))[1] + declarations(v) + pending_inspections(v) + (compliance_merge(v, v) IS NULL)::int', :n, 0.3);
SELECT 'hit_evidence', * FROM pg_temp.fuzz_recv('hit_evidence', 'posterior_mean(v, 1, 4) + (credible_interval(v, 0.9, 1, 4))[1] + hits(v) + inspections(v) + (hit_evidence_merge(v, v) IS NULL)::int + posterior_mean(decay_to(v, now() + interval ''10 days''), 1, 4)', :n, 0.4);
SELECT 'price_ref', * FROM pg_temp.fuzz_recv('price_ref', 'percentile_of(v, 3) + robust_z(v, 3) + quantile(v, 0.5) + price_count(v) + (SELECT price_count(price_ref_merge(w)) FROM (VALUES (v), (v)) t(w))', :n, 0.5);
SELECT 'daily_series', * FROM pg_temp.fuzz_recv('daily_series', '(SELECT count(*) FROM cusum_chart(v, 0.5, 4, 14, NULL, NULL)) + (SELECT count(*) FROM ewma_chart(v, 0.2, 3, 14, NULL, NULL)) + (SELECT count(*) FROM (SELECT daily_series_merge(w) FROM (VALUES (v), (v)) t(w)) z)', :n, 0.6);
