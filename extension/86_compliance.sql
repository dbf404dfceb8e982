
-- ===========================================================================
-- Trader compliance: declarations, inspections, hits and findings, as a state that
-- aggregates in parallel and merges (C: src/compliance.c, src/normal_core.c)
-- ===========================================================================
--
-- A row of compliance(inspected, hit [, critical, extra_revenue]) counts as follows:
--   inspected NULL            skipped altogether (not a declaration)
--   inspected false           a declaration
--   inspected true            a declaration and an inspection, which with
--     hit true                  is a hit (critical true: a critical finding, false: a minor one,
--                               NULL: a hit of unknown severity)
--     hit false                 found nothing
--     hit NULL                  is pending: no known result, so it counts in the inspection
--                               rate but not in the hit rate (hits / (inspections - pending))
--   extra_revenue             added for every declaration counted; NULL adds nothing;
--                             negative, NaN or infinite values are refused
-- hit and critical on rows that are not inspections are ignored.  An empty group gives the
-- all-zero state, not NULL; the rates and the interval of a state without the declarations or
-- inspections they divide by are NULL.  Counts overflowing bigint are an error (22003).

CREATE TYPE customs_risk.compliance;

CREATE FUNCTION customs_risk.compliance_in(cstring) RETURNS customs_risk.compliance
    AS 'MODULE_PATHNAME', 'compliance_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.compliance_in(cstring) IS 'text input of compliance, checked completely';
CREATE FUNCTION customs_risk.compliance_out(customs_risk.compliance) RETURNS cstring
    AS 'MODULE_PATHNAME', 'compliance_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.compliance_out(customs_risk.compliance) IS 'text output of compliance';
CREATE FUNCTION customs_risk.compliance_recv(internal) RETURNS customs_risk.compliance
    AS 'MODULE_PATHNAME', 'compliance_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.compliance_recv(internal) IS 'binary input of compliance, checked completely';
CREATE FUNCTION customs_risk.compliance_send(customs_risk.compliance) RETURNS bytea
    AS 'MODULE_PATHNAME', 'compliance_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.compliance_send(customs_risk.compliance) IS 'binary output of compliance';

CREATE TYPE customs_risk.compliance (
    INPUT = customs_risk.compliance_in,
    OUTPUT = customs_risk.compliance_out,
    RECEIVE = customs_risk.compliance_recv,
    SEND = customs_risk.compliance_send,
    INTERNALLENGTH = 80,
    ALIGNMENT = double
);
COMMENT ON TYPE customs_risk.compliance IS
    'compliance record: declarations, inspections (pending ones without a result), hits, minor and critical findings, exact extra revenue; '
    'declarations=10 inspections=4 pending=0 hits=1 minor=1 critical=0 extra_revenue=0; merges with compliance_merge or +';

-- transition and combine functions
CREATE FUNCTION customs_risk.compliance_add(customs_risk.compliance, boolean, boolean) RETURNS customs_risk.compliance
    AS 'MODULE_PATHNAME', 'compliance_add' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.compliance_add(customs_risk.compliance, boolean, boolean) IS
    'count one declaration (transition function of compliance(inspected, hit))';
CREATE FUNCTION customs_risk.compliance_add(customs_risk.compliance, boolean, boolean, boolean, float8)
    RETURNS customs_risk.compliance
    AS 'MODULE_PATHNAME', 'compliance_add_findings' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.compliance_add(customs_risk.compliance, boolean, boolean, boolean, float8) IS
    'count one declaration with its finding and extra revenue (transition function of compliance(inspected, hit, critical, extra_revenue))';
CREATE FUNCTION customs_risk.compliance_merge(customs_risk.compliance, customs_risk.compliance)
    RETURNS customs_risk.compliance
    AS 'MODULE_PATHNAME', 'compliance_merge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.compliance_merge(customs_risk.compliance, customs_risk.compliance) IS
    'the compliance record of both: counts and extra revenue add';

CREATE OPERATOR customs_risk.+ (
    LEFTARG = customs_risk.compliance,
    RIGHTARG = customs_risk.compliance,
    FUNCTION = customs_risk.compliance_merge,
    COMMUTATOR = OPERATOR(customs_risk.+)
);
COMMENT ON OPERATOR customs_risk.+ (customs_risk.compliance, customs_risk.compliance) IS
    'merge two compliance records';

