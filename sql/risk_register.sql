-- The risk register, dissemination and treatment: the workflow on a small office tree, and every
-- bad input refused with its SQLSTATE and a message that names what was wrong.
SET search_path = customs_risk, public;
BEGIN;
INSERT INTO office (office_code, name, level, parent_code) VALUES
    ('RRN', 'Risk test national centre', 'national', NULL),
    ('RRD1', 'Risk test district one', 'district', 'RRN'),
    ('RRD2', 'Risk test district two', 'district', 'RRN'),
    ('RRH1', 'Risk test house one', 'house', 'RRD1'),
    ('RRH2', 'Risk test house two', 'house', 'RRD2');
INSERT INTO risk_item (source, category, title, description, scope, owner_office) VALUES
    ('other_agency', 'safety', 'Toys with lead paint', 'Health agency reports lead in painted toys', 'hs <@ 9503 and origin in (CN)', 'RRN'),
    ('open_source', 'ipr', 'Fake earphones', 'Marketplace listings of fake earphones', NULL, 'RRD1');
SELECT item_id, source, category, title, scope, owner_office, status FROM risk_item ORDER BY item_id;

-- the workflow on item 1: assess, decide, act, make a profile, monitor, close
SELECT assess_risk_item(1, 3, 4) AS level;
SELECT decide_treatment(1, 'treat', 'red channel for the goods, audit of the importers');
SELECT order_post_clearance_audit(1, 'RRD1', '2030-03-31', 'audit importers of painted toys') AS audit_action;
-- the id comes from the profile sequence, which earlier tests move: compare, do not print
SELECT create_profile_from_risk(1, 'lead paint toys', 'red', 'Test paint of toys for lead') AS pid \gset
SELECT profile_id = :pid AS is_new_profile FROM profile WHERE name = 'lead paint toys';
SELECT p.name, p.criteria, p.channel, p.owner_office, p.status FROM profile p JOIN risk_item_profile l USING (profile_id);
SELECT recipient_office, from_office, deadline IS NULL AS no_deadline FROM publish_risk_item(1) ORDER BY recipient_office;
SELECT recipient_office FROM publish_risk_item(1, ARRAY['RRH1'], NULL, 'RRD1');
-- each recipient is notified on its own channel (strict: no office, no channel)
SELECT inbox_channel('RRD1') AS district_channel, inbox_channel('Rc-Mixed_9') AS lower_case, inbox_channel(NULL) IS NULL AS null_office;
SELECT set_action_status(1, 'in_progress'), set_action_status(1, 'done');
SELECT set_risk_status(1, 'monitored');
SELECT name, inspections, hits, hit_rate FROM close_risk_item(1, 'done');
SELECT item_id, title, level, score, status, treatment FROM risk_register_v ORDER BY item_id;
SELECT table_name, action, row_data ->> 'status' AS status, changed_by = session_user AS by_me
  FROM risk_audit WHERE item_id = 1 ORDER BY audit_id;

