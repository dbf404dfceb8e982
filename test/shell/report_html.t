#!/bin/bash
# report_html() on the sample, after a week of channel decisions, a monitoring run and two alerts
# (all rolled back): the page is well-formed, and headless Chromium lays out its six SVG charts with their
# bars and points and paints a screenshot of them.
source "$(dirname "$0")/tap.sh"
plan 14
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
REPORT=$TMP/report.html

psql -X -q -v ON_ERROR_STOP=1 > "$TMP/psql.out" 2>&1 <<SQL
BEGIN;
SET client_min_messages = warning;
\i $CR_ROOT/reports/targeting_demo.sql
SELECT count(*) FROM generate_series('2020-03-03'::date, '2020-03-06', '1 day') d, customs_risk.select_for_day(d::date) s;
SELECT count(*) FROM customs_risk.run_monitoring('2021-03-31');
-- the sample's run raises none: two alerts of that date, as a run on a moving flow would write
INSERT INTO customs_risk.monitoring_alert (as_of, metric, hs_chapter, origin, office_code, first_alert, direction,
                                           statistic, baseline_mean, baseline_sigma, severity)
VALUES ('2021-03-31', 'lines', 39, 'CN', '20', '2021-03-20', 'up', 11.2, 1.75, 1.32, 'high'),
       ('2021-03-31', 'value', 85, 'CN', '30', '2021-03-27', 'down', -6.1, 11.4, 4.2, 'low');
\pset format unaligned
\pset tuples_only on
\o $REPORT
SELECT customs_risk.report_html('2020-01-01', '2021-03-31');
\o
ROLLBACK;
SQL
rc=$?
ok $rc "report_html() writes the report"
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/psql.out" | tail -20
is "$(echo "SELECT xml_is_well_formed_document(:'r')" | q -v r="$(cat "$REPORT")")" "t" "the page is well-formed (XHTML syntax)"
is "$(grep -ciE '<script|https?://[^"]*\.(js|css|png)|<link ' "$REPORT")" "0" "self-contained: no script, no external resource"

if ! command -v chromium >/dev/null; then
    for i in $(seq 4 14); do ok 1 "chromium is not installed (Debian package chromium)"; done
    finish
fi
# Measure the laid-out page: for each chart its title, rendered size, and the bars and points
# with a non-empty box.  The script goes into a copy; the report itself has none.
sed 's|</body>|<script>document.body.insertAdjacentHTML("beforeend", "<pre id=\\"measure\\">" + [...document.querySelectorAll("svg.chart")].map(s => [s.querySelector("title").textContent, Math.round(s.getBoundingClientRect().width), [...s.querySelectorAll("rect.bar")].filter(b => b.getBBox().width > 0).length, [...s.querySelectorAll("circle.point")].filter(c => c.getBBox().width > 0).length].join("\|")).join("\\n") + "</pre>");</script></body>|' \
    "$REPORT" > "$TMP/measured.html"
timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$TMP/measured.html" > "$TMP/dom.html" 2> "$TMP/chromium.err"
ok $? "headless Chromium loads the page"
M=$(perl -0ne 'print $1 if /<pre id="measure">(.*?)<\/pre>/s' "$TMP/dom.html")
echo "$M" | sed 's/^/# /'
chart() { echo "$M" | grep -F "$1|" | head -1; }
is "$(echo "$M" | grep -c '|720|')" "6" "six charts, each laid out 720 pixels wide"
like "$(chart 'Declarations, inspections and hits per month')" '\|720\|0\|45$' "the trend chart draws 45 points (15 months x 3 series)"
like "$(chart 'Hit rate by channel (%, 95% interval)')" '\|720\|[1-9][0-9]*\|0$' "the channel chart draws its bars"
like "$(chart 'Hit rate by customs house, the 20 busiest (%, 95% interval)')" '\|720\|20\|0$' "the customs house chart draws 20 bars"
like "$(chart 'Inspections / expected for the trade mix and risk, by district (1 = like the nation; red: deviates; intervals cut at 3)')" \
     '\|720\|([2-9]|[1-9][0-9])\|0$' "the harmonisation chart draws a bar per district"
like "$(chart 'Monitoring alerts by customs house (red: at least one high)')" '\|720\|[1-9][0-9]*\|0$' "the alerts chart draws its bars"
like "$(chart 'Importers by current credit grade')" '\|720\|4\|0$' "the grades chart draws the four grades"
# the two alerts (a header row and at most 15 alerts)
like "$(grep -o '<table class="alerts">.*</table>' "$TMP/dom.html" | grep -o '<tr>' | wc -l)" '^([2-9]|1[0-6])$' "the alerts table lists the strongest alerts"

timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,3200 \
    --screenshot="$TMP/report.png" "file://$REPORT" >/dev/null 2>> "$TMP/chromium.err"
ok $? "Chromium takes a screenshot"
size=$(stat -c %s "$TMP/report.png" 2>/dev/null || echo 0)
ok $( [ "$(head -c 8 "$TMP/report.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] && [ "$size" -gt 50000 ]; echo $?) \
   "the screenshot is a PNG with the charts painted ($size bytes; a blank page is a few kB)"
finish
