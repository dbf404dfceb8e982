
-- ===========================================================================
-- hscode: Harmonized System goods code (2, 4, 6, 8 or 10 digits)
-- C: src/hscode.c, src/hscode_core.c, src/hscode_index.c
-- ===========================================================================

CREATE TYPE customs_risk.hscode;

CREATE FUNCTION customs_risk.hscode_in(cstring) RETURNS customs_risk.hscode
    AS 'MODULE_PATHNAME', 'hscode_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION customs_risk.hscode_out(customs_risk.hscode) RETURNS cstring
    AS 'MODULE_PATHNAME', 'hscode_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION customs_risk.hscode_recv(internal) RETURNS customs_risk.hscode
    AS 'MODULE_PATHNAME', 'hscode_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION customs_risk.hscode_send(customs_risk.hscode) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hscode_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE customs_risk.hscode (
    INPUT = customs_risk.hscode_in,
    OUTPUT = customs_risk.hscode_out,
    RECEIVE = customs_risk.hscode_recv,
    SEND = customs_risk.hscode_send,
    INTERNALLENGTH = 8,
    PASSEDBYVALUE,
    ALIGNMENT = double,
    STORAGE = plain
);
COMMENT ON TYPE customs_risk.hscode IS
    'Harmonized System goods code of 2, 4, 6, 8 or 10 digits; input accepts 8471, 8471.30, 8471 30 00 00; prints digits only; a prefix sorts before its descendants';

COMMENT ON FUNCTION customs_risk.hscode_in(cstring) IS 'hscode text input';
COMMENT ON FUNCTION customs_risk.hscode_out(customs_risk.hscode) IS 'hscode text output (digits only)';
COMMENT ON FUNCTION customs_risk.hscode_recv(internal) IS 'hscode binary input (validated)';
COMMENT ON FUNCTION customs_risk.hscode_send(customs_risk.hscode) IS 'hscode binary output';

-- Casts to and from text (explicit; assignment from text so INSERT ... SELECT text works)
CREATE FUNCTION customs_risk.hscode(text) RETURNS customs_risk.hscode
    AS 'MODULE_PATHNAME', 'hscode_from_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.hscode(text) IS 'parse text as an HS code (22P02 on bad input)';
CREATE FUNCTION customs_risk.text(customs_risk.hscode) RETURNS text
    AS 'MODULE_PATHNAME', 'hscode_to_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.text(customs_risk.hscode) IS 'the digits of an HS code as text';
CREATE CAST (text AS customs_risk.hscode) WITH FUNCTION customs_risk.hscode(text) AS ASSIGNMENT;
CREATE CAST (customs_risk.hscode AS text) WITH FUNCTION customs_risk.text(customs_risk.hscode);

-- Comparison
CREATE FUNCTION customs_risk.hscode_eq(customs_risk.hscode, customs_risk.hscode) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hscode_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION customs_risk.hscode_ne(customs_risk.hscode, customs_risk.hscode) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hscode_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION customs_risk.hscode_lt(customs_risk.hscode, customs_risk.hscode) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hscode_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION customs_risk.hscode_le(customs_risk.hscode, customs_risk.hscode) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hscode_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION customs_risk.hscode_gt(customs_risk.hscode, customs_risk.hscode) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hscode_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION customs_risk.hscode_ge(customs_risk.hscode, customs_risk.hscode) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hscode_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION customs_risk.hscode_cmp(customs_risk.hscode, customs_risk.hscode) RETURNS integer
    AS 'MODULE_PATHNAME', 'hscode_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION customs_risk.hscode_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME', 'hscode_sortsupport' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION customs_risk.hscode_hash(customs_risk.hscode) RETURNS integer
    AS 'MODULE_PATHNAME', 'hscode_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION customs_risk.hscode_hash_extended(customs_risk.hscode, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'hscode_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION customs_risk.hscode_eq(customs_risk.hscode, customs_risk.hscode) IS 'implementation of = for hscode';
