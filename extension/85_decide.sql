
-- ===========================================================================
-- Channel decisions: decide() for one declaration, select_for_day() in batch
-- ===========================================================================

-- The random draw of a declaration under a key: uniform in [0, 1), the same every time.
-- An auditor holding the key reproduces every random selection with it.
-- C: src/selection.c; the same as, in SQL,
--   ('x' || substr(encode(sha256(secret || convert_to(declaration_id, 'UTF8')), 'hex'), 1, 13))::bit(52)::bigint / 2^52
CREATE FUNCTION customs_risk.random_draw_with(secret bytea, declaration_id text) RETURNS float8
    AS 'MODULE_PATHNAME', 'random_draw_with' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.random_draw_with(bytea, text) IS
    'uniform draw in [0, 1) from SHA-256 of key and declaration id: reproduces random selection for an auditor who holds the key';

-- Make the key on first use (dumped with the data afterwards).
CREATE FUNCTION customs_risk.ensure_selection_secret() RETURNS void
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM customs_risk.selection_secret) THEN
        INSERT INTO customs_risk.selection_secret (secret)
        SELECT sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || clock_timestamp()::text, 'UTF8'))
        ON CONFLICT (singleton) DO NOTHING;
    END IF;
END
$fn$;
COMMENT ON FUNCTION customs_risk.ensure_selection_secret() IS 'create the random-selection key if there is none';

-- The draw under the database's key, without revealing the key.  C, reading the key itself
-- once per statement (src/selection.c): what a SECURITY DEFINER function would do, without an
-- identity switch per call that costs more than the draw.  Not granted to PUBLIC.
CREATE FUNCTION customs_risk.random_draw(declaration_id text) RETURNS float8
    AS 'MODULE_PATHNAME', 'random_draw' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.random_draw(text) IS
    'the declaration''s random draw under this database''s secret key (NULL before the key exists); the key itself stays hidden';

-- The draws of many declarations in one call (batch selection), in the order given.
CREATE FUNCTION customs_risk.random_draws_with(secret bytea, declaration_ids text[]) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'random_draws_with' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.random_draws_with(bytea, text[]) IS
    'random_draw_with() of each id, in order (NULL for a NULL id)';

CREATE FUNCTION customs_risk.random_draws(declaration_ids text[]) RETURNS float8[]
LANGUAGE sql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT customs_risk.random_draws_with(s.secret, declaration_ids) FROM customs_risk.selection_secret s
$fn$;
COMMENT ON FUNCTION customs_risk.random_draws(text[]) IS
    'the keyed random draws of many declarations at once, in the order given (not granted to PUBLIC)';

-- The policy that applies to a customs house: its own, its district's, the national one, or defaults.
CREATE FUNCTION customs_risk.effective_policy(house text) RETURNS customs_risk.channel_policy
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RETURN coalesce(
        (SELECT cp FROM customs_risk.office h
           LEFT JOIN customs_risk.office d ON d.office_code = h.parent_code
           JOIN customs_risk.channel_policy cp ON cp.office_code IN (h.office_code, d.office_code, d.parent_code)
          WHERE h.office_code = effective_policy.house
          ORDER BY CASE cp.office_code WHEN h.office_code THEN 1 WHEN d.office_code THEN 2 ELSE 3 END
          LIMIT 1),
        ROW(house, 0.03, 0.07, 0.02, 0.01, 'yellow', 0, NULL, now(), NULL, NULL, NULL, 'profile')::customs_risk.channel_policy);
END
$fn$;
-- The channel a model score asks for under a policy's thresholds.
CREATE FUNCTION customs_risk.model_channel(model_score float8, yellow float8, red float8) RETURNS customs_risk.channel
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    -- typed literals: a text-to-enum cast is stable, and would stop this from being inlined
    SELECT CASE WHEN model_score >= red THEN 'red'::customs_risk.channel
                WHEN model_score >= yellow THEN 'yellow'::customs_risk.channel
                ELSE 'green'::customs_risk.channel END
$fn$;
COMMENT ON FUNCTION customs_risk.model_channel(float8, float8, float8) IS
    'red at or above the red threshold, yellow at or above the yellow one, else green (NULL score or threshold: no effect)';

COMMENT ON FUNCTION customs_risk.effective_policy(text) IS
    'the channel policy of a customs house: its own row, else its district''s, else the national row, else the built-in defaults';