CREATE AGGREGATE customs_risk.compliance(inspected boolean, hit boolean) (
    SFUNC = customs_risk.compliance_add,
    STYPE = customs_risk.compliance,
    INITCOND = 'declarations=0 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0',
    COMBINEFUNC = customs_risk.compliance_merge,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customs_risk.compliance(boolean, boolean) IS
    'declarations, inspections and hits; inspected NULL skips the row, hit NULL on an inspection counts it as pending; all zeros for no rows';

CREATE AGGREGATE customs_risk.compliance(inspected boolean, hit boolean, critical boolean, extra_revenue float8) (
    SFUNC = customs_risk.compliance_add,
    STYPE = customs_risk.compliance,
    INITCOND = 'declarations=0 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0',
    COMBINEFUNC = customs_risk.compliance_merge,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customs_risk.compliance(boolean, boolean, boolean, float8) IS
    'compliance(inspected, hit) with the findings of hits (critical true, minor false, NULL unknown) and the exact sum of extra revenue';

CREATE AGGREGATE customs_risk.compliance_merge(customs_risk.compliance) (
    SFUNC = customs_risk.compliance_merge,
    STYPE = customs_risk.compliance,
    INITCOND = 'declarations=0 inspections=0 pending=0 hits=0 minor=0 critical=0 extra_revenue=0',
    COMBINEFUNC = customs_risk.compliance_merge,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customs_risk.compliance_merge(customs_risk.compliance) IS
    'merge stored compliance records (daily into monthly) without reading the declarations again; NULL records are skipped';

-- accessors
CREATE FUNCTION customs_risk.declarations(c customs_risk.compliance) RETURNS bigint
    AS 'MODULE_PATHNAME', 'compliance_declarations' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.declarations(customs_risk.compliance) IS 'the declarations counted';
CREATE FUNCTION customs_risk.inspections(c customs_risk.compliance) RETURNS bigint
    AS 'MODULE_PATHNAME', 'compliance_inspections' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.inspections(customs_risk.compliance) IS 'the declarations inspected, pending ones included';
CREATE FUNCTION customs_risk.pending_inspections(c customs_risk.compliance) RETURNS bigint
    AS 'MODULE_PATHNAME', 'compliance_pending' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.pending_inspections(customs_risk.compliance) IS
    'the inspections with no known result (hit NULL), left out of the hit rate';
CREATE FUNCTION customs_risk.hits(c customs_risk.compliance) RETURNS bigint
    AS 'MODULE_PATHNAME', 'compliance_hits' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.hits(customs_risk.compliance) IS 'the inspections that found something';
CREATE FUNCTION customs_risk.minor_findings(c customs_risk.compliance) RETURNS bigint
    AS 'MODULE_PATHNAME', 'compliance_minor' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.minor_findings(customs_risk.compliance) IS 'the hits with a minor finding';
CREATE FUNCTION customs_risk.critical_findings(c customs_risk.compliance) RETURNS bigint
    AS 'MODULE_PATHNAME', 'compliance_critical' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.critical_findings(customs_risk.compliance) IS 'the hits with a critical finding';
CREATE FUNCTION customs_risk.extra_revenue(c customs_risk.compliance) RETURNS float8
    AS 'MODULE_PATHNAME', 'compliance_extra_revenue' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.extra_revenue(customs_risk.compliance) IS
    'the extra revenue (kept exactly to 9 decimal places, rounded once to float8 here)';
CREATE FUNCTION customs_risk.inspection_rate(c customs_risk.compliance) RETURNS float8
    AS 'MODULE_PATHNAME', 'compliance_inspection_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.inspection_rate(customs_risk.compliance) IS
    'inspections / declarations; NULL without declarations';
CREATE FUNCTION customs_risk.hit_rate(c customs_risk.compliance) RETURNS float8
    AS 'MODULE_PATHNAME', 'compliance_hit_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.hit_rate(customs_risk.compliance) IS
    'hits / (inspections - pending): the share of inspections with a result that found something; NULL without any';
CREATE FUNCTION customs_risk.wilson_interval(c customs_risk.compliance, level float8 DEFAULT 0.95) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'compliance_wilson_interval' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.wilson_interval(customs_risk.compliance, float8) IS
    'Wilson score confidence interval {lower, upper} of the hit rate at the level, in (0, 1); NULL without inspections with a result';
