-- Risk monitoring: the daily_series type and aggregates, the EWMA and CUSUM control charts.
SET search_path = customs_risk, public;
SET extra_float_digits = 0;
SET datestyle = 'ISO, YMD';

-- the aggregate: rows in any order come out in day order; a NULL day or value skips the row;
-- consecutive days form one run in the text form
SELECT daily_series(day, value)
  FROM (VALUES ('2022-01-03'::date, 3::float8), ('2022-01-01', 1), (NULL, 7), ('2022-01-10', -0.5),
               ('2022-01-02', 2.5), ('2022-01-04', NULL), ('2022-01-09', 1e-300)) v(day, value);
-- no rows, and rows that are all NULL, give the empty series, not NULL
SELECT daily_series(day, value) AS no_rows FROM (SELECT '2022-01-01'::date AS day, 1::float8 AS value) x WHERE false;
SELECT daily_series(day, value) AS all_null FROM (VALUES (NULL::date, 1::float8), ('2022-01-01', NULL)) v(day, value);
SELECT daily_series_merge(s) AS merge_of_nothing FROM (SELECT NULL::daily_series AS s) x;
-- every value exactly, in the fewest digits, whatever extra_float_digits and DateStyle say
SET datestyle = 'German';
SELECT daily_series(day, value) AS exact
  FROM (VALUES ('2022-01-01'::date, 0.1::float8 + 0.2), ('2022-01-02', 1.0 / 3), ('2022-01-03', 123456789012345678)) v(day, value);
SET datestyle = 'ISO, YMD';

-- text I/O round trips: spaces around and between runs, split runs and numbers in any strtod
-- form are accepted; the output is canonical
SELECT s::text, s::text::daily_series::text = s::text AS round_trip
  FROM (VALUES ('points=0'::daily_series),
               ('  points=3   2022-01-01:1,2.5,3  '),
               ('points=4 2022-01-01:1 2022-01-02:2 2022-01-04:+4.0,5e0'),
               ('points=5 2021-12-30:-1.5e-300,0,1.7976931348623157e308 2022-03-01:0.1,-123456789.125'),
               ('points=3 -4713-11-24:1 0000-02-29:2 5874897-12-31:3')) v(s);
-- the extreme days are the first and last dates PostgreSQL has (the year is astronomical: 0 is 1 BC)
SELECT '4713-11-24 BC'::date AS first_date, '0001-02-29 BC'::date AS leap_1_bc, '5874897-12-31'::date AS last_date;

-- bad input: each is refused with 22P02, naming the type and the position
SELECT input, try(format('SELECT %L::customs_risk.daily_series', input)) AS result
  FROM unnest(ARRAY[
    '',
    'garbage',
    'Points=0',
    'points=',
    'points=-1',
    'points=1.5',
    'points=1x',
    'points=1000000000',
    'points=1000000000000000000',
    'points=89478399',
    'points=1',
    'points=0 2022-01-01:1',
    'points=2 2022-01-01:1',
    'points=1 2022-01-01:1,2',
    'points=1 2022-01-01',
    'points=1 2022-01-01 1',
    'points=1 2022-01-01:',
    'points=1 2022-01-01: 1',
    'points=2 2022-01-01:1,,2',
    'points=1 2022-01-01:x',
    'points=1 2022-01-01:1x',
    'points=2 2022-01-01:1;2',
    'points=1 2022-01-01:nan',
    'points=1 2022-01-01:infinity',
    'points=1 2022-01-01:0x10',
    'points=1 2022-01-01:1e999',
    'points=1 2022-01-01:1e-400',
    'points=1 2022-01-01:0x1p+2000',
    'points=1 22-1-1:1',
    'points=1 2022-1-01:1',
    'points=1 2022/01/01:1',
    'points=1 2022-13-01:1',
    'points=1 2022-02-29:1',
    'points=1 2022-00-10:1',
    'points=1 12345678-01-01:1',
    'points=1 5874898-01-01:1',
    'points=1 -4713-11-23:1',
    'points=2 5874897-12-31:1,2',
    'points=2 2022-01-02:1 2022-01-01:2',
    'points=2 2022-01-01:1 2022-01-01:2',
    'points=3 2022-01-01:1,2 2022-01-02:3',
    'points=1 2022-01-01:1 0.5']) AS input;
