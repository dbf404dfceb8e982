-- Generated evaluation data with a known truth, for the evaluation and harmonisation tests
-- (test/pgtap/13_evaluation.sql, 14_harmonisation.sql) and the benchmark (bench/evaluation.sql),
-- which include it with \ir.  Defines pg_temp.make_evaluation_data(...), which writes one-line
-- declarations at the loaded customs houses, three profiles, the inspections and one logged
-- decision per declaration, and keeps every draw in table pg_temp.ev_truth, so a test can
-- compare each estimate with the truth.
--
-- Per declaration g (all draws customs_risk.gen_uniform(g, stream, seed), so reproducible):
--   high risk with probability 0.2; violates with probability 0.30 if high risk, else 0.05
--   (true rate 0.10);
--   profile "<label> high" (weight 2) matches 70% of high-risk and 10% of other declarations;
--   profile "<label> useless" (weight 1) matches 5% of all, whatever the risk;
--   profile "<label> never" (weight 1) matches 2% of the declarations that do not violate;
--   random control selection with probability random_rate, whatever the risk;
--   in district strict_district, an officer also sends strict_extra of the declarations the
--   rules leave green to yellow (the same risk treated more strictly).
-- A profile match sends the declaration red (an inspection selected by the heaviest matched
-- profile), a random draw or the officer yellow (random takes precedence in selected_by); every
-- inspection finds the violation if there is one (critical one time in ten), with extra revenue.
-- The decision log gets the channel, the profile score, the matched profiles, the random flag
-- and a model score (0.15 + 0.5 x high risk + 0.3 x a uniform draw).
CREATE FUNCTION pg_temp.make_evaluation_data(label text, n bigint, seed bigint, first_day date, n_days integer,
                                             random_rate float8 DEFAULT 0.05, strict_district text DEFAULT NULL,
                                             strict_extra float8 DEFAULT 0, expiring_in integer DEFAULT 10)
-- (profile "<label> useless" is valid until expiring_in days after the last day)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    p_high bigint;
    p_useless bigint;
    p_never bigint;