COMMENT ON FUNCTION customs_risk.hscode_ne(customs_risk.hscode, customs_risk.hscode) IS 'implementation of <> for hscode';
COMMENT ON FUNCTION customs_risk.hscode_lt(customs_risk.hscode, customs_risk.hscode) IS 'implementation of < for hscode';
COMMENT ON FUNCTION customs_risk.hscode_le(customs_risk.hscode, customs_risk.hscode) IS 'implementation of <= for hscode';
COMMENT ON FUNCTION customs_risk.hscode_gt(customs_risk.hscode, customs_risk.hscode) IS 'implementation of > for hscode';
COMMENT ON FUNCTION customs_risk.hscode_ge(customs_risk.hscode, customs_risk.hscode) IS 'implementation of >= for hscode';
COMMENT ON FUNCTION customs_risk.hscode_cmp(customs_risk.hscode, customs_risk.hscode) IS 'btree comparison for hscode (-1, 0, 1)';
COMMENT ON FUNCTION customs_risk.hscode_sortsupport(internal) IS 'btree sort support for hscode';
COMMENT ON FUNCTION customs_risk.hscode_hash(customs_risk.hscode) IS 'hash of an hscode';
COMMENT ON FUNCTION customs_risk.hscode_hash_extended(customs_risk.hscode, bigint) IS 'seeded 64-bit hash of an hscode (hash partitioning)';

