-- Risk register figures (bin/bench-risk): the review of a risk item's profile over N inspections
-- it selected against the plain-SQL count; publishing items to every district; the overdue
-- report over the inboxes that makes.  Everything is rolled back.
-- psql variables: n_inspections, n_items.
\ir time_it.sql
BEGIN;
SET LOCAL client_min_messages = warning;
INSERT INTO customs_risk.risk_item (source, category, title, description, scope, owner_office)
VALUES ('data_analysis', 'revenue', 'bench: undervalued laptops', 'bench', 'hs <@ 8471', 'NRC');
SELECT customs_risk.assess_risk_item(currval('customs_risk.risk_item_item_id_seq'), 4, 4),
       customs_risk.decide_treatment(currval('customs_risk.risk_item_item_id_seq'), 'treat', 'bench') \gset
SELECT customs_risk.create_profile_from_risk(currval('customs_risk.risk_item_item_id_seq'), 'bench laptops', 'red', 'bench')
       AS profile_id, currval('customs_risk.risk_item_item_id_seq') AS item_id \gset
-- inspections the profile selected: the sample's declarations over and over, one in five a hit
INSERT INTO customs_risk.inspection (declaration_id, selected_by, profile_id, inspected_on, result, extra_revenue)
SELECT d.declaration_id, 'profile', :profile_id, current_date,
       (CASE WHEN k % 10 = 0 THEN 'critical' WHEN k % 10 = 5 THEN 'minor' ELSE 'none' END)::customs_risk.inspection_result,
       CASE WHEN k % 10 = 0 THEN 100 END
  FROM generate_series(1, ceil(:n_inspections / 45519.0)::int) r,
       LATERAL (SELECT declaration_id, row_number() OVER (ORDER BY declaration_id) + r * 45519 AS k
                  FROM customs_risk.declaration WHERE source LIKE 'kcs-%') d
 LIMIT :n_inspections;
ANALYZE customs_risk.inspection;

SELECT pg_temp.time_it('risk_item_review (compliance aggregate)', 0,
    format('SELECT hits + inspections FROM customs_risk.risk_item_review(%s)', :item_id)) \g /dev/null
SELECT pg_temp.time_it('plain SQL count of the same', 0,
    format($q$SELECT count(*) FILTER (WHERE i.result IN ('minor', 'critical')) + count(*)
                FROM customs_risk.inspection i JOIN customs_risk.profile p ON p.profile_id = i.profile_id
               WHERE p.profile_id = %s AND i.inspected_on >= p.created_at::date$q$, :profile_id)) \g /dev/null

-- publishing n_items items to every district, one call per item
INSERT INTO customs_risk.risk_item (source, category, title, description, owner_office)
SELECT 'intelligence', 'safety', 'bench item ' || g, 'bench', 'NRC' FROM generate_series(1, :n_items) g;
CREATE TEMP TABLE bench_items AS
SELECT item_id FROM customs_risk.risk_item WHERE title LIKE 'bench item %';
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) AS inbox_entries FROM bench_items b, customs_risk.publish_risk_item(b.item_id, NULL, now() + interval '1 day') \gset
INSERT INTO bench_timing
SELECT 'publish_risk_item to every district (' || :n_items || ' items)', 0,
       extract(epoch FROM clock_timestamp() - :'t0'::timestamptz), :inbox_entries;
-- a third acknowledged
SELECT count(customs_risk.acknowledge(inbox_id)) FROM customs_risk.risk_inbox WHERE inbox_id % 3 = 0 \gset
ANALYZE customs_risk.risk_inbox;
SELECT pg_temp.time_it('overdue_acknowledgements', 0,
    $q$SELECT count(*) FROM customs_risk.overdue_acknowledgements(now() + interval '2 days')$q$) \g /dev/null

SELECT what, workers, round(seconds::numeric, 4) AS seconds, result FROM bench_timing ORDER BY what;
SELECT round(((SELECT seconds FROM bench_timing WHERE what LIKE 'risk_item_review%')
              / (SELECT seconds FROM bench_timing WHERE what LIKE 'plain SQL%'))::numeric, 2) AS review_over_plain_sql,
       round((1000 * (SELECT seconds FROM bench_timing WHERE what LIKE 'publish%') / :n_items)::numeric, 3) AS ms_per_item_published;
ROLLBACK;
