
-- ===========================================================================
-- Risk indicators: smoothed hit rates from inspection evidence (C: src/hit_evidence.c,
-- src/beta_core.c)
-- ===========================================================================

CREATE TYPE customs_risk.hit_evidence;

CREATE FUNCTION customs_risk.hit_evidence_in(cstring) RETURNS customs_risk.hit_evidence
    AS 'MODULE_PATHNAME', 'hit_evidence_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.hit_evidence_in(cstring) IS 'text input of hit_evidence (stable: it reads a time)';
CREATE FUNCTION customs_risk.hit_evidence_out(customs_risk.hit_evidence) RETURNS cstring
    AS 'MODULE_PATHNAME', 'hit_evidence_out' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.hit_evidence_out(customs_risk.hit_evidence) IS 'text output of hit_evidence (stable: it prints a time)';
CREATE FUNCTION customs_risk.hit_evidence_recv(internal) RETURNS customs_risk.hit_evidence
    AS 'MODULE_PATHNAME', 'hit_evidence_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.hit_evidence_recv(internal) IS 'binary input of hit_evidence, validated';
CREATE FUNCTION customs_risk.hit_evidence_send(customs_risk.hit_evidence) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hit_evidence_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.hit_evidence_send(customs_risk.hit_evidence) IS 'binary output of hit_evidence';

CREATE TYPE customs_risk.hit_evidence (
    INPUT = customs_risk.hit_evidence_in,
    OUTPUT = customs_risk.hit_evidence_out,
    RECEIVE = customs_risk.hit_evidence_recv,
    SEND = customs_risk.hit_evidence_send,
    INTERNALLENGTH = 40,
    ALIGNMENT = double
);
COMMENT ON TYPE customs_risk.hit_evidence IS
    'inspection evidence about an entity: hits out of inspections (3/10), or time-decayed (2.5/7.25 half-life 30 days at ...); a beta-binomial state that merges';

-- transition and combine functions
CREATE FUNCTION customs_risk.hit_evidence_add(customs_risk.hit_evidence, boolean) RETURNS customs_risk.hit_evidence
    AS 'MODULE_PATHNAME', 'hit_evidence_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.hit_evidence_add(customs_risk.hit_evidence, boolean) IS
    'add one inspection outcome (transition function of hit_evidence(hit))';
CREATE FUNCTION customs_risk.hit_evidence_add_decayed(customs_risk.hit_evidence, boolean, timestamptz, interval)
    RETURNS customs_risk.hit_evidence
    AS 'MODULE_PATHNAME', 'hit_evidence_add_decayed' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.hit_evidence_add_decayed(customs_risk.hit_evidence, boolean, timestamptz, interval) IS
    'add one inspection outcome weighed by its age (transition function of hit_evidence(hit, at, half_life))';
CREATE FUNCTION customs_risk.hit_evidence_merge(customs_risk.hit_evidence, customs_risk.hit_evidence)
    RETURNS customs_risk.hit_evidence
    AS 'MODULE_PATHNAME', 'hit_evidence_merge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.hit_evidence_merge(customs_risk.hit_evidence, customs_risk.hit_evidence) IS
    'the evidence of both (decayed evidence is aligned to the later time; half-lives must agree)';

