
-- ===========================================================================
-- Evaluation of a risk ranking: precision, recall and revenue at an inspection rate, AUC
-- (C: src/ranking_eval.c).  Ties count as their expectation under random tie-breaking;
-- rows with a NULL score, label or revenue are skipped.
-- ===========================================================================

CREATE FUNCTION customs_risk.ranking_add_label(internal, float8, boolean, float8) RETURNS internal
    AS 'MODULE_PATHNAME', 'ranking_add_label' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.ranking_add_label(internal, float8, boolean, float8) IS
    'transition of precision_at and recall_at: keep (score, label)';
CREATE FUNCTION customs_risk.ranking_add_revenue(internal, float8, float8, float8) RETURNS internal
    AS 'MODULE_PATHNAME', 'ranking_add_revenue' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.ranking_add_revenue(internal, float8, float8, float8) IS
    'transition of revenue_at: keep (score, revenue)';
CREATE FUNCTION customs_risk.ranking_add_auc(internal, float8, boolean) RETURNS internal
    AS 'MODULE_PATHNAME', 'ranking_add_label' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.ranking_add_auc(internal, float8, boolean) IS 'transition of auc: keep (score, label)';
CREATE FUNCTION customs_risk.ranking_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'ranking_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.ranking_combine(internal, internal) IS 'combine two partial ranking states';
CREATE FUNCTION customs_risk.ranking_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'ranking_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.ranking_serialize(internal) IS 'a ranking state as bytes, for parallel workers';
CREATE FUNCTION customs_risk.ranking_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'ranking_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.ranking_deserialize(bytea, internal) IS 'a ranking state from bytes, checked';
CREATE FUNCTION customs_risk.ranking_precision_final(internal) RETURNS float8
    AS 'MODULE_PATHNAME', 'ranking_precision_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.ranking_precision_final(internal) IS 'final function of precision_at';
CREATE FUNCTION customs_risk.ranking_share_final(internal) RETURNS float8
    AS 'MODULE_PATHNAME', 'ranking_share_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.ranking_share_final(internal) IS 'final function of recall_at and revenue_at';
CREATE FUNCTION customs_risk.ranking_auc_final(internal) RETURNS float8
    AS 'MODULE_PATHNAME', 'ranking_auc_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.ranking_auc_final(internal) IS 'final function of auc';

CREATE AGGREGATE customs_risk.precision_at(score float8, label boolean, fraction float8) (
    SFUNC = customs_risk.ranking_add_label, STYPE = internal,
    FINALFUNC = customs_risk.ranking_precision_final,
    COMBINEFUNC = customs_risk.ranking_combine,
    SERIALFUNC = customs_risk.ranking_serialize, DESERIALFUNC = customs_risk.ranking_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customs_risk.precision_at(float8, boolean, float8) IS
    'hit rate among the highest-scoring fraction of rows (fraction in (0, 1]; NULL for no rows)';

CREATE AGGREGATE customs_risk.recall_at(score float8, label boolean, fraction float8) (
    SFUNC = customs_risk.ranking_add_label, STYPE = internal,
    FINALFUNC = customs_risk.ranking_share_final,
    COMBINEFUNC = customs_risk.ranking_combine,
    SERIALFUNC = customs_risk.ranking_serialize, DESERIALFUNC = customs_risk.ranking_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customs_risk.recall_at(float8, boolean, float8) IS
    'share of all hits found in the highest-scoring fraction of rows (NULL when there are no hits)';

CREATE AGGREGATE customs_risk.revenue_at(score float8, revenue float8, fraction float8) (
    SFUNC = customs_risk.ranking_add_revenue, STYPE = internal,
    FINALFUNC = customs_risk.ranking_share_final,
    COMBINEFUNC = customs_risk.ranking_combine,
    SERIALFUNC = customs_risk.ranking_serialize, DESERIALFUNC = customs_risk.ranking_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customs_risk.revenue_at(float8, float8, float8) IS
    'share of all revenue (say duty recovered) in the highest-scoring fraction of rows (NULL when there is none)';

CREATE AGGREGATE customs_risk.auc(score float8, label boolean) (
    SFUNC = customs_risk.ranking_add_auc, STYPE = internal,
    FINALFUNC = customs_risk.ranking_auc_final,
    COMBINEFUNC = customs_risk.ranking_combine,
    SERIALFUNC = customs_risk.ranking_serialize, DESERIALFUNC = customs_risk.ranking_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customs_risk.auc(float8, boolean) IS
    'area under the ROC curve: the chance a hit outscores a miss, ties one half (NULL with one class only)';
