
-- ===========================================================================
-- Synthetic data generator for benchmarks: any number of declarations drawn
-- from the loaded sample's distributions, reproducible from a seed.
-- ===========================================================================

-- Uniform [0, 1) from (row, stream, seed): a keyed hash, so set-based SQL can draw
-- independent numbers per row in any order and in parallel, and get the same ones again.
CREATE FUNCTION customs_risk.gen_uniform(n bigint, stream integer, seed bigint) RETURNS float8
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (pg_catalog.hashint8extended(n, seed * 1000 + stream) & 2147483647)::float8 / 2147483648.0;
COMMENT ON FUNCTION customs_risk.gen_uniform(bigint, integer, bigint) IS
    'deterministic uniform number in [0, 1) for row n, stream and seed (used by generate_declarations)';

CREATE FUNCTION customs_risk.generate_declarations(
    n_declarations bigint,
    n_importers integer DEFAULT NULL,
    seed bigint DEFAULT 1,
    lines_per_declaration float8 DEFAULT 1.0,
    extra_houses integer DEFAULT 0,
    label text DEFAULT 'gen',
    first_day date DEFAULT '2022-01-01',
    n_days integer DEFAULT 365,
    inspected_share float8 DEFAULT 1.0,
    template_sources text[] DEFAULT '{kcs-train,kcs-valid}')
RETURNS TABLE (declarations bigint, lines bigint, inspections bigint, traders bigint, houses bigint)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp   -- PostGIS's schema is added below, at install time
SET work_mem = '256MB'
AS $fn$
DECLARE
    n_templates bigint;
    n_imp bigint;
    n_decl_traders bigint;
    n_sellers bigint;
    n_couriers bigint;
    n_houses_made bigint := 0;
    n_decl bigint;
    n_lines bigint;
    n_insp bigint;
    n_traders bigint;
    fast boolean;
    index_defs text[] := '{}';
    index_names text[] := '{}';
    def text;
    old_role text;
    broken text;
