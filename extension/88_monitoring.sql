-- ===========================================================================
-- Risk monitoring: EWMA and CUSUM control charts over daily series (declaration counts,
-- declared value, unit values, hit rates per HS chapter x origin x office, ...)
-- (C: src/control_chart.c, src/control_chart_core.c)
-- ===========================================================================
--
-- Two steps: the aggregate daily_series(day, value) collects one value a day into a
-- daily_series, in any row order and in parallel; the chart functions take the series and
-- the chart's parameters:
--   SELECT chapter, origin, office, (ewma_summary(s)).first_alert
--     FROM (SELECT chapter, origin, office, daily_series(day, n) AS s FROM daily GROUP BY 1, 2, 3) g;
--   SELECT * FROM cusum_chart(series, h => 4) WHERE alert;
--
-- The series:
--   rows with a NULL day or value   skipped
--   NaN or infinite values          refused (22023); infinite days refused (22008)
--   two rows on the same day        refused (21000): aggregate to one row a day first (a sum
--                                   for counts and amounts, a ratio of sums for rates)
--   days without a row              not points: the charts step from point to point, so a
--                                   day with nothing to count should be a row with 0
--   no rows                         the empty series 'points=0', not NULL
-- The charts:
--   baseline      the first baseline_days points (default 28): mean = their median, sigma =
--                 1.4826 x their median absolute deviation; when that is 0 (more than half the
--                 values equal, as in a mostly-zero count) 1.2533 x their mean absolute
--                 deviation from the median; and at least 1e-9 x max(|median|, 1), so a constant
--                 baseline followed by the same constant raises nothing, while any real change
--                 from it does.  Monitoring starts at the next point; baseline points have a
--                 NULL statistic and no alert.
--   known         target and sigma (both, or neither) are the in-control mean and sigma when
--                 they are known, or when the series is already standardised (run_monitoring
--                 charts z-scores of daily means, whose spread depends on the day's count and
--                 which a median of the points would misplace); the first baseline_days points
--                 (0 allowed) are then only skipped.
--   NULL          a NULL series, parameter or baseline_days gives NULL (no rows for the
--                 *_chart functions), as if the functions were strict.
--   EWMA          z_t = lambda x_t + (1 - lambda) z_{t-1}, z_0 = mean; limits
--                 mean -+ limit_sigma sigma sqrt(lambda / (2 - lambda) (1 - (1 - lambda)^(2t))),
--                 t counted from the first point after the baseline.
--   CUSUM         two-sided, tabular: u_t = (x_t - mean) / sigma,
--                 S+_t = max(0, S+_{t-1} + u_t - k), S-_t = max(0, S-_{t-1} - u_t - k), both 0 at
--                 the start; the statistic is S+ when S+ >= S-, else -S-, in sigmas, with limits -h, h.
--   alert         the statistic is strictly outside its limits: 'up' above, 'down' below.
--                 Statistics do not reset after an alert, so a lasting shift is an alert on
--                 every day it lasts (alert_days).
--   short series  with fewer than baseline_days points there is no baseline: no statistic, no
--                 alert, NULL baseline_mean and baseline_sigma.
-- With the default parameters (the textbook ones) the in-control average run length is about
-- 500 points with known mean and sigma, and shorter with a 28-point estimate: a year of stable
-- Gaussian noise raises at least one false alert more often than not.  Larger limit_sigma, h or
-- baseline_days trade a later detection for fewer false alerts.

CREATE TYPE customs_risk.daily_series;

CREATE FUNCTION customs_risk.daily_series_in(cstring) RETURNS customs_risk.daily_series
    AS 'MODULE_PATHNAME', 'daily_series_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.daily_series_in(cstring) IS 'text input of daily_series, checked completely';
CREATE FUNCTION customs_risk.daily_series_out(customs_risk.daily_series) RETURNS cstring
    AS 'MODULE_PATHNAME', 'daily_series_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.daily_series_out(customs_risk.daily_series) IS
    'text output of daily_series: every value exactly, in the fewest digits';
CREATE FUNCTION customs_risk.daily_series_recv(internal) RETURNS customs_risk.daily_series
    AS 'MODULE_PATHNAME', 'daily_series_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.daily_series_recv(internal) IS 'binary input of daily_series, checked completely';