CREATE AGGREGATE customs_risk.hit_evidence(hit boolean) (
    SFUNC = customs_risk.hit_evidence_add,
    STYPE = customs_risk.hit_evidence,
    INITCOND = '0/0',
    COMBINEFUNC = customs_risk.hit_evidence_merge,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customs_risk.hit_evidence(boolean) IS
    'hits out of inspections; a NULL outcome (not inspected) is skipped';

CREATE AGGREGATE customs_risk.hit_evidence(hit boolean, at timestamptz, half_life interval) (
    SFUNC = customs_risk.hit_evidence_add_decayed,
    STYPE = customs_risk.hit_evidence,
    INITCOND = '0/0',
    COMBINEFUNC = customs_risk.hit_evidence_merge,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customs_risk.hit_evidence(boolean, timestamptz, interval) IS
    'hits out of inspections, each weighed 2^-(age / half_life) against the latest inspection time';

CREATE AGGREGATE customs_risk.hit_evidence_merge(customs_risk.hit_evidence) (
    SFUNC = customs_risk.hit_evidence_merge,
    STYPE = customs_risk.hit_evidence,
    INITCOND = '0/0',
    COMBINEFUNC = customs_risk.hit_evidence_merge,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customs_risk.hit_evidence_merge(customs_risk.hit_evidence) IS
    'merge stored states (daily states into a quarter) without reading the lines again';

CREATE FUNCTION customs_risk.hits(evidence customs_risk.hit_evidence) RETURNS float8
    AS 'MODULE_PATHNAME', 'hit_evidence_hits' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.hits(customs_risk.hit_evidence) IS 'the hits (weighted, for decayed evidence)';
CREATE FUNCTION customs_risk.inspections(evidence customs_risk.hit_evidence) RETURNS float8
    AS 'MODULE_PATHNAME', 'hit_evidence_inspections' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.inspections(customs_risk.hit_evidence) IS 'the inspections (weighted, for decayed evidence)';
CREATE FUNCTION customs_risk.decay_to(evidence customs_risk.hit_evidence, at timestamptz) RETURNS customs_risk.hit_evidence
    AS 'MODULE_PATHNAME', 'hit_evidence_decay_to' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.decay_to(customs_risk.hit_evidence, timestamptz) IS
    'decayed evidence as of a later time (say today), so that old evidence counts for less';

CREATE FUNCTION customs_risk.posterior_mean(evidence customs_risk.hit_evidence,
    prior_hits float8 DEFAULT 1, prior_misses float8 DEFAULT 1) RETURNS float8
    AS 'MODULE_PATHNAME', 'hit_evidence_posterior_mean' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.posterior_mean(customs_risk.hit_evidence, float8, float8) IS
    'smoothed hit rate under a Beta(prior_hits, prior_misses) prior: (prior_hits + hits) / (prior_hits + prior_misses + inspections)';

CREATE FUNCTION customs_risk.credible_interval(evidence customs_risk.hit_evidence, level float8 DEFAULT 0.95,
    prior_hits float8 DEFAULT 1, prior_misses float8 DEFAULT 1) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'hit_evidence_credible_interval' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.credible_interval(customs_risk.hit_evidence, float8, float8, float8) IS
    'equal-tailed credible interval {lower, upper} of the hit rate at the level (0.95: 2.5% and 97.5% posterior quantiles)';

-- ---------------------------------------------------------------------------
-- Price anomaly: reference unit-value distributions (C: src/price_ref.c)
-- ---------------------------------------------------------------------------

CREATE TYPE customs_risk.price_ref;

CREATE FUNCTION customs_risk.price_ref_in(cstring) RETURNS customs_risk.price_ref
    AS 'MODULE_PATHNAME', 'price_ref_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.price_ref_in(cstring) IS 'text input of price_ref, checked completely';
CREATE FUNCTION customs_risk.price_ref_out(customs_risk.price_ref) RETURNS cstring
    AS 'MODULE_PATHNAME', 'price_ref_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.price_ref_out(customs_risk.price_ref) IS 'text output of price_ref';
CREATE FUNCTION customs_risk.price_ref_recv(internal) RETURNS customs_risk.price_ref
    AS 'MODULE_PATHNAME', 'price_ref_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.price_ref_recv(internal) IS 'binary input of price_ref, checked completely';
CREATE FUNCTION customs_risk.price_ref_send(customs_risk.price_ref) RETURNS bytea
    AS 'MODULE_PATHNAME', 'price_ref_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.price_ref_send(customs_risk.price_ref) IS 'binary output of price_ref';

CREATE TYPE customs_risk.price_ref (
    INPUT = customs_risk.price_ref_in,
    OUTPUT = customs_risk.price_ref_out,
    RECEIVE = customs_risk.price_ref_recv,
    SEND = customs_risk.price_ref_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE customs_risk.price_ref IS
    'reference distribution of unit values (log-bucket sketch, quantiles within 1%), mergeable; judge a declared unit value against it';

CREATE FUNCTION customs_risk.price_ref_add(internal, float8) RETURNS internal
    AS 'MODULE_PATHNAME', 'price_ref_add' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.price_ref_add(internal, float8) IS 'transition of price_ref(unit_value)';
CREATE FUNCTION customs_risk.price_ref_add_ref(internal, customs_risk.price_ref) RETURNS internal
    AS 'MODULE_PATHNAME', 'price_ref_add_ref' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.price_ref_add_ref(internal, customs_risk.price_ref) IS 'transition of price_ref_merge(price_ref)';
CREATE FUNCTION customs_risk.price_ref_final(internal) RETURNS customs_risk.price_ref
    AS 'MODULE_PATHNAME', 'price_ref_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.price_ref_final(internal) IS 'final function of the price_ref aggregates';
CREATE FUNCTION customs_risk.price_ref_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'price_ref_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.price_ref_combine(internal, internal) IS 'combine two partial price_ref states';
CREATE FUNCTION customs_risk.price_ref_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'price_ref_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.price_ref_serialize(internal) IS 'a partial price_ref state as bytes';
CREATE FUNCTION customs_risk.price_ref_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'price_ref_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.price_ref_deserialize(bytea, internal) IS 'a partial price_ref state from bytes, checked';

CREATE AGGREGATE customs_risk.price_ref(unit_value float8) (
    SFUNC = customs_risk.price_ref_add, STYPE = internal,
    FINALFUNC = customs_risk.price_ref_final,
    COMBINEFUNC = customs_risk.price_ref_combine,
    SERIALFUNC = customs_risk.price_ref_serialize, DESERIALFUNC = customs_risk.price_ref_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customs_risk.price_ref(float8) IS
    'the reference distribution of unit values (NULL skipped; negative, NaN and infinite values refused)';
CREATE AGGREGATE customs_risk.price_ref_merge(customs_risk.price_ref) (
    SFUNC = customs_risk.price_ref_add_ref, STYPE = internal,
    FINALFUNC = customs_risk.price_ref_final,
    COMBINEFUNC = customs_risk.price_ref_combine,
    SERIALFUNC = customs_risk.price_ref_serialize, DESERIALFUNC = customs_risk.price_ref_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customs_risk.price_ref_merge(customs_risk.price_ref) IS
    'merge stored reference distributions exactly (buckets add)';

CREATE FUNCTION customs_risk.price_count(ref customs_risk.price_ref) RETURNS bigint
    AS 'MODULE_PATHNAME', 'price_ref_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.price_count(customs_risk.price_ref) IS 'how many unit values the reference holds';
CREATE FUNCTION customs_risk.quantile(ref customs_risk.price_ref, p float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'price_ref_quantile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.quantile(customs_risk.price_ref, float8) IS
    'the unit value at rank p in [0, 1], within 1% (relative); NULL for an empty reference';
CREATE FUNCTION customs_risk.percentile_of(ref customs_risk.price_ref, unit_value float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'price_ref_percentile_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.percentile_of(customs_risk.price_ref, float8) IS
    'share of reference unit values below this one (half of those in its 2% bucket count as below); NULL for an empty reference';
CREATE FUNCTION customs_risk.robust_z(ref customs_risk.price_ref, unit_value float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'price_ref_robust_z' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.robust_z(customs_risk.price_ref, float8) IS
    'robust z-score in log space, (ln x - median) / (1.4826 MAD) over the positive values; far below 0 flags undervaluation; NULL for 0';
