
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
    AS 'MODULE_PATHNAME', 'random_draw' LANGUAGE C STABLE STRICT PARALLEL SAFE COST 5;
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

-- The policy that applies to a customs house: its own, its district's, the national one, or
-- defaults.  Read from the tables by effective_policy_read(); effective_policy() (C) keeps every
-- office's for the profile-set version, which changes to channel_policy and office raise
-- (src/policy_cache.c); decide() reads it with the version, so the version names it.
CREATE FUNCTION customs_risk.effective_policy_read(house text) RETURNS customs_risk.channel_policy
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RETURN coalesce(
        (SELECT cp FROM customs_risk.office h
           LEFT JOIN customs_risk.office d ON d.office_code = h.parent_code
           JOIN customs_risk.channel_policy cp ON cp.office_code IN (h.office_code, d.office_code, d.parent_code)
          WHERE h.office_code = effective_policy_read.house
          ORDER BY CASE cp.office_code WHEN h.office_code THEN 1 WHEN d.office_code THEN 2 ELSE 3 END
          LIMIT 1),
        ROW(house, 0.03, 0.07, 0.02, 0.01, 'yellow', 0, NULL, now(), NULL, NULL, NULL, 'profile')::customs_risk.channel_policy);
END
$fn$;
COMMENT ON FUNCTION customs_risk.effective_policy_read(text) IS
    'effective_policy() read from the tables, as it is kept (call effective_policy())';

CREATE FUNCTION customs_risk.effective_policy(house text) RETURNS customs_risk.channel_policy
    AS 'MODULE_PATHNAME', 'effective_policy' LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- The error of the channel rules below for an argument out of its range, raised from the
-- branch of their CASE that finds it: immutable, so they are still inlined.
CREATE FUNCTION customs_risk.channel_rule_refuses(what text) RETURNS customs_risk.channel
LANGUAGE plpgsql IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RAISE EXCEPTION '%', coalesce(what, 'a channel rule argument is out of range') USING ERRCODE = 'invalid_parameter_value';
END
$fn$;
COMMENT ON FUNCTION customs_risk.channel_rule_refuses(text) IS
    'raise 22023 with the message given (model_channel and grade_channel, for an argument out of range)';

-- The channel a model score asks for under a policy's thresholds.
CREATE FUNCTION customs_risk.model_channel(model_score float8, yellow float8, red float8) RETURNS customs_risk.channel
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    -- typed literals: a text-to-enum cast is stable, and would stop this from being inlined;
    -- NaN is above every number in SQL, so it is named first, or it would read as red
    SELECT CASE WHEN NOT model_score BETWEEN 0 AND 1
                THEN customs_risk.channel_rule_refuses('model score must lie in [0, 1], not ' || model_score::text)
                WHEN NOT yellow BETWEEN 0 AND 1 OR NOT red BETWEEN 0 AND 1
                THEN customs_risk.channel_rule_refuses('model thresholds must lie in [0, 1], not ' || coalesce(yellow::text, 'NULL')
                                                         || ' and ' || coalesce(red::text, 'NULL'))
                WHEN yellow > red
                THEN customs_risk.channel_rule_refuses('the yellow threshold ' || yellow::text || ' is above the red one ' || red::text)
                WHEN model_score >= red THEN 'red'::customs_risk.channel
                WHEN model_score >= yellow THEN 'yellow'::customs_risk.channel
                ELSE 'green'::customs_risk.channel END
$fn$;
COMMENT ON FUNCTION customs_risk.model_channel(float8, float8, float8) IS
    'red at or above the red threshold, yellow at or above the yellow one, else green (NULL score or threshold: no effect; NaN or outside [0, 1], or yellow above red: 22023)';

COMMENT ON FUNCTION customs_risk.effective_policy(text) IS
    'the channel policy of a customs house: its own row, else its district''s, else the national row, else the built-in defaults (kept per session for the profile-set version)';

-- decide()'s body, with its owner's rights, so that a logged decision is always one the
-- extension computed (no analyst may insert into decision_log).  decide() (C, below) calls it
-- with the role it was called as; whose declarations it decides is that role's scope
-- (decision_houses_of()): another district's declaration does not exist for it, as when
-- decide() ran with its caller's rights.  Not executable by PUBLIC: nobody passes another role.
CREATE FUNCTION customs_risk.decide_as_owner(declaration_id text, caller oid) RETURNS customs_risk.decision
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    houses text[];
    decl record;
    m record;
    pol customs_risk.channel_policy;
    result customs_risk.decision;
    draw float8;
    by_model customs_risk.channel := 'green';
    selected customs_risk.channel;