-- a long bad input is shown cut after 60 characters
SELECT try(format('SELECT %L::customs_risk.daily_series', 'points=40 2022-01-01:' || repeat('1,', 39) || 'x'));

-- refused rows: NaN and infinite values (22023), infinite days (22008), two values for a day (21000)
SELECT try($$SELECT customs_risk.daily_series(d, v) FROM (VALUES ('2022-01-01'::date, 1::float8), ('2022-01-02', 'nan')) x(d, v)$$) AS nan,
       try($$SELECT customs_risk.daily_series('2022-01-01'::date, 'infinity'::float8)$$) AS infinite,
       try($$SELECT customs_risk.daily_series('2022-01-01'::date, '-infinity'::float8)$$) AS minus_infinite;
SELECT try($$SELECT customs_risk.daily_series('infinity'::date, 1::float8)$$) AS infinite_day,
       try($$SELECT customs_risk.daily_series('-infinity'::date, 1::float8)$$) AS minus_infinite_day;
SELECT try($$SELECT customs_risk.daily_series(d, v) FROM (VALUES ('2022-01-03'::date, 1::float8), ('2022-01-01', 2), ('2022-01-03', 1)) x(d, v)$$) AS same_day_twice;
-- NULL rows are skipped before any check: a NULL day with a NaN value is no error
SELECT daily_series(d, v) AS null_day_nan_value FROM (VALUES (NULL::date, 'nan'::float8), ('2022-01-01', 4)) x(d, v);

-- stored series of disjoint periods merge; a day in two of them is an error (21000)
SELECT daily_series_merge(s)
  FROM (VALUES ('points=2 2022-02-01:3,4'::daily_series), (NULL), ('points=3 2022-01-30:1,2 2022-03-01:5'), ('points=0')) v(s);
SELECT try($$SELECT customs_risk.daily_series_merge(s) FROM (VALUES ('points=2 2022-02-01:3,4'::customs_risk.daily_series),
               ('points=1 2022-02-02:9')) v(s)$$) AS overlapping;

-- binary send/recv round trip, and malformed bytes refused (22P03)
CREATE TEMP TABLE series_io (s daily_series);
INSERT INTO series_io VALUES ('points=0'), ('points=3 2022-01-01:1,2.5,3'),
    ('points=3 -4713-11-24:1e-300 2000-01-01:-0.25 5874897-12-31:1.7976931348623157e308');
SELECT encode(daily_series_send(s), 'hex') AS wire FROM series_io LIMIT 2;
\set binfile '/tmp/customs_risk_monitoring.bin'
COPY series_io TO :'binfile' (FORMAT binary);
CREATE TEMP TABLE series_io2 (s daily_series);
COPY series_io2 FROM :'binfile' (FORMAT binary);
SELECT a.s::text AS sent, b.s::text = a.s::text AS received_equal
  FROM (SELECT row_number() OVER () AS i, s FROM series_io) a JOIN (SELECT row_number() OVER () AS i, s FROM series_io2) b USING (i);
-- the wire form: version byte, flags byte, the number of points as int4, then (int4 day
-- counted from 2000-01-01, float8 value) pairs
CREATE FUNCTION pg_temp.wire(version int, flags int, n int, days int[], vals float8[]) RETURNS bytea LANGUAGE sql AS $$
    SELECT decode(lpad(to_hex(version), 2, '0') || lpad(to_hex(flags), 2, '0'), 'hex') || int4send(n)
           || coalesce((SELECT string_agg(int4send(d) || float8send(v), ''::bytea ORDER BY i)
                          FROM unnest(days, vals) WITH ORDINALITY u(d, v, i)), ''::bytea) $$;