BEGIN
    INSERT INTO customs_risk.trader (trader_id, roles) VALUES (label || '-imp', '{importer}');
    INSERT INTO customs_risk.profile (name, criteria, channel, weight, description, status, valid_from, valid_to, owner_office)
    VALUES (label || ' high', 'importer = NOBODY1', 'red', 2, 'generated: finds high-risk declarations', 'active',
            first_day, NULL, 'NRC')
    RETURNING profile_id INTO p_high;
    INSERT INTO customs_risk.profile (name, criteria, channel, weight, description, status, valid_from, valid_to, owner_office)
    VALUES (label || ' useless', 'importer = NOBODY2', 'red', 1, 'generated: matches at random', 'active',
            first_day, first_day + n_days - 1 + expiring_in, 'NRC')
    RETURNING profile_id INTO p_useless;
    INSERT INTO customs_risk.profile (name, criteria, channel, weight, description, status, valid_from, valid_to, owner_office)
    VALUES (label || ' never', 'importer = NOBODY3', 'red', 1, 'generated: matches compliant declarations only', 'active',
            first_day, NULL, 'NRC')
    RETURNING profile_id INTO p_never;

    CREATE TEMP TABLE IF NOT EXISTS ev_truth (
        declaration_id text, office_code text, district_code text, declared_on date, high boolean,
        violates boolean, critical boolean, revenue numeric, m_high boolean, m_useless boolean, m_never boolean,
        random boolean, strict boolean, profile_id bigint, selected_by customs_risk.selection_source,
        channel customs_risk.channel, score float8, model_score float8, hs text);
    INSERT INTO ev_truth
    WITH houses AS (
        SELECT array_agg(o.office_code ORDER BY o.office_code) AS codes,
               array_agg(o.parent_code ORDER BY o.office_code) AS districts
          FROM customs_risk.office o WHERE o.level = 'house'
    ), d AS (
        SELECT g, h.codes, h.districts,
               1 + floor(customs_risk.gen_uniform(g, 1, seed) * cardinality(h.codes))::int AS k,
               customs_risk.gen_uniform(g, 2, seed) < 0.2 AS high,
               customs_risk.gen_uniform(g, 3, seed) AS u3,
               customs_risk.gen_uniform(g, 4, seed) AS u4,
               customs_risk.gen_uniform(g, 5, seed) < 0.05 AS m_useless,
               customs_risk.gen_uniform(g, 6, seed) AS u6,
               customs_risk.gen_uniform(g, 7, seed) < random_rate AS random,
               customs_risk.gen_uniform(g, 8, seed) AS u8,
               customs_risk.gen_uniform(g, 9, seed) AS u9,
               customs_risk.gen_uniform(g, 10, seed) AS u10
          FROM houses h, generate_series(1, n) g
    ), v AS (
        SELECT d.*, d.u3 < CASE WHEN d.high THEN 0.30 ELSE 0.05 END AS violates,
               d.u4 < CASE WHEN d.high THEN 0.7 ELSE 0.1 END AS m_high
          FROM d
    ), m AS (
        SELECT v.*, NOT v.violates AND v.u6 < 0.02 AS m_never,
               v.districts[v.k] = strict_district AS in_strict
          FROM v
    ), s AS (
        SELECT m.*, m.in_strict AND NOT (m.m_high OR m.m_useless OR m.m_never OR m.random) AND m.u8 < strict_extra AS strict
          FROM m
    )
    SELECT label || '-' || s.g, s.codes[s.k], s.districts[s.k], first_day + (s.g % n_days)::int, s.high,
           s.violates, s.violates AND s.u9 < 0.1,
           CASE WHEN s.violates THEN round((1000 + 9000 * s.u9)::numeric, 2) END,
           s.m_high, s.m_useless, s.m_never, s.random, s.strict,
           CASE WHEN s.m_high THEN p_high WHEN s.m_useless THEN p_useless WHEN s.m_never THEN p_never END,
           CASE WHEN s.random THEN 'random' WHEN s.m_high OR s.m_useless OR s.m_never THEN 'profile'
                WHEN s.strict THEN 'officer' END::customs_risk.selection_source,
           CASE WHEN s.m_high OR s.m_useless OR s.m_never THEN 'red'
                WHEN s.random OR s.strict THEN 'yellow' ELSE 'green' END::customs_risk.channel,
           2 * s.m_high::int + s.m_useless::int + s.m_never::int,
           0.15 + 0.5 * s.high::int + 0.3 * s.u10,
           (ARRAY['8471300000', '6109100000', '3926909000', '9403600000', '2204210000'])[1 + (s.g % 5)::int]
      FROM s;

    INSERT INTO customs_risk.declaration (declaration_id, declared_on, office_code, importer_id, process_type,
                                          import_type, import_use, payment_type, transport, departure_country, source)
    SELECT t.declaration_id, t.declared_on, t.office_code, label || '-imp', 'A', '11', '21', '11', 'sea', 'CN', label
      FROM ev_truth t WHERE t.declaration_id LIKE label || '-%';
    INSERT INTO customs_risk.declaration_line (declaration_id, line_no, hs, origin_country, tax_rate, net_mass, value)
    SELECT t.declaration_id, 1, t.hs::customs_risk.hscode, 'CN', 8, 10, 1000 + length(t.declaration_id) * 100
      FROM ev_truth t WHERE t.declaration_id LIKE label || '-%';
    INSERT INTO customs_risk.inspection (declaration_id, channel, selected_by, profile_id, inspected_on, result, extra_revenue)
    SELECT t.declaration_id, t.channel, t.selected_by, CASE WHEN t.selected_by = 'profile' THEN t.profile_id END,
           t.declared_on,
           CASE WHEN NOT t.violates THEN 'none' WHEN t.critical THEN 'critical' ELSE 'minor' END::customs_risk.inspection_result,
           t.revenue
      FROM ev_truth t WHERE t.declaration_id LIKE label || '-%' AND t.selected_by IS NOT NULL;
    INSERT INTO customs_risk.decision_log (declaration_id, office_code, channel, score, profile_ids, random, selected_by,
                                           profile_set_version, model_score)
    SELECT t.declaration_id, t.office_code, t.channel, t.score,
           array_remove(ARRAY[CASE WHEN t.m_high THEN p_high END, CASE WHEN t.m_useless THEN p_useless END,
                              CASE WHEN t.m_never THEN p_never END], NULL),
           t.random, CASE WHEN t.random THEN 'batch-random' WHEN t.score > 0 THEN 'batch-profile' ELSE 'batch-green' END,
           0, t.model_score
      FROM ev_truth t WHERE t.declaration_id LIKE label || '-%'
     ORDER BY t.declaration_id;
END
$fn$;