BEGIN
    IF declaration_id IS NULL THEN
        RAISE EXCEPTION 'decide() needs a declaration id, not NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    houses := customs_risk.decision_houses_of(caller);
    -- the declaration with its office's policy (kept per session: effective_policy()) and its
    -- importer's grade policy (grade_policies(); the ungraded are general credit), in one statement
    SELECT d.declaration_id, d.office_code, d.importer_id, d.declared_on,
           customs_risk.effective_policy(d.office_code) AS pol, g.grade, g.rate_factor, g.min_rate
      INTO decl
      FROM customs_risk.declaration d
      LEFT JOIN LATERAL (
            SELECT gpol.grade, gpol.rate_factor, gpol.min_rate FROM customs_risk.grade_policies() gpol
             WHERE gpol.grade = coalesce((SELECT h.grade FROM customs_risk.trader_grade_history h
                                           WHERE h.trader_id = d.importer_id AND h.valid_from <= d.declared_on
                                             AND (h.valid_to IS NULL OR h.valid_to > d.declared_on)),
                                         'general_credit')) g ON true
     WHERE d.declaration_id = decide_as_owner.declaration_id AND (houses IS NULL OR d.office_code = ANY (houses));
    IF NOT FOUND THEN
        RAISE EXCEPTION 'declaration % does not exist', quote_literal(declaration_id) USING ERRCODE = 'no_data_found';
    END IF;
    pol := decl.pol;

    -- Lines, matches, the profile-set version and the policy in one statement: one snapshot,
    -- one version.  The policy read above chose whether lines are scored; if it changed before
    -- this statement (a concurrent commit), the statement runs again with the one that goes with
    -- the version, so the logged version names the policy the decision used.
    LOOP
        IF pol.model_name IS NULL THEN
            -- the ids in C from each line, then what they amount to: a small plan, quick to start
            SELECT x.lines, x.ids, s.reasons, s.score, s.channel, s.profile_set_version AS version,
                   NULL::float8 AS model_score, customs_risk.effective_policy(decl.office_code) AS pol
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
            SELECT x.lines, x.ids, s.reasons, s.score, s.channel, s.profile_set_version AS version, x.model_score,
                   customs_risk.effective_policy(decl.office_code) AS pol
              INTO m
              FROM (SELECT count(*) AS lines, customs_risk.profile_union(customs_risk.match_profiles(v)) AS ids,
                           max(v.model_score) AS model_score
                      FROM scored v) x,
                   LATERAL customs_risk.profile_summary(coalesce(x.ids, '{}')) s;
        END IF;
        EXIT WHEN m.pol IS NOT DISTINCT FROM pol;
        pol := m.pol;
    END LOOP;
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

    -- the importer's grade (read above): certified traders keep a share of their selections,
    -- dishonest ones are inspected at least at a rate
    IF decl.rate_factor IS NOT NULL OR decl.min_rate IS NOT NULL THEN
        selected := result.channel;
        result.channel := customs_risk.grade_channel(selected, customs_risk.grade_draw(decl.declaration_id),
                                                     decl.rate_factor, decl.min_rate);
        IF result.channel < selected THEN
            result.reasons := result.reasons || format('%s importer: selection waived (%s of selections kept)',
                                                       decl.grade, decl.rate_factor);
        ELSIF result.channel > selected THEN
            result.reasons := result.reasons || format('%s importer: inspected (at least %s of its declarations)',
                                                       decl.grade, decl.min_rate);
        END IF;
    END IF;
    result.random := draw < pol.random_rate * coalesce(decl.rate_factor, 1);
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
COMMENT ON FUNCTION customs_risk.decide_as_owner(text, oid) IS
    'decide()''s body, run with its owner''s rights for the role decide() was called as (call decide())';
REVOKE EXECUTE ON FUNCTION customs_risk.decide_as_owner(text, oid) FROM PUBLIC;