CREATE FUNCTION pg_temp.try_bytes(bytes bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    path text := '/tmp/customs_risk_monitoring.bin';
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', bytes, path);
    EXECUTE format('COPY series_io2 FROM %L (FORMAT binary)', path);
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.wire(1, 0, 3, '{8036,8037,8038}', '{1,2.5,3}') = daily_series_send('points=3 2022-01-01:1,2.5,3') AS wire_matches_send;
SELECT what, pg_temp.try_bytes(bytes) AS result
  FROM (VALUES ('valid', pg_temp.wire(1, 0, 2, '{8036,8040}', '{1,2}')),
               ('unknown version', pg_temp.wire(2, 0, 2, '{8036,8040}', '{1,2}')),
               ('unknown flags', pg_temp.wire(1, 1, 2, '{8036,8040}', '{1,2}')),
               ('negative count', pg_temp.wire(1, 0, -1, '{}', '{}')),
               ('count above the points', pg_temp.wire(1, 0, 3, '{8036,8040}', '{1,2}')),
               ('count below the points', pg_temp.wire(1, 0, 1, '{8036,8040}', '{1,2}')),
               ('huge count', pg_temp.wire(1, 0, 2147483647, '{8036}', '{1}')),
               ('days descending', pg_temp.wire(1, 0, 2, '{8040,8036}', '{1,2}')),
               ('same day twice', pg_temp.wire(1, 0, 2, '{8036,8036}', '{1,2}')),
               ('infinite day', pg_temp.wire(1, 0, 1, '{2147483647}', '{1}')),
               ('day out of range', pg_temp.wire(1, 0, 1, '{2145031949}', '{1}')),
               ('NaN value', pg_temp.wire(1, 0, 1, '{8036}', '{NaN}')),
               ('infinite value', pg_temp.wire(1, 0, 1, '{8036}', '{-Infinity}')),
               ('trailing byte', pg_temp.wire(1, 0, 1, '{8036}', '{1}') || '\x00'::bytea),
               ('cut short', substring(pg_temp.wire(1, 0, 1, '{8036}', '{1}') FROM 1 FOR 10)),
               ('empty', ''::bytea)) v(what, bytes);
-- the three round-tripped rows and the one valid row: nothing refused got in
SELECT count(*) AS rows_after_refusals FROM series_io2;

-- charts by hand.  Baseline 10, 12, 8, 11 (baseline_days 4): median 10.5, deviations 0.5 1.5
-- 2.5 0.5, MAD 1, sigma 1.4826.  Then 13, 14, 9, 6, 6, 5:
--   EWMA (lambda 0.2, L 3): z = 11, 11.6, 11.08, 10.064, 9.2512, 8.40096; half-widths
--     4.4478 sqrt((1 - 0.8^(2t)) / 9) = 0.88956, 1.139193, 1.273532, 1.352524, 1.400744, 1.430752:
--     in control until the last, which is below 10.5 - 1.430752 = 9.069248: down
--   CUSUM (k 0.5, h 5): u = (x - 10.5) / 1.4826 = 1.686227, 2.360718, -1.011736, -3.035208,
--     -3.035208, -3.709699; S+ = 1.186227, 3.046945, 1.535208, 0, 0, 0;
--     S- = 0, 0, 0.511736, 3.046945, 5.582153, 8.791852: down on the last two
CREATE TEMP TABLE hand AS
SELECT daily_series(day, value) AS s
  FROM (SELECT '2022-03-01'::date + i::int - 1 AS day, v AS value
          FROM unnest('{10,12,8,11,13,14,9,6,6,5}'::float8[]) WITH ORDINALITY u(v, i)) x;
SELECT day, value, round(statistic::numeric, 6) AS statistic, round(lower::numeric, 6) AS lower,
       round(upper::numeric, 6) AS upper, alert, direction
  FROM ewma_chart((SELECT s FROM hand), baseline_days => 4);
SELECT day, value, round(statistic::numeric, 6) AS statistic, lower, upper, alert, direction
  FROM cusum_chart((SELECT s FROM hand), baseline_days => 4);
SELECT 'ewma' AS chart, (ewma_summary(s, baseline_days => 4)).* FROM hand
UNION ALL SELECT 'cusum', (cusum_summary(s, baseline_days => 4)).* FROM hand;
-- other parameters: lambda 1 is a Shewhart chart, the values against 10.5 -+ 2 x 1.4826 (L 2);
-- a CUSUM with k 1, h 6: S- = 0.011736, 2.046945, 4.082153, 6.791852 on the last four
SELECT day, statistic, round(lower::numeric, 6) AS lower, round(upper::numeric, 6) AS upper, alert, direction
  FROM ewma_chart((SELECT s FROM hand), 1, 2, 4) WHERE statistic IS NOT NULL;
SELECT (cusum_summary(s, k => 1, h => 6, baseline_days => 4)).* FROM hand;
-- an even baseline of 6 points: median (11 + 12) / 2 = 11.5, MAD (1.5 + 1.5) / 2 (deviations 1.5 0.5 3.5 0.5 1.5 2.5)
SELECT baseline_mean, baseline_sigma FROM ewma_summary((SELECT s FROM hand), baseline_days => 6);

-- short series: fewer points than baseline_days have no baseline and no alert; exactly
-- baseline_days points have a baseline and nothing to chart; the empty series has no last day
SELECT n, (ewma_summary(s)).*
  FROM (SELECT n, (SELECT daily_series('2022-01-01'::date + i, i::float8) FROM generate_series(1, n) i) AS s
          FROM unnest('{0,1,27,28}'::int[]) n) x
 ORDER BY n;
SELECT (cusum_summary('points=0')).*;
SELECT count(*) AS points, count(statistic) AS charted, count(*) FILTER (WHERE alert) AS alerts
  FROM ewma_chart('points=3 2022-01-01:1,100,1000');
-- a constant baseline gets a tiny sigma (1e-9 x max(|median|, 1)): no alert while the series
-- stays put, an alert for any real change; a mostly-zero baseline (0, 0, 1, 0, 2: MAD 0) uses the
-- mean absolute deviation: sigma 1.2533 x 3 / 5 = 0.75198, then S+ = 0, 0.829823 for 0, 1 and
-- 0, 6.149113 (an alert) for 0, 5
SELECT (ewma_summary(s, baseline_days => 5)).*
  FROM (VALUES ('points=9 2022-01-01:0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3'::daily_series),
               ('points=9 2022-01-01:0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.300001,0.3')) v(s);
SELECT (cusum_summary(s, baseline_days => 5)).*
  FROM (VALUES ('points=7 2022-01-01:0,0,0,0,0,0,0'::daily_series),
               ('points=7 2022-01-01:0,0,1,0,2,0,1'),
               ('points=7 2022-01-01:0,0,1,0,2,0,5')) v(s);
-- days need not be consecutive: a chart steps from point to point (baseline 1, 2, 3: mean 2,
-- sigma 1.4826; z = 2, then 2 + 0.2 x 7 = 3.4 above 2 + 1.139193)
SELECT day, round(statistic::numeric, 6) AS statistic, alert
  FROM ewma_chart('points=6 2022-01-01:1,2,3 2022-02-01:2 2022-06-01:9,9', baseline_days => 3);

-- bad parameters: 22023 naming the parameter; a NULL parameter gives NULL (the functions are strict)
SELECT p, try(format('SELECT customs_risk.ewma_summary(%L::customs_risk.daily_series, %s)', 'points=0', p)) AS result
  FROM unnest(ARRAY['lambda => 0', 'lambda => -0.1', 'lambda => 1.0000001', 'lambda => ''nan''', 'lambda => ''infinity''',
                    'limit_sigma => 0', 'limit_sigma => -3', 'limit_sigma => ''infinity''', 'limit_sigma => ''nan''',
                    'baseline_days => 1', 'baseline_days => -28', 'lambda => 1, limit_sigma => 0.001, baseline_days => 2']) p;
SELECT p, try(format('SELECT * FROM customs_risk.cusum_chart(%L::customs_risk.daily_series, %s)', 'points=1 2022-01-01:1', p)) AS result
  FROM unnest(ARRAY['k => -0.5', 'k => ''infinity''', 'k => ''nan''', 'h => 0', 'h => -5', 'h => ''infinity''', 'h => ''nan''',
                    'baseline_days => 0', 'k => 0, h => 1e-300, baseline_days => 2']) p;
SELECT ewma_summary('points=0', NULL) IS NULL AS null_lambda, cusum_summary('points=0', h => NULL) IS NULL AS null_h,
       (SELECT count(*) FROM ewma_chart('points=1 2022-01-01:1', baseline_days => NULL)) AS rows_for_null_baseline;
-- known in-control mean and sigma (target, sigma): the baseline points are only skipped, and
-- baseline_days may be 0.  The hand series against 10 -+ 2: z = 0, 1, -1, 0.5, 1.5, 2, -0.5,
-- -2, -2, -2.5; with k 1, S+ = 0, 0, 0, 0, 0.5, 1.5, 0, ... and S- = ..., 1, 2, 3.5
SELECT day, round(statistic::numeric, 6) AS statistic, lower, upper, alert, direction
  FROM cusum_chart((SELECT s FROM hand), k => 1, h => 3, baseline_days => 0, target => 10, sigma => 2);
SELECT 'ewma' AS chart, (ewma_summary(s, baseline_days => 4, target => 10, sigma => 2)).* FROM hand
UNION ALL SELECT 'cusum', (cusum_summary(s, k => 1, h => 3, baseline_days => 4, target => 10, sigma => 2)).* FROM hand;
-- both or neither, finite, sigma positive, baseline_days at least 0: 22023; NULL for both is
-- the estimated baseline
SELECT p, try(format('SELECT customs_risk.cusum_summary(%L::customs_risk.daily_series, %s)', 'points=1 2022-01-01:1', p)) AS result
  FROM unnest(ARRAY['target => 0', 'sigma => 1', 'target => 0, sigma => NULL', 'target => ''nan'', sigma => 1',
                    'target => ''-infinity'', sigma => 1', 'target => 0, sigma => 0', 'target => 0, sigma => -1',
                    'target => 0, sigma => ''infinity''', 'target => 0, sigma => ''nan''',
                    'baseline_days => -1, target => 0, sigma => 1', 'baseline_days => 0, target => 0, sigma => 1',
                    'baseline_days => 1, target => NULL, sigma => NULL']) p;
SELECT cusum_summary(NULL, target => 0, sigma => 1) IS NULL AS null_series,
       (SELECT count(*) FROM cusum_chart(NULL, target => 0, sigma => 1)) AS rows_for_null_series,
       ewma_summary('points=0', NULL, target => 0, sigma => 1) IS NULL AS null_lambda_known;
-- values too large in magnitude for the statistics: 22003
SELECT try($$SELECT customs_risk.ewma_summary('points=4 2022-01-01:-1e308,1e308,-1e308,1e308', baseline_days => 3)$$) AS baseline_overflow,
       try($$SELECT customs_risk.cusum_summary('points=4 2022-01-01:1,1,1,1e308', baseline_days => 3)$$) AS cusum_overflow;

-- simulated years: 300 series of 365 days, N(100, 10^2) from a deterministic generator, stored
-- in a real table in random row order, so parallel workers each see some of every series
CREATE FUNCTION pg_temp.gauss(n bigint) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT sqrt(-2 * ln(1 - customs_risk.gen_uniform(n, 1, 2022))) * cos(2 * pi() * customs_risk.gen_uniform(n, 2, 2022)) $$;
CREATE TABLE monitoring_days AS
SELECT series, '2022-01-01'::date + i - 1 AS day, 100 + 10 * pg_temp.gauss(series * 1000 + i) AS value
  FROM generate_series(1, 300) series, generate_series(1, 365) i
 ORDER BY customs_risk.gen_uniform(series * 1000 + i, 3, 2022);
ANALYZE monitoring_days;
-- the same points in day order: the series are identical
CREATE TEMP TABLE year_ordered AS
SELECT series, daily_series(day, value) AS s
  FROM (SELECT * FROM monitoring_days ORDER BY series, day) x GROUP BY series;
CREATE TEMP TABLE year_random AS
SELECT series, daily_series(day, value) AS s FROM monitoring_days GROUP BY series;
SELECT count(*) AS series, count(*) FILTER (WHERE o.s::text = r.s::text) AS identical,
       min((ewma_summary(r.s)).points) AS min_points
  FROM year_ordered o JOIN year_random r USING (series);
-- the charts follow the textbook formulas, computed here in SQL from the definitions: the
-- baseline from percentile_cont, EWMA z_t = lambda x_t + (1 - lambda) z_{t-1} with limits from
-- power(), the CUSUM recursion with greatest(); series 1 with a shift, so that there are alerts
CREATE TEMP TABLE shifted AS
SELECT day, value + CASE WHEN day >= '2022-07-19' THEN 15 ELSE 0 END AS value
  FROM monitoring_days WHERE series = 1;
WITH RECURSIVE
pts AS (SELECT row_number() OVER (ORDER BY day) AS t, day, value FROM shifted),
med AS (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS m FROM pts WHERE t <= 28),
base AS (SELECT m, 1.4826 * percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(value - m)) AS sigma
           FROM pts, med WHERE t <= 28 GROUP BY m),