BEGIN
    IF n_declarations IS NULL OR n_declarations < 1 OR n_declarations > 100000000 THEN
        RAISE EXCEPTION 'n_declarations must be between 1 and 100000000, not %', n_declarations
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF seed IS NULL OR seed < 0 OR seed > 9000000000000 THEN
        RAISE EXCEPTION 'seed must be between 0 and 9000000000000, not %', seed USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF lines_per_declaration IS NULL OR NOT lines_per_declaration BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'lines_per_declaration must be between 1 and 100, not %', lines_per_declaration
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF extra_houses IS NULL OR extra_houses < 0 OR extra_houses > 10000 THEN
        RAISE EXCEPTION 'extra_houses must be between 0 and 10000, not %', extra_houses USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF label IS NULL OR label !~ '^[a-z][a-z0-9]{0,7}$' THEN
        RAISE EXCEPTION 'label must be 1 to 8 lower-case letters or digits starting with a letter, not %',
            coalesce(quote_literal(label), 'NULL') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF first_day IS NULL OR n_days IS NULL OR n_days < 1 OR n_days > 36500 THEN
        RAISE EXCEPTION 'first_day must be given and n_days be between 1 and 36500' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- the days a declaration may carry (declaration.declared_on), checked before any row is made
    IF NOT (first_day >= date '1950-01-01' AND first_day <= date '2200-12-31' - (n_days - 1)) THEN
        RAISE EXCEPTION 'the days generated, % for % day(s), must lie between 1950-01-01 and 2200-12-31', first_day, n_days
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF inspected_share IS NULL OR NOT inspected_share BETWEEN 0 AND 1 THEN
        RAISE EXCEPTION 'inspected_share must be between 0 and 1, not %', inspected_share USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM customs_risk.declaration WHERE source = label) THEN
        RAISE EXCEPTION 'declarations with source % exist already', quote_literal(label)
            USING ERRCODE = 'unique_violation', HINT = 'Pick another label, or delete them first.';
    END IF;

    -- Every row below references only rows made here or already present, so a superuser may
    -- skip the per-row foreign-key triggers (3-4x faster); the references are checked set-wise
    -- at the end instead.
    -- For a large run it also drops the secondary btree indexes and builds them again at the
    -- end: one sort per index instead of a random insert per row.
    fast := (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user);
    IF fast THEN
        old_role := current_setting('session_replication_role');
        PERFORM set_config('session_replication_role', 'replica', true);
        IF n_declarations >= 100000 THEN
            SELECT coalesce(array_agg(pg_get_indexdef(i.indexrelid) ORDER BY c.relname), '{}'),
                   coalesce(array_agg(i.indexrelid::regclass::text ORDER BY c.relname), '{}')
              INTO index_defs, index_names
              FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             WHERE i.indrelid IN ('customs_risk.declaration'::regclass, 'customs_risk.declaration_line'::regclass,
                                  'customs_risk.inspection'::regclass)
               AND NOT i.indisunique AND c.relam = (SELECT oid FROM pg_am WHERE amname = 'btree');
            FOREACH def IN ARRAY index_names LOOP
                EXECUTE 'DROP INDEX ' || def;   -- a regclass name from the catalog, quoted as needed
            END LOOP;
        END IF;
    END IF;

    -- Templates: the sample's lines with their header fields and outcome.
    CREATE TEMP TABLE gen_template ON COMMIT DROP AS
    SELECT (row_number() OVER (ORDER BY l.declaration_id, l.line_no)) - 1 AS t,
           d.office_code, d.process_type, d.import_type, d.import_use, d.payment_type, d.transport,
           d.departure_country, d.courier_id IS NOT NULL AS by_courier, d.seller_id IS NOT NULL AS has_seller,
           l.hs, l.origin_country, l.origin_indicator, l.tax_type, l.tax_rate, l.net_mass, l.value,
           coalesce(bool_or(i.result IN ('minor', 'critical')), false) AS hit
      FROM customs_risk.declaration d
      JOIN customs_risk.declaration_line l ON l.declaration_id = d.declaration_id
      LEFT JOIN customs_risk.inspection i ON i.declaration_id = d.declaration_id
     WHERE d.source = ANY (template_sources)
     GROUP BY d.declaration_id, l.declaration_id, l.line_no;
    SELECT count(*) INTO n_templates FROM gen_template;
    IF n_templates < 100 THEN
        RAISE EXCEPTION 'generate_declarations needs at least 100 sample lines from sources %, found %',
            template_sources, n_templates
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Load the bundled data first: bin/load-kcs.';
    END IF;
    CREATE UNIQUE INDEX ON gen_template (t);

    -- Fraud propensity of goods: the smoothed hit rate of each HS heading in the sample.
    CREATE TEMP TABLE gen_heading ON COMMIT DROP AS
    SELECT customs_risk.hs_heading(hs) AS heading,
           ((count(*) FILTER (WHERE hit) + 2.0) / (count(*) + 10.0))::float8 AS q
      FROM gen_template GROUP BY 1;
    ANALYZE gen_template, gen_heading;

    n_imp := coalesce(n_importers, greatest(10, n_declarations / 25));
    IF n_imp < 1 OR n_imp > 50000000 THEN
        RAISE EXCEPTION 'n_importers must be between 1 and 50000000, not %', n_imp USING ERRCODE = 'invalid_parameter_value';
    END IF;
    n_decl_traders := greatest(5, n_imp / 10);
    n_sellers := greatest(5, n_imp * 8 / 10);
    n_couriers := greatest(2, least(80, n_imp / 100));

    -- Traders: importers carry a latent risk factor (most are compliant, a few are not).
    INSERT INTO customs_risk.trader (trader_id, roles)
    SELECT label || '-' || k || lpad(i::text, 8, '0'), ARRAY[r]::customs_risk.trader_role[]
      FROM (VALUES ('I', 'importer', n_imp), ('D', 'declarant', n_decl_traders),
                   ('S', 'seller', n_sellers), ('C', 'courier', n_couriers)) AS v(k, r, n),
           LATERAL generate_series(0, n - 1) AS i
    ON CONFLICT (trader_id) DO NOTHING;
    GET DIAGNOSTICS n_traders = ROW_COUNT;

    -- Extra customs houses: house h mirrors the h-th busiest existing house and shares its traffic.
    CREATE TEMP TABLE gen_house ON COMMIT DROP AS
    SELECT o.office_code AS template_office, o.office_code, o.parent_code, o.location,
           (row_number() OVER (ORDER BY count(t.t) DESC, o.office_code)) - 1 AS rank, -1 AS h
      FROM customs_risk.office o LEFT JOIN gen_template t ON t.office_code = o.office_code
     WHERE o.level = 'house' GROUP BY o.office_code;
    INSERT INTO gen_house
    SELECT s.office_code, label || '-H' || g.k, s.parent_code,
           ST_Project(s.location, 2000 + 500 * g.k, radians(g.k * 137.5)), s.rank, g.k
      FROM generate_series(0, extra_houses - 1) AS g(k)
      JOIN gen_house s ON s.h = -1 AND s.rank = g.k % (SELECT count(*) FROM gen_house);
    INSERT INTO customs_risk.office (office_code, name, level, parent_code, location)
    SELECT g.office_code, 'Generated customs house ' || g.h || ' (shares the traffic of ' || g.template_office || ')',
           'house', g.parent_code, g.location
      FROM gen_house g WHERE g.h >= 0 ORDER BY g.h
    ON CONFLICT (office_code) DO NOTHING;   -- houses of an earlier run with this label are reused
    GET DIAGNOSTICS n_houses_made = ROW_COUNT;
    CREATE TEMP TABLE gen_house_choice ON COMMIT DROP AS
    SELECT g.template_office, g.office_code, (row_number() OVER (PARTITION BY g.template_office ORDER BY g.h)) - 1 AS j
      FROM gen_house g;
    ALTER TABLE gen_template ADD COLUMN m integer;
    UPDATE gen_template t SET m = c.m
      FROM (SELECT c.template_office, count(*) AS m FROM gen_house_choice c GROUP BY 1) c
     WHERE c.template_office = t.office_code;
    ANALYZE gen_template, gen_house_choice;

    -- Declarations: a template header, an importer drawn from a heavy-tailed distribution,
    -- its usual declarant and one of its sellers, a date in the window.
    CREATE TEMP TABLE gen_decl ON COMMIT DROP AS
    SELECT g AS n,
           label || '-' || lpad(g::text, 9, '0') AS declaration_id,
           (floor(customs_risk.gen_uniform(g, 1, seed) * n_templates))::bigint AS t,
           (floor(power(customs_risk.gen_uniform(g, 2, seed), 3) * n_imp))::bigint AS importer,
           first_day + (floor(customs_risk.gen_uniform(g, 3, seed) * n_days))::int AS declared_on,
           customs_risk.gen_uniform(g, 4, seed) AS u_house,
           customs_risk.gen_uniform(g, 5, seed) AS u_inspect,
           least(999, 1 + floor(ln(1 - customs_risk.gen_uniform(g, 6, seed) * 0.999999)
                     / ln(greatest(1e-9, 1 - 1 / lines_per_declaration))))::int AS n_lines
      FROM generate_series(1::bigint, n_declarations) AS g;

    INSERT INTO customs_risk.declaration
        (declaration_id, declared_on, office_code, importer_id, declarant_id, seller_id, courier_id,
         process_type, import_type, import_use, payment_type, transport, departure_country, source)
    SELECT d.declaration_id, d.declared_on, h.office_code,
           label || '-I' || lpad(d.importer::text, 8, '0'),
           label || '-D' || lpad(((CASE WHEN customs_risk.gen_uniform(d.n, 7, seed) < 0.9
                                        THEN customs_risk.gen_uniform(d.importer, 8, seed) * n_decl_traders
                                        ELSE customs_risk.gen_uniform(d.n, 9, seed) * n_decl_traders END)::bigint
                                  % n_decl_traders)::text, 8, '0'),
           CASE WHEN t.has_seller THEN label || '-S' || lpad(((d.importer * 7 + floor(customs_risk.gen_uniform(d.n, 10, seed) * 3))::bigint
                                                              % n_sellers)::text, 8, '0') END,
           CASE WHEN t.by_courier THEN label || '-C' || lpad(floor(customs_risk.gen_uniform(d.n, 11, seed) * n_couriers)::text, 8, '0') END,
           t.process_type, t.import_type, t.import_use, t.payment_type, t.transport, t.departure_country, label
      FROM gen_decl d
      JOIN gen_template t ON t.t = d.t
      JOIN gen_house_choice h ON h.template_office = t.office_code
                             AND h.j = floor(d.u_house * t.m)::bigint;
    GET DIAGNOSTICS n_decl = ROW_COUNT;

    -- Lines: the first keeps the header's template goods; others draw their own.  Mass and
    -- value get the same log-normal-like jitter, so unit values keep their distribution.  The
    -- chance of fraud rises with the goods' heading rate q and the importer's risk factor f
    -- (0.4 for 60% of importers, 1.2 for 30%, 4 for 10%); half the frauds undervalue by 40%.
    CREATE TEMP TABLE gen_k ON COMMIT DROP AS
    SELECT k FROM generate_series(1, (SELECT max(g.n_lines) FROM gen_decl g)) AS k;
    CREATE TEMP TABLE gen_line ON COMMIT DROP AS
    SELECT x.*, x.u_fraud < 1 - power(1 - coalesce(x.q, 0.2::float8), x.f) AS fraud
      FROM (SELECT d.declaration_id, gen_k.k AS line_no, d.declared_on, d.u_inspect,
                   t.hs, t.origin_country, t.origin_indicator, t.tax_type, t.tax_rate, t.net_mass, t.value,
                   exp(0.35 * 2.45 * (customs_risk.gen_uniform(d.n * 1000 + gen_k.k, 12, seed)
                                      + customs_risk.gen_uniform(d.n * 1000 + gen_k.k, 13, seed) - 1)) AS jitter,
                   hh.q,
                   (CASE WHEN r.u < 0.6 THEN 0.4 WHEN r.u < 0.9 THEN 1.2 ELSE 4.0 END)::float8 AS f,
                   customs_risk.gen_uniform(d.n * 1000 + gen_k.k, 14, seed) AS u_fraud,
                   customs_risk.gen_uniform(d.n * 1000 + gen_k.k, 15, seed) AS u_critical,
                   customs_risk.gen_uniform(d.n * 1000 + gen_k.k, 16, seed) AS u_under
              FROM gen_decl d
              JOIN gen_k ON gen_k.k <= d.n_lines
             CROSS JOIN LATERAL (SELECT customs_risk.gen_uniform(d.importer, 17, seed) AS u) r
              JOIN gen_template t
                ON t.t = CASE WHEN gen_k.k = 1 THEN d.t
                              ELSE floor(customs_risk.gen_uniform(d.n * 1000 + gen_k.k, 18, seed) * n_templates)::bigint END
              LEFT JOIN gen_heading hh ON hh.heading OPERATOR(customs_risk.=) customs_risk.hs_heading(t.hs)) x;

    -- each line's house from its declaration (office_code, 95_access.sql) in one hash join, not
    -- looked up per row by the column's trigger
    INSERT INTO customs_risk.declaration_line
        (declaration_id, line_no, hs, origin_country, origin_indicator, tax_type, tax_rate, net_mass, value, office_code)
    SELECT g.declaration_id, g.line_no, g.hs, g.origin_country, g.origin_indicator, g.tax_type, g.tax_rate,
           round((g.net_mass * g.jitter)::numeric, 1),
           round((g.value * g.jitter * CASE WHEN g.fraud AND g.u_under < 0.5 THEN 0.6 ELSE 1 END)::numeric, 2),
           d.office_code
      FROM gen_line g JOIN customs_risk.declaration d ON d.declaration_id = g.declaration_id AND d.source = label;
    GET DIAGNOSTICS n_lines = ROW_COUNT;

    -- Inspections of a share of the declarations, with the drawn outcome of each line.
    INSERT INTO customs_risk.inspection (declaration_id, line_no, selected_by, inspected_on, result, office_code)
    SELECT g.declaration_id, g.line_no, 'external', g.declared_on,
           (CASE WHEN NOT g.fraud THEN 'none' WHEN g.u_critical < 0.04 * g.f THEN 'critical' ELSE 'minor' END)
               ::customs_risk.inspection_result,
           d.office_code
      FROM gen_line g JOIN customs_risk.declaration d ON d.declaration_id = g.declaration_id AND d.source = label
     WHERE g.u_inspect < inspected_share;
    GET DIAGNOSTICS n_insp = ROW_COUNT;

    IF fast THEN
        FOREACH def IN ARRAY index_defs LOOP
            EXECUTE def;   -- pg_get_indexdef() text from the catalog, not user input
        END LOOP;
        PERFORM set_config('session_replication_role', old_role, true);
        -- the references the skipped triggers would have checked, as hash anti-joins
        SELECT CASE
            WHEN EXISTS (SELECT 1 FROM customs_risk.declaration d
                           LEFT JOIN customs_risk.trader t ON t.trader_id = d.importer_id
                          WHERE d.source = label AND t.trader_id IS NULL) THEN 'importer'
            WHEN EXISTS (SELECT 1 FROM customs_risk.declaration d
                           LEFT JOIN customs_risk.trader t ON t.trader_id = d.declarant_id
                          WHERE d.source = label AND t.trader_id IS NULL) THEN 'declarant'
            WHEN EXISTS (SELECT 1 FROM customs_risk.declaration d
                           LEFT JOIN customs_risk.trader t ON t.trader_id = d.seller_id
                          WHERE d.source = label AND d.seller_id IS NOT NULL AND t.trader_id IS NULL) THEN 'seller'
            WHEN EXISTS (SELECT 1 FROM customs_risk.declaration d
                           LEFT JOIN customs_risk.trader t ON t.trader_id = d.courier_id
                          WHERE d.source = label AND d.courier_id IS NOT NULL AND t.trader_id IS NULL) THEN 'courier'
            WHEN EXISTS (SELECT 1 FROM customs_risk.declaration d
                           LEFT JOIN customs_risk.office o ON o.office_code = d.office_code AND o.level = 'house'
                          WHERE d.source = label AND o.office_code IS NULL) THEN 'office'
            WHEN EXISTS (SELECT 1 FROM gen_line l
                           LEFT JOIN customs_risk.declaration d ON d.declaration_id = l.declaration_id
                          WHERE d.declaration_id IS NULL) THEN 'declaration'
            END INTO broken;
        IF broken IS NOT NULL THEN
            RAISE EXCEPTION 'generate_declarations made a dangling % reference; nothing was kept', broken
                USING ERRCODE = 'internal_error';
        END IF;
    END IF;

    DROP TABLE gen_template, gen_heading, gen_house, gen_house_choice, gen_decl, gen_k, gen_line;
    RETURN QUERY SELECT n_decl, n_lines, n_insp, n_traders, n_houses_made;
END
$fn$;
COMMENT ON FUNCTION customs_risk.generate_declarations(bigint, integer, bigint, float8, integer, text, date, integer, float8, text[]) IS
    'generate synthetic declarations, lines, traders, houses and inspections from the loaded sample''s distributions; the same arguments give the same rows';

-- The generator places new houses with PostGIS's ST_Project: give it PostGIS's schema, whichever
-- it is, taken from the catalogue (an identifier, quoted by %I) rather than assumed to be public.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION customs_risk.generate_declarations(bigint, integer, bigint, float8, integer, text, date, integer, float8, text[]) '
                   'SET search_path = pg_catalog, %I, pg_temp',
                   (SELECT n.nspname FROM pg_catalog.pg_extension e
                      JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'postgis'));
END
$$;
