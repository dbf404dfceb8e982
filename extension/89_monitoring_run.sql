
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
COMMENT ON COLUMN customs_risk.monitoring_alert.statistic IS 'the CUSUM statistic on the last day, in sigmas of the day''s mean (limit 5)';
COMMENT ON COLUMN customs_risk.monitoring_alert.baseline_mean IS 'the series'' baseline, the mean over its first 90 days of: lines a day, a line''s ln(1 + value), or an inspection''s hit (0/1, so the hit share)';
COMMENT ON COLUMN customs_risk.monitoring_alert.baseline_sigma IS 'the standard deviation of the same (for lines at least sqrt(mean)); a day of n lines or inspections has sigma / sqrt(n)';
COMMENT ON COLUMN customs_risk.monitoring_alert.severity IS 'high beyond twice the limit, medium beyond 1.5 times, else low';
COMMENT ON COLUMN customs_risk.monitoring_alert.raised_at IS 'when it was written';
SELECT pg_catalog.pg_extension_config_dump('customs_risk.monitoring_alert', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.monitoring_alert_alert_id_seq', '');

-- Chart the last year of every HS chapter x origin x office series that was active on at least
-- min_days days and on most days of the first 90 (the baseline), with CUSUM (k 1, h 5), and
-- record the series in alert on as_of.  Three metrics, each a mean of n items a day:
--   lines     lines declared a day (n 1, quiet days as 0);
--   value     the day's mean ln(1 + value) of a line, over days with valued lines;
--   hit_rate  the day's share of inspections that found something, over days with inspections.
-- Each is charted as a z-score, (day's mean - baseline mean) / (baseline sd / sqrt(n)), from the
-- mean and standard deviation of the baseline's items, with known target 0 and sigma 1.  A daily
-- mean of n items varies by sigma / sqrt(n), and n is often 1 to 5 here, with values in several
-- clusters and counts of a few a day: a median and MAD of the daily points misplace centre and
-- spread (they raised 46 false alerts on the last day of a stable generated year, 64 series of
-- 577 on lines at some point of it).  The z-scores are winsorised at 3, so one odd day adds at
-- most 2 to the CUSUM and three days are needed for an alert: a shift of 3 sigmas or more on
-- the day is caught on its third day.  Counts of a few a day are Poisson at least: their sd is
-- at least sqrt(mean).  bin/bench-monitoring prints how many stable series alert at some point.
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
    IF as_of IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION 'run_monitoring() needs a finite date, not %', as_of USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM customs_risk.check_day_in_range('run_monitoring', 'as_of', as_of);
    IF min_days < 91 OR min_days > 366 THEN
        RAISE EXCEPTION 'min_days must be between 91 and 366 (the baseline is 90 days), not %', min_days
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- one row a series and day: the lines, and the count, sum and sum of squares of the valued
    -- lines' ln(1 + value)
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
    -- (the first 90): sparser ones give too few baseline days for a mean and spread to trust
    CREATE TEMP TABLE mon_series ON COMMIT DROP AS
    SELECT chapter, origin, office_code FROM mon_daily
     GROUP BY 1, 2, 3
    HAVING count(*) >= min_days AND count(*) FILTER (WHERE day <= as_of - 275) > 45;
    ANALYZE mon_daily;
    ANALYZE mon_series;

    -- a row per metric, series and day: its items' count n, sum s and sum of squares ss (for a
    -- 0/1 hit the square is the hit)
    CREATE TEMP TABLE mon_means ON COMMIT DROP AS
    SELECT 'lines' AS metric, s.chapter, s.origin, s.office_code, d.day, 1::float8 AS n,
           coalesce(m.lines, 0) AS s, coalesce(m.lines, 0) ^ 2 AS ss
      FROM mon_series s
     -- quiet days count: a series that stops must drift down, not skip the days
     CROSS JOIN (SELECT (as_of - 364 + g)::date AS day FROM generate_series(0, 364) g) d
      LEFT JOIN mon_daily m ON m.chapter = s.chapter AND m.origin = s.origin AND m.office_code = s.office_code
                           AND m.day = d.day
    UNION ALL
    SELECT 'value', m.chapter, m.origin, m.office_code, m.day, m.n, m.s, m.ss
      FROM mon_daily m JOIN mon_series USING (chapter, origin, office_code)
     WHERE m.n > 0
    UNION ALL
    SELECT 'hit_rate', r.chapter, r.origin, r.office_code, r.day, count(*), sum(r.hit), sum(r.hit)
      FROM (-- a line's inspection is that line's series'; one of the whole declaration counts
            -- once in each series its lines fall in, not once a line (ten lines of one chapter
            -- and origin are one inspection, not ten)
            SELECT DISTINCT i.inspection_id, customs_risk.hs_chapter(l.hs) AS chapter,
                   l.origin_country::text AS origin, d.office_code,
                   i.inspected_on AS day, (i.result IN ('minor', 'critical'))::int::float8 AS hit
              FROM customs_risk.inspection i
              JOIN customs_risk.declaration d ON d.declaration_id = i.declaration_id
              JOIN customs_risk.declaration_line l ON l.declaration_id = d.declaration_id
                                                   AND (i.line_no IS NULL OR l.line_no = i.line_no)
             WHERE i.inspected_on > as_of - 365 AND i.inspected_on <= as_of) r
      JOIN mon_series USING (chapter, origin, office_code)
     GROUP BY 1, 2, 3, 4, 5;
    ANALYZE mon_means;

    CREATE TEMP TABLE mon_charted ON COMMIT DROP AS
    WITH base AS (
        -- the baseline's items: their mean and standard deviation, at least sqrt(mean) for
        -- counts and 1e-9 x the mean for any (a constant baseline: any change is an alert)
        SELECT metric, chapter, origin, office_code, s / n AS mu,
               greatest(sqrt(greatest(ss - s ^ 2 / n, 0) / (n - 1)),
                        CASE WHEN metric = 'lines' THEN sqrt(s / n) ELSE 0 END,
                        1e-9 * greatest(abs(s / n), 1)) AS sd
          FROM (SELECT m.metric, m.chapter, m.origin, m.office_code, sum(m.n) AS n, sum(m.s) AS s, sum(m.ss) AS ss
                  FROM mon_means m WHERE m.day <= as_of - 275
                 GROUP BY 1, 2, 3, 4 HAVING sum(m.n) >= 2) t
    )
    SELECT m.chapter, m.origin, m.office_code, m.metric, b.mu, b.sd,
           customs_risk.cusum_summary(
               customs_risk.daily_series(m.day, greatest(-3, least(3, (m.s / m.n - b.mu) / (b.sd / sqrt(m.n))))),
               k => 1, h => 5, baseline_days => count(*) FILTER (WHERE m.day <= as_of - 275)::int,
               target => 0, sigma => 1) AS c
      FROM mon_means m JOIN base b USING (metric, chapter, origin, office_code)
     GROUP BY m.metric, m.chapter, m.origin, m.office_code, b.mu, b.sd
     -- value and hit rate need points (days with lines, with inspections) on min_days days
    HAVING count(*) >= min_days;

    -- in alert on as_of: the last point is outside its limits
    RETURN QUERY
    WITH ins AS (
        INSERT INTO customs_risk.monitoring_alert
            (as_of, metric, hs_chapter, origin, office_code, first_alert, direction, statistic, baseline_mean,
             baseline_sigma, severity)
        SELECT run_monitoring.as_of, c.metric, c.chapter, c.origin, c.office_code, (c.c).first_alert,
               CASE WHEN (c.c).last_statistic > 0 THEN 'up' ELSE 'down' END,
               (c.c).last_statistic, c.mu, c.sd,
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