rec AS (SELECT 28::bigint AS t, m AS z, 0::float8 AS sp, 0::float8 AS sm FROM base
        UNION ALL
        SELECT p.t, 0.2 * p.value + 0.8 * r.z,
               greatest(0, r.sp + (p.value - b.m) / b.sigma - 0.5), greatest(0, r.sm - (p.value - b.m) / b.sigma - 0.5)
          FROM rec r JOIN pts p ON p.t = r.t + 1 CROSS JOIN base b),
sql_chart AS (SELECT p.day, r.z, b.m + 3 * b.sigma * sqrt(0.2 / 1.8 * (1 - power(0.8, 2 * (r.t - 28)))) AS upper,
                     b.m - 3 * b.sigma * sqrt(0.2 / 1.8 * (1 - power(0.8, 2 * (r.t - 28)))) AS lower,
                     CASE WHEN r.sp >= r.sm THEN r.sp ELSE -r.sm END AS cusum,
                     r.sp > 5 OR r.sm > 5 AS cusum_alert
                FROM rec r JOIN pts p USING (t) CROSS JOIN base b WHERE r.t > 28)
SELECT count(*) AS charted,
       count(*) FILTER (WHERE abs(e.statistic - q.z) < 1e-9 AND abs(e.upper - q.upper) < 1e-9 AND abs(e.lower - q.lower) < 1e-9
                          AND e.alert = (q.z > q.upper OR q.z < q.lower)) AS ewma_agrees,
       count(*) FILTER (WHERE abs(c.statistic - q.cusum) < 1e-9 AND c.alert = q.cusum_alert) AS cusum_agrees,
       count(*) FILTER (WHERE e.alert) AS ewma_alerts, count(*) FILTER (WHERE c.alert) AS cusum_alerts
  FROM sql_chart q
  JOIN ewma_chart((SELECT daily_series(day, value) FROM shifted)) e USING (day)
  JOIN cusum_chart((SELECT daily_series(day, value) FROM shifted)) c USING (day);