CREATE FUNCTION customs_risk.decide(declaration_id text) RETURNS customs_risk.decision
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    decl record;
    m record;
    pol customs_risk.channel_policy;
    result customs_risk.decision;
    draw float8;
    by_model customs_risk.channel := 'green';
    imp_grade customs_risk.trader_grade;
    gp record;
    selected customs_risk.channel;
BEGIN
    IF declaration_id IS NULL THEN
        RAISE EXCEPTION 'decide() needs a declaration id, not NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT d.declaration_id, d.office_code, d.importer_id, d.declared_on INTO decl
      FROM customs_risk.declaration d WHERE d.declaration_id = decide.declaration_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'declaration % does not exist', quote_literal(declaration_id) USING ERRCODE = 'no_data_found';
    END IF;
    pol := customs_risk.effective_policy(decl.office_code);

    -- Lines, matches and the profile-set version in one statement: one snapshot, one version.
    IF pol.model_name IS NULL THEN
        -- the ids in C from each line, then what they amount to: a small plan, quick to start
        SELECT x.lines, x.ids, s.reasons, s.score, s.channel, s.profile_set_version AS version,
               NULL::float8 AS model_score
          INTO m
          FROM (SELECT count(*) AS lines, customs_risk.profile_union(customs_risk.match_profiles(v)) AS ids
                  FROM customs_risk.declaration_line_v v
                 WHERE v.declaration_id = decl.declaration_id) x,
               LATERAL customs_risk.profile_summary(coalesce(x.ids, '{}')) s;
    ELSE
        -- with a model, lines are matched with their model score, so profiles can use it
        -- (the declaration's model score is its highest line's); then as above
        WITH scored AS MATERIALIZED (
            SELECT v.*, customs_risk.score(pol.model_name, v) AS model_score
              FROM customs_risk.model_line_v v WHERE v.declaration_id = decl.declaration_id
        )
        SELECT x.lines, x.ids, s.reasons, s.score, s.channel, s.profile_set_version AS version, x.model_score
          INTO m
          FROM (SELECT count(*) AS lines, customs_risk.profile_union(customs_risk.match_profiles(v)) AS ids,
                       max(v.model_score) AS model_score
                  FROM scored v) x,
               LATERAL customs_risk.profile_summary(coalesce(x.ids, '{}')) s;
    END IF;
    IF m.lines = 0 THEN
        RAISE EXCEPTION 'declaration % has no lines to decide on', quote_literal(declaration_id)
            USING ERRCODE = 'no_data_found';
    END IF;

    draw := customs_risk.random_draw(decl.declaration_id);
    IF draw IS NULL THEN        -- no key yet: make it once
        PERFORM customs_risk.ensure_selection_secret();
        draw := customs_risk.random_draw(decl.declaration_id);
    END IF;

    result.declaration_id := decl.declaration_id;
    result.profile_ids := m.ids;
    result.reasons := m.reasons;
    result.score := m.score;
    result.profile_set_version := m.version;
    result.model_score := m.model_score;
    result.channel := CASE WHEN cardinality(m.ids) > pol.max_hits_green THEN m.channel ELSE 'green' END;
    by_model := customs_risk.model_channel(m.model_score, pol.model_yellow, pol.model_red);
    IF by_model > 'green' THEN
        result.reasons := result.reasons || format('risk model %s scored %s, at or above its %s threshold',
                                                   pol.model_name, round(m.model_score::numeric, 3), by_model);
        result.channel := greatest(result.channel, by_model);
    END IF;

    -- the importer's grade: certified traders keep a share of their selections, dishonest
    -- ones are inspected at least at a rate (grade_policies())
    SELECT p.* INTO gp FROM customs_risk.grade_policies() p
     WHERE p.grade = coalesce((SELECT h.grade FROM customs_risk.trader_grade_history h
                                WHERE h.trader_id = decl.importer_id AND h.valid_from <= decl.declared_on
                                  AND (h.valid_to IS NULL OR h.valid_to > decl.declared_on)), 'general_credit');
    imp_grade := gp.grade;
    IF gp.rate_factor IS NOT NULL OR gp.min_rate IS NOT NULL THEN
        selected := result.channel;
        result.channel := customs_risk.grade_channel(selected, customs_risk.grade_draw(decl.declaration_id),
                                                     gp.rate_factor, gp.min_rate);
        IF result.channel < selected THEN
            result.reasons := result.reasons || format('%s importer: selection waived (%s of selections kept)',
                                                       imp_grade, gp.rate_factor);
        ELSIF result.channel > selected THEN
            result.reasons := result.reasons || format('%s importer: inspected (at least %s of its declarations)',
                                                       imp_grade, gp.min_rate);
        END IF;
    END IF;
    result.random := draw < pol.random_rate * coalesce(gp.rate_factor, 1);
    IF result.random AND result.channel < pol.random_channel THEN
        result.channel := pol.random_channel;
    END IF;

    INSERT INTO customs_risk.decision_log
        (declaration_id, office_code, channel, score, profile_ids, random, selected_by, profile_set_version,
         model_name, model_score)
    VALUES (result.declaration_id, decl.office_code, result.channel, result.score, result.profile_ids,
            result.random, 'decide', result.profile_set_version, pol.model_name, result.model_score);
    RETURN result;
