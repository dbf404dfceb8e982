
-- ===========================================================================
-- The HTML report: one self-contained page (inline CSS and SVG, no script, no
-- external resource) built from the report views and the period reports.
-- Every text from the data goes through html_escape(); the page is also
-- well-formed XML, so it can be checked with xpath().
-- ===========================================================================

-- The page is the national picture, for the roles that see it (administrator, national analysts,
-- BI): it runs with its owner's rights, as the report views do, because its hit-rate and
-- harmonisation sections come from performance_report() and harmonisation_report(), which read
-- the tables that the BI role may not.  District analysts and officers do not see the national
-- report views either, so they may not call it (they use the report functions, under their
-- row-level security).  Its only inputs are two dates; every query in it is fixed text.
CREATE FUNCTION customs_risk.report_html(from_date date, to_date date) RETURNS text
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    esc_period text;
    summary text;
    trend text;
    by_channel text;
    by_office text;
    harmon text;
    harmon_note text;
    alerts text;
    alert_rows text;
    grades text;
BEGIN
    PERFORM customs_risk.check_report_period('report_html', from_date, to_date);
    esc_period := customs_risk.html_escape(format('%s to %s', to_char(from_date, 'YYYY-MM-DD'), to_char(to_date, 'YYYY-MM-DD')));

    -- key figures of the period
    SELECT format('<table class="summary"><tr><th>declarations</th><th>declared value</th><th>inspections</th><th>hits</th><th>hit rate</th></tr>'
                  '<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr></table>',
                  customs_risk.chart_number(coalesce(sum(o.declarations), 0)), customs_risk.chart_number(coalesce(sum(o.value), 0)),
                  customs_risk.chart_number(coalesce(sum(o.inspections), 0)), customs_risk.chart_number(coalesce(sum(o.hits), 0)),
                  coalesce(customs_risk.chart_number(100 * sum(o.hits)::float8 / nullif(sum(o.inspections), 0), 1) || ' %', '–'))
      INTO summary
      FROM customs_risk.office_daily_v o
     WHERE o.day BETWEEN from_date AND to_date;

    -- workload per month (whole months that overlap the period)
    SELECT customs_risk.svg_line_chart(
               coalesce(array_agg(format('%s-%s', t.year, lpad(t.month::text, 2, '0')) ORDER BY t.year, t.month), '{}'),
               '{declarations,inspections,hits}',
               coalesce(ARRAY[array_agg(t.declarations::float8 ORDER BY t.year, t.month),
                              array_agg(t.inspections::float8 ORDER BY t.year, t.month),
                              array_agg(t.hits::float8 ORDER BY t.year, t.month)], '{}'),
               'Declarations, inspections and hits per month')
      INTO trend
      FROM customs_risk.workload_trend_v t
     WHERE t.month IS NOT NULL
       AND make_date(t.year, t.month, 1) BETWEEN date_trunc('month', from_date)::date AND to_date;

    -- hit rate with its 95% interval by the channel of the inspection, and by customs house
    SELECT customs_risk.svg_bar_chart(coalesce(array_agg(p.group_key ORDER BY p.group_key), '{}'),
                                      coalesce(array_agg(100 * p.hit_rate ORDER BY p.group_key), '{}'),
                                      'Hit rate by channel (%, 95% interval)', 1, '%',
                                      coalesce(array_agg(100 * coalesce(p.ci_low, p.hit_rate) ORDER BY p.group_key), '{}'),
                                      coalesce(array_agg(100 * coalesce(p.ci_high, p.hit_rate) ORDER BY p.group_key), '{}'))
      INTO by_channel
      FROM customs_risk.performance_report(from_date, to_date, 'channel') p
     WHERE p.hit_rate IS NOT NULL;
    SELECT customs_risk.svg_bar_chart(coalesce(array_agg(b.label ORDER BY b.inspections DESC, b.label), '{}'),
                                      coalesce(array_agg(100 * b.hit_rate ORDER BY b.inspections DESC, b.label), '{}'),
                                      'Hit rate by customs house, the 20 busiest (%, 95% interval)', 1, '%',
                                      coalesce(array_agg(100 * coalesce(b.ci_low, b.hit_rate) ORDER BY b.inspections DESC, b.label), '{}'),
                                      coalesce(array_agg(100 * coalesce(b.ci_high, b.hit_rate) ORDER BY b.inspections DESC, b.label), '{}'))
      INTO by_office
      FROM (SELECT coalesce(o.name || ' (' || p.group_key || ')', p.group_key) AS label, p.inspections, p.hit_rate, p.ci_low, p.ci_high
              FROM customs_risk.performance_report(from_date, to_date, 'office') p
              LEFT JOIN customs_risk.office o ON o.office_code = p.group_key
             WHERE p.hit_rate IS NOT NULL
             ORDER BY p.inspections DESC, p.group_key
             LIMIT 20) b;

    -- harmonisation: each district's inspections against those expected for its goods and risks
    SELECT customs_risk.svg_bar_chart(
               coalesce(array_agg(h.district_code ORDER BY h.district_code) FILTER (WHERE h.district), '{}'),
               coalesce(array_agg(h.ratio ORDER BY h.district_code) FILTER (WHERE h.district), '{}'),
               'Inspections / expected for the trade mix and risk, by district (1 = like the nation; red: deviates; intervals cut at 3)', 2, '',
               coalesce(array_agg(greatest(coalesce(h.ratio_ci_low, h.ratio), 0) ORDER BY h.district_code) FILTER (WHERE h.district), '{}'),
               -- a district with few declarations has a wide interval: cut at 3 so it does not squash the others
               coalesce(array_agg(least(coalesce(h.ratio_ci_high, h.ratio), greatest(h.ratio, 3)) ORDER BY h.district_code) FILTER (WHERE h.district), '{}'),
               coalesce(array_agg(h.deviates ORDER BY h.district_code) FILTER (WHERE h.district), '{}')),
           coalesce(max(format('Harmonisation index %s (1: every district inspects each risk band alike), chi-square p = %s over %s decided declarations.',
                               customs_risk.chart_number(h.harmonisation_index, 3), customs_risk.chart_number(h.p_value, 4),
                               customs_risk.chart_number(h.declarations)))
                        FILTER (WHERE h.scope = 'index' AND h.harmonisation_index IS NOT NULL AND h.p_value IS NOT NULL),
                    'No decided declarations with a testable risk band in the period: no harmonisation index.')
      INTO harmon, harmon_note
      FROM (SELECT r.*, r.scope = 'district' AND r.ratio IS NOT NULL AS district
              FROM customs_risk.harmonisation_report(from_date, to_date) r) h;

    -- monitoring alerts raised in the period: per customs house (red: a high one), the strongest listed
    SELECT customs_risk.svg_bar_chart(coalesce(array_agg(coalesce(o.name || ' (' || a.office_code || ')', a.office_code) ORDER BY a.n DESC, a.office_code), '{}'),
                                      coalesce(array_agg(a.n::float8 ORDER BY a.n DESC, a.office_code), '{}'),
                                      'Monitoring alerts by customs house (red: at least one high)', 0, '',
                                      NULL, NULL, coalesce(array_agg(a.high ORDER BY a.n DESC, a.office_code), '{}'))
      INTO alerts
      FROM (SELECT v.office_code, count(*) AS n, bool_or(v.severity = 'high') AS high
              FROM customs_risk.alert_v v WHERE v.as_of BETWEEN from_date AND to_date
             GROUP BY v.office_code ORDER BY n DESC, v.office_code LIMIT 25) a
      LEFT JOIN customs_risk.office o ON o.office_code = a.office_code;
    SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
                             to_char(x.as_of, 'YYYY-MM-DD'), customs_risk.html_escape(x.metric), x.hs_chapter,
                             customs_risk.html_escape(x.origin), customs_risk.html_escape(x.office_code),
                             customs_risk.html_escape(x.direction), customs_risk.html_escape(x.severity),
                             customs_risk.chart_number(x.statistic, 1)), '' ORDER BY x.statistic DESC, x.alert_id)
      INTO alert_rows
      FROM (SELECT v.* FROM customs_risk.alert_v v WHERE v.as_of BETWEEN from_date AND to_date
             ORDER BY v.statistic DESC, v.alert_id LIMIT 15) x;

    -- importers by current credit grade
    SELECT customs_risk.svg_bar_chart(coalesce(array_agg(g.grade::text ORDER BY g.grade DESC), '{}'),
                                      coalesce(array_agg(g.traders::float8 ORDER BY g.grade DESC), '{}'),
                                      'Importers by current credit grade', 0, '')
      INTO grades
      FROM customs_risk.grade_distribution_v g;

    RETURN '<!DOCTYPE html>' || E'\n'
        || '<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>'
        || format('<title>Customs risk report, %s</title>', esc_period)
        || '<style>body{font-family:sans-serif;margin:2em;max-width:60em;color:#222}'
           'h2{border-bottom:1px solid #ccc;margin-top:2em}table{border-collapse:collapse;margin:1em 0}'
           'td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}th{background:#f3f3f3}'
           'svg text{font:12px sans-serif;fill:#222}svg .chart-title{font-weight:bold;font-size:14px}'
           '.bar{fill:#4c78a8}.bar.highlight{fill:#e45756}.whisker{stroke:#222;stroke-width:1.5}'
           '.grid{stroke:#e3e3e3}.axis{stroke:#888}.line{stroke-width:2}.empty{fill:#888}</style></head><body>'
        || format('<h1>Customs risk report</h1><p class="period">Declarations lodged from %s. Generated %s.</p>',
                  esc_period, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'))
        || summary
        || '<section id="trend"><h2>Workload trend</h2>' || trend || '</section>'
        || '<section id="channels"><h2>Hit rate by channel</h2><p>Inspected declarations by the most intrusive channel of their inspections.</p>'
        || by_channel || '</section>'
        || '<section id="offices"><h2>Hit rate by customs house</h2>' || by_office || '</section>'
        || '<section id="harmonisation"><h2>Equal treatment of equal risks</h2><p>' || customs_risk.html_escape(harmon_note) || '</p>'
        || harmon || '</section>'
        || '<section id="alerts"><h2>Monitoring alerts</h2>' || alerts
        || coalesce('<table class="alerts"><tr><th>run</th><th>metric</th><th>HS chapter</th><th>origin</th><th>house</th>'
                    '<th>direction</th><th>severity</th><th>CUSUM</th></tr>' || alert_rows || '</table>',
                    '<p>No alerts in the period.</p>')
        || '</section>'
        || '<section id="grades"><h2>Trader grades</h2>' || grades || '</section>'
        || '</body></html>' || E'\n';
END
$fn$;
COMMENT ON FUNCTION customs_risk.report_html(date, date) IS
    'a self-contained HTML page (inline SVG charts, no script or external resource) for declarations lodged in [from_date, to_date]: key figures, monthly trend, hit rate by channel and customs house, harmonisation by district, monitoring alerts, trader grades';
REVOKE EXECUTE ON FUNCTION customs_risk.report_html(date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION customs_risk.report_html(date, date) TO customs_risk_admin, customs_risk_national, customs_risk_bi;
