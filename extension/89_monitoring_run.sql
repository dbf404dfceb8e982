
-- ===========================================================================
-- run_monitoring(): control charts over the flows, alerts and a NOTIFY
-- ===========================================================================

CREATE TABLE customs_risk.monitoring_alert (
    alert_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    as_of date NOT NULL,
    metric text NOT NULL CHECK (metric IN ('lines', 'value', 'hit_rate')),
    hs_chapter integer NOT NULL CHECK (hs_chapter BETWEEN 1 AND 99),
    origin text COLLATE "C" NOT NULL,
    office_code text COLLATE "C" NOT NULL,
    first_alert date NOT NULL,
    direction text NOT NULL CHECK (direction IN ('up', 'down')),
    statistic float8 NOT NULL,
    baseline_mean float8 NOT NULL,
    baseline_sigma float8 NOT NULL,
    severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    raised_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT monitoring_alert_series_key UNIQUE (as_of, metric, hs_chapter, origin, office_code)
);
CREATE INDEX monitoring_alert_office_idx ON customs_risk.monitoring_alert (office_code, as_of);
COMMENT ON TABLE customs_risk.monitoring_alert IS
    'alerts run_monitoring() raised: a daily series of an HS chapter, origin and office that left its control limits';
COMMENT ON COLUMN customs_risk.monitoring_alert.alert_id IS 'alert number (generated)';
COMMENT ON COLUMN customs_risk.monitoring_alert.as_of IS 'the monitoring run''s date';
COMMENT ON COLUMN customs_risk.monitoring_alert.metric IS 'lines (declared per day), value (the day''s mean ln(1 + value) of a line) or hit_rate (of the day''s inspections)';
COMMENT ON COLUMN customs_risk.monitoring_alert.hs_chapter IS 'the HS chapter of the series';
COMMENT ON COLUMN customs_risk.monitoring_alert.origin IS 'the origin country of the series';
COMMENT ON COLUMN customs_risk.monitoring_alert.office_code IS 'the customs house of the series (the district follows from it)';
COMMENT ON COLUMN customs_risk.monitoring_alert.first_alert IS 'the first day in the year the series alerted';
COMMENT ON COLUMN customs_risk.monitoring_alert.direction IS 'up or down';
COMMENT ON COLUMN customs_risk.monitoring_alert.statistic IS 'the CUSUM statistic on the last day, in sigmas (limit 5)';
COMMENT ON COLUMN customs_risk.monitoring_alert.baseline_mean IS 'the series'' baseline: for lines the median of its first 90 days, for value and hit_rate the mean of a line''s ln(1 + value) or of an inspection''s hit (0/1) in them';
COMMENT ON COLUMN customs_risk.monitoring_alert.baseline_sigma IS 'its spread: for lines 1.4826 MAD of the days, for value and hit_rate the standard deviation of a line or an inspection (a day of n has sigma / sqrt(n))';
COMMENT ON COLUMN customs_risk.monitoring_alert.severity IS 'high beyond twice the limit, medium beyond 1.5 times, else low';
COMMENT ON COLUMN customs_risk.monitoring_alert.raised_at IS 'when it was written';
SELECT pg_catalog.pg_extension_config_dump('customs_risk.monitoring_alert', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.monitoring_alert_alert_id_seq', '');

-- Chart the last year of every HS chapter x origin x office series that was active on at least
-- min_days days, with CUSUM (k 1, h 5, a 90-day baseline), and record the series in alert on
-- as_of.  Three metrics:
--   lines     lines declared a day, quiet days as 0; baseline the median and MAD of the first
--             90 days;
--   value     the day's mean ln(1 + value) of a line, over days with valued lines;
--   hit_rate  the day's share of inspections that found something, over days with inspections.
-- A daily mean of n items varies by sigma / sqrt(n), and in this trade n is often 1 to 5 with
-- a lumpy, many-peaked spread of values: a median and MAD of the daily points misplaces the
-- centre and the spread, and stable series drifted into alert.  So value and hit rate are
-- charted as z-scores, (day's mean - baseline mean) / (baseline sd / sqrt(n)), from the mean
-- and standard deviation of the baseline's items, winsorised at 4 so that one odd day adds at
-- most 3 to the CUSUM (two are needed for an alert), with known target 0 and sigma 1.
-- About one false alert in 25 stable series-years on the benchmark's generated year (see
-- bin/bench-monitoring); a 3-sigma shift is caught within 3 days (the monitoring tests).
-- Sends NOTIFY customs_risk_alerts with the run's date and count; returns the new alerts, the
-- furthest from their baseline first.
CREATE FUNCTION customs_risk.run_monitoring(as_of date, min_days integer DEFAULT 120)
RETURNS SETOF customs_risk.monitoring_alert
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    n_alerts bigint;
BEGIN
    IF as_of IS NULL OR min_days IS NULL THEN
        RAISE EXCEPTION 'run_monitoring() needs a date and min_days, not NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF min_days < 91 OR min_days > 366 THEN
        RAISE EXCEPTION 'min_days must be between 91 and 366 (the baseline is 90 days), not %', min_days
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- one row a series and day: the lines, and the count, sum and sum of squares of the items
    -- of the two mean metrics (for a 0/1 hit the square is the hit)
    CREATE TEMP TABLE mon_daily ON COMMIT DROP AS
    SELECT x.chapter, x.origin, x.office_code, x.day, count(*)::float8 AS lines,
           count(x.lv)::float8 AS n, sum(x.lv) AS s, sum(x.lv * x.lv) AS ss
      FROM (SELECT customs_risk.hs_chapter(l.hs) AS chapter, l.origin_country::text AS origin, d.office_code,
                   d.declared_on AS day,
                   -- float8: ln() of numeric is slow; numeric holds values beyond float8 range,
                   -- capped here rather than failing the run
                   ln(1 + least(l.value, 1e300)::float8) AS lv
              FROM customs_risk.declaration d
              JOIN customs_risk.declaration_line l ON l.declaration_id = d.declaration_id
             WHERE d.declared_on > as_of - 365 AND d.declared_on <= as_of) x
     GROUP BY 1, 2, 3, 4;
    -- a series is charted when it was active on min_days days and on most days of the baseline
    -- (the first 90): the lines baseline is a median, and a series quiet on half its days has a
    -- median of nothing, from which an ordinary day already looks like a rise
    CREATE TEMP TABLE mon_series ON COMMIT DROP AS
    SELECT chapter, origin, office_code FROM mon_daily
     GROUP BY 1, 2, 3
    HAVING count(*) >= min_days AND count(*) FILTER (WHERE day <= as_of - 275) > 45;
    ANALYZE mon_daily;
    ANALYZE mon_series;

    CREATE TEMP TABLE mon_means ON COMMIT DROP AS
    SELECT 'value' AS metric, m.chapter, m.origin, m.office_code, m.day, m.n, m.s, m.ss
      FROM mon_daily m JOIN mon_series USING (chapter, origin, office_code)
     WHERE m.n > 0
    UNION ALL
    SELECT 'hit_rate', r.chapter, r.origin, r.office_code, r.day, count(*), sum(r.hit), sum(r.hit)
      FROM (SELECT customs_risk.hs_chapter(l.hs) AS chapter, l.origin_country::text AS origin, d.office_code,
                   i.inspected_on AS day, (i.result IN ('minor', 'critical'))::int::float8 AS hit
              FROM customs_risk.inspection i
              JOIN customs_risk.declaration d ON d.declaration_id = i.declaration_id
              -- a line's inspection is that line's; one of the whole declaration covers each line
              JOIN customs_risk.declaration_line l ON l.declaration_id = d.declaration_id
                                                   AND (i.line_no IS NULL OR l.line_no = i.line_no)
             WHERE i.inspected_on > as_of - 365 AND i.inspected_on <= as_of) r
      JOIN mon_series USING (chapter, origin, office_code)
     GROUP BY 1, 2, 3, 4, 5;

    CREATE TEMP TABLE mon_charted ON COMMIT DROP AS
    WITH days AS (SELECT (as_of - 364 + g)::date AS day FROM generate_series(0, 364) g),
    filled AS (
        -- quiet days count: a series that stops must drift down, not skip the days
        SELECT s.chapter, s.origin, s.office_code, d.day, coalesce(m.lines, 0) AS lines
          FROM mon_series s CROSS JOIN days d
          LEFT JOIN mon_daily m ON m.chapter = s.chapter AND m.origin = s.origin AND m.office_code = s.office_code
                               AND m.day = d.day
    ), base AS (
        -- the baseline's items: their mean and standard deviation (at least 1e-9 x the mean,
        -- so a constant baseline makes any change an alert and no change none)
        SELECT metric, chapter, origin, office_code, sum(m.s) / sum(m.n) AS mu,
               greatest(sqrt(greatest(sum(m.ss) - sum(m.s) ^ 2 / sum(m.n), 0) / (sum(m.n) - 1)),
                        1e-9 * greatest(abs(sum(m.s) / sum(m.n)), 1)) AS sd
          FROM mon_means m WHERE m.day <= as_of - 275
         GROUP BY 1, 2, 3, 4 HAVING sum(m.n) >= 2
    )
    SELECT f.chapter, f.origin, f.office_code, 'lines' AS metric, NULL::float8 AS mu, NULL::float8 AS sd,
           customs_risk.cusum_summary(customs_risk.daily_series(f.day, f.lines), k => 1, h => 5, baseline_days => 90) AS c
      FROM filled f GROUP BY 1, 2, 3
    UNION ALL
    SELECT m.chapter, m.origin, m.office_code, m.metric, b.mu, b.sd,
           customs_risk.cusum_summary(
               customs_risk.daily_series(m.day, greatest(-4, least(4, (m.s / m.n - b.mu) / (b.sd / sqrt(m.n))))),
               k => 1, h => 5, baseline_days => count(*) FILTER (WHERE m.day <= as_of - 275)::int,
               target => 0, sigma => 1)
      FROM mon_means m JOIN base b USING (metric, chapter, origin, office_code)
     GROUP BY m.metric, m.chapter, m.origin, m.office_code, b.mu, b.sd
     -- a rate needs days with inspections on most days; a value, days with lines (as the series)
    HAVING count(*) >= min_days;

    -- in alert on as_of: the last point is outside its limits
    RETURN QUERY
    WITH ins AS (
        INSERT INTO customs_risk.monitoring_alert
            (as_of, metric, hs_chapter, origin, office_code, first_alert, direction, statistic, baseline_mean,
             baseline_sigma, severity)
        SELECT run_monitoring.as_of, c.metric, c.chapter, c.origin, c.office_code, (c.c).first_alert,
               CASE WHEN (c.c).last_statistic > 0 THEN 'up' ELSE 'down' END,
               (c.c).last_statistic, coalesce(c.mu, (c.c).baseline_mean), coalesce(c.sd, (c.c).baseline_sigma),
               CASE WHEN abs((c.c).last_statistic) > 10 THEN 'high'
                    WHEN abs((c.c).last_statistic) > 7.5 THEN 'medium' ELSE 'low' END
          FROM mon_charted c
         WHERE (c.c).last_alert AND (c.c).last_day = run_monitoring.as_of
        ON CONFLICT ON CONSTRAINT monitoring_alert_series_key DO NOTHING
        RETURNING *
    )
    SELECT * FROM ins ORDER BY abs(ins.statistic) DESC, ins.metric, ins.hs_chapter, ins.origin, ins.office_code;
    GET DIAGNOSTICS n_alerts = ROW_COUNT;
    PERFORM pg_notify('customs_risk_alerts', json_build_object('as_of', run_monitoring.as_of, 'alerts', n_alerts)::text);
    DROP TABLE mon_daily, mon_series, mon_means, mon_charted;
END
$fn$;
COMMENT ON FUNCTION customs_risk.run_monitoring(date, integer) IS
    'chart the last year of lines, value and hit rate of every active HS chapter x origin x office series (CUSUM), write the series in alert on as_of to monitoring_alert, NOTIFY customs_risk_alerts, and return the new alerts';