END
$fn$;
COMMENT ON FUNCTION customs_risk.decide(text) IS
    'the channel decision for one declaration (profiles matched by any line, policy of its office, keyed random draw), written to decision_log';

-- Batch selection for one day, ASYCUDA order: profile hits, then the random quota (always kept:
-- the control sample), then a top-up from the highest-scoring would-be-green declarations to the
-- expected shares; inspections (yellow, red) never exceed the office's daily capacity.
CREATE FUNCTION customs_risk.select_for_day(day date, office text DEFAULT NULL)
RETURNS TABLE (office_code text, declarations bigint, red bigint, yellow bigint, blue bigint, green bigint,
               by_profile bigint, by_random bigint, topped_up bigint, held_back bigint, daily_capacity integer,
               by_model bigint)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET default_toast_compression = 'pglz'      -- confines the SET LOCAL below to this function
-- the work tables are analysed for their plans' row counts and channel shares: a sample of
-- 3,000 rows gives those; the default 30,000 cost a million-declaration batch a fifth of a second
SET default_statistics_target = 10
AS $fn$
DECLARE
    batch_at timestamptz := clock_timestamp();
    batch_by text := session_user;
    batch_id bigint;
    t timestamptz := clock_timestamp();
    with_model boolean;
BEGIN
    IF day IS NULL THEN
        RAISE EXCEPTION 'select_for_day() needs a day, not NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF office IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customs_risk.office o WHERE o.office_code = office AND o.level = 'house') THEN
        RAISE EXCEPTION 'office % is not a customs house', quote_literal(office) USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM customs_risk.ensure_selection_secret();
    -- Rows with hundreds of matched profiles pass the size at which PostgreSQL compresses
    -- them; lz4 does that several times faster than pglz (a few percent of the batch), where
    -- the server was built with it.
    BEGIN
        SET LOCAL default_toast_compression = 'lz4';
    EXCEPTION WHEN invalid_parameter_value THEN
        NULL;
    END;
    with_model := EXISTS (SELECT 1 FROM customs_risk.channel_policy cp WHERE cp.model_name IS NOT NULL);

    -- The policy of each customs house, once (every step reads the same one): sel keeps
    -- per declaration only what differs between declarations.
    CREATE TEMP TABLE sel_pol ON COMMIT DROP AS
    SELECT h.office_code AS code, p.*
      FROM customs_risk.office h, LATERAL customs_risk.effective_policy(h.office_code) p
     WHERE h.level = 'house' AND (select_for_day.office IS NULL OR h.office_code = select_for_day.office);
    ANALYZE sel_pol;

    -- 1. one statement matches every line of the day, scores each declaration and gives its
    --    first channel from profile hits, the model, the importer's grade and the random draw:
    --    the matcher, the scores and the version come from one snapshot, so they agree.  It is
    --    the only pass over all declarations that is written out, in declaration order, which
    --    the log keeps (its index then grows at one end).
    CREATE TEMP TABLE sel ON COMMIT DROP AS
    WITH per_decl AS (
        -- Each branch groups in declaration order (ORDER BY ... OFFSET 0): the planner can then
        -- group lines as they come in key order, and the hash joins to the small policy
        -- tables below keep that order, so sel is written in declaration order without a
        -- sort of its own (sorting a million wide rows was a tenth of the statement), and the
        -- log's declaration index grows at one end.  Order is only speed: every result is the
        -- same without it.
        -- Without a model anywhere: the plain lines (a one-time filter skips the other branch).
        -- Lines are matched below the grouping, so it keeps four narrow columns a line rather
        -- than the two dozen the matcher reads (copying those was a sixth of the statement).
        (SELECT l.declaration_id, min(l.office) AS office_code, min(l.importer) AS importer,
               customs_risk.profile_union(l.ids) AS ids, NULL::float8 AS model_score
          FROM (SELECT v.declaration_id, v.office, v.importer, customs_risk.match_profiles(v) AS ids
                  FROM customs_risk.declaration_line_v v
                 WHERE NOT with_model AND v.declared_on = select_for_day.day
                   AND (select_for_day.office IS NULL OR v.office = select_for_day.office)
                 ORDER BY v.declaration_id OFFSET 0) l
         GROUP BY l.declaration_id
         ORDER BY l.declaration_id OFFSET 0)
        UNION ALL
        -- some office scores with a model: lines are matched with their model score (the
        -- highest line is the declaration's), as decide() does
        (SELECT m.declaration_id, min(m.office), min(m.importer), customs_risk.profile_union(m.ids), max(m.model_score)
          FROM (SELECT l.declaration_id, l.office, l.importer, l.model_score, customs_risk.match_profiles(l) AS ids
                  FROM (SELECT v.*, CASE WHEN p.model_name IS NOT NULL THEN customs_risk.score(p.model_name, v) END AS model_score
                          FROM customs_risk.model_line_v v
                          JOIN sel_pol p ON p.code = v.office
                         WHERE with_model AND v.declared_on = select_for_day.day
                           AND (select_for_day.office IS NULL OR v.office = select_for_day.office)) l
                 ORDER BY l.declaration_id OFFSET 0) m
         GROUP BY m.declaration_id
         ORDER BY m.declaration_id OFFSET 0)
    ), gp AS MATERIALIZED (
        SELECT * FROM customs_risk.grade_policies()     -- four rows, computed once
    ), graded AS (
        SELECT d.*, customs_risk.profile_score(d.ids) AS score, customs_risk.profile_channel(d.ids) AS profile_channel,
               customs_risk.random_draw(d.declaration_id) AS draw, g.rate_factor, g.min_rate,
               CASE WHEN g.rate_factor IS NOT NULL OR g.min_rate IS NOT NULL
                    THEN customs_risk.grade_draw(d.declaration_id) END AS gdraw
          FROM per_decl d
          -- the importer's grade policy, else general credit's: the few graded importers are
          -- joined with their policies first, so the declarations probe one hash table, not two
          LEFT JOIN (SELECT h.trader_id, p.rate_factor, p.min_rate
                       FROM customs_risk.trader_grade_history h JOIN gp p ON p.grade = h.grade
                      WHERE h.valid_from <= select_for_day.day
                        AND (h.valid_to IS NULL OR h.valid_to > select_for_day.day)) hg ON hg.trader_id = d.importer,
               LATERAL (SELECT CASE WHEN hg.trader_id IS NULL
                                    THEN (SELECT p.rate_factor FROM gp p WHERE p.grade = 'general_credit')
                                    ELSE hg.rate_factor END AS rate_factor,
                               CASE WHEN hg.trader_id IS NULL
                                    THEN (SELECT p.min_rate FROM gp p WHERE p.grade = 'general_credit')
                                    ELSE hg.min_rate END AS min_rate) g
        OFFSET 0    -- a fence: inlined, each draw and score would be computed once per use
    ), s AS (
        SELECT d.*, p.model_name, p.topup_by = 'model' OR NULL AS topup_model, p.random_channel,
               cardinality(d.ids) > p.max_hits_green AS hit,
               customs_risk.model_channel(d.model_score, p.model_yellow, p.model_red) > 'green' AS by_model,
               d.draw < p.random_rate * coalesce(d.rate_factor, 1) AS rnd,
               greatest(CASE WHEN cardinality(d.ids) > p.max_hits_green THEN d.profile_channel
                             ELSE 'green'::customs_risk.channel END,
                        customs_risk.model_channel(d.model_score, p.model_yellow, p.model_red)) AS selected
          FROM graded d JOIN sel_pol p ON p.code = d.office_code
        OFFSET 0
    )
    SELECT s.declaration_id, s.office_code, s.ids, s.score, s.draw, s.model_score, s.model_name, s.topup_model,
           s.hit, s.by_model, s.rnd, s.rate_factor, s.gdraw,
           customs_risk.grade_channel(s.selected, s.gdraw, s.rate_factor, s.min_rate) <> s.selected AS by_grade,
           greatest(customs_risk.grade_channel(s.selected, s.gdraw, s.rate_factor, s.min_rate),
                    CASE WHEN s.rnd THEN s.random_channel ELSE 'green'::customs_risk.channel END) AS ch0,
           (SELECT customs_risk.profile_set_version()) AS version      -- once, not per row
      FROM s;
    -- temp tables have no statistics until analysed; the columns the later steps filter,
    -- join and group on (the id arrays' element statistics would cost more than the rest)
    ANALYZE sel (declaration_id, office_code, ch0, rnd, score, topup_model, rate_factor);
    RAISE DEBUG 'select_for_day: matched, scored and first channels in % ms', round(extract(epoch FROM clock_timestamp() - t) * 1000); t := clock_timestamp();

    -- 2. capacity per office: random selections are kept (the control sample) and counted
    --    first, then profile hits by score; inspections past capacity are held back to blue
    --    (post-clearance audit).  Only the held-back ids are written.
    CREATE TEMP TABLE sel_held ON COMMIT DROP AS
    SELECT r.declaration_id
      FROM (SELECT f.declaration_id, f.office_code,
                   row_number() OVER (PARTITION BY f.office_code
                                      ORDER BY f.score DESC, f.model_score DESC NULLS LAST, f.draw,
                                               f.declaration_id) AS k
              FROM sel f
             WHERE f.ch0 IN ('yellow', 'red') AND NOT f.rnd
               AND f.office_code IN (SELECT p.code FROM sel_pol p WHERE p.daily_capacity IS NOT NULL)) r
      JOIN (SELECT f.office_code, count(*) FILTER (WHERE f.rnd AND f.ch0 IN ('yellow', 'red')) AS n_rnd_inspect
              FROM sel f
             WHERE f.office_code IN (SELECT p.code FROM sel_pol p WHERE p.daily_capacity IS NOT NULL)
             GROUP BY f.office_code) o ON o.office_code = r.office_code
      JOIN sel_pol p ON p.code = r.office_code
     WHERE o.n_rnd_inspect + r.k > p.daily_capacity;
    ANALYZE sel_held;
    RAISE DEBUG 'select_for_day: capacity in % ms', round(extract(epoch FROM clock_timestamp() - t) * 1000); t := clock_timestamp();

    -- 3. the top-up to the expected shares, from the highest-scoring would-be-green
    --    declarations (ties broken by the keyed random draw), within the room capacity leaves.
    --    One pass counts each office's declarations by channel after capacity, and its
    --    top-up candidates without a hit (score 0, ranked by draw alone) by draw in 4096
    --    buckets: the ranking then needs only the scored candidates and the unscored ones
    --    up to the bucket where an office's quota is reached, not every green declaration.
    --    The same pass counts what the summary reports, so no further pass is needed for it.
    CREATE TEMP TABLE sel_counts ON COMMIT DROP AS
    SELECT a.office_code, c.ch1, c.eligible, a.score > 0 AS scored,
           CASE WHEN c.ch1 = 'green' AND c.eligible AND a.score = 0 THEN floor(a.draw * 4096)::int END AS bucket,
           count(*) AS n,
           count(*) FILTER (WHERE a.hit AND NOT a.held) AS n_hit,
           count(*) FILTER (WHERE a.rnd) AS n_rnd,
           count(*) FILTER (WHERE a.held) AS n_held,
           count(*) FILTER (WHERE a.by_model AND NOT a.hit AND NOT a.held) AS n_model
      -- held back, asked once a declaration (the fence) of a hashed subplan: when capacity held
      -- none back (the common case) it answers without hashing the id, which a join would do
      FROM (SELECT f.office_code, f.score, f.draw, f.hit, f.rnd, f.by_model, f.ch0, f.rate_factor, f.gdraw,
                   f.declaration_id IN (SELECT x.declaration_id FROM sel_held x) AS held
              FROM sel f OFFSET 0) a,
           -- greens a certified importer's grade draw keeps out of the top-up are not candidates
           LATERAL (SELECT CASE WHEN a.held THEN 'blue'::customs_risk.channel ELSE a.ch0 END AS ch1,
                           (a.rate_factor IS NULL OR a.gdraw < a.rate_factor) AS eligible) c
     GROUP BY 1, 2, 3, 4, 5;
    ANALYZE sel_counts;

    CREATE TEMP TABLE sel_topup ON COMMIT DROP AS
    WITH quota AS (
        SELECT q.office_code, q.n_scored, q.n_unscored, q.red_up, q.yellow_up,
               greatest(0, round(q.share_blue * q.n)::bigint - q.n_blue) AS blue_up
          FROM (SELECT r.*,
                       greatest(0, least(round(r.share_red * r.n)::bigint - r.n_red, r.room)) AS red_up,
                       greatest(0, least(round(r.share_yellow * r.n)::bigint - r.n_yellow,
                                         r.room - greatest(0, least(round(r.share_red * r.n)::bigint - r.n_red, r.room)))) AS yellow_up
                  FROM (SELECT k.*, p.share_red, p.share_yellow, p.share_blue,
                               coalesce(p.daily_capacity::bigint - k.n_inspected, k.n) AS room
                          FROM (SELECT c.office_code, sum(c.n)::bigint AS n,
                                       coalesce(sum(c.n) FILTER (WHERE c.ch1 = 'red'), 0)::bigint AS n_red,
                                       coalesce(sum(c.n) FILTER (WHERE c.ch1 = 'yellow'), 0)::bigint AS n_yellow,
                                       coalesce(sum(c.n) FILTER (WHERE c.ch1 = 'blue'), 0)::bigint AS n_blue,
                                       coalesce(sum(c.n) FILTER (WHERE c.ch1 = 'green' AND c.eligible AND c.scored), 0)::bigint AS n_scored,
                                       coalesce(sum(c.n) FILTER (WHERE c.ch1 = 'green' AND c.eligible AND NOT c.scored), 0)::bigint AS n_unscored,
                                       coalesce(sum(c.n) FILTER (WHERE c.ch1 IN ('red', 'yellow')), 0)::bigint AS n_inspected
                                  FROM sel_counts c GROUP BY c.office_code) k
                          JOIN sel_pol p ON p.code = k.office_code) r) q
    ), cut AS (
        -- the first draw bucket by which an office has one unscored candidate more than it
        -- can take; none (NULL): it may take them all
        SELECT b.office_code, min(b.bucket) FILTER (WHERE b.upto > b.need) AS bucket_cut
          FROM (SELECT c.office_code, c.bucket,
                       sum(c.n) OVER (PARTITION BY c.office_code ORDER BY c.bucket) AS upto,
                       greatest(q.red_up + q.yellow_up + q.blue_up - q.n_scored, 0) AS need
                  FROM sel_counts c JOIN quota q ON q.office_code = c.office_code
                 WHERE c.bucket IS NOT NULL) b
         GROUP BY b.office_code
    )
    -- (an office that tops up by model score ranks all its greens by it)
    SELECT g.declaration_id, g.office_code,
           CASE WHEN g.k <= q.red_up THEN 'red'
                WHEN g.k <= q.red_up + q.yellow_up THEN 'yellow'
                ELSE 'blue' END::customs_risk.channel AS ch2
      FROM (SELECT a.declaration_id, a.office_code,
                   row_number() OVER (PARTITION BY a.office_code
                                      ORDER BY CASE WHEN a.topup_model THEN a.model_score END DESC NULLS LAST,
                                               a.score DESC, a.draw, a.declaration_id) AS k
              FROM sel a
              LEFT JOIN cut c ON c.office_code = a.office_code
             WHERE a.ch0 = 'green' AND a.declaration_id NOT IN (SELECT x.declaration_id FROM sel_held x)
               AND (a.score > 0 OR a.topup_model IS TRUE OR c.bucket_cut IS NULL OR floor(a.draw * 4096)::int <= c.bucket_cut)
               AND (a.rate_factor IS NULL OR a.gdraw < a.rate_factor)) g
      JOIN quota q ON q.office_code = g.office_code
     WHERE g.k <= q.red_up + q.yellow_up + q.blue_up;
    ANALYZE sel_topup;
    RAISE DEBUG 'select_for_day: top-up in % ms', round(extract(epoch FROM clock_timestamp() - t) * 1000); t := clock_timestamp();

    -- 4. the log, one time for the batch; sel is in declaration order and the join to the
    --    small topped-up set keeps it.  The batch's decisions are made at once and share one
    --    decision_id, taken now (after any decide() that ran during the batch): the key
    --    (declaration_id, decision_id) stays unique, as a batch decides a declaration once, and a
    --    sequence call per row was a quarter of this step.
    batch_id := nextval('customs_risk.decision_log_decision_id_seq'::regclass);
    INSERT INTO customs_risk.decision_log
        (decision_id, declaration_id, office_code, channel, score, profile_ids, random, selected_by, profile_set_version,
         decided_at, decided_by, model_name, model_score)
    OVERRIDING SYSTEM VALUE
    SELECT batch_id, o.declaration_id, o.office_code,
           coalesce(t.ch2, CASE WHEN h.held THEN 'blue'::customs_risk.channel ELSE o.ch0 END),
           o.score, o.ids, o.rnd,
           CASE WHEN o.rnd THEN 'batch-random' WHEN h.held THEN 'batch-capacity'
                WHEN t.ch2 IS NOT NULL THEN 'batch-topup' WHEN o.by_grade THEN 'batch-grade'
                WHEN o.hit THEN 'batch-profile' WHEN o.by_model THEN 'batch-model' ELSE 'batch-green' END,
           o.version, batch_at, batch_by, o.model_name, o.model_score
      FROM sel o
      CROSS JOIN LATERAL (SELECT o.declaration_id IN (SELECT x.declaration_id FROM sel_held x) AS held) h
      LEFT JOIN sel_topup t ON t.declaration_id = o.declaration_id;
    RAISE DEBUG 'select_for_day: logged in % ms', round(extract(epoch FROM clock_timestamp() - t) * 1000);

    -- the summary from the counts and the top-up: topped-up declarations were green
    RETURN QUERY
    SELECT c.office_code::text, c.n, c.n_red + coalesce(t.up_red, 0), c.n_yellow + coalesce(t.up_yellow, 0),
           c.n_blue + coalesce(t.up_blue, 0), c.n_green - coalesce(t.up, 0), c.n_hit, c.n_rnd,
           coalesce(t.up, 0), c.n_held, (SELECT p.daily_capacity FROM sel_pol p WHERE p.code = c.office_code), c.n_model
      FROM (SELECT k.office_code, sum(k.n)::bigint AS n,
                   coalesce(sum(k.n) FILTER (WHERE k.ch1 = 'red'), 0)::bigint AS n_red,
                   coalesce(sum(k.n) FILTER (WHERE k.ch1 = 'yellow'), 0)::bigint AS n_yellow,
                   coalesce(sum(k.n) FILTER (WHERE k.ch1 = 'blue'), 0)::bigint AS n_blue,
                   coalesce(sum(k.n) FILTER (WHERE k.ch1 = 'green'), 0)::bigint AS n_green,
                   sum(k.n_hit)::bigint AS n_hit, sum(k.n_rnd)::bigint AS n_rnd, sum(k.n_held)::bigint AS n_held,
                   sum(k.n_model)::bigint AS n_model
              FROM sel_counts k GROUP BY k.office_code) c
      LEFT JOIN (SELECT u.office_code, count(*) AS up, count(*) FILTER (WHERE u.ch2 = 'red') AS up_red,
                        count(*) FILTER (WHERE u.ch2 = 'yellow') AS up_yellow,
                        count(*) FILTER (WHERE u.ch2 = 'blue') AS up_blue
                   FROM sel_topup u GROUP BY u.office_code) t ON t.office_code = c.office_code
     ORDER BY c.office_code;
    DROP TABLE sel, sel_held, sel_counts, sel_topup, sel_pol;
END
$fn$;
COMMENT ON FUNCTION customs_risk.select_for_day(date, text) IS
    'decide every declaration of a day (one office or all) in ASYCUDA order: profile hits, random quota, capacity, top-up; logs every decision';
