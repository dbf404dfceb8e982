-- The SVG chart helpers of the HTML report: well-formed SVG (parsed as XML here), one bar or
-- point per value at the right place, every label escaped, bad input refused.
BEGIN;
SET search_path = customs_risk, public;
SELECT plan(31);

CREATE FUNCTION pg_temp.n(svg text, path text) RETURNS integer LANGUAGE sql AS $$
    SELECT (xpath(path, svg::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text::numeric::integer
$$;

-- escaping
SELECT is(html_escape('<a href="x">Tom & Jerry''s</a>'), '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;',
          'html_escape escapes & < > " and ''');
SELECT is(html_escape(E'bell\x07 tab\t'), E'bell tab\t', 'html_escape drops control characters XML forbids, keeps tabs');
SELECT is(html_escape(NULL), '', 'html_escape(NULL) is the empty string');
SELECT is(chart_number(1234567.891, 1) || ' ' || chart_number(20, 2) || ' ' || chart_number(0.5), '1,234,567.9 20 1',
          'chart_number groups thousands and drops trailing zeros');
SELECT is(array_agg(chart_ceiling(x) ORDER BY x), '{0.5,1,10,25,250,500}'::float8[], 'chart_ceiling: 1, 2, 2.5, 5 x 10^k')
  FROM unnest('{0.3,1,7,21.6,250,251}'::float8[]) x;

-- a bar chart
CREATE TEMP TABLE bar AS
SELECT svg_bar_chart('{Seoul,"Busan <port>",Incheon}', '{10,20,40}', 'Hit rate & more', 1, '%',
                     '{5,15,30}', '{15,25,50}', '{f,t,f}') AS svg;
SELECT lives_ok($$SELECT (SELECT svg FROM bar)::xml$$, 'svg_bar_chart returns well-formed XML');
SELECT is(pg_temp.n(svg, 'count(/s:svg/s:g/s:rect[contains(@class, "bar")])'), 3, 'one bar per label') FROM bar;
SELECT is(pg_temp.n(svg, 'count(//s:rect[@class="bar highlight"])'), 1, 'the highlighted one is marked') FROM bar;
SELECT is(pg_temp.n(svg, 'count(//s:line[@class="whisker"])'), 3, 'a whisker per interval') FROM bar;
SELECT is((xpath('/s:svg/s:title/text()', svg::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text,
          'Hit rate &amp; more', 'the title is escaped') FROM bar;
SELECT is((xpath('//s:text[@class="label"]/text()', svg::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[2]::text,
          'Busan &lt;port&gt;', 'labels are escaped') FROM bar;
-- bar lengths are proportional to the values on an axis up to the round ceiling of the highest whisker (50)
SELECT is(array_agg(w::text::float8 ORDER BY k), '{86,172,344}'::float8[], 'bar lengths are proportional to the values')
  FROM bar, unnest(xpath('//s:rect[contains(@class, "bar")]/@width', svg::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))
       WITH ORDINALITY u (w, k);
SELECT is((xpath('//s:text[@class="value"]/text()', svg::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[3]::text,
          '40%', 'the value is printed with its unit') FROM bar;
SELECT is(pg_temp.n(svg_bar_chart('{}', '{}', 'Nothing'), 'count(//s:text[@class="empty"])'), 1,
          'an empty bar chart says no data');

-- a line chart
CREATE TEMP TABLE line AS
SELECT svg_line_chart(ARRAY(SELECT to_char(d, 'YYYY-MM') FROM generate_series('2020-01-01'::date, '2021-03-01', '1 month') d),
                      '{declarations,"hits <all>"}',
                      ARRAY[ARRAY(SELECT 100 + g FROM generate_series(1, 15) g), ARRAY(SELECT g FROM generate_series(1, 15) g)]::float8[],
                      'Workload') AS svg;
SELECT is(pg_temp.n(svg, 'count(//s:circle[@class="point"])'), 30, 'svg_line_chart: a point per value of each series') FROM line;
SELECT is(pg_temp.n(svg, 'count(//s:polyline[@class="line"])'), 2, 'a line per series') FROM line;
SELECT is(pg_temp.n(svg, 'count(//s:text[@class="tick" and @text-anchor="middle"])'), 8,
          'fifteen months are labelled every second month') FROM line;
SELECT is((xpath('//s:g[@class="series"][2]/@data-series', svg::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text,
          'hits &lt;all&gt;', 'series names are escaped') FROM line;
SELECT ok((SELECT min(cy::text::float8) FROM line, unnest(xpath('//s:g[1]/s:circle/@cy', svg::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']])) cy)
          < (SELECT min(cy::text::float8) FROM line, unnest(xpath('//s:g[2]/s:circle/@cy', svg::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']])) cy),
          'the larger series is drawn higher');

-- bad input
SELECT throws_ok($$SELECT customs_risk.svg_bar_chart('{a,b}', '{1}', 't')$$, '2202E',
                 'chart: vals has 1 values for 2 labels', 'labels and values of different lengths');
SELECT throws_ok($$SELECT customs_risk.svg_bar_chart('{a}', '{NaN}', 't')$$, '22023',
                 'chart: value 1 of vals is NaN, not a finite number from 0 to 1e300', 'NaN');
SELECT throws_ok($$SELECT customs_risk.svg_bar_chart('{a,b}', '{1,-Infinity}', 't')$$, '22023', NULL, 'an infinity');
SELECT throws_ok($$SELECT customs_risk.svg_bar_chart('{a}', '{-1}', 't')$$, '22023', NULL, 'a negative value');
SELECT throws_ok($$SELECT customs_risk.svg_bar_chart('{a}', '{1}', NULL)$$, '22004', NULL, 'a NULL title');
SELECT throws_ok($$SELECT customs_risk.svg_bar_chart('{a}', '{NULL}', 't')$$, '22023', NULL, 'a NULL value');
SELECT throws_ok($$SELECT customs_risk.svg_line_chart('{a,b}', '{s}', '{1,2}', 't')$$, '2202E', NULL,
                 'a one-dimensional array for a line chart');
SELECT throws_ok($$SELECT customs_risk.svg_line_chart('{a}', '{s}', '{{1}}', 't', width => 10)$$, '22023', NULL,
                 'a chart 10 pixels wide');

SELECT is(chart_number(1e15), '1,000,000,000,000,000', 'a label of 1e15 (a year of imports in won) prints its digits');
SELECT is(chart_number(1e40), '1.00e+40', '... and one past thirty digits a power of ten, not ###');
SELECT throws_ok($$SELECT customs_risk.svg_bar_chart('{a}', '{1.7e308}', 't')$$, '22023', NULL,
                 'a value past 1e300 is refused before its scale overflows');
SELECT ok(position('=""' in customs_risk.svg_bar_chart('{a}', '{1e-320}', 't')) = 0,
          'a value too small for a power of ten draws on a scale of 1, every attribute set');
SELECT * FROM finish();
ROLLBACK;
