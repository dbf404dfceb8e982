
-- ===========================================================================
-- Traders compliance management: credit grades, their rules and history, and the
-- inspection rates the channel decision gives each grade
-- ===========================================================================

-- Grades modelled on China Customs' enterprise credit measures, lowest first.
CREATE TYPE customs_risk.trader_grade AS ENUM ('dishonest', 'general_credit', 'general_certified', 'advanced_certified');
COMMENT ON TYPE customs_risk.trader_grade IS
    'enterprise credit grade: dishonest < general_credit < general_certified < advanced_certified';

-- Certification is granted by audit: an input, never computed.
CREATE TABLE customs_risk.trader_certification (
    certification_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trader_id text COLLATE "C" NOT NULL REFERENCES customs_risk.trader (trader_id),
    level customs_risk.trader_grade NOT NULL CHECK (level IN ('general_certified', 'advanced_certified')),
    valid_from date NOT NULL,
    valid_to date,
    audit_reference text NOT NULL CHECK (audit_reference <> ''),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    recorded_by text NOT NULL DEFAULT current_user,
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX trader_certification_trader_idx ON customs_risk.trader_certification (trader_id, valid_from);
COMMENT ON TABLE customs_risk.trader_certification IS
    'certifications granted by audit (general or advanced certified), with their validity';
COMMENT ON COLUMN customs_risk.trader_certification.certification_id IS 'record number (generated)';
COMMENT ON COLUMN customs_risk.trader_certification.trader_id IS 'the certified trader';
COMMENT ON COLUMN customs_risk.trader_certification.level IS 'general_certified or advanced_certified';
COMMENT ON COLUMN customs_risk.trader_certification.valid_from IS 'first day it holds';
COMMENT ON COLUMN customs_risk.trader_certification.valid_to IS 'first day it no longer holds; NULL while it does';
COMMENT ON COLUMN customs_risk.trader_certification.audit_reference IS 'the audit that granted it';
COMMENT ON COLUMN customs_risk.trader_certification.recorded_at IS 'when it was recorded';
COMMENT ON COLUMN customs_risk.trader_certification.recorded_by IS 'who recorded it';

-- Grading rules are rows, not code.  Only overrides are stored: a rule without a row has its
-- built-in default (grading_rules() shows the rules in force), so a restored database keeps the
-- overrides and the defaults can improve with the extension.
CREATE TABLE customs_risk.grading_rule (
    rule text PRIMARY KEY CHECK (rule IN ('critical_violation', 'violation_share', 'error_rate', 'new_trader')),
    enabled boolean NOT NULL DEFAULT true,
    threshold float8 NOT NULL CHECK (threshold >= 0 AND threshold < 'infinity'),
    lookback interval NOT NULL CHECK (lookback > '0 days' AND lookback <= '10 years'),
    min_declarations integer NOT NULL DEFAULT 0 CHECK (min_declarations >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL DEFAULT current_user
);
COMMENT ON TABLE customs_risk.grading_rule IS
    'overrides of the grading rules'' built-in defaults (see grading_rules())';
COMMENT ON COLUMN customs_risk.grading_rule.rule IS
    'critical_violation, violation_share, error_rate (each makes a trader dishonest) or new_trader (general credit)';
COMMENT ON COLUMN customs_risk.grading_rule.enabled IS 'false switches the rule off';
COMMENT ON COLUMN customs_risk.grading_rule.threshold IS
    'critical_violation: critical findings that suffice; violation_share: violations per declaration above which; error_rate: multiple of the national rate above which; new_trader: unused';
COMMENT ON COLUMN customs_risk.grading_rule.lookback IS 'the period before the grading date the rule looks at';
COMMENT ON COLUMN customs_risk.grading_rule.min_declarations IS 'declarations in the period below which the rule does not apply';
COMMENT ON COLUMN customs_risk.grading_rule.updated_at IS 'when it last changed';
COMMENT ON COLUMN customs_risk.grading_rule.updated_by IS 'who changed it';

CREATE FUNCTION customs_risk.grading_rules(
        OUT rule text, OUT grade customs_risk.trader_grade, OUT enabled boolean, OUT threshold float8,
        OUT lookback interval, OUT min_declarations integer, OUT description text)
    RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT d.rule, d.grade, coalesce(r.enabled, true), coalesce(r.threshold, d.threshold),
           coalesce(r.lookback, d.lookback), coalesce(r.min_declarations, 0), d.description
      FROM (VALUES
        ('critical_violation', 'dishonest'::customs_risk.trader_grade, 1::float8, '1 year'::interval,
         'a critical violation (smuggling-type finding) in the period makes a trader dishonest'),
        ('violation_share', 'dishonest', 0.001, '1 year',
         'violations above this share of the period''s declarations (1 per 1,000) make a trader dishonest'),
        ('error_rate', 'dishonest', 2, '3 months',
         'a declaration error rate (violations per declaration) above this multiple of the national rate makes a trader dishonest'),
        ('new_trader', 'general_credit', 0, '1 year',
         'a trader whose first declaration falls in the period is general credit')) d(rule, grade, threshold, lookback, description)
      LEFT JOIN customs_risk.grading_rule r ON r.rule = d.rule
     ORDER BY d.rule
$fn$;
COMMENT ON FUNCTION customs_risk.grading_rules() IS 'the grading rules in force: stored overrides over the built-in defaults';

-- The effective-dated grade history: one row per trader and period, no overlaps.
CREATE TABLE customs_risk.trader_grade_history (
    trader_id text COLLATE "C" NOT NULL REFERENCES customs_risk.trader (trader_id),
    valid_from date NOT NULL,
    valid_to date,
    grade customs_risk.trader_grade NOT NULL,
    reasons text[] NOT NULL,
    certification_lapsed boolean NOT NULL DEFAULT false,
    graded_at timestamptz NOT NULL DEFAULT now(),
    graded_by text NOT NULL DEFAULT current_user,
    PRIMARY KEY (trader_id, valid_from),
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE UNIQUE INDEX trader_grade_current_idx ON customs_risk.trader_grade_history (trader_id) WHERE valid_to IS NULL;
COMMENT ON TABLE customs_risk.trader_grade_history IS
    'trader grades over time, as grade_traders() set them: [valid_from, valid_to) per row, no overlaps';
COMMENT ON COLUMN customs_risk.trader_grade_history.trader_id IS 'the trader';
COMMENT ON COLUMN customs_risk.trader_grade_history.valid_from IS 'the grading date from which the grade holds';
COMMENT ON COLUMN customs_risk.trader_grade_history.valid_to IS 'the grading date that replaced it; NULL for the current grade';
COMMENT ON COLUMN customs_risk.trader_grade_history.grade IS 'the grade';
COMMENT ON COLUMN customs_risk.trader_grade_history.reasons IS 'the rules that applied, with the figures';
COMMENT ON COLUMN customs_risk.trader_grade_history.certification_lapsed IS
    'a certified trader that no longer meets the conditions (flagged for the auditors; the certificate itself is theirs to withdraw)';
COMMENT ON COLUMN customs_risk.trader_grade_history.graded_at IS 'when grade_traders() wrote the row';
COMMENT ON COLUMN customs_risk.trader_grade_history.graded_by IS 'who ran it';

-- The grade of a trader on a day (NULL when never graded).
CREATE FUNCTION customs_risk.trader_grade_on(trader_id text, day date) RETURNS customs_risk.trader_grade
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT h.grade FROM customs_risk.trader_grade_history h
     WHERE h.trader_id = trader_grade_on.trader_id AND h.valid_from <= day AND (h.valid_to IS NULL OR h.valid_to > day)
$fn$;
COMMENT ON FUNCTION customs_risk.trader_grade_on(text, date) IS 'the trader''s grade on that day; NULL before its first grading';

-- Grade every trader that has declared (as importer) before as_of, or holds a certification.
CREATE FUNCTION customs_risk.grade_traders(as_of date)
RETURNS TABLE (trader_id text, old_grade customs_risk.trader_grade, new_grade customs_risk.trader_grade,
               reasons text[], certification_lapsed boolean)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r_crit record;
    r_share record;
    r_err record;
    r_new record;
    latest date;
    national float8;
    since date;
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'grade_traders() needs a date, not NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF as_of IN ('infinity', '-infinity') THEN
        -- graded as of infinity, no finite date could ever be graded again
        RAISE EXCEPTION 'grade_traders() needs a finite date, not %', as_of USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM customs_risk.check_day_in_range('grade_traders', 'as_of', as_of);
    -- one grading at a time: two at once would both close the same rows (and the date check
    -- below must see the other's rows)
    LOCK TABLE customs_risk.trader_grade_history IN SHARE ROW EXCLUSIVE MODE;
    SELECT max(h.valid_from) INTO latest FROM customs_risk.trader_grade_history h;
    IF latest > as_of THEN
        RAISE EXCEPTION 'grades exist from % on; grading runs forward in time, not from %', latest, as_of
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO r_crit FROM customs_risk.grading_rules() g WHERE g.rule = 'critical_violation';
    SELECT * INTO r_share FROM customs_risk.grading_rules() g WHERE g.rule = 'violation_share';
    SELECT * INTO r_err FROM customs_risk.grading_rules() g WHERE g.rule = 'error_rate';
    SELECT * INTO r_new FROM customs_risk.grading_rules() g WHERE g.rule = 'new_trader';
    since := least(as_of - r_crit.lookback, as_of - r_share.lookback, as_of - r_err.lookback)::date;

    -- per importer: declarations and violations in each rule's period (a declaration with
    -- several findings is one violation; a critical one counts for both rules)
    CREATE TEMP TABLE grade_stats ON COMMIT DROP AS
    WITH decl AS (
        SELECT d.importer_id AS trader_id, min(d.declared_on) AS first_declared,
               count(*) FILTER (WHERE d.declared_on >= as_of - r_share.lookback) AS n_share,
               count(*) FILTER (WHERE d.declared_on >= as_of - r_err.lookback) AS n_err,
               count(*) FILTER (WHERE d.declared_on >= as_of - r_crit.lookback) AS n_crit
          FROM customs_risk.declaration d
         WHERE d.declared_on < as_of
         GROUP BY d.importer_id
    ), found AS (
        SELECT d.importer_id AS trader_id, d.declared_on, bool_or(i.result = 'critical') AS critical
          FROM customs_risk.inspection i JOIN customs_risk.declaration d ON d.declaration_id = i.declaration_id
         WHERE i.result IN ('minor', 'critical') AND d.declared_on >= since AND d.declared_on < as_of
         GROUP BY d.declaration_id
    ), viol AS (
        SELECT f.trader_id,
               count(*) FILTER (WHERE f.critical AND f.declared_on >= as_of - r_crit.lookback) AS v_crit,
               count(*) FILTER (WHERE f.declared_on >= as_of - r_share.lookback) AS v_share,
               count(*) FILTER (WHERE f.declared_on >= as_of - r_err.lookback) AS v_err
          FROM found f GROUP BY f.trader_id
    ), cert AS (
        SELECT c.trader_id, max(c.level) AS level,
               string_agg(c.audit_reference, ', ' ORDER BY c.level DESC, c.audit_reference) AS refs
          FROM customs_risk.trader_certification c
         WHERE c.valid_from <= as_of AND (c.valid_to IS NULL OR c.valid_to > as_of)
         GROUP BY c.trader_id
    )
    , graded AS (
        -- traders with a grade are graded again even without declarations or a valid
        -- certificate: an expired certificate must not leave its grade in place
        SELECT h.trader_id FROM customs_risk.trader_grade_history h WHERE h.valid_to IS NULL
    )
    SELECT coalesce(d.trader_id, c.trader_id, g.trader_id) AS trader_id, d.first_declared,
           coalesce(d.n_share, 0) AS n_share, coalesce(d.n_err, 0) AS n_err, coalesce(d.n_crit, 0) AS n_crit,
           coalesce(v.v_crit, 0) AS v_crit, coalesce(v.v_share, 0) AS v_share, coalesce(v.v_err, 0) AS v_err,
           c.level AS cert_level, c.refs AS cert_refs
      FROM decl d
      FULL JOIN cert c ON c.trader_id = d.trader_id
      FULL JOIN graded g ON g.trader_id = coalesce(d.trader_id, c.trader_id)
      LEFT JOIN viol v ON v.trader_id = d.trader_id;
    SELECT sum(s.v_err)::float8 / nullif(sum(s.n_err), 0) INTO national FROM grade_stats s;

    CREATE TEMP TABLE grade_new ON COMMIT DROP AS
    WITH judged AS (
        SELECT s.*,
               r_crit.enabled AND s.n_crit >= r_crit.min_declarations AND s.v_crit >= greatest(r_crit.threshold, 1) AS is_crit,
               r_share.enabled AND s.n_share > 0 AND s.n_share >= r_share.min_declarations
                   AND s.v_share > r_share.threshold * s.n_share AS is_share,
               r_err.enabled AND s.n_err > 0 AND s.n_err >= r_err.min_declarations AND national > 0
                   AND s.v_err::float8 / s.n_err > r_err.threshold * national AS is_err,
               r_new.enabled AND s.first_declared >= as_of - r_new.lookback AS is_new
          FROM grade_stats s
    )
    SELECT j.trader_id,
           CASE WHEN j.is_crit OR j.is_share OR j.is_err THEN 'dishonest'
                WHEN j.cert_level IS NOT NULL THEN j.cert_level
                ELSE 'general_credit' END::customs_risk.trader_grade AS grade,
           array_remove(ARRAY[
               CASE WHEN j.is_crit THEN format('critical violation: %s critical finding(s) in declarations since %s',
                                               j.v_crit, (as_of - r_crit.lookback)::date) END,
               CASE WHEN j.is_share THEN format('violations: %s in %s declarations since %s, above %s per declaration',
                                                j.v_share, j.n_share, (as_of - r_share.lookback)::date, r_share.threshold) END,
               CASE WHEN j.is_err THEN format('error rate %s since %s, above %s times the national %s',
                                              round(j.v_err::numeric / j.n_err, 4), (as_of - r_err.lookback)::date,
                                              r_err.threshold, round(national::numeric, 4)) END,
               CASE WHEN j.cert_level IS NOT NULL THEN format('certified %s by audit %s', j.cert_level, j.cert_refs) END,
               CASE WHEN j.is_new THEN format('new trader: first declaration %s', j.first_declared) END,
               CASE WHEN NOT (j.is_crit OR j.is_share OR j.is_err) AND j.cert_level IS NULL AND NOT coalesce(j.is_new, false)
                    THEN 'general credit: no rule applies' END], NULL) AS reasons,
           j.cert_level IS NOT NULL AND (j.is_crit OR j.is_share OR j.is_err) AS lapsed
      FROM judged j;

    -- the changes against each trader's current grade.  A grade an earlier run set on as_of
    -- is replaced; if the new grade is the one before it, that row is simply reopened, so a
    -- date graded twice leaves no two rows in a row with the same grade.
    CREATE TEMP TABLE grade_changes ON COMMIT DROP AS
    SELECT n.trader_id, h.grade AS old_grade, n.grade AS new_grade, n.reasons, n.lapsed, h.valid_from AS old_from,
           h.valid_from = as_of AND p.grade = n.grade AND p.certification_lapsed = n.lapsed AS reopen
      FROM grade_new n
      LEFT JOIN customs_risk.trader_grade_history h ON h.trader_id = n.trader_id AND h.valid_to IS NULL
      LEFT JOIN customs_risk.trader_grade_history p ON p.trader_id = n.trader_id AND p.valid_to = as_of
     WHERE h.grade IS DISTINCT FROM n.grade OR h.certification_lapsed IS DISTINCT FROM n.lapsed;

    DELETE FROM customs_risk.trader_grade_history h USING grade_changes c
     WHERE h.trader_id = c.trader_id AND h.valid_from = as_of AND c.old_from = as_of;
    UPDATE customs_risk.trader_grade_history h SET valid_to = NULL
      FROM grade_changes c
     WHERE h.trader_id = c.trader_id AND h.valid_to = as_of AND c.reopen;
    UPDATE customs_risk.trader_grade_history h SET valid_to = as_of
      FROM grade_changes c
     WHERE h.trader_id = c.trader_id AND h.valid_to IS NULL AND c.old_from < as_of;
    INSERT INTO customs_risk.trader_grade_history (trader_id, valid_from, grade, reasons, certification_lapsed)
    SELECT c.trader_id, as_of, c.new_grade, c.reasons, c.lapsed FROM grade_changes c
     WHERE NOT coalesce(c.reopen, false) ORDER BY c.trader_id;

    RETURN QUERY SELECT c.trader_id::text, c.old_grade, c.new_grade, c.reasons, c.lapsed
                   FROM grade_changes c ORDER BY c.trader_id;
    DROP TABLE grade_stats, grade_new, grade_changes;
END
$fn$;
COMMENT ON FUNCTION customs_risk.grade_traders(date) IS
    'grade every trader as of a date by the grading rules, write the effective-dated history and return the changes; running it again for the same date changes nothing';

-- How each grade changes inspection: a factor on the selection (advanced and general
-- certified are selected less), or a least inspection rate (dishonest).  Only overrides are
-- stored; grade_policies() shows the policy in force.
CREATE TABLE customs_risk.grade_inspection_policy (
    grade customs_risk.trader_grade PRIMARY KEY,
    rate_factor float8 CHECK (rate_factor > 0 AND rate_factor <= 1),
    min_rate float8 CHECK (min_rate >= 0 AND min_rate <= 1),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (rate_factor IS NULL OR min_rate IS NULL)
);
COMMENT ON TABLE customs_risk.grade_inspection_policy IS
    'overrides of how a grade changes the chance of inspection (see grade_policies())';
COMMENT ON COLUMN customs_risk.grade_inspection_policy.grade IS 'the grade';
COMMENT ON COLUMN customs_risk.grade_inspection_policy.rate_factor IS
    'share of selections (profile, model, random, top-up) kept for the grade, by a keyed draw; NULL for all';
COMMENT ON COLUMN customs_risk.grade_inspection_policy.min_rate IS
    'least share of the grade''s declarations inspected: others are sent yellow by a keyed draw; NULL for none';
COMMENT ON COLUMN customs_risk.grade_inspection_policy.updated_at IS 'when it last changed';

CREATE FUNCTION customs_risk.grade_policies(
        OUT grade customs_risk.trader_grade, OUT rate_factor float8, OUT min_rate float8, OUT target text)
    RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
-- no SET clause: every name is qualified, and without one the planner can inline the function
-- into decide()'s query instead of calling it for each decision
AS $fn$
    SELECT d.grade, CASE WHEN p.grade IS NULL THEN d.rate_factor ELSE p.rate_factor END,
           CASE WHEN p.grade IS NULL THEN d.min_rate ELSE p.min_rate END, d.target
      FROM (VALUES ('advanced_certified'::customs_risk.trader_grade, 0.15::float8, NULL::float8,
                    'inspection rate below 20% of the general-credit average'),
                   ('general_certified', 0.4, NULL, 'inspection rate below 50% of the general-credit average'),
                   ('general_credit', NULL, NULL, 'the reference rate'),
                   ('dishonest', NULL, 0.85, 'inspection rate above 80%')) d(grade, rate_factor, min_rate, target)
      LEFT JOIN customs_risk.grade_inspection_policy p ON p.grade = d.grade
     ORDER BY d.grade DESC
$fn$;
COMMENT ON FUNCTION customs_risk.grade_policies() IS
    'the inspection policy per grade in force (stored overrides over the defaults of the published measures) and its target';

-- The channel after the grade's policy: a selection (yellow or red) is kept with the grade's
-- factor, a declaration of a grade with a least rate is sent yellow with that chance.  The
-- draw is the declaration's own keyed draw for grades (grade_draw), so decisions reproduce.
CREATE FUNCTION customs_risk.grade_channel(selected customs_risk.channel, grade_draw float8,
                                           rate_factor float8, min_rate float8) RETURNS customs_risk.channel
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    -- typed literals: a text-to-enum cast is stable, and would stop this from being inlined;
    -- NaN is above every number in SQL, so it is refused first (as out of range)
    SELECT CASE WHEN NOT (grade_draw >= 0 AND grade_draw < 1)
                THEN customs_risk.channel_rule_refuses('grade_draw must lie in [0, 1), not ' || grade_draw::text)
                WHEN NOT rate_factor BETWEEN 0 AND 1 OR NOT min_rate BETWEEN 0 AND 1
                THEN customs_risk.channel_rule_refuses('rate_factor and min_rate must lie in [0, 1], not '
                                                       || coalesce(rate_factor::text, 'NULL') || ' and ' || coalesce(min_rate::text, 'NULL'))
                WHEN selected >= 'yellow'::customs_risk.channel AND grade_draw >= rate_factor THEN 'green'::customs_risk.channel
                WHEN selected < 'yellow'::customs_risk.channel AND grade_draw < min_rate THEN 'yellow'::customs_risk.channel
                ELSE selected END
$fn$;
COMMENT ON FUNCTION customs_risk.grade_channel(customs_risk.channel, float8, float8, float8) IS
    'the channel after a grade''s inspection policy: a selection kept when the draw is below the factor, yellow when the draw is below a least rate (a draw outside [0, 1), a factor or rate outside [0, 1], or NaN: 22023)';

-- The keyed draw grades use: independent of the random-selection draw of the same declaration.
CREATE FUNCTION customs_risk.grade_draw(declaration_id text) RETURNS float8
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $fn$
    SELECT customs_risk.random_draw(declaration_id || '#grade')
$fn$;
COMMENT ON FUNCTION customs_risk.grade_draw(text) IS
    'the declaration''s keyed draw for its importer''s grade policy (independent of the random-selection draw)';

-- Realised inspection rate per grade against the policy, for a period and optionally an office.
CREATE FUNCTION customs_risk.grade_inspection_report(from_day date, to_day date, office text DEFAULT NULL)
RETURNS TABLE (grade customs_risk.trader_grade, declarations bigint, inspected bigint, inspection_rate float8,
               ratio_to_general_credit float8, rate_factor float8, min_rate float8, target text, meets_target boolean)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
    -- the period [from_day, to_day), checked as the other reports check theirs
    PERFORM customs_risk.check_report_period('grade_inspection_report', from_day, to_day, half_open => true);
    -- declarations are lodged at customs houses: any other code would give a report of zeros
    IF grade_inspection_report.office IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM customs_risk.office o WHERE o.office_code = grade_inspection_report.office AND o.level = 'house') THEN
        IF EXISTS (SELECT 1 FROM customs_risk.office o WHERE o.office_code = grade_inspection_report.office) THEN
            RAISE EXCEPTION 'office % is not a customs house: declarations are lodged at houses', quote_literal(grade_inspection_report.office)
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a customs house, or NULL for every office.';
        END IF;
        RAISE EXCEPTION 'office % does not exist', quote_literal(grade_inspection_report.office) USING ERRCODE = 'no_data_found';
    END IF;
    RETURN QUERY
    WITH d AS (
        -- the grade on the declaration day by a join, not a function call per declaration
        SELECT coalesce(h.grade, 'general_credit') AS grade,
               -- the decision in force: the latest one logged for the declaration
               coalesce((SELECT l.channel IN ('yellow', 'red') FROM customs_risk.decision_log l
                          WHERE l.declaration_id = d.declaration_id ORDER BY l.decision_id DESC LIMIT 1), false) AS inspected
          FROM customs_risk.declaration d
          LEFT JOIN customs_risk.trader_grade_history h
                 ON h.trader_id = d.importer_id AND h.valid_from <= d.declared_on
                AND (h.valid_to IS NULL OR h.valid_to > d.declared_on)
         WHERE d.declared_on >= from_day AND d.declared_on < to_day
           AND (office IS NULL OR d.office_code = office)
    ), r AS (
        SELECT d.grade, count(*) AS n, count(*) FILTER (WHERE d.inspected) AS k FROM d GROUP BY d.grade
    ), g AS (
        SELECT r.*, r.k::float8 / r.n AS rate,
               (SELECT r2.k::float8 / nullif(r2.n, 0) FROM r r2 WHERE r2.grade = 'general_credit') AS base
          FROM r
    )
    SELECT p.grade, coalesce(g.n, 0), coalesce(g.k, 0), g.rate, g.rate / nullif(g.base, 0),
           p.rate_factor, p.min_rate, p.target,
           CASE p.grade WHEN 'advanced_certified' THEN g.rate / nullif(g.base, 0) < 0.2
                        WHEN 'general_certified' THEN g.rate / nullif(g.base, 0) < 0.5
                        WHEN 'dishonest' THEN g.rate > 0.8
                        ELSE true END
      FROM customs_risk.grade_policies() p LEFT JOIN g ON g.grade = p.grade
     ORDER BY p.grade DESC;
END
$fn$;
COMMENT ON FUNCTION customs_risk.grade_inspection_report(date, date, text) IS
    'inspections per grade in [from_day, to_day) (the latest logged decision of each declaration), the ratio to general credit, and whether the published target is met';

SELECT pg_catalog.pg_extension_config_dump('customs_risk.trader_certification', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.trader_certification_certification_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.grading_rule', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.trader_grade_history', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.grade_inspection_policy', '');

-- ===========================================================================
-- Trader enquiry & analysis
-- ===========================================================================

-- Traders ranked by risk over a period: their smoothed hit rate (a prior worth ten
-- inspections at the period's national rate, so one unlucky inspection does not top the list).
CREATE FUNCTION customs_risk.trader_risk_ranking(from_day date, to_day date)
RETURNS TABLE (rank bigint, trader_id text, grade customs_risk.trader_grade, declarations bigint,
               inspections bigint, hits bigint, critical bigint, hit_rate float8, smoothed_hit_rate float8,
               extra_revenue numeric, declared_value numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
    -- the period [from_day, to_day), checked as the other reports check theirs
    PERFORM customs_risk.check_report_period('trader_risk_ranking', from_day, to_day, half_open => true);
    RETURN QUERY
    WITH per_decl AS (
        SELECT d.importer_id, d.declaration_id, d.declared_on, o.inspected, o.hit, o.critical, o.extra_revenue,
               (SELECT sum(l.value) FROM customs_risk.declaration_line l WHERE l.declaration_id = d.declaration_id) AS value
          FROM customs_risk.declaration d
          JOIN customs_risk.declaration_outcome_v o ON o.declaration_id = d.declaration_id
         WHERE d.declared_on >= from_day AND d.declared_on < to_day
    ), t AS (
        SELECT p.importer_id AS trader_id, count(*) AS n, count(*) FILTER (WHERE p.inspected) AS k,
               count(*) FILTER (WHERE p.hit) AS h, count(*) FILTER (WHERE p.critical) AS c,
               sum(p.extra_revenue) AS rev, sum(p.value) AS val
          FROM per_decl p GROUP BY p.importer_id
    ), nat AS (
        SELECT sum(t.h)::float8 / nullif(sum(t.k), 0) AS rate FROM t
    )
    SELECT row_number() OVER (ORDER BY (t.h + 10 * nat.rate) / (t.k + 10) DESC, t.c DESC, t.trader_id),
           t.trader_id, coalesce(h.grade, 'general_credit'),
           t.n, t.k, t.h, t.c, t.h::float8 / nullif(t.k, 0), (t.h + 10 * nat.rate) / (t.k + 10), t.rev, t.val
      FROM t CROSS JOIN (SELECT coalesce(n.rate, 0) AS rate FROM nat n) nat
      LEFT JOIN customs_risk.trader_grade_history h
             ON h.trader_id = t.trader_id AND h.valid_from <= to_day - 1 AND (h.valid_to IS NULL OR h.valid_to > to_day - 1)
     ORDER BY 1;
END
$fn$;
COMMENT ON FUNCTION customs_risk.trader_risk_ranking(date, date) IS
    'importers in [from_day, to_day) ranked by smoothed hit rate (prior: ten inspections at the national rate), with their grade and counts';

CREATE VIEW customs_risk.trader_risk_v AS
SELECT r.*
  FROM (SELECT max(declared_on) AS last_day FROM customs_risk.declaration) m,
       LATERAL customs_risk.trader_risk_ranking((m.last_day - interval '1 year')::date + 1, m.last_day + 1) r;
COMMENT ON VIEW customs_risk.trader_risk_v IS
    'importers ranked by risk over the last year of data (trader_risk_ranking up to the latest declaration)';
COMMENT ON COLUMN customs_risk.trader_risk_v.rank IS '1 for the riskiest';
COMMENT ON COLUMN customs_risk.trader_risk_v.trader_id IS 'the importer';
COMMENT ON COLUMN customs_risk.trader_risk_v.grade IS 'its grade at the end of the period (general_credit when never graded)';
COMMENT ON COLUMN customs_risk.trader_risk_v.declarations IS 'declarations in the period';
COMMENT ON COLUMN customs_risk.trader_risk_v.inspections IS 'of them inspected';
COMMENT ON COLUMN customs_risk.trader_risk_v.hits IS 'of them with a finding';
COMMENT ON COLUMN customs_risk.trader_risk_v.critical IS 'of them with a critical finding';
COMMENT ON COLUMN customs_risk.trader_risk_v.hit_rate IS 'hits per inspection';
COMMENT ON COLUMN customs_risk.trader_risk_v.smoothed_hit_rate IS 'hits per inspection with a prior of ten inspections at the national rate: the ranking key';
COMMENT ON COLUMN customs_risk.trader_risk_v.extra_revenue IS 'extra revenue assessed';
COMMENT ON COLUMN customs_risk.trader_risk_v.declared_value IS 'value declared';

-- What an analyst asks first about a trader, in one call (as of its latest declaration, or a day).
CREATE FUNCTION customs_risk.trader_dossier(trader_id text, as_of date DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t customs_risk.trader;
    last_day date;
    recent date;
    result jsonb;
BEGIN
    IF trader_id IS NULL THEN
        RAISE EXCEPTION 'trader_dossier() needs a trader id, not NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT pg_catalog.isfinite(as_of) THEN
        RAISE EXCEPTION 'trader_dossier() needs a finite date, not %', as_of USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM customs_risk.check_day_in_range('trader_dossier', 'as_of', as_of);
    SELECT * INTO t FROM customs_risk.trader x WHERE x.trader_id = trader_dossier.trader_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'trader % does not exist', quote_literal(trader_id) USING ERRCODE = 'no_data_found';
    END IF;
    last_day := coalesce(as_of, (SELECT max(d.declared_on) FROM customs_risk.declaration d
                                  WHERE d.importer_id = t.trader_id), current_date);
    recent := last_day - 90;    -- "recently": the last 90 days up to last_day

    WITH decl AS (
        SELECT d.*, o.inspected, o.hit, o.critical, o.extra_revenue
          FROM customs_risk.declaration d
          JOIN customs_risk.declaration_outcome_v o ON o.declaration_id = d.declaration_id
         WHERE d.importer_id = t.trader_id AND d.declared_on <= last_day
    ), lines AS (
        SELECT l.*, d.declared_on, d.office_code
          FROM decl d JOIN customs_risk.declaration_line l ON l.declaration_id = d.declaration_id
    ), monthly AS (
        SELECT a.month, a.declarations, b.value, a.offices, b.hs_chapters
          FROM (SELECT date_trunc('month', d.declared_on)::date AS month, count(*) AS declarations,
                       array_agg(DISTINCT d.office_code ORDER BY d.office_code) AS offices
                  FROM decl d GROUP BY 1) a
          LEFT JOIN (SELECT date_trunc('month', l.declared_on)::date AS month, sum(l.value) AS value,
                            array_agg(DISTINCT customs_risk.hs_chapter(l.hs) ORDER BY customs_risk.hs_chapter(l.hs)) AS hs_chapters
                       FROM lines l GROUP BY 1) b ON b.month = a.month
    ), value_jumps AS (
        SELECT m.month, m.value, avg(p.value) AS previous_average
          FROM monthly m JOIN monthly p ON p.month < m.month AND p.month >= m.month - interval '6 months'
         WHERE m.month >= date_trunc('month', recent)
         GROUP BY m.month, m.value
        HAVING m.value > 3 * avg(p.value)
    )
    SELECT jsonb_build_object(
        'trader', jsonb_build_object('trader_id', t.trader_id, 'name', t.name, 'roles', t.roles, 'country', t.country),
        'as_of', last_day,
        'activity_by_month', coalesce((SELECT jsonb_agg(to_jsonb(m) ORDER BY m.month) FROM monthly m), '[]'),
        'compliance', (SELECT jsonb_build_object(
                           'declarations', customs_risk.declarations(x.c), 'inspections', customs_risk.inspections(x.c),
                           'hits', customs_risk.hits(x.c), 'minor', customs_risk.minor_findings(x.c),
                           'critical', customs_risk.critical_findings(x.c), 'extra_revenue', customs_risk.extra_revenue(x.c),
                           'inspection_rate', customs_risk.inspection_rate(x.c), 'hit_rate', customs_risk.hit_rate(x.c),
                           'hit_rate_wilson_95', customs_risk.wilson_interval(x.c))
                         FROM (SELECT customs_risk.compliance(d.inspected, d.hit, d.critical, d.extra_revenue::float8) AS c
                                 FROM decl d) x),
        'grade_history', coalesce((SELECT jsonb_agg(jsonb_build_object('grade', h.grade, 'valid_from', h.valid_from,
                                                                       'valid_to', h.valid_to, 'reasons', h.reasons,
                                                                       'certification_lapsed', h.certification_lapsed)
                                                    ORDER BY h.valid_from)
                                     FROM customs_risk.trader_grade_history h
                                    WHERE h.trader_id = t.trader_id AND (trader_dossier.as_of IS NULL OR h.valid_from <= last_day)), '[]'),
        'certifications', coalesce((SELECT jsonb_agg(jsonb_build_object('level', c.level, 'valid_from', c.valid_from,
                                                                        'valid_to', c.valid_to, 'audit', c.audit_reference)
                                                     ORDER BY c.valid_from)
                                      FROM customs_risk.trader_certification c
                                     WHERE c.trader_id = t.trader_id AND (trader_dossier.as_of IS NULL OR c.valid_from <= last_day)), '[]'),
        'profiles_matched', coalesce((SELECT jsonb_agg(jsonb_build_object('profile_id', x.profile_id, 'name', p.name,
                                                                          'declarations', x.n) ORDER BY x.n DESC, x.profile_id)
                                        FROM (SELECT u.profile_id, count(DISTINCT l.declaration_id) AS n
                                                FROM customs_risk.decision_log l JOIN decl d ON d.declaration_id = l.declaration_id,
                                                     unnest(l.profile_ids) u(profile_id)
                                               GROUP BY u.profile_id) x
                                        JOIN customs_risk.profile p ON p.profile_id = x.profile_id), '[]'),
        'main_declarants', coalesce((SELECT jsonb_agg(jsonb_build_object('declarant', x.declarant_id, 'declarations', x.n)
                                                      ORDER BY x.n DESC, x.declarant_id)
                                       FROM (SELECT d.declarant_id, count(*) AS n FROM decl d WHERE d.declarant_id IS NOT NULL
                                              GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5) x), '[]'),
        'main_sellers', coalesce((SELECT jsonb_agg(jsonb_build_object('seller', x.seller_id, 'declarations', x.n)
                                                   ORDER BY x.n DESC, x.seller_id)
                                    FROM (SELECT d.seller_id, count(*) AS n FROM decl d WHERE d.seller_id IS NOT NULL
                                           GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5) x), '[]'),
        'recent_changes', jsonb_build_object(
            'since', recent,
            'new_goods', coalesce((SELECT jsonb_agg(DISTINCT customs_risk.hs_truncate(l.hs, 6)::text)
                                     FROM lines l WHERE l.declared_on > recent AND customs_risk.hs_level(l.hs) >= 6
                                      AND NOT EXISTS (SELECT 1 FROM lines e WHERE e.declared_on <= recent
                                                         AND customs_risk.hs_truncate(e.hs, 6) OPERATOR(customs_risk.=) customs_risk.hs_truncate(l.hs, 6))), '[]'),
            'new_origins', coalesce((SELECT jsonb_agg(DISTINCT l.origin_country)
                                       FROM lines l WHERE l.declared_on > recent
                                        AND NOT EXISTS (SELECT 1 FROM lines e WHERE e.declared_on <= recent
                                                           AND e.origin_country = l.origin_country)), '[]'),
            'value_jumps', coalesce((SELECT jsonb_agg(to_jsonb(j) ORDER BY j.month) FROM value_jumps j), '[]')))
      INTO result;
    RETURN result;
END
$fn$;
COMMENT ON FUNCTION customs_risk.trader_dossier(text, date) IS
    'a trader at a glance (as of its latest declaration, or as of a day, grades and certifications then included only up to it): activity by month, compliance, grades and certifications, profiles matched, main declarants and sellers, and recent changes (new goods, new origins, value jumps over 3 times the previous six months)';
