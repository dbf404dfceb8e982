-- report_html(): a well-formed, self-contained page with its six charts, data text escaped (an
-- office named like a script stays text), an empty period still renders, bad periods refused.
BEGIN;
SET search_path = customs_risk, public;
SET client_min_messages = warning;
SELECT plan(15);

CREATE FUNCTION pg_temp.n(doc text, path text) RETURNS integer LANGUAGE sql AS $$
    SELECT (xpath(path, doc::xml, ARRAY[ARRAY['h', 'http://www.w3.org/1999/xhtml'], ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text::numeric::integer
$$;

-- a customs house whose name is markup, with 4 inspected declarations (1 hit) in June 2031
INSERT INTO office (office_code, name, level, parent_code)
VALUES ('T-EVIL', '<script>alert("x")</script> & Co', 'house', 'RC-SEOUL');
INSERT INTO trader (trader_id, roles) VALUES ('T-IMP', '{importer}');
INSERT INTO declaration (declaration_id, declared_on, office_code, importer_id, process_type, import_type, import_use,
                         payment_type, transport, departure_country, source)
SELECT 'T-' || g, '2031-06-01'::date + g, 'T-EVIL', 'T-IMP', 'A', '11', '21', '11', 'sea', 'CN', 'test' FROM generate_series(1, 4) g;
INSERT INTO declaration_line (declaration_id, line_no, hs, origin_country, value)
SELECT 'T-' || g, 1, '8471300000', 'CN', 1000 * g FROM generate_series(1, 4) g;
INSERT INTO inspection (declaration_id, channel, selected_by, inspected_on, result)
SELECT 'T-' || g, 'red', 'officer', '2031-06-01'::date + g, CASE WHEN g = 1 THEN 'critical' ELSE 'none' END::inspection_result
  FROM generate_series(1, 4) g;

CREATE TEMP TABLE r AS SELECT report_html('2031-06-01', '2031-06-30') AS doc;
SELECT ok(xml_is_well_formed_document(doc), 'the page is a well-formed document') FROM r;
SELECT is(pg_temp.n(doc, 'count(//h:script)'), 0, 'no script element: the office name stays text') FROM r;
SELECT ok(doc LIKE '%&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co (T-EVIL)%', '... escaped in the chart label') FROM r;
SELECT is(pg_temp.n(doc, 'count(//h:link) + count(//*[@src]) + count(//*[starts-with(@href, "http")])'), 0,
          'nothing external is loaded') FROM r;
SELECT is(pg_temp.n(doc, 'count(//s:svg[contains(@class, "chart")])'), 6, 'six charts') FROM r;
SELECT is((xpath('//h:table[@class="summary"]/h:tr[2]/h:td/text()', doc::xml, ARRAY[ARRAY['h', 'http://www.w3.org/1999/xhtml']]))::text[],
          '{4,"10,000",4,1,"25 %"}', 'key figures of the period: declarations, value, inspections, hits, hit rate') FROM r;
SELECT is(pg_temp.n(doc, 'count(//h:section[@id="trend"]//s:circle[@class="point"])'), 3,
          'the trend has one month of three series') FROM r;
SELECT is((xpath('//h:section[@id="offices"]//s:rect[contains(@class, "bar")]/s:title/text()', doc::xml,
                 ARRAY[ARRAY['h', 'http://www.w3.org/1999/xhtml'], ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text,
          '&lt;script&gt;alert("x")&lt;/script&gt; &amp; Co (T-EVIL): 25%', 'the house''s hit rate is charted') FROM r;
SELECT is(pg_temp.n(doc, 'count(//h:section[@id="channels"]//s:rect[contains(@class, "bar")])'), 1,
          'one channel was used (red)') FROM r;
SELECT is(pg_temp.n(doc, 'count(//h:section[@id="alerts"]//s:text[@class="empty"])'), 1,
          'no alerts: the alerts chart says no data') FROM r;

-- a period without declarations still renders
SELECT is(pg_temp.n(report_html('1900-01-01', '1900-12-31'), 'count(//s:text[@class="empty"])'), 5,
          'an empty period: every period chart says no data (the grades remain)');
SELECT throws_ok($$SELECT customs_risk.report_html(NULL, '2020-01-01')$$, '22004', NULL, 'a NULL bound is an error');
SELECT throws_ok($$SELECT customs_risk.report_html('2020-02-01', '2020-01-01')$$, '22023', NULL, 'from_date after to_date is an error');
SELECT ok(NOT has_function_privilege('public', 'customs_risk.report_html(date, date)', 'EXECUTE')
          AND has_function_privilege('customs_risk_bi', 'customs_risk.report_html(date, date)', 'EXECUTE')
          AND has_function_privilege('customs_risk_national', 'customs_risk.report_html(date, date)', 'EXECUTE')
          AND NOT has_function_privilege('customs_risk_district', 'customs_risk.report_html(date, date)', 'EXECUTE'),
          'report_html is the national report: national analysts and BI may call it, not PUBLIC or a district');

SELECT is(html_escape(E'a\uFFFFb\uFFFEc'), 'abc', 'the characters XML forbids, U+FFFE and U+FFFF among them, are dropped');
SELECT * FROM finish();
ROLLBACK;
