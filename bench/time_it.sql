-- Shared by the benchmark scripts (\ir time_it.sql): pg_temp.time_it(what, workers, query) runs
-- a query that returns one number three times with that many parallel workers per gather and
-- keeps the best time and the number in bench_timing; before, when given, is run untimed ahead
-- of each run (to undo what the last one wrote).  The query must read every result it times:
-- the planner replaces a subquery column nobody reads, aggregates included, by NULL.
CREATE TEMP TABLE IF NOT EXISTS bench_timing (what text, workers int, seconds float8, result float8);
CREATE FUNCTION pg_temp.time_it(what text, workers int, q text, before text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    best float8;
    n float8;
BEGIN
    EXECUTE format('SET max_parallel_workers_per_gather = %s', workers);
    FOR run IN 1..3 LOOP            -- the best of three: this machine's timings wander
        IF before IS NOT NULL THEN
            EXECUTE before;
        END IF;
        t0 := clock_timestamp();
        EXECUTE q INTO n;
        best := least(best, extract(epoch FROM clock_timestamp() - t0));
    END LOOP;
    INSERT INTO bench_timing VALUES (what, workers, best, n);
END $$;