CREATE OPERATOR customs_risk.= (
    LEFTARG = customs_risk.hscode, RIGHTARG = customs_risk.hscode,
    FUNCTION = customs_risk.hscode_eq,
    COMMUTATOR = OPERATOR(customs_risk.=), NEGATOR = OPERATOR(customs_risk.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR customs_risk.<> (
    LEFTARG = customs_risk.hscode, RIGHTARG = customs_risk.hscode,
    FUNCTION = customs_risk.hscode_ne,
    COMMUTATOR = OPERATOR(customs_risk.<>), NEGATOR = OPERATOR(customs_risk.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR customs_risk.< (
    LEFTARG = customs_risk.hscode, RIGHTARG = customs_risk.hscode,
    FUNCTION = customs_risk.hscode_lt,
    COMMUTATOR = OPERATOR(customs_risk.>), NEGATOR = OPERATOR(customs_risk.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR customs_risk.<= (
    LEFTARG = customs_risk.hscode, RIGHTARG = customs_risk.hscode,
    FUNCTION = customs_risk.hscode_le,
    COMMUTATOR = OPERATOR(customs_risk.>=), NEGATOR = OPERATOR(customs_risk.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR customs_risk.> (
    LEFTARG = customs_risk.hscode, RIGHTARG = customs_risk.hscode,
    FUNCTION = customs_risk.hscode_gt,
    COMMUTATOR = OPERATOR(customs_risk.<), NEGATOR = OPERATOR(customs_risk.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR customs_risk.>= (
    LEFTARG = customs_risk.hscode, RIGHTARG = customs_risk.hscode,
    FUNCTION = customs_risk.hscode_ge,
    COMMUTATOR = OPERATOR(customs_risk.<=), NEGATOR = OPERATOR(customs_risk.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);

COMMENT ON OPERATOR customs_risk.= (customs_risk.hscode, customs_risk.hscode) IS 'same HS code';
COMMENT ON OPERATOR customs_risk.<> (customs_risk.hscode, customs_risk.hscode) IS 'different HS codes';
COMMENT ON OPERATOR customs_risk.< (customs_risk.hscode, customs_risk.hscode) IS 'sorts before (a prefix sorts before its descendants)';
COMMENT ON OPERATOR customs_risk.<= (customs_risk.hscode, customs_risk.hscode) IS 'sorts before or equal';
COMMENT ON OPERATOR customs_risk.> (customs_risk.hscode, customs_risk.hscode) IS 'sorts after';
COMMENT ON OPERATOR customs_risk.>= (customs_risk.hscode, customs_risk.hscode) IS 'sorts after or equal';

CREATE OPERATOR CLASS customs_risk.hscode_ops
    DEFAULT FOR TYPE customs_risk.hscode USING btree AS
        OPERATOR 1 customs_risk.<,
        OPERATOR 2 customs_risk.<=,
        OPERATOR 3 customs_risk.=,
        OPERATOR 4 customs_risk.>=,
        OPERATOR 5 customs_risk.>,
        FUNCTION 1 customs_risk.hscode_cmp(customs_risk.hscode, customs_risk.hscode),
        FUNCTION 2 customs_risk.hscode_sortsupport(internal);

CREATE OPERATOR CLASS customs_risk.hscode_hash_ops
    DEFAULT FOR TYPE customs_risk.hscode USING hash AS
        OPERATOR 1 customs_risk.=,
        FUNCTION 1 customs_risk.hscode_hash(customs_risk.hscode),
        FUNCTION 2 customs_risk.hscode_hash_extended(customs_risk.hscode, bigint);
COMMENT ON OPERATOR CLASS customs_risk.hscode_ops USING btree IS 'default btree order of HS codes; with the containment support functions it also answers <@ and @>';
COMMENT ON OPERATOR CLASS customs_risk.hscode_hash_ops USING hash IS 'default hash operator class of HS codes';

-- Containment: a <@ b when b is a prefix of a (or equal); b @> a the same, turned round.
-- The support functions let a btree index on the column answer it as a key range.
CREATE FUNCTION customs_risk.hscode_within_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'hscode_within_support' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION customs_risk.hscode_contains_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'hscode_contains_support' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.hscode_within_support(internal) IS 'planner support: index range for hscode <@';
COMMENT ON FUNCTION customs_risk.hscode_contains_support(internal) IS 'planner support: index range for hscode @>';

CREATE FUNCTION customs_risk.hscode_within(customs_risk.hscode, customs_risk.hscode) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hscode_within' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
    SUPPORT customs_risk.hscode_within_support;
CREATE FUNCTION customs_risk.hscode_contains(customs_risk.hscode, customs_risk.hscode) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hscode_contains' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
    SUPPORT customs_risk.hscode_contains_support;
COMMENT ON FUNCTION customs_risk.hscode_within(customs_risk.hscode, customs_risk.hscode) IS 'true when the first code lies within the second (implements <@)';
COMMENT ON FUNCTION customs_risk.hscode_contains(customs_risk.hscode, customs_risk.hscode) IS 'true when the first code contains the second (implements @>)';

CREATE OPERATOR customs_risk.<@ (
    LEFTARG = customs_risk.hscode, RIGHTARG = customs_risk.hscode,
    FUNCTION = customs_risk.hscode_within,
    COMMUTATOR = OPERATOR(customs_risk.@>),
    RESTRICT = matchingsel, JOIN = matchingjoinsel
);
CREATE OPERATOR customs_risk.@> (
    LEFTARG = customs_risk.hscode, RIGHTARG = customs_risk.hscode,
    FUNCTION = customs_risk.hscode_contains,
    COMMUTATOR = OPERATOR(customs_risk.<@),
    RESTRICT = matchingsel, JOIN = matchingjoinsel
);
COMMENT ON OPERATOR customs_risk.<@ (customs_risk.hscode, customs_risk.hscode) IS 'lies within: 847130 <@ 8471';
COMMENT ON OPERATOR customs_risk.@> (customs_risk.hscode, customs_risk.hscode) IS 'contains: 8471 @> 847130';

-- Hierarchy
CREATE FUNCTION customs_risk.hs_level(customs_risk.hscode) RETURNS integer
    AS 'MODULE_PATHNAME', 'hs_level' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION customs_risk.hs_chapter(customs_risk.hscode) RETURNS integer
    AS 'MODULE_PATHNAME', 'hs_chapter' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION customs_risk.hs_heading(customs_risk.hscode) RETURNS customs_risk.hscode
    AS 'MODULE_PATHNAME', 'hs_heading' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION customs_risk.hs_subheading(customs_risk.hscode) RETURNS customs_risk.hscode
    AS 'MODULE_PATHNAME', 'hs_subheading' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION customs_risk.hs_section(customs_risk.hscode) RETURNS integer
    AS 'MODULE_PATHNAME', 'hs_section' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION customs_risk.hs_truncate(customs_risk.hscode, integer) RETURNS customs_risk.hscode
    AS 'MODULE_PATHNAME', 'hs_truncate_to' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION customs_risk.hs_range_end(customs_risk.hscode) RETURNS customs_risk.hscode
    AS 'MODULE_PATHNAME', 'hs_range_end' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.hs_level(customs_risk.hscode) IS 'number of digits: 2 chapter, 4 heading, 6 subheading, 8 or 10 national tariff line';
COMMENT ON FUNCTION customs_risk.hs_chapter(customs_risk.hscode) IS 'chapter number 1..99';
COMMENT ON FUNCTION customs_risk.hs_heading(customs_risk.hscode) IS 'the 4-digit heading, NULL for a chapter';
COMMENT ON FUNCTION customs_risk.hs_subheading(customs_risk.hscode) IS 'the 6-digit subheading, NULL for a chapter or heading';
COMMENT ON FUNCTION customs_risk.hs_section(customs_risk.hscode) IS 'WCO section 1..21 (see table hs_sections); NULL for chapters 98 and 99 (national use)';
COMMENT ON FUNCTION customs_risk.hs_truncate(customs_risk.hscode, integer) IS 'the ancestor with the given number of digits (2, 4, 6, 8, 10), NULL when the code is shorter';
COMMENT ON FUNCTION customs_risk.hs_range_end(customs_risk.hscode) IS 'the last 10-digit code within a code (index range bound for <@)';