-- The channel decision for one declaration: decide_as_owner() for the role it is called as
-- (src/decide_entry.c).  C, since inside a SECURITY DEFINER function nothing names that role.
-- COST as the plpgsql body's: it writes the log, so cheaper conditions of a query filter first
-- (a C function's default cost of 1 would run it before them, deciding rows they drop).
CREATE FUNCTION customs_risk.decide(declaration_id text) RETURNS customs_risk.decision
    AS 'MODULE_PATHNAME', 'decide_entry' LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE COST 100;
COMMENT ON FUNCTION customs_risk.decide(text) IS
    'the channel decision for one declaration (profiles matched by any line, policy of its office, keyed random draw), written to decision_log';

-- Batch selection for one day, ASYCUDA order: profile hits, then the random quota (always kept:
-- the control sample), then a top-up from the highest-scoring would-be-green declarations to the
-- expected shares; inspections (yellow, red) never exceed the office's daily capacity.
--
-- Two parts.  batch_first_channels() is the one pass over the day's lines, in SQL: it matches
-- every line and gives its model score.  batch_channels() (C) reads the offices' and the
-- grades' policies and then that pass's lines as they come, in the same snapshot; gathers each
-- declaration's lines; gives it its score, draws and first channel; ranks the declarations for
-- capacity and the top-up; and logs them.  A work table written and read three times had been
-- about a fifth of a batch; the per-declaration grouping, joins and expressions in SQL (five
-- more plan levels) about a third of what was left.

-- The first pass: the day's lines with their matched profiles and model score, in declaration
-- order, so a declaration's lines come together (and the log's index grows at one end).
-- Written for batch_channels(); LANGUAGE sql without SET clauses, so the planner inlines it.
CREATE FUNCTION customs_risk.batch_first_channels(day date, office text, with_model boolean)
RETURNS TABLE (declaration_id text, office_code text, importer text, ids bigint[], model_score float8)
LANGUAGE sql STABLE PARALLEL UNSAFE
AS $fn$
    WITH pol AS MATERIALIZED (
        -- the model of each customs house, once (only the branch with a model reads it)
        SELECT h.office_code AS code, p.model_name
          FROM customs_risk.office h, LATERAL customs_risk.effective_policy(h.office_code) p
         WHERE h.level = 'house'
           AND (batch_first_channels.office IS NULL OR h.office_code = batch_first_channels.office)
    )
    -- Each branch in declaration order (ORDER BY ... OFFSET 0): the planner then reads the lines
    -- and their declarations by their keys, in that order, and merges the two branches (one is
    -- planned away) without sorting a million rows.
    SELECT * FROM (
        -- without a model anywhere: the plain lines; the matcher reads the view's columns, only
        -- four narrow ones go on
        (SELECT v.declaration_id, v.office, v.importer, customs_risk.match_profiles(v) AS ids, NULL::float8 AS model_score
           FROM customs_risk.declaration_line_v v
          WHERE NOT batch_first_channels.with_model AND v.declared_on = batch_first_channels.day
            AND (batch_first_channels.office IS NULL OR v.office = batch_first_channels.office)
          ORDER BY v.declaration_id OFFSET 0)
        UNION ALL
        -- some office scores with a model: lines are matched with their model score, as decide() does
        (SELECT l.declaration_id, l.office, l.importer, customs_risk.match_profiles(l), l.model_score
           FROM (SELECT v.*, CASE WHEN p.model_name IS NOT NULL THEN customs_risk.score(p.model_name, v) END AS model_score
                   FROM customs_risk.model_line_v v
                   JOIN pol p ON p.code = v.office
                  WHERE batch_first_channels.with_model AND v.declared_on = batch_first_channels.day
                    AND (batch_first_channels.office IS NULL OR v.office = batch_first_channels.office)) l
          ORDER BY l.declaration_id OFFSET 0)
    ) lines
    ORDER BY lines.declaration_id
$fn$;
COMMENT ON FUNCTION customs_risk.batch_first_channels(date, text, boolean) IS
    'select_for_day()''s first pass: the day''s lines in declaration order, with their matched profiles and model score';

-- The rest of a batch, in memory: capacity (random selections kept and counted first, then
-- profile hits by score; inspections past capacity held back to blue), the top-up to the
-- expected shares from the highest-scoring would-be-green declarations (ties broken by the
-- keyed draw) within the room capacity leaves, and the log.  The batch's decisions are made at
-- once and share one decision_id, taken just before they are logged.  Returns the summary.
CREATE FUNCTION customs_risk.batch_channels(day date, office text)
RETURNS TABLE (office_code text, declarations bigint, red bigint, yellow bigint, blue bigint, green bigint,
               by_profile bigint, by_random bigint, topped_up bigint, held_back bigint, daily_capacity integer,
               by_model bigint)
    AS 'MODULE_PATHNAME', 'batch_channels' LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION customs_risk.batch_channels(date, text) IS
    'the body of select_for_day() (call that: it checks its arguments and makes sure the selection secret exists)';

CREATE FUNCTION customs_risk.select_for_day(day date, office text DEFAULT NULL)
RETURNS TABLE (office_code text, declarations bigint, red bigint, yellow bigint, blue bigint, green bigint,
               by_profile bigint, by_random bigint, topped_up bigint, held_back bigint, daily_capacity integer,
               by_model bigint)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET default_toast_compression = 'pglz'      -- confines the SET LOCAL below to this function
AS $fn$
DECLARE
    r record;
    decided bigint := 0;
    undecided bigint;
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
    FOR r IN SELECT * FROM customs_risk.batch_channels(day, office) b ORDER BY b.office_code COLLATE "C" LOOP
        office_code := r.office_code; declarations := r.declarations; red := r.red; yellow := r.yellow;
        blue := r.blue; green := r.green; by_profile := r.by_profile; by_random := r.by_random;
        topped_up := r.topped_up; held_back := r.held_back; daily_capacity := r.daily_capacity;
        by_model := r.by_model;
        decided := decided + r.declarations;
        RETURN NEXT;
    END LOOP;
    -- the batch decides declarations by their lines: one without lines gets no decision, and
    -- says so here rather than silently (an index-only count, about a percent of a batch)
    undecided := (SELECT count(*) FROM customs_risk.declaration d
                   WHERE d.declared_on = day AND (office IS NULL OR d.office_code = office)) - decided;
    IF undecided > 0 THEN
        RAISE WARNING '% declaration(s) of % have no lines and were not decided', undecided, day
            USING HINT = 'Give them their lines, then decide() each.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION customs_risk.select_for_day(date, text) IS
    'decide every declaration of a day (one office or all) in ASYCUDA order: profile hits, random quota, capacity, top-up; logs every decision';
