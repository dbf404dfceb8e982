
-- ===========================================================================
-- criteria: the targeting language, and x @@ criteria
-- C: src/criteria.c, src/criteria_core.c
-- ===========================================================================

CREATE TYPE customs_risk.criteria;

CREATE FUNCTION customs_risk.criteria_in(cstring) RETURNS customs_risk.criteria
    AS 'MODULE_PATHNAME', 'criteria_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION customs_risk.criteria_out(customs_risk.criteria) RETURNS cstring
    AS 'MODULE_PATHNAME', 'criteria_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION customs_risk.criteria_recv(internal) RETURNS customs_risk.criteria
    AS 'MODULE_PATHNAME', 'criteria_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION customs_risk.criteria_send(customs_risk.criteria) RETURNS bytea
    AS 'MODULE_PATHNAME', 'criteria_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE customs_risk.criteria (
    INPUT = customs_risk.criteria_in,
    OUTPUT = customs_risk.criteria_out,
    RECEIVE = customs_risk.criteria_recv,
    SEND = customs_risk.criteria_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE customs_risk.criteria IS
    'targeting criteria in a small safe language, e.g. hs <@ 8471 and origin in (CN, VN) and unit_value < 20; stored compiled, printed canonically';
COMMENT ON FUNCTION customs_risk.criteria_in(cstring) IS 'criteria text input: parse and check fields, operators and values';
COMMENT ON FUNCTION customs_risk.criteria_out(customs_risk.criteria) IS 'criteria text output: the canonical form';
COMMENT ON FUNCTION customs_risk.criteria_recv(internal) IS 'criteria binary input: the compiled form, validated';
COMMENT ON FUNCTION customs_risk.criteria_send(customs_risk.criteria) IS 'criteria binary output: the compiled form';

-- Planner support of the row matchers: a table's whole row, or a view's ROW(...), is passed
-- as the columns criteria can read, not built into a row value per row (src/column_args.c).
CREATE FUNCTION customs_risk.row_columns_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'row_columns_support' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.row_columns_support(internal) IS
    'planner support: rewrites match_profiles(t) and t @@ c to pass t''s criteria columns instead of a row value';

-- COST: a row's criteria take some ten times a plain comparison, so the planner runs a query's
-- cheaper filters first (as for match_profiles, score and random_draw).
CREATE FUNCTION customs_risk.criteria_match(record, customs_risk.criteria) RETURNS boolean
    AS 'MODULE_PATHNAME', 'criteria_match' LANGUAGE C STABLE STRICT PARALLEL SAFE COST 10
    SUPPORT customs_risk.row_columns_support;
COMMENT ON FUNCTION customs_risk.criteria_match(record, customs_risk.criteria) IS
    'true when the row satisfies the criteria, NULL when that is unknown (implements @@); reads code lists';
CREATE OPERATOR customs_risk.@@ (
    LEFTARG = record, RIGHTARG = customs_risk.criteria,
    FUNCTION = customs_risk.criteria_match,
    RESTRICT = matchingsel, JOIN = matchingjoinsel
);
COMMENT ON OPERATOR customs_risk.@@ (record, customs_risk.criteria) IS
    'the row (a declaration_line_v row, or any row with the named columns) satisfies the criteria';

-- What the planner calls instead of criteria_match for rows of a named type (same result).
CREATE FUNCTION customs_risk.criteria_match_columns(line_type regtype, present tid, columns text[],
    criteria customs_risk.criteria, VARIADIC "any") RETURNS boolean
    AS 'MODULE_PATHNAME', 'criteria_match_columns' LANGUAGE C STABLE PARALLEL SAFE COST 10;
COMMENT ON FUNCTION customs_risk.criteria_match_columns(regtype, tid, text[], customs_risk.criteria, "any") IS
    'row @@ criteria for a row given as its columns (the planner''s rewrite of @@); NULL when present or criteria is NULL';

CREATE FUNCTION customs_risk.criteria_fields(customs_risk.criteria) RETURNS text[]
    AS 'MODULE_PATHNAME', 'criteria_fields' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.criteria_fields(customs_risk.criteria) IS 'the fields the criteria read';
CREATE FUNCTION customs_risk.criteria_lists(customs_risk.criteria) RETURNS text[]
    AS 'MODULE_PATHNAME', 'criteria_lists' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.criteria_lists(customs_risk.criteria) IS 'the code lists the criteria name';

-- Named code lists (watch lists of traders, sensitive goods, ...), kept apart from the
-- rules so they can change daily without touching a profile.
CREATE TABLE customs_risk.code_list (
    list_name text COLLATE "C" PRIMARY KEY CHECK (list_name ~ '^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$'),
    description text NOT NULL,
    owner_office text COLLATE "C" REFERENCES customs_risk.office (office_code),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE customs_risk.code_list IS 'named code lists that criteria test with "in list ''name''"';
COMMENT ON COLUMN customs_risk.code_list.list_name IS 'the name criteria use';
COMMENT ON COLUMN customs_risk.code_list.description IS 'what the list holds and why';
COMMENT ON COLUMN customs_risk.code_list.owner_office IS 'the national or district centre that keeps it';
COMMENT ON COLUMN customs_risk.code_list.created_at IS 'when the list was created';

CREATE TABLE customs_risk.code_list_entry (
    list_name text COLLATE "C" NOT NULL REFERENCES customs_risk.code_list (list_name) ON DELETE CASCADE,
    code text COLLATE "C" NOT NULL CHECK (code <> '' AND length(code) <= 200),
    note text,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (list_name, code)
);
COMMENT ON TABLE customs_risk.code_list_entry IS 'the codes of each code list (trader ids, HS codes as digits, country codes, ...)';
COMMENT ON COLUMN customs_risk.code_list_entry.list_name IS 'the list';
COMMENT ON COLUMN customs_risk.code_list_entry.code IS 'a code, compared exactly (byte for byte) with the field''s value';
COMMENT ON COLUMN customs_risk.code_list_entry.note IS 'why the code is on the list';
COMMENT ON COLUMN customs_risk.code_list_entry.added_at IS 'when it was added';

SELECT pg_catalog.pg_extension_config_dump('customs_risk.code_list', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.code_list_entry', '');
