
-- ===========================================================================
-- Law-enforcement evaluation: how well targeting works against the random control
-- sample, and how much it misses
-- ===========================================================================
--
-- Definitions shared by every report here (the same as declaration_outcome_v and compliance):
--   * the unit is the declaration, lodged in the period [from_date, to_date] (both days
--     included; -infinity / infinity leave a side open);
--   * inspected: at least one inspection is recorded for it;
--   * hit: one of its inspections found something (result minor or critical);
--   * random: one of its inspections was selected at random (selected_by = 'random').  Random
--     selection is a keyed draw against the office's rate, independent of any risk, so the
--     random declarations are a uniform sample of all declarations: the control sample;
--   * source: random when any inspection was random, else the first of profile, model,
--     officer, external among its inspections (the enum order);
--   * channel: the most intrusive channel recorded on its inspections ('unrecorded' if none).

-- The chi-square upper tail, for the p-values of the harmonisation tests (C: src/chi_square.c,
-- src/gamma_core.c; PostgreSQL 15 has no distribution functions).
CREATE FUNCTION customs_risk.chi_square_p(statistic float8, df float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'chi_square_p' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.chi_square_p(float8, float8) IS
    'P(X >= statistic) for X chi-square with df degrees of freedom (the p-value of a chi-square test; with df 1 and statistic z^2, the two-sided normal p-value of z); 22023 for a negative or non-finite statistic or df <= 0';

-- A finite date past the timestamp range (dates reach 5874897 AD, timestamps 294276 AD; both
-- start in 4714 BC) is an error naming the function and the argument: the functions that take a
-- day turn it into a timestamp, and would fail there with PostgreSQL's bare "date out of range
-- for timestamp".
CREATE FUNCTION customs_risk.check_day_in_range(fn text, arg text, day date) RETURNS void
LANGUAGE plpgsql IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF pg_catalog.isfinite(day) AND day > date '294276-12-31' THEN
        RAISE EXCEPTION '%(): % must be at most 294276-12-31 (the last day a timestamp holds), not %', fn, arg, day
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$fn$;
COMMENT ON FUNCTION customs_risk.check_day_in_range(text, text, date) IS
    'raise 22023 when a finite date lies past the timestamp range (used by the functions that take a day)';

-- The checks every report makes on its period (errors name the function).  A half-open period
-- (to_date not included, as the trader reports take it) differs only in the hint.
CREATE FUNCTION customs_risk.check_report_period(fn text, from_date date, to_date date,
                                                 half_open boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF from_date IS NULL OR to_date IS NULL THEN
        RAISE EXCEPTION '%() needs from_date and to_date, not NULL', fn
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Give the first and last declaration day of the period; -infinity and infinity leave a side open.';
    END IF;
    -- the half-open reports name their bounds from_day and to_day
    PERFORM customs_risk.check_day_in_range(fn, CASE WHEN half_open THEN 'from_day' ELSE 'from_date' END, from_date);
    PERFORM customs_risk.check_day_in_range(fn, CASE WHEN half_open THEN 'to_day' ELSE 'to_date' END, to_date);
    IF from_date > to_date THEN
        RAISE EXCEPTION '%(): from_date % is after to_date %', fn, from_date, to_date
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = CASE WHEN half_open THEN 'The period is from its first date up to, not including, its second.'
                              ELSE 'The period is from_date to to_date, both days included.' END;
    END IF;
END
$fn$;
COMMENT ON FUNCTION customs_risk.check_report_period(text, date, date, boolean) IS
    'raise 22004 when a period bound is NULL and 22023 when a bound is beyond the timestamp range or from_date is after to_date (used by the evaluation reports)';

-- One row per declaration of the period (per declaration and profile, or model, with split_by)
-- and its outcome.  A plain SQL function (no SET clause, not strict) so the planner inlines it
-- into each report: the date condition then reaches the scan of declaration.  Inspections are
-- summed per declaration first (they are far fewer than declarations) and joined to the
-- period's declarations: no aggregate over every declaration, and the per-office, per-month...
-- aggregates above it split well across parallel workers.
-- The report functions over it run with enable_nestloop off: a period's newest days are often
-- newer than the statistics (declared_on has a BRIN index only, which gives the planner no
-- actual bounds), the period is then estimated at one declaration, and a nested loop over the
-- inspections' aggregate, cheap for one row, took over 20 minutes on 40,000 in a test run.
-- Hash joins are right for a report over a period at any size.
-- evaluation_rows()'s argument checks, as a report's; true, or an error.  Called from an
-- uncorrelated sub-select there, so it runs once per query (an InitPlan), and the function stays
-- inlinable.
CREATE FUNCTION customs_risk.check_evaluation_rows(from_date date, to_date date, split_by text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM customs_risk.check_report_period('evaluation_rows', from_date, to_date);
    IF split_by IS NOT NULL AND split_by NOT IN ('profile', 'model') THEN
        RAISE EXCEPTION 'evaluation_rows(): unknown split_by %', quote_literal(split_by)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'split_by is NULL, ''profile'' or ''model''.';
    END IF;
    RETURN true;
END
$fn$;
COMMENT ON FUNCTION customs_risk.check_evaluation_rows(date, date, text) IS
    'true, or 22004 / 22023 for evaluation_rows() arguments a report would refuse (NULL or reversed dates, an unknown split_by)';

CREATE FUNCTION customs_risk.evaluation_rows(from_date date, to_date date, split_by text DEFAULT NULL)
RETURNS TABLE (declaration_id text, declared_on date, office_code text, district_code text, split text,
               inspected boolean, hit boolean, critical boolean, extra_revenue float8, random boolean,
               source text, channel customs_risk.channel)
LANGUAGE sql STABLE CALLED ON NULL INPUT PARALLEL SAFE
AS $fn$
    SELECT d.declaration_id, d.declared_on, d.office_code, o.parent_code, x.split,
           x.declaration_id IS NOT NULL, x.hit, x.critical, x.extra_revenue, coalesce(x.random, false),
           x.source, x.channel
      FROM customs_risk.declaration d
      JOIN customs_risk.office o ON o.office_code = d.office_code
      LEFT JOIN (SELECT i.declaration_id,
                        CASE split_by WHEN 'profile' THEN i.profile_id::text WHEN 'model' THEN i.model_name END AS split,
                        bool_or(i.result <> 'none'::customs_risk.inspection_result) AS hit,
                        bool_or(i.result = 'critical'::customs_risk.inspection_result) AS critical,
                        sum(i.extra_revenue)::float8 AS extra_revenue,
                        bool_or(i.selected_by = 'random'::customs_risk.selection_source) AS random,
                        CASE WHEN bool_or(i.selected_by = 'random'::customs_risk.selection_source) THEN 'random'
                             ELSE min(i.selected_by)::text END AS source,
                        max(i.channel) AS channel
                   FROM customs_risk.inspection i
                  GROUP BY i.declaration_id, 2) x ON x.declaration_id = d.declaration_id
     WHERE d.declared_on >= from_date AND d.declared_on <= to_date
       AND (SELECT customs_risk.check_evaluation_rows(from_date, to_date, split_by))
$fn$;
COMMENT ON FUNCTION customs_risk.evaluation_rows(date, date, text) IS
    'one row per declaration lodged in [from_date, to_date] with its outcome (inspected, hit, critical, extra revenue, random, source, channel); '
    'split_by profile or model gives one row per declaration and profile id (or model name) of its inspections, split NULL for the rest: the rows the evaluation reports aggregate';

-- Performance by group.  The hit rate's interval is the Wilson score interval at 95% (the
-- compliance type's wilson_interval).  lift = hit rate / hit rate of the random control sample
-- in the same period and scope: the same office, district or month when grouping by those,
-- else all random inspections of the period; its 95% interval is Katz's log interval of a
-- ratio of two independent proportions, exp(ln(lift) +- 1.96 sqrt(1/h - 1/n + 1/h_r - 1/n_r)),
-- NULL when either side has no hit.  (The random group itself has lift 1 against itself.)
CREATE FUNCTION customs_risk.performance_report(from_date date, to_date date, group_by text DEFAULT 'office')
RETURNS TABLE (group_key text, declarations bigint, inspections bigint, hits bigint, critical bigint,
               hit_rate float8, ci_low float8, ci_high float8, random_inspections bigint, random_hit_rate float8,
               lift float8, lift_ci_low float8, lift_ci_high float8, extra_revenue float8)
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET enable_nestloop = off     -- see evaluation_rows()
AS $fn$
DECLARE
    z CONSTANT float8 := 1.959963984540054;     -- the 97.5% normal quantile: 95% intervals
BEGIN
    PERFORM customs_risk.check_report_period('performance_report', from_date, to_date);
    IF group_by IS NULL THEN
        RAISE EXCEPTION 'performance_report() needs group_by, not NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF group_by NOT IN ('profile', 'model', 'office', 'district', 'channel', 'source', 'month') THEN
        RAISE EXCEPTION 'performance_report(): unknown group_by %', quote_literal(group_by)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'group_by is one of profile, model, office, district, channel, source, month.';
    END IF;
    RETURN QUERY
    WITH keyed AS (
        SELECT CASE group_by
                   WHEN 'office' THEN r.office_code
                   WHEN 'district' THEN r.district_code
                   WHEN 'month' THEN to_char(r.declared_on, 'YYYY-MM')
                   WHEN 'channel' THEN CASE WHEN r.inspected THEN coalesce(r.channel::text, 'unrecorded') END
                   WHEN 'source' THEN CASE WHEN r.inspected THEN r.source END
                   ELSE r.split END AS key,
               r.*
          FROM customs_risk.evaluation_rows(from_date, to_date,
                                            CASE WHEN group_by IN ('profile', 'model') THEN group_by END) r
    ), agg AS (
        SELECT k.key,
               customs_risk.compliance(k.inspected, k.hit, k.critical, k.extra_revenue) AS c,
               customs_risk.compliance(true, k.hit) FILTER (WHERE k.random) AS rnd
          FROM keyed k
         WHERE k.key IS NOT NULL
         GROUP BY k.key
    ), national AS (
        -- every random declaration has a key unless the rows are split by profile or model
        -- (one of the two branches gives the one row: an aggregate without GROUP BY gives a row
        -- even for no input, HAVING drops it)
        SELECT customs_risk.compliance_merge(a.rnd) AS rnd FROM agg a
         WHERE group_by NOT IN ('profile', 'model') HAVING group_by NOT IN ('profile', 'model')
        UNION ALL
        SELECT customs_risk.compliance(true, r.hit) FILTER (WHERE r.random)
          FROM customs_risk.evaluation_rows(from_date, to_date) r
         WHERE group_by IN ('profile', 'model') HAVING group_by IN ('profile', 'model')
    ), scored AS (
        SELECT a.key, a.c, s.rnd,
               customs_risk.hits(a.c) AS h, customs_risk.inspections(a.c) - customs_risk.pending_inspections(a.c) AS n,
               customs_risk.hits(s.rnd) AS hr, customs_risk.inspections(s.rnd) AS nr,
               customs_risk.hit_rate(a.c) / nullif(customs_risk.hit_rate(s.rnd), 0) AS lift,
               customs_risk.wilson_interval(a.c) AS w
          FROM agg a CROSS JOIN national nat
          CROSS JOIN LATERAL (SELECT CASE WHEN group_by IN ('office', 'district', 'month') THEN a.rnd
                                          ELSE nat.rnd END AS rnd) s
    )
    SELECT s.key, customs_risk.declarations(s.c), customs_risk.inspections(s.c), s.h,
           customs_risk.critical_findings(s.c), customs_risk.hit_rate(s.c), s.w[1], s.w[2],
           s.nr, customs_risk.hit_rate(s.rnd), s.lift,
           CASE WHEN s.h > 0 AND s.hr > 0
                THEN s.lift * exp(-z * sqrt(1.0 / s.h - 1.0 / s.n + 1.0 / s.hr - 1.0 / s.nr)) END,
           CASE WHEN s.h > 0 AND s.hr > 0
                THEN s.lift * exp(z * sqrt(1.0 / s.h - 1.0 / s.n + 1.0 / s.hr - 1.0 / s.nr)) END,
           customs_risk.extra_revenue(s.c)
      FROM scored s
     ORDER BY CASE WHEN group_by = 'profile' THEN s.key::bigint END, s.key;
END
$fn$;
COMMENT ON FUNCTION customs_risk.performance_report(date, date, text) IS
    'targeting performance of declarations lodged in [from_date, to_date] per profile, model, office, district, channel, source (profile, model, random, officer, external) or month: '
    'inspections, hits (minor or critical findings), hit rate with its 95% Wilson interval, lift over the random control sample of the same period and scope with its 95% Katz interval, extra revenue';

-- The true non-compliance rate from the random control sample, and what targeting catches.
-- Estimator (Horvitz-Thompson with a uniform inclusion probability, i.e. the sample mean):
-- random selection draws every declaration with the same probability whatever its risk, so the
-- random sample's hit rate p is an unbiased estimate of the share of all declarations of the
-- period that violate; its interval is the Wilson 95% interval.  Total violations T = p x N
-- (all declarations), the ones found H are known exactly, so missed = T - H and the share
-- targeting catches = H / T.  Not "p x declarations not inspected + H": the declarations
-- left uninspected are the ones targeting judged safe, not a random sample, and the overall
-- rate overstates theirs.  Revenue likewise: the random declarations' mean extra revenue times
-- N estimates the revenue at stake, minus the revenue assessed gives what is missed (normal
-- 95% interval from the sample standard deviation).  Intervals of T, missed and the share are
-- the rate's interval carried through (monotone maps); T and its bounds are floored at H (the
-- hits found are violations for certain), so missed is never negative and the share at most 1.
-- Assumes one random rate for all: offices with different rates, or grades that thin random
-- selection, would need each random declaration weighted by 1 / its selection probability.
CREATE FUNCTION customs_risk.noncompliance_estimate(from_date date, to_date date)
RETURNS TABLE (declarations bigint, inspections bigint, hits bigint, random_inspections bigint, random_hits bigint,
               rate float8, rate_ci_low float8, rate_ci_high float8,
               violations float8, violations_ci_low float8, violations_ci_high float8,
               missed float8, missed_ci_low float8, missed_ci_high float8,
               share_caught float8, share_caught_ci_low float8, share_caught_ci_high float8,
               extra_revenue float8, revenue_at_stake float8, revenue_missed float8,
               revenue_missed_ci_low float8, revenue_missed_ci_high float8)
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET enable_nestloop = off     -- see evaluation_rows()
AS $fn$
DECLARE
    z CONSTANT float8 := 1.959963984540054;
BEGIN
    PERFORM customs_risk.check_report_period('noncompliance_estimate', from_date, to_date);
    RETURN QUERY
    WITH agg AS (
        SELECT customs_risk.compliance(r.inspected, r.hit, r.critical, r.extra_revenue) AS c,
               customs_risk.compliance(true, r.hit) FILTER (WHERE r.random) AS rnd,
               avg(coalesce(r.extra_revenue, 0)) FILTER (WHERE r.random) AS rev_mean,
               stddev_samp(coalesce(r.extra_revenue, 0)) FILTER (WHERE r.random) AS rev_sd
          FROM customs_risk.evaluation_rows(from_date, to_date) r
    ), e AS (
        SELECT a.*, customs_risk.declarations(a.c)::float8 AS n, customs_risk.hits(a.c)::float8 AS h,
               customs_risk.hit_rate(a.rnd) AS p, customs_risk.wilson_interval(a.rnd) AS w,
               a.rev_mean * customs_risk.declarations(a.c) AS stake,
               z * a.rev_sd / sqrt(customs_risk.inspections(a.rnd)) * customs_risk.declarations(a.c) AS stake_margin
          FROM agg a
    )
    -- without a random inspection with a result (p NULL) nothing can be estimated: NULLs, not bounds
    SELECT customs_risk.declarations(e.c), customs_risk.inspections(e.c), customs_risk.hits(e.c),
           customs_risk.inspections(e.rnd), customs_risk.hits(e.rnd),
           e.p, e.w[1], e.w[2],
           CASE WHEN e.p IS NOT NULL THEN greatest(e.p * e.n, e.h) END,
           CASE WHEN e.p IS NOT NULL THEN greatest(e.w[1] * e.n, e.h) END,
           CASE WHEN e.p IS NOT NULL THEN greatest(e.w[2] * e.n, e.h) END,
           CASE WHEN e.p IS NOT NULL THEN greatest(e.p * e.n - e.h, 0) END,
           CASE WHEN e.p IS NOT NULL THEN greatest(e.w[1] * e.n - e.h, 0) END,
           CASE WHEN e.p IS NOT NULL THEN greatest(e.w[2] * e.n - e.h, 0) END,
           CASE WHEN e.p IS NOT NULL THEN e.h / nullif(greatest(e.p * e.n, e.h), 0) END,
           CASE WHEN e.p IS NOT NULL THEN e.h / nullif(greatest(e.w[2] * e.n, e.h), 0) END,
           CASE WHEN e.p IS NOT NULL THEN e.h / nullif(greatest(e.w[1] * e.n, e.h), 0) END,
           customs_risk.extra_revenue(e.c), e.stake,
           CASE WHEN e.stake IS NOT NULL THEN greatest(e.stake - customs_risk.extra_revenue(e.c), 0) END,
           CASE WHEN e.stake_margin IS NOT NULL
                THEN greatest(e.stake - e.stake_margin - customs_risk.extra_revenue(e.c), 0) END,
           CASE WHEN e.stake_margin IS NOT NULL
                THEN greatest(e.stake + e.stake_margin - customs_risk.extra_revenue(e.c), 0) END
      FROM e;
END
$fn$;
COMMENT ON FUNCTION customs_risk.noncompliance_estimate(date, date) IS
    'from the random control sample of declarations lodged in [from_date, to_date]: the true violation rate (95% Wilson interval), the violations in all declarations (rate x declarations), '
    'those missed (minus the hits found) and the share targeting catches, the revenue at stake and missed (95% normal interval); assumes one random rate for all declarations';

-- Profiles ranked by effectiveness, with flags.  Rank: by the lower bound of the hit rate's
-- Wilson interval (a profile with few inspections does not top the list on luck), then hit
-- rate.  Flags (evidence needs at least min_inspections inspections):
--   no_better_than_random  the lower bound of its 95% Wilson interval is at or below the random
--                          control sample's hit rate: its inspections do not show, at 95%
--                          confidence, that it finds more than inspecting at random would (this
--                          includes profiles that do measurably worse);
--   never_hit              no hit in at least max(min_inspections, ln 0.05 / ln(1 - random rate))
--                          inspections: a profile only as good as random selection would have hit
--                          at least once with 95% probability;
--   expires_soon           active and valid_to within expiry_days days from as_of;
--   expired                still active although valid_to is before as_of.
CREATE FUNCTION customs_risk.profile_effectiveness(from_date date, to_date date, min_inspections integer DEFAULT 20,
                                                   expiry_days integer DEFAULT 30, as_of date DEFAULT CURRENT_DATE)
RETURNS TABLE (rank bigint, profile_id bigint, name text, owner_office text, status customs_risk.profile_status,
               valid_to date, inspections bigint, hits bigint, hit_rate float8, ci_low float8, ci_high float8,
               random_hit_rate float8, lift float8, extra_revenue float8, flags text[])
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET enable_nestloop = off     -- see evaluation_rows()
AS $fn$
DECLARE
    rnd customs_risk.compliance;
BEGIN
    PERFORM customs_risk.check_report_period('profile_effectiveness', from_date, to_date);
    IF min_inspections IS NULL OR expiry_days IS NULL OR as_of IS NULL THEN
        RAISE EXCEPTION 'profile_effectiveness() needs min_inspections, expiry_days and as_of, not NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF min_inspections < 1 THEN
        RAISE EXCEPTION 'profile_effectiveness(): min_inspections must be at least 1, not %', min_inspections
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF expiry_days < 0 THEN
        RAISE EXCEPTION 'profile_effectiveness(): expiry_days must be 0 or more, not %', expiry_days
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF as_of IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION 'profile_effectiveness(): as_of must be a finite date, not %', as_of
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM customs_risk.check_day_in_range('profile_effectiveness', 'as_of', as_of);
    IF expiry_days > 36500 THEN
        RAISE EXCEPTION 'profile_effectiveness(): expiry_days must be at most 36500 (a century), not %', expiry_days
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    WITH perf AS (
        SELECT r.group_key::bigint AS profile_id, r.* FROM customs_risk.performance_report(from_date, to_date, 'profile') r
    ), base AS (
        -- the random control rate is the same on every row (all random inspections of the period)
        SELECT (SELECT p.random_hit_rate FROM perf p LIMIT 1) AS rate
    ), rows AS (
        SELECT pr.profile_id, pr.name, pr.owner_office, pr.status, pr.valid_to,
               coalesce(p.inspections, 0) AS inspections, coalesce(p.hits, 0) AS hits, p.hit_rate,
               p.ci_low, p.ci_high, b.rate AS random_rate, p.lift, coalesce(p.extra_revenue, 0) AS extra_revenue,
               greatest(min_inspections,
                        CASE WHEN b.rate > 0 AND b.rate < 1 THEN ceil(ln(0.05) / ln(1 - b.rate)) END) AS never_hit_n
          FROM customs_risk.profile pr CROSS JOIN base b
          LEFT JOIN perf p ON p.profile_id = pr.profile_id
    )
    SELECT row_number() OVER (ORDER BY r.ci_low DESC NULLS LAST, r.hit_rate DESC NULLS LAST, r.profile_id),
           r.profile_id, r.name, r.owner_office::text, r.status, r.valid_to, r.inspections, r.hits, r.hit_rate,
           r.ci_low, r.ci_high, r.random_rate, r.lift, r.extra_revenue,
           array_remove(ARRAY[
               CASE WHEN r.inspections >= min_inspections AND r.ci_low <= r.random_rate THEN 'no_better_than_random' END,
               CASE WHEN r.hits = 0 AND r.inspections >= r.never_hit_n THEN 'never_hit' END,
               CASE WHEN r.status = 'active' AND r.valid_to >= as_of AND r.valid_to <= as_of + expiry_days
                    THEN 'expires_soon' END,
               CASE WHEN r.status = 'active' AND r.valid_to < as_of THEN 'expired' END], NULL)
      FROM rows r
     ORDER BY 1;
END
$fn$;
COMMENT ON FUNCTION customs_risk.profile_effectiveness(date, date, integer, integer, date) IS
    'every profile ranked by the 95% Wilson lower bound of its hit rate over declarations lodged in [from_date, to_date], with flags: no_better_than_random (Wilson lower bound at or below the random hit rate: not shown better than random), '
    'never_hit (no hit in enough inspections that random selection would have hit with 95% probability, at least min_inspections), expires_soon (valid_to within expiry_days of as_of), expired (active past valid_to)';

-- ===========================================================================
-- Harmonisation: equal treatment of equal risks across districts
-- ===========================================================================
--
-- For each declaration lodged in the period that has a logged decision (the latest one in
-- decision_log), "inspected" means the decision's channel is not green (blue, yellow or red),
-- its district is the parent of its customs house, its goods are the HS chapter of its line 1,
-- and its risk band is, by band_by:
--   score        the decision's profile score, in bands '0', '0-1', '1-2', ..., '9-10', '10+'
--                (a band 'a-b' holds a <= score < b, and 0 < score < 1 for '0-1');
--   model_score  the decision's model score in tenths '0.0-0.1' .. '0.9-1.0' (declarations
--                decided without a model are left out);
--   profile      the exact set of profiles matched ('{}' for none).
-- Three kinds of row come back (column scope):
--   band      one per band and district: the inspection rate against the band's pooled rate;
--             z is the adjusted (Haberman) residual (k - n p) / sqrt(n p (1 - p) (1 - n / N)),
--             N(0, 1) when the district treats the band like the others; p_value two-sided;
--             deviates when p_value < alpha / (number of band rows tested): Bonferroni, so
--             testing many districts and bands does not flag equal ones by chance;
--   district  one per district, normalised for its trade mix by indirect standardisation:
--             expected = sum over its declarations' band x HS chapter cells of the national
--             inspection rate of the cell; ratio = inspected / expected (1 = treated like the
--             nation given its goods and risks) with a 95% interval, z = (O - E) / sqrt(sum
--             n r (1 - r)), deviates when p_value < alpha / districts (Bonferroni).  The nation
--             includes the district, which pulls E towards O: the test is conservative;
--   index     one row: the chi-square test of homogeneity of the inspection rate across
--             districts within each band, summed over the bands (independent strata: the sum
--             of the bands' Pearson statistics, df the sum of (districts in band - 1)), its
--             p_value, deviates when p_value < alpha, and the harmonisation index
--             1 - sqrt(statistic / declarations): 1 when every district inspects every band
--             at the same rate, 0 when the district alone decides (Cramer's V pooled over the
--             bands).  Bands where every or no declaration was inspected carry no information
--             and are left out of the test.
-- The chi-square and normal approximations want a few expected inspections per cell; small
-- cells make them rough (Bonferroni keeps the flags conservative).
CREATE FUNCTION customs_risk.harmonisation_report(from_date date, to_date date, band_by text DEFAULT 'score',
                                                  alpha float8 DEFAULT 0.05)
RETURNS TABLE (scope text, band text, district_code text, declarations bigint, inspected bigint,
               inspection_rate float8, expected float8, ratio float8, ratio_ci_low float8, ratio_ci_high float8,
               z float8, p_value float8, deviates boolean, statistic float8, df bigint, harmonisation_index float8)
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET enable_nestloop = off     -- see evaluation_rows()
AS $fn$
DECLARE
    zq CONSTANT float8 := 1.959963984540054;
BEGIN
    PERFORM customs_risk.check_report_period('harmonisation_report', from_date, to_date);
    IF band_by IS NULL OR alpha IS NULL THEN
        RAISE EXCEPTION 'harmonisation_report() needs band_by and alpha, not NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF band_by NOT IN ('score', 'model_score', 'profile') THEN
        RAISE EXCEPTION 'harmonisation_report(): unknown band_by %', quote_literal(band_by)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'band_by is one of score, model_score, profile.';
    END IF;
    IF NOT (alpha > 0 AND alpha < 1) THEN
        RAISE EXCEPTION 'harmonisation_report(): alpha must be between 0 and 1, not %', alpha
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    WITH latest AS (
        SELECT DISTINCT ON (l.declaration_id) l.declaration_id, d.office_code, l.channel, l.score, l.model_score,
               l.profile_ids
          FROM customs_risk.decision_log l
          JOIN customs_risk.declaration d ON d.declaration_id = l.declaration_id
         WHERE d.declared_on >= from_date AND d.declared_on <= to_date
         ORDER BY l.declaration_id, l.decision_id DESC
    ), banded AS (
        SELECT CASE band_by
                   WHEN 'score' THEN CASE WHEN x.score <= 0 THEN '0' WHEN x.score >= 10 THEN '10+'
                                          ELSE floor(x.score)::int::text || '-' || (floor(x.score)::int + 1)::text END
                   WHEN 'model_score' THEN to_char(least(floor(x.model_score * 10), 9) / 10, 'FM0.0') || '-'
                                           || to_char(least(floor(x.model_score * 10), 9) / 10 + 0.1, 'FM0.0')
                   ELSE x.profile_ids::text END AS band,
               CASE band_by WHEN 'score' THEN least(greatest(floor(x.score), -1), 10)
                            WHEN 'model_score' THEN least(floor(x.model_score * 10), 9)
                            ELSE cardinality(x.profile_ids) END AS band_order,
               o.parent_code AS district, coalesce(customs_risk.hs_chapter(dl.hs), 0) AS chapter,
               x.channel <> 'green'::customs_risk.channel AS insp
          FROM latest x
          JOIN customs_risk.office o ON o.office_code = x.office_code
          LEFT JOIN customs_risk.declaration_line dl ON dl.declaration_id = x.declaration_id AND dl.line_no = 1
    ), cell AS (            -- band x district x chapter: everything below works on these counts
        SELECT b.band, b.band_order, b.district, b.chapter, count(*) AS n, count(*) FILTER (WHERE b.insp) AS k
          FROM banded b WHERE b.band IS NOT NULL
         GROUP BY b.band, b.band_order, b.district, b.chapter
    ), bd AS (
        SELECT c.band, c.band_order, c.district, sum(c.n)::bigint AS n, sum(c.k)::bigint AS k
          FROM cell c GROUP BY c.band, c.band_order, c.district
    ), bb AS (
        SELECT x.band, sum(x.n)::float8 AS nn, sum(x.k)::float8 / sum(x.n) AS p, count(*) AS districts
          FROM bd x GROUP BY x.band
    ), band_rows AS (
        SELECT x.band, x.band_order, x.district, x.n, x.k, b.p, b.nn, x.n * b.p AS e,
               CASE WHEN b.p > 0 AND b.p < 1 AND x.n < b.nn
                    THEN (x.k - x.n * b.p) / sqrt(x.n * b.p * (1 - b.p) * (1 - x.n / b.nn)) END AS z,
               CASE WHEN b.p > 0 AND b.p < 1 THEN (x.k - x.n * b.p) ^ 2 / (x.n * b.p * (1 - b.p)) END AS pearson
          FROM bd x JOIN bb b ON b.band = x.band
    ), band_tested AS (
        SELECT r.*, customs_risk.chi_square_p(r.z ^ 2, 1) AS pv,
               count(r.z) OVER () AS tests
          FROM band_rows r
    ), chapter_rate AS (     -- the nation's inspection rate per band and chapter
        SELECT c.band, c.chapter, sum(c.k)::float8 / sum(c.n) AS r FROM cell c GROUP BY c.band, c.chapter
    ), dist AS (
        SELECT c.district, sum(c.n)::bigint AS n, sum(c.k)::bigint AS k, sum(c.n * cr.r) AS e,
               sum(c.n * cr.r * (1 - cr.r)) AS v
          FROM cell c JOIN chapter_rate cr ON cr.band = c.band AND cr.chapter = c.chapter
         GROUP BY c.district
    ), dist_tested AS (
        SELECT d.*, CASE WHEN d.v > 0 THEN (d.k - d.e) / sqrt(d.v) END AS z, count(*) OVER () AS tests
          FROM dist d
    ), idx AS (
        SELECT sum(r.n)::bigint AS n, sum(r.k)::bigint AS k, sum(r.pearson) AS x2,
               (SELECT sum(b.districts - 1) FROM bb b WHERE b.p > 0 AND b.p < 1)::bigint AS df
          FROM band_rows r WHERE r.pearson IS NOT NULL
    )
    SELECT u.scope, u.band, u.district_code, u.declarations, u.inspected, u.inspection_rate, u.expected, u.ratio,
           u.ratio_ci_low, u.ratio_ci_high, u.z, u.p_value, u.deviates, u.statistic, u.df, u.harmonisation_index
      FROM (SELECT 1 AS s_ord, t.band_order AS b_ord, 'band' AS scope, t.band, t.district::text AS district_code,
                   t.n AS declarations, t.k AS inspected, t.k::float8 / t.n AS inspection_rate, t.e AS expected,
                   t.k / nullif(t.e, 0) AS ratio, NULL::float8 AS ratio_ci_low, NULL::float8 AS ratio_ci_high,
                   t.z, t.pv AS p_value, coalesce(t.pv < alpha / nullif(t.tests, 0), false) AS deviates,
                   NULL::float8 AS statistic, NULL::bigint AS df, NULL::float8 AS harmonisation_index
              FROM band_tested t
            UNION ALL
            SELECT 2, NULL, 'district', NULL, d.district::text, d.n, d.k, d.k::float8 / d.n, d.e, d.k / nullif(d.e, 0),
                   (d.k - zq * sqrt(d.v)) / nullif(d.e, 0), (d.k + zq * sqrt(d.v)) / nullif(d.e, 0),
                   d.z, customs_risk.chi_square_p(d.z ^ 2, 1),
                   coalesce(customs_risk.chi_square_p(d.z ^ 2, 1) < alpha / d.tests, false), NULL, NULL, NULL
              FROM dist_tested d
            UNION ALL
            SELECT 3, NULL, 'index', NULL, NULL, i.n, i.k, i.k::float8 / i.n, NULL, NULL, NULL, NULL, NULL,
                   CASE WHEN i.df > 0 THEN customs_risk.chi_square_p(i.x2, i.df) END,
                   coalesce(i.df > 0 AND customs_risk.chi_square_p(i.x2, i.df) < alpha, false),
                   i.x2, i.df, 1 - sqrt(i.x2 / i.n)
              FROM idx i WHERE i.n IS NOT NULL) u
     ORDER BY u.s_ord, u.b_ord, u.band, u.district_code;
END
$fn$;
COMMENT ON FUNCTION customs_risk.harmonisation_report(date, date, text, float8) IS
    'equal treatment of equal risks over declarations lodged in [from_date, to_date] with a logged decision: per risk band (band_by score, model_score or profile) and district the non-green rate against the band''s pooled rate '
    '(adjusted residual z, Bonferroni-flagged); per district the trade-mix-normalised ratio of observed to expected inspections (indirect standardisation over band x HS chapter); '
    'one index row: chi-square test of homogeneity summed over bands, p-value, harmonisation index 1 - pooled Cramer''s V';