-- a stable year raises no alert.  With the default parameters (the textbook ones) that is not
-- to be taken for granted: their in-control average run length is about 500 points with a
-- known mean and sigma, and shorter with a 28-point estimate, so most stable years do raise a
-- false alert somewhere (the counts below, with the defaults and with wider limits on a longer
-- baseline); series 9, whose baseline is near the truth, is one of those that do not
SELECT count(*) AS series, count(*) FILTER (WHERE (ewma_summary(s)).alert_days > 0) AS ewma_false_alert,
       count(*) FILTER (WHERE (cusum_summary(s)).alert_days > 0) AS cusum_false_alert,
       count(*) FILTER (WHERE (ewma_summary(s, limit_sigma => 4, baseline_days => 56)).alert_days > 0) AS ewma_l4_b56,
       count(*) FILTER (WHERE (cusum_summary(s, h => 8, baseline_days => 56)).alert_days > 0) AS cusum_h8_b56
  FROM year_random;
SELECT chart, points, round(baseline_mean::numeric, 4) AS baseline_mean, round(baseline_sigma::numeric, 4) AS baseline_sigma,
       first_alert, direction, alert_days, last_day, round(last_statistic::numeric, 4) AS last_statistic, last_alert
  FROM (SELECT 'ewma' AS chart, (ewma_summary(s)).* FROM year_random WHERE series = 9
        UNION ALL SELECT 'cusum', (cusum_summary(s)).* FROM year_random WHERE series = 9) x;