-- bad input
SELECT what, try(stmt) AS result FROM (VALUES
  ('likelihood 0', $$SELECT customs_risk.risk_level(0, 3)$$),
  ('consequence 6', $$SELECT customs_risk.risk_level(3, 6)$$),
  ('NULL likelihood', $$SELECT customs_risk.risk_level(NULL, 1)$$),
  ('assess with likelihood 6', $$SELECT customs_risk.assess_risk_item(2, 6, 1)$$),
  ('assess with consequence 0', $$SELECT customs_risk.assess_risk_item(2, 1, 0)$$),
  ('likelihood 6 in the table', $$UPDATE customs_risk.risk_item SET likelihood = 6 WHERE item_id = 2$$),
  ('unknown category', $$INSERT INTO customs_risk.risk_item (source, category, title, description, owner_office) VALUES ('intelligence', 'weather', 't', 'd', 'RRN')$$),
  ('unknown source', $$INSERT INTO customs_risk.risk_item (source, category, title, description, owner_office) VALUES ('rumour', 'revenue', 't', 'd', 'RRN')$$),
  ('NULL title', $$INSERT INTO customs_risk.risk_item (source, category, title, description, owner_office) VALUES ('intelligence', 'revenue', NULL, 'd', 'RRN')$$),
  ('blank title', $$INSERT INTO customs_risk.risk_item (source, category, title, description, owner_office) VALUES ('intelligence', 'revenue', ' t', 'd', 'RRN')$$),
  ('empty description', $$INSERT INTO customs_risk.risk_item (source, category, title, description, owner_office) VALUES ('intelligence', 'revenue', 't', '', 'RRN')$$),
  ('owner a house', $$INSERT INTO customs_risk.risk_item (source, category, title, description, owner_office) VALUES ('intelligence', 'revenue', 't', 'd', 'RRH1')$$),
  ('unknown owner', $$INSERT INTO customs_risk.risk_item (source, category, title, description, owner_office) VALUES ('intelligence', 'revenue', 't', 'd', 'NOPE')$$),
  ('bad scope', $$INSERT INTO customs_risk.risk_item (source, category, title, description, owner_office, scope) VALUES ('intelligence', 'revenue', 't', 'd', 'RRN', 'colour = red')$$),
  ('born analysed', $$INSERT INTO customs_risk.risk_item (source, category, title, description, owner_office, status) VALUES ('intelligence', 'revenue', 't', 'd', 'RRN', 'analysed')$$),
  ('skip a step', $$SELECT customs_risk.set_risk_status(2, 'monitored')$$),
  ('change a closed item', $$SELECT customs_risk.set_risk_status(1, 'analysed')$$),
  ('NULL status', $$SELECT customs_risk.set_risk_status(2, NULL)$$),
  ('NULL item', $$SELECT customs_risk.assess_risk_item(NULL, 1, 1)$$),
  ('unknown item', $$SELECT customs_risk.assess_risk_item(99, 1, 1)$$),
  ('self link', $$SELECT customs_risk.link_risk_items(2, 2)$$),
  ('link to unknown', $$SELECT customs_risk.link_risk_items(2, 99)$$),
  ('link to NULL', $$SELECT customs_risk.link_risk_items(2, NULL)$$),
  ('matrix cell deleted', $$DELETE FROM customs_risk.risk_matrix WHERE likelihood = 5 AND consequence = 5$$),
  ('matrix truncated', $$TRUNCATE customs_risk.risk_matrix$$),
  ('matrix level unknown', $$UPDATE customs_risk.risk_matrix SET level = 'severe' WHERE likelihood = 1$$),
  ('audit updated', $$UPDATE customs_risk.risk_audit SET changed_by = 'x'$$),
  ('audit deleted', $$DELETE FROM customs_risk.risk_audit$$),
  ('publish NULL item', $$SELECT customs_risk.publish_risk_item(NULL)$$),
  ('publish unknown item', $$SELECT customs_risk.publish_risk_item(99)$$),
  ('publish a closed item', $$SELECT customs_risk.publish_risk_item(1)$$),
  ('unknown recipient', $$SELECT customs_risk.publish_risk_item(2, ARRAY['RRH1', 'ZZZ'])$$),
  ('NULL recipient', $$SELECT customs_risk.publish_risk_item(2, ARRAY['RRH1', NULL])$$),
  ('no recipients', $$SELECT customs_risk.publish_risk_item(2, '{}')$$),
  ('another district''s house', $$SELECT customs_risk.publish_risk_item(2, ARRAY['RRH2'])$$),
  ('district to a district', $$SELECT customs_risk.publish_risk_item(2, ARRAY['RRD2'])$$),
  ('not the owner', $$SELECT customs_risk.publish_risk_item(2, NULL, NULL, 'RRD2')$$),
  ('from a house', $$SELECT customs_risk.publish_risk_item(2, NULL, NULL, 'RRH1')$$),
  ('from an unknown office', $$SELECT customs_risk.publish_risk_item(2, NULL, NULL, 'NOPE')$$),
  ('deadline in the past', $$SELECT customs_risk.publish_risk_item(2, NULL, now() - interval '1 day')$$),
  ('deadline infinity', $$SELECT customs_risk.publish_risk_item(2, NULL, 'infinity')$$),
  ('mark_read NULL', $$SELECT customs_risk.mark_read(NULL)$$),
  ('mark_read unknown', $$SELECT customs_risk.mark_read(99)$$),
  ('acknowledge unknown', $$SELECT customs_risk.acknowledge(99)$$),
  ('overdue as of NULL', $$SELECT * FROM customs_risk.overdue_acknowledgements(NULL)$$),
  ('overdue as of infinity', $$SELECT * FROM customs_risk.overdue_acknowledgements('infinity')$$),
  ('treatment before analysis', $$SELECT customs_risk.decide_treatment(2, 'treat', 'x')$$),
  ('unknown treatment', $$SELECT customs_risk.decide_treatment(2, 'hope', 'x')$$),
  ('action before treatment', $$SELECT customs_risk.order_post_clearance_audit(2, 'RRD1', '2030-01-01', 'x')$$),
  ('action for unknown item', $$SELECT customs_risk.alert_agency(99, 'police', 'RRN', '2030-01-01', 'x')$$),
  ('action status unknown', $$SELECT customs_risk.set_action_status(1, 'paused')$$),
  ('action done again', $$SELECT customs_risk.set_action_status(1, 'cancelled')$$),
  ('action unknown', $$SELECT customs_risk.set_action_status(99, 'done')$$),
  ('action NULL', $$SELECT customs_risk.set_action_status(NULL, 'done')$$),
  ('profile from NULL item', $$SELECT customs_risk.create_profile_from_risk(NULL, 'n', 'red', 'd')$$),
  ('profile from unknown item', $$SELECT customs_risk.create_profile_from_risk(99, 'n', 'red', 'd')$$),
  ('profile with bad channel', $$SELECT customs_risk.create_profile_from_risk(2, 'n', 'purple', 'd')$$),
  ('review NULL', $$SELECT * FROM customs_risk.risk_item_review(NULL)$$),
  ('review unknown', $$SELECT * FROM customs_risk.risk_item_review(99)$$),
  ('close unknown', $$SELECT * FROM customs_risk.close_risk_item(99)$$),
  ('recorded review changed', $$DELETE FROM customs_risk.risk_closure_review$$)
) t(what, stmt);
ROLLBACK;
