
-- ===========================================================================
-- SVG charts for the HTML report: pure functions of their arguments that
-- return one <svg> element.  Every piece of text goes through html_escape();
-- numbers are written by to_char/round, never by the caller's strings.
-- ===========================================================================

-- Text made safe for HTML and XML, in element content and in quoted attributes alike.
-- Control characters XML forbids are dropped; NULL becomes the empty string.
CREATE FUNCTION customs_risk.html_escape(s text) RETURNS text
LANGUAGE sql IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT replace(replace(replace(replace(replace(
               regexp_replace(coalesce(s, ''), '[\x01-\x08\x0B\x0C\x0E-\x1F\x7F\uFFFE\uFFFF]', '', 'g'),
               '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
$fn$;
COMMENT ON FUNCTION customs_risk.html_escape(text) IS
    'the text escaped for HTML and XML (& < > " and '' as entities, forbidden control characters dropped); NULL gives the empty string';

-- A number as the charts print it: grouped thousands, at most `digits` decimals.
CREATE FUNCTION customs_risk.chart_number(x float8, digits integer DEFAULT 0) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    -- thirty digits grouped (a year of imports in won is some 1e15), beyond that a power of ten
    SELECT CASE WHEN x = 'NaN' OR x IN ('Infinity', '-Infinity') THEN x::text
                WHEN abs(x::numeric) >= 1e30 THEN btrim(to_char(x::numeric, '9.99EEEE'))   -- as numeric: it rounds up
                WHEN digits <= 0 THEN to_char(round(x::numeric), 'FM999,999,999,999,999,999,999,999,999,990')
                ELSE rtrim(rtrim(to_char(round(x::numeric, least(digits, 6)),
                                         'FM999,999,999,999,999,999,999,999,999,990.999999'), '0'), '.')
           END
$fn$;
COMMENT ON FUNCTION customs_risk.chart_number(float8, integer) IS
    'a finite number as chart labels print it: thousands grouped with commas, at most digits decimals';

-- A coordinate, one decimal.
CREATE FUNCTION customs_risk.svg_coord(x float8) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT round(x::numeric, 1)::text
$fn$;
COMMENT ON FUNCTION customs_risk.svg_coord(float8) IS 'an SVG coordinate: the number rounded to one decimal';

-- Reject what a chart cannot draw: NULL or non-finite numbers, negative ones, arrays of
-- different lengths.  `what` names the argument in the message.
CREATE FUNCTION customs_risk.chart_check(what text, vals float8[], n integer) RETURNS void
LANGUAGE plpgsql IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    bad integer;
BEGIN
    IF vals IS NULL THEN
        RAISE EXCEPTION 'chart: % is NULL', what USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF coalesce(cardinality(vals), 0) <> n THEN
        RAISE EXCEPTION 'chart: % has % values for % labels', what, coalesce(cardinality(vals), 0), n
            USING ERRCODE = 'array_subscript_error';
    END IF;
    SELECT min(k) INTO bad FROM unnest(vals) WITH ORDINALITY u (v, k)
     WHERE v IS NULL OR v = 'NaN' OR v IN ('Infinity', '-Infinity') OR v < 0 OR v > 1e300;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'chart: value % of % is %, not a finite number from 0 to 1e300', bad, what,
                        coalesce(vals[bad]::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$fn$;
COMMENT ON FUNCTION customs_risk.chart_check(text, float8[], integer) IS
    'raise an error unless the array holds n finite numbers of at least 0 (what names it in the message)';

-- A ceiling for the value axis: 1, 2, 2.5 or 5 times a power of ten, at least the maximum.
CREATE FUNCTION customs_risk.chart_ceiling(x float8) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    -- below 1e-300 the power of ten underflows: such values draw as 0 on a scale of 1
    SELECT CASE WHEN x < 1e-300 THEN 1
                ELSE (SELECT min(m * p) FROM (SELECT power(10::float8, floor(log(x)))) t (p),
                                             unnest(ARRAY[1, 2, 2.5, 5, 10]::float8[]) m
                       WHERE m * p >= x * (1 - 1e-12))
           END
$fn$;
COMMENT ON FUNCTION customs_risk.chart_ceiling(float8) IS 'the round number (1, 2, 2.5 or 5 times a power of ten) at or above x, for a value axis';

-- Horizontal bar chart: one bar per label, the value printed after it; optional whiskers
-- (lows, highs: an interval around each value) and highlighted bars (drawn in another colour,
-- e.g. a deviating district).
CREATE FUNCTION customs_risk.svg_bar_chart(labels text[], vals float8[], title text,
                                           digits integer DEFAULT 0, unit text DEFAULT '',
                                           lows float8[] DEFAULT NULL, highs float8[] DEFAULT NULL,
                                           highlight boolean[] DEFAULT NULL, width integer DEFAULT 720)
RETURNS text
LANGUAGE plpgsql IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    n integer := coalesce(cardinality(labels), 0);
    left_w constant float8 := 200;   -- label column
    right_w constant float8 := 90;   -- value column
    row_h constant float8 := 22;
    top constant float8 := 34;
    plot float8;
    top_v float8;
    h float8;
    body text;
BEGIN
    IF labels IS NULL OR title IS NULL THEN
        RAISE EXCEPTION 'svg_bar_chart: labels and title must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF width IS NULL OR width < 400 OR width > 4000 OR digits IS NULL OR digits < 0 OR digits > 6 THEN
        RAISE EXCEPTION 'svg_bar_chart: width must be 400 to 4000 pixels and digits 0 to 6, not % and %', width, digits
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM customs_risk.chart_check('vals', vals, n);
    IF lows IS NOT NULL OR highs IS NOT NULL THEN
        PERFORM customs_risk.chart_check('lows', lows, n);
        PERFORM customs_risk.chart_check('highs', highs, n);
    END IF;
    IF highlight IS NOT NULL AND cardinality(highlight) <> n THEN
        RAISE EXCEPTION 'svg_bar_chart: highlight has % values for % labels', cardinality(highlight), n
            USING ERRCODE = 'array_subscript_error';
    END IF;
    plot := width - left_w - right_w;
    top_v := customs_risk.chart_ceiling(greatest((SELECT max(v) FROM unnest(vals) v), (SELECT max(v) FROM unnest(highs) v), 0));
    h := top + greatest(n, 1) * row_h + 10;

    SELECT string_agg(format(
             '<g class="row"><text x="%s" y="%s" text-anchor="end" class="label">%s</text>'
             '<rect class="bar%s" x="%s" y="%s" width="%s" height="%s"><title>%s: %s%s</title></rect>%s'
             '<text x="%s" y="%s" class="value">%s%s</text></g>',
             customs_risk.svg_coord(left_w - 6), customs_risk.svg_coord(y + 15),
             customs_risk.html_escape(CASE WHEN length(coalesce(l, '')) > 30 THEN left(l, 29) || '…' ELSE coalesce(l, '–') END),
             CASE WHEN coalesce(highlight[k], false) THEN ' highlight' ELSE '' END,
             customs_risk.svg_coord(left_w), customs_risk.svg_coord(y + 3),
             customs_risk.svg_coord(greatest(plot * v / top_v, 0.5)), customs_risk.svg_coord(row_h - 6),
             customs_risk.html_escape(coalesce(l, '–')), customs_risk.chart_number(v, digits), customs_risk.html_escape(unit),
             CASE WHEN lows IS NULL THEN '' ELSE format(
                 '<line class="whisker" x1="%s" x2="%s" y1="%s" y2="%s"/>',
                 customs_risk.svg_coord(left_w + plot * lows[k] / top_v), customs_risk.svg_coord(left_w + plot * highs[k] / top_v),
                 customs_risk.svg_coord(y + row_h / 2), customs_risk.svg_coord(y + row_h / 2)) END,
             customs_risk.svg_coord(left_w + plot * greatest(v, coalesce(highs[k], 0)) / top_v + 4), customs_risk.svg_coord(y + 15),
             customs_risk.chart_number(v, digits), customs_risk.html_escape(unit)), '' ORDER BY k)
      INTO body
      FROM unnest(labels, vals) WITH ORDINALITY u (l, v, k), LATERAL (SELECT top + (k - 1) * row_h AS y) r;

    RETURN format('<svg xmlns="http://www.w3.org/2000/svg" class="chart bar-chart" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-label="%s">'
                  '<title>%s</title><text x="0" y="18" class="chart-title">%s</text>'
                  '<line class="axis" x1="%s" x2="%s" y1="%s" y2="%s"/>%s</svg>',
                  width, customs_risk.svg_coord(h), width, customs_risk.svg_coord(h), customs_risk.html_escape(title),
                  customs_risk.html_escape(title), customs_risk.html_escape(title),
                  customs_risk.svg_coord(left_w), customs_risk.svg_coord(left_w), top, customs_risk.svg_coord(h - 8),
                  coalesce(body, format('<text x="%s" y="%s" class="empty">no data</text>', customs_risk.svg_coord(left_w + 8), top + 15)));
END
$fn$;
COMMENT ON FUNCTION customs_risk.svg_bar_chart(text[], float8[], text, integer, text, float8[], float8[], boolean[], integer) IS
    'an SVG horizontal bar chart (one <rect class="bar"> per label, value printed with digits decimals and unit), optional interval whiskers (lows, highs) and highlighted bars; values finite and at least 0';

-- Line chart of one or more series over the same labels (e.g. months): vals is a
-- two-dimensional array, one row per series.
CREATE FUNCTION customs_risk.svg_line_chart(labels text[], series text[], vals float8[], title text,
                                            digits integer DEFAULT 0, width integer DEFAULT 720, height integer DEFAULT 300)
RETURNS text
LANGUAGE plpgsql IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    n integer := coalesce(cardinality(labels), 0);
    s integer := coalesce(cardinality(series), 0);
    left_w constant float8 := 70;
    right_w constant float8 := 40;
    top constant float8 := 50;
    bottom constant float8 := 40;
    palette constant text[] := '{#1f77b4,#d62728,#2ca02c,#ff7f0e,#9467bd,#8c564b}';
    plot_w float8;
    plot_h float8;
    top_v float8;
    step integer;
    axes text;
    lines text;
    legend text;
BEGIN
    IF labels IS NULL OR series IS NULL OR title IS NULL THEN
        RAISE EXCEPTION 'svg_line_chart: labels, series and title must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF width IS NULL OR width < 400 OR width > 4000 OR height IS NULL OR height < 200 OR height > 2000
       OR digits IS NULL OR digits < 0 OR digits > 6 THEN
        RAISE EXCEPTION 'svg_line_chart: width must be 400 to 4000, height 200 to 2000 pixels and digits 0 to 6'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF s < 1 OR s > cardinality(palette) THEN
        RAISE EXCEPTION 'svg_line_chart: 1 to % series, not %', cardinality(palette), s USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF n > 0 AND (array_ndims(vals) IS DISTINCT FROM 2 OR array_length(vals, 1) <> s) THEN
        RAISE EXCEPTION 'svg_line_chart: vals must be a two-dimensional array with one row per series (% rows of % values)', s, n
            USING ERRCODE = 'array_subscript_error';
    END IF;
    IF vals IS NULL THEN
        RAISE EXCEPTION 'svg_line_chart: vals must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM customs_risk.chart_check('vals', coalesce((SELECT array_agg(v) FROM unnest(vals) v), '{}'), n * s);
    plot_w := width - left_w - right_w;
    plot_h := height - top - bottom;
    top_v := customs_risk.chart_ceiling(coalesce((SELECT max(v) FROM unnest(vals) v), 0));
    step := greatest(1, ceil(n / 12.0)::integer);   -- at most about 12 labels on the x axis

    -- value axis: 5 gridlines with their values
    SELECT string_agg(format('<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s"/><text x="%s" y="%s" text-anchor="end" class="tick">%s</text>',
                             left_w, width - right_w, customs_risk.svg_coord(y), customs_risk.svg_coord(y),
                             left_w - 6, customs_risk.svg_coord(y + 4), customs_risk.chart_number(top_v * g / 4, least(digits + 2, 6))), '' ORDER BY g)
      INTO axes
      FROM generate_series(0, 4) g, LATERAL (SELECT top + plot_h * (1 - g / 4.0) AS y) t;
    -- category axis: every step-th label
    SELECT axes || coalesce(string_agg(format('<text x="%s" y="%s" text-anchor="middle" class="tick">%s</text>',
                                              customs_risk.svg_coord(x), customs_risk.svg_coord(height - bottom + 16),
                                              customs_risk.html_escape(l)), '' ORDER BY k), '')
      INTO axes
      FROM unnest(labels) WITH ORDINALITY u (l, k),
           LATERAL (SELECT left_w + CASE WHEN n = 1 THEN plot_w / 2 ELSE plot_w * (k - 1) / (n - 1) END AS x) t
     WHERE (k - 1) % step = 0;

    SELECT string_agg(format('<g class="series" data-series="%s"><polyline class="line" fill="none" stroke="%s" points="%s"/>%s</g>',
                             customs_risk.html_escape(series[i]), palette[i], pts, dots), '' ORDER BY i)
      INTO lines
      FROM generate_subscripts(series, 1) i,
           LATERAL (
               SELECT string_agg(customs_risk.svg_coord(x) || ',' || customs_risk.svg_coord(y), ' ' ORDER BY k) AS pts,
                      string_agg(format('<circle class="point" cx="%s" cy="%s" r="3" fill="%s"><title>%s, %s: %s</title></circle>',
                                        customs_risk.svg_coord(x), customs_risk.svg_coord(y), palette[i],
                                        customs_risk.html_escape(series[i]), customs_risk.html_escape(labels[k]),
                                        customs_risk.chart_number(vals[i][k], digits)), '' ORDER BY k) AS dots
                 FROM generate_series(1, n) k,
                      LATERAL (SELECT left_w + CASE WHEN n = 1 THEN plot_w / 2 ELSE plot_w * (k - 1) / (n - 1) END AS x,
                                      top + plot_h * (1 - vals[i][k] / top_v) AS y) c
           ) p;

    IF n = 0 THEN
        lines := NULL;
    END IF;
    SELECT string_agg(format('<rect x="%s" y="28" width="12" height="12" fill="%s"/><text x="%s" y="38" class="legend">%s</text>',
                             left_w + (i - 1) * 150, palette[i], left_w + (i - 1) * 150 + 16, customs_risk.html_escape(series[i])), '' ORDER BY i)
      INTO legend FROM generate_subscripts(series, 1) i;

    RETURN format('<svg xmlns="http://www.w3.org/2000/svg" class="chart line-chart" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-label="%s">'
                  '<title>%s</title><text x="0" y="18" class="chart-title">%s</text>%s%s%s</svg>',
                  width, height, width, height, customs_risk.html_escape(title), customs_risk.html_escape(title),
                  customs_risk.html_escape(title), axes, legend,
                  coalesce(lines, format('<text x="%s" y="%s" class="empty">no data</text>', left_w + 8, top + 20)));
END
$fn$;
COMMENT ON FUNCTION customs_risk.svg_line_chart(text[], text[], float8[], text, integer, integer, integer) IS
    'an SVG line chart: one polyline with a <circle class="point"> per value for each series (vals: one row per series, finite values of at least 0), value gridlines and a legend';