CREATE FUNCTION customs_risk.daily_series_send(customs_risk.daily_series) RETURNS bytea
    AS 'MODULE_PATHNAME', 'daily_series_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.daily_series_send(customs_risk.daily_series) IS
    'binary output of daily_series: version byte, flags byte, int4 count, then (int4 day, float8 value) pairs';

CREATE TYPE customs_risk.daily_series (
    INPUT = customs_risk.daily_series_in,
    OUTPUT = customs_risk.daily_series_out,
    RECEIVE = customs_risk.daily_series_recv,
    SEND = customs_risk.daily_series_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE customs_risk.daily_series IS
    'one finite value a day, in day order, days not necessarily consecutive; '
    'points=4 2022-01-01:10,11.5,12 2022-01-05:13 (runs of consecutive days); built by daily_series(day, value)';

-- aggregate support: the state keeps the points in arrival order; the final function sorts a copy
CREATE FUNCTION customs_risk.daily_series_add(internal, date, float8) RETURNS internal
    AS 'MODULE_PATHNAME', 'daily_series_add' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.daily_series_add(internal, date, float8) IS
    'transition of daily_series(day, value): keep the point (skipped when day or value is NULL)';
CREATE FUNCTION customs_risk.daily_series_add_series(internal, customs_risk.daily_series) RETURNS internal
    AS 'MODULE_PATHNAME', 'daily_series_add_series' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.daily_series_add_series(internal, customs_risk.daily_series) IS
    'transition of daily_series_merge: keep every point of a stored series (NULL is skipped)';
CREATE FUNCTION customs_risk.daily_series_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'daily_series_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.daily_series_combine(internal, internal) IS
    'combine two partial daily_series states: the points of both';
CREATE FUNCTION customs_risk.daily_series_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'daily_series_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.daily_series_serialize(internal) IS 'a daily_series state as bytes, for parallel workers';
CREATE FUNCTION customs_risk.daily_series_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'daily_series_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.daily_series_deserialize(bytea, internal) IS 'a daily_series state from bytes, checked';
CREATE FUNCTION customs_risk.daily_series_final(internal) RETURNS customs_risk.daily_series
    AS 'MODULE_PATHNAME', 'daily_series_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.daily_series_final(internal) IS
    'final function of daily_series and daily_series_merge: the points in day order; a day twice is an error';

CREATE AGGREGATE customs_risk.daily_series(day date, value float8) (
    SFUNC = customs_risk.daily_series_add, STYPE = internal,
    FINALFUNC = customs_risk.daily_series_final,
    COMBINEFUNC = customs_risk.daily_series_combine,
    SERIALFUNC = customs_risk.daily_series_serialize, DESERIALFUNC = customs_risk.daily_series_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customs_risk.daily_series(date, float8) IS
    'the series of one value a day, rows in any order: NULL day or value skipped, NaN or infinity refused, '
    'a day twice refused (21000); the empty series for no rows';

CREATE AGGREGATE customs_risk.daily_series_merge(customs_risk.daily_series) (
    SFUNC = customs_risk.daily_series_add_series, STYPE = internal,
    FINALFUNC = customs_risk.daily_series_final,
    COMBINEFUNC = customs_risk.daily_series_combine,
    SERIALFUNC = customs_risk.daily_series_serialize, DESERIALFUNC = customs_risk.daily_series_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customs_risk.daily_series_merge(customs_risk.daily_series) IS
    'merge stored series of disjoint periods (months into a year); a day in two of them is an error (21000)';

-- the charts
CREATE FUNCTION customs_risk.ewma_chart(series customs_risk.daily_series, lambda float8 DEFAULT 0.2,
                                        limit_sigma float8 DEFAULT 3, baseline_days integer DEFAULT 28,
                                        target float8 DEFAULT NULL, sigma float8 DEFAULT NULL)
    RETURNS TABLE (day date, value float8, statistic float8, lower float8, upper float8, alert boolean, direction text)
    AS 'MODULE_PATHNAME', 'ewma_chart' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE ROWS 365;
COMMENT ON FUNCTION customs_risk.ewma_chart(customs_risk.daily_series, float8, float8, integer, float8, float8) IS
    'every point of the series with its EWMA (statistic, in the series'' units), control limits, alert and direction (up, down); '
    'lambda in (0, 1], limit_sigma > 0 sigmas, baseline_days >= 2 (>= 0 with target and sigma: the known in-control mean and sigma); baseline points have a NULL statistic';

CREATE FUNCTION customs_risk.cusum_chart(series customs_risk.daily_series, k float8 DEFAULT 0.5,
                                         h float8 DEFAULT 5, baseline_days integer DEFAULT 28,
                                         target float8 DEFAULT NULL, sigma float8 DEFAULT NULL)
    RETURNS TABLE (day date, value float8, statistic float8, lower float8, upper float8, alert boolean, direction text)
    AS 'MODULE_PATHNAME', 'cusum_chart' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE ROWS 365;
COMMENT ON FUNCTION customs_risk.cusum_chart(customs_risk.daily_series, float8, float8, integer, float8, float8) IS
    'every point of the series with its two-sided CUSUM (statistic S+ or -S-, in sigmas), limits -h and h, alert and direction; '
    'k >= 0 and h > 0 in sigmas, baseline_days >= 2 (>= 0 with target and sigma: the known in-control mean and sigma); baseline points have a NULL statistic';

CREATE TYPE customs_risk.chart_summary AS (
    points integer,
    baseline_mean float8,
    baseline_sigma float8,
    first_alert date,
    direction text,
    alert_days integer,
    last_day date,
    last_statistic float8,
    last_alert boolean
);
COMMENT ON TYPE customs_risk.chart_summary IS 'what a control chart says about a series: see ewma_summary and cusum_summary';
COMMENT ON COLUMN customs_risk.chart_summary.points IS 'the points of the series, the baseline''s included';
COMMENT ON COLUMN customs_risk.chart_summary.baseline_mean IS 'the median of the baseline points, or the target given; NULL with fewer points than baseline_days';
COMMENT ON COLUMN customs_risk.chart_summary.baseline_sigma IS 'the robust standard deviation of the baseline points, or the sigma given; NULL with fewer points than baseline_days';
COMMENT ON COLUMN customs_risk.chart_summary.first_alert IS 'the first day in alert; NULL when there is none';
COMMENT ON COLUMN customs_risk.chart_summary.direction IS 'up or down: the direction of the first alert; NULL when there is none';
COMMENT ON COLUMN customs_risk.chart_summary.alert_days IS 'the points in alert (0 when there are none)';
COMMENT ON COLUMN customs_risk.chart_summary.last_day IS 'the day of the last point; NULL for the empty series';
COMMENT ON COLUMN customs_risk.chart_summary.last_statistic IS 'the statistic of the last point; NULL if it is in the baseline';
COMMENT ON COLUMN customs_risk.chart_summary.last_alert IS 'whether the last point is in alert: the chart alerts now';

CREATE FUNCTION customs_risk.ewma_summary(series customs_risk.daily_series, lambda float8 DEFAULT 0.2,
                                          limit_sigma float8 DEFAULT 3, baseline_days integer DEFAULT 28,
                                        target float8 DEFAULT NULL, sigma float8 DEFAULT NULL)
    RETURNS customs_risk.chart_summary
    AS 'MODULE_PATHNAME', 'ewma_summary' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.ewma_summary(customs_risk.daily_series, float8, float8, integer, float8, float8) IS
    'the EWMA chart of the series in one row: first alert day and direction, alert days, last statistic, baseline mean and sigma (target and sigma when given)';

CREATE FUNCTION customs_risk.cusum_summary(series customs_risk.daily_series, k float8 DEFAULT 0.5,
                                           h float8 DEFAULT 5, baseline_days integer DEFAULT 28,
                                         target float8 DEFAULT NULL, sigma float8 DEFAULT NULL)
    RETURNS customs_risk.chart_summary
    AS 'MODULE_PATHNAME', 'cusum_summary' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.cusum_summary(customs_risk.daily_series, float8, float8, integer, float8, float8) IS
    'the CUSUM chart of the series in one row: first alert day and direction, alert days, last statistic, baseline mean and sigma (target and sigma when given)';