-- the same series with a 3-sigma shift (+30) from day 200 (2022-07-19) on: both charts
-- alert within 5 days, up; with -30, down
CREATE TEMP TABLE series9 AS
SELECT shift, daily_series(day, value + CASE WHEN day >= '2022-07-19' THEN shift ELSE 0 END) AS s
  FROM monitoring_days, (VALUES (30), (-30)) v(shift) WHERE series = 9 GROUP BY shift;
SELECT shift, 'ewma' AS chart, (ewma_summary(s)).first_alert - '2022-07-19'::date AS days_to_alert, (ewma_summary(s)).direction,
       (ewma_summary(s)).alert_days, (ewma_summary(s)).last_alert
  FROM series9
UNION ALL
SELECT shift, 'cusum', (cusum_summary(s)).first_alert - '2022-07-19'::date, (cusum_summary(s)).direction,
       (cusum_summary(s)).alert_days, (cusum_summary(s)).last_alert
  FROM series9
 ORDER BY shift DESC, chart DESC;
-- the alerts of the upward shift: every point from the first alert on (no reset)
SELECT day, round(value::numeric, 2) AS value, round(statistic::numeric, 2) AS statistic,
       round(upper::numeric, 2) AS upper, alert, direction
  FROM ewma_chart((SELECT s FROM series9 WHERE shift = 30)) WHERE day BETWEEN '2022-07-17' AND '2022-07-23';
SELECT day, round(value::numeric, 2) AS value, round(statistic::numeric, 2) AS statistic, upper, alert, direction
  FROM cusum_chart((SELECT s FROM series9 WHERE shift = -30)) WHERE day BETWEEN '2022-07-17' AND '2022-07-23';
-- over all 300 series: days from the shift to the first alert on or after it in its direction
-- (up for +30, down for -30), false alerts before it aside; 0 is an alert on the shift's first day
SELECT shift, chart, count(*) AS series, count(*) FILTER (WHERE delay <= 4) AS within_5_days, max(delay) AS slowest
  FROM (SELECT shift, 'ewma' AS chart, (SELECT min(day) - '2022-07-19'::date FROM ewma_chart(s)
                                         WHERE day >= '2022-07-19' AND direction = CASE WHEN shift > 0 THEN 'up' ELSE 'down' END) AS delay
          FROM (SELECT series, shift, daily_series(day, value + CASE WHEN day >= '2022-07-19' THEN shift ELSE 0 END) AS s
                  FROM monitoring_days, (VALUES (30), (-30)) v(shift) GROUP BY series, shift) x
        UNION ALL
        SELECT shift, 'cusum', (SELECT min(day) - '2022-07-19'::date FROM cusum_chart(s)
                                 WHERE day >= '2022-07-19' AND direction = CASE WHEN shift > 0 THEN 'up' ELSE 'down' END)
          FROM (SELECT series, shift, daily_series(day, value + CASE WHEN day >= '2022-07-19' THEN shift ELSE 0 END) AS s
                  FROM monitoring_days, (VALUES (30), (-30)) v(shift) GROUP BY series, shift) x) d
 GROUP BY shift, chart
 ORDER BY shift DESC, chart DESC;

-- parallel aggregation gives exactly what serial does
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT series, daily_series(day, value) FROM monitoring_days GROUP BY series;
EXPLAIN (COSTS OFF) SELECT daily_series(day, value) FROM monitoring_days WHERE series = 7;
CREATE TEMP TABLE parallel_result AS
SELECT series::text AS what, daily_series(day, value)::text AS s FROM monitoring_days GROUP BY series
UNION ALL SELECT 'series 7', daily_series(day, value)::text FROM monitoring_days WHERE series = 7
UNION ALL SELECT 'merged', daily_series_merge(s)::text
            FROM (SELECT daily_series(day, value) AS s FROM monitoring_days WHERE series = 7 GROUP BY date_trunc('month', day)) m
UNION ALL SELECT 'summaries ' || series, ((ewma_summary(s)).*, (cusum_summary(s)).*)::text
            FROM (SELECT series, daily_series(day, value) AS s FROM monitoring_days GROUP BY series) g;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_result AS
SELECT series::text AS what, daily_series(day, value)::text AS s FROM monitoring_days GROUP BY series
UNION ALL SELECT 'series 7', daily_series(day, value)::text FROM monitoring_days WHERE series = 7
UNION ALL SELECT 'merged', daily_series_merge(s)::text
            FROM (SELECT daily_series(day, value) AS s FROM monitoring_days WHERE series = 7 GROUP BY date_trunc('month', day)) m
UNION ALL SELECT 'summaries ' || series, ((ewma_summary(s)).*, (cusum_summary(s)).*)::text
            FROM (SELECT series, daily_series(day, value) AS s FROM monitoring_days GROUP BY series) g;
SELECT count(*) AS results, count(*) FILTER (WHERE s.s = p.s) AS identical
  FROM serial_result s FULL JOIN parallel_result p USING (what);
SELECT (SELECT s FROM serial_result WHERE what = 'merged') = (SELECT s FROM serial_result WHERE what = 'series 7') AS months_merge_to_the_year,
       (SELECT s FROM serial_result WHERE what = '7') = (SELECT s FROM serial_result WHERE what = 'series 7') AS group_equals_filter;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE monitoring_days;
