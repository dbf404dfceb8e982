-- The risk register: lifecycle and its refused transitions, the audit trail, the risk matrix,
-- links; dissemination: publishing down the office tree, inboxes, overdue acknowledgements.
BEGIN;
SET search_path = customs_risk, public;
SET client_min_messages = warning;
SELECT plan(100);

CREATE FUNCTION pg_temp.new_item(owner text DEFAULT 'NRC', scope criteria DEFAULT NULL) RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO customs_risk.risk_item (source, category, title, description, scope, owner_office)
    VALUES ('intelligence', 'revenue', 'Undervalued laptops', 'Laptops declared far below their price', scope, owner)
    RETURNING item_id
$$;
-- an item driven through the lifecycle to a status
CREATE FUNCTION pg_temp.item_at(st customs_risk.risk_status) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    id bigint := pg_temp.new_item();
BEGIN
    IF st = 'reported' THEN RETURN id; END IF;
    PERFORM customs_risk.assess_risk_item(id, 3, 3);
    IF st = 'analysed' THEN RETURN id; END IF;
    PERFORM customs_risk.decide_treatment(id, 'tolerate', 'low enough to accept');
    IF st = 'treatment_decided' THEN RETURN id; END IF;
    PERFORM customs_risk.set_risk_status(id, 'monitored');
    IF st = 'monitored' THEN RETURN id; END IF;
    PERFORM customs_risk.close_risk_item(id);
    RETURN id;
END $$;

-- ---------------------------------------------------------------- reporting
CREATE TEMP TABLE i1 AS SELECT pg_temp.new_item('NRC', 'hs <@ 8471 and origin in (CN)') AS id;
SELECT is((SELECT status::text || ' ' || reported_by || ' ' || updated_by FROM risk_item WHERE item_id = (SELECT id FROM i1)),
          'reported ' || session_user || ' ' || current_user, 'a new item is reported, stamped with who reported it');
SELECT throws_ok($$INSERT INTO risk_item (source, category, title, description, owner_office, status)
                   VALUES ('open_source', 'safety', 'Toys', 'Lead paint', 'NRC', 'analysed')$$,
                 '55000', 'a new risk item starts as reported, not analysed', 'a new item cannot skip reporting');
SELECT throws_ok($$SELECT pg_temp.new_item('10')$$, '23514', 'risk item owner 10 is a customs house',
                 'a customs house cannot own an item');
SELECT throws_ok($$SELECT pg_temp.new_item('NOPE')$$, '23503', NULL, 'an unknown owner office is refused');
SELECT is((SELECT level FROM risk_register_v WHERE item_id = (SELECT id FROM i1)), NULL, 'an item not yet analysed has no level');

-- ---------------------------------------------------------------- risk matrix
SELECT is((SELECT string_agg(level || ':' || n, ' ' ORDER BY level)
             FROM (SELECT level, count(*) n FROM risk_matrix GROUP BY level) x),
          'low:5 medium:7 high:7 extreme:6', 'the seeded matrix has 25 cells in four levels');
SELECT is(risk_level(1, 3), 'low', 'likelihood 1 x consequence 3 is low');
SELECT is(risk_level(2, 3), 'medium', '2 x 3 is medium');
SELECT is(risk_level(4, 3), 'high', '4 x 3 is high');
SELECT is(risk_level(5, 3), 'extreme', '5 x 3 is extreme');
SELECT throws_ok($$SELECT risk_level(0, 3)$$, '22023', NULL, 'likelihood 0 is refused');
SELECT throws_ok($$SELECT risk_level(3, 6)$$, '22023', NULL, 'consequence 6 is refused');
SELECT throws_ok($$SELECT risk_level(NULL, 3)$$, '22004', NULL, 'a NULL likelihood is refused');
SELECT is(assess_risk_item((SELECT id FROM i1), 2, 3, 'two seizures last quarter'), 'medium',
          'assessing returns the level');
SELECT is((SELECT status::text || ' ' || level FROM risk_register_v WHERE item_id = (SELECT id FROM i1)), 'analysed medium',
          'assessing a reported item makes it analysed, with the matrix''s level');
UPDATE risk_matrix SET level = 'extreme' WHERE likelihood = 2 AND consequence = 3;
SELECT is((SELECT level FROM risk_register_v WHERE item_id = (SELECT id FROM i1)), 'extreme',
          'an edited matrix cell changes the level of the items in it');
SELECT is((SELECT updated_by FROM risk_matrix WHERE likelihood = 2 AND consequence = 3), current_user::text,
          'the edit is stamped');
INSERT INTO risk_matrix (likelihood, consequence, level) VALUES (2, 3, 'high');
SELECT is((SELECT count(*) || ' ' || max(level::text) FILTER (WHERE likelihood = 2 AND consequence = 3) FROM risk_matrix),
          '25 high', 'inserting an existing cell sets its level, the matrix keeps 25 cells');
SELECT throws_ok($$DELETE FROM risk_matrix WHERE likelihood = 1$$, '0A000', NULL, 'matrix cells cannot be deleted');
SELECT throws_ok($$INSERT INTO risk_matrix VALUES (6, 1, 'low')$$, '23514', NULL, 'a cell outside 1..5 is refused');
SELECT throws_ok($$SELECT assess_risk_item((SELECT id FROM i1), 6, 1)$$, '22023', NULL, 'assessing with likelihood 6 is refused');

-- ---------------------------------------------------------------- lifecycle
SELECT is(decide_treatment((SELECT id FROM i1), 'treat', 'a profile and audits'), 'treatment_decided', 'treatment decided');
SELECT is(set_risk_status((SELECT id FROM i1), 'monitored', 'profile active'), 'monitored', 'monitored');
SELECT is(set_risk_status((SELECT id FROM i1), 'analysed', 'seizures doubled'), 'analysed', 'monitored back to analysed (re-assessment)');
SELECT lives_ok($$SELECT decide_treatment((SELECT id FROM i1), 'terminate', 'prohibit'); SELECT set_risk_status((SELECT id FROM i1), 'monitored')$$,
                'a new treatment, monitored again');
SELECT is((SELECT count(*) FROM close_risk_item((SELECT id FROM i1), 'under control')), 0::bigint,
          'closing an item without profiles reviews nothing');
SELECT ok((SELECT status = 'closed' AND closed_at = now() AND treatment = 'terminate' FROM risk_item WHERE item_id = (SELECT id FROM i1)),
          'the item is closed, with its closing time and last treatment');
SELECT throws_ok($$UPDATE risk_item SET title = 'changed' WHERE item_id = (SELECT id FROM i1)$$, '55000', NULL,
                 'a closed item cannot change');
SELECT is(set_risk_status(pg_temp.item_at('reported'), 'closed', 'duplicate of another item'), 'closed',
          'a reported item can be dismissed (closed)');
SELECT throws_ok($$SELECT set_risk_status(pg_temp.item_at('reported'), 'analysed')$$, '23514', NULL,
                 'analysed without likelihood and consequence is refused');
SELECT throws_ok($$SELECT set_risk_status(pg_temp.item_at('analysed'), 'treatment_decided')$$, '23514', NULL,
                 'treatment_decided without a treatment is refused');
SELECT throws_like($$SELECT set_risk_status(pg_temp.item_at('reported'), 'monitored')$$,
                   '%cannot go from reported to monitored', 'a refused transition names both statuses');
-- every change risk_transition does not list is refused with 55000
SELECT throws_ok(format('SELECT customs_risk.set_risk_status(pg_temp.item_at(%L), %L)', f, t), '55000', NULL,
                 format('%s -> %s is refused', f, t))
  FROM unnest(enum_range(NULL::risk_status)) f, unnest(enum_range(NULL::risk_status)) t
 WHERE f <> t AND NOT EXISTS (SELECT 1 FROM risk_transition r WHERE r.workflow = 'risk_item'
                                 AND r.from_status = f::text AND r.to_status = t::text)
 ORDER BY f, t;
-- an administrator switches a transition off (rows are kept, so a restore cannot revive it)
UPDATE risk_transition SET allowed = false WHERE workflow = 'risk_item' AND from_status = 'reported' AND to_status = 'closed';
SELECT throws_ok($$SELECT set_risk_status(pg_temp.item_at('reported'), 'closed')$$, '55000', NULL,
                 'a transition switched off (allowed = false) is refused');
SELECT throws_like($$SELECT set_risk_status(pg_temp.item_at('reported'), 'closed')$$, '%cannot go from reported to closed',
                   '... with a message naming both statuses');
SELECT lives_ok($$SELECT pg_temp.item_at('monitored')$$, '... while the other transitions still work');
UPDATE risk_transition SET allowed = true WHERE workflow = 'risk_item' AND from_status = 'reported' AND to_status = 'closed';
SELECT throws_ok($$DELETE FROM risk_transition WHERE workflow = 'risk_item'$$, '0A000', 'risk workflow transitions cannot be deleted',
                 'transitions cannot be deleted (they are switched off)');
SELECT throws_ok($$TRUNCATE risk_transition$$, '0A000', 'risk workflow transitions cannot be deleted', 'nor truncated');
SELECT throws_ok($$UPDATE risk_transition SET to_status = 'analysed' WHERE workflow = 'risk_item' AND from_status = 'reported' AND to_status = 'closed'$$,
                 '0A000', 'a risk workflow transition cannot change its statuses',
                 'nor renamed (the old one would come back on restore)');
SELECT throws_ok($$INSERT INTO risk_transition VALUES ('risk_item', 'closed', 'reported', 'reopened')$$, '23514', NULL,
                 'no transition leaves a closed item (it would never apply: a closed item does not change)');
SELECT throws_ok($$INSERT INTO risk_transition VALUES ('risk_item', 'reported', 'analysd', 'a typo')$$, '22P02', NULL,
                 'a transition names statuses of its workflow');
SELECT throws_ok($$INSERT INTO risk_transition VALUES ('risk_action', 'open', 'monitored', 'an item status')$$, '22P02', NULL,
                 '... an action''s for an action');
UPDATE risk_transition SET allowed = false WHERE workflow = 'risk_item' AND from_status = 'monitored';
SELECT throws_like($$SELECT set_risk_status(pg_temp.item_at('monitored'), 'closed')$$, '%cannot go from monitored to closed',
                   'every change from a status switched off: refused');
UPDATE risk_transition SET allowed = true WHERE workflow = 'risk_item' AND from_status = 'monitored';
SELECT throws_ok($$SELECT set_risk_status(NULL, 'analysed')$$, '22004', NULL, 'a NULL item id');
SELECT throws_ok($$SELECT set_risk_status(-1, 'analysed')$$, 'P0002', 'risk item -1 does not exist', 'an unknown item id');

-- ---------------------------------------------------------------- audit trail
SELECT is((SELECT string_agg(action || ':' || (row_data ->> 'status'), ' ' ORDER BY audit_id) FROM risk_audit
            WHERE item_id = (SELECT id FROM i1) AND table_name = 'risk_item'),
          'insert:reported update:analysed update:treatment_decided update:monitored update:analysed update:treatment_decided update:monitored update:closed',
          'every change of the item is in the audit trail, in order');
SELECT ok((SELECT bool_and(changed_by = session_user AND changed_at IS NOT NULL AND owner_office = 'NRC')
             FROM risk_audit WHERE item_id = (SELECT id FROM i1)),
          'each audit row says who, when, and the owning office');
SELECT is((SELECT row_data ->> 'status_note' FROM risk_audit WHERE item_id = (SELECT id FROM i1)
            AND row_data ->> 'status' = 'analysed' ORDER BY audit_id DESC LIMIT 1), 'seizures doubled',
          'the audit keeps the note of each change');
SELECT throws_ok($$UPDATE risk_audit SET changed_by = 'someone else'$$, '42501', NULL, 'the audit trail cannot be updated');
SELECT throws_ok($$DELETE FROM risk_audit$$, '42501', NULL, 'nor deleted from');
SELECT throws_ok($$TRUNCATE risk_audit$$, '42501', NULL, 'nor truncated');

-- ---------------------------------------------------------------- links
CREATE TEMP TABLE lk AS SELECT pg_temp.new_item() AS a, pg_temp.new_item('RC-SEOUL') AS b, pg_temp.new_item() AS c;
SELECT lives_ok($$SELECT link_risk_items((SELECT a FROM lk), (SELECT b FROM lk), 'same importer')$$, 'two items linked');
SELECT lives_ok($$SELECT link_risk_items((SELECT c FROM lk), (SELECT a FROM lk))$$, 'a third linked to the first');
SELECT is((SELECT array_agg(related_item_id ORDER BY related_item_id) FROM related_risk_items((SELECT a FROM lk))),
          (SELECT ARRAY[b, c] FROM lk), 'the links are found from the first item');
SELECT is((SELECT array_agg(related_item_id) FROM related_risk_items((SELECT b FROM lk))),
          (SELECT ARRAY[a] FROM lk), '... and from the other side');
SELECT throws_ok($$SELECT link_risk_items((SELECT b FROM lk), (SELECT a FROM lk))$$, '23505', NULL,
                 'the same pair the other way round is a duplicate');
SELECT throws_ok($$INSERT INTO risk_item_link (item_a, item_b, owner_office) SELECT b, a, 'NRC' FROM lk$$, '23505', NULL,
                 '... also when inserted directly');
SELECT throws_ok($$SELECT link_risk_items((SELECT a FROM lk), (SELECT a FROM lk))$$, '23514', NULL, 'an item cannot be linked to itself');
SELECT throws_ok($$INSERT INTO risk_item_link (item_a, item_b, owner_office) SELECT a, a, 'NRC' FROM lk$$, '23514', NULL,
                 '... also when inserted directly');
SELECT throws_ok($$SELECT link_risk_items((SELECT a FROM lk), -5)$$, 'P0002', NULL, 'a link to an unknown item');
SELECT throws_ok($$SELECT link_risk_items((SELECT b FROM lk), (SELECT c FROM lk), NULL, 'NO-SUCH')$$, 'P0002',
                 'office ''NO-SUCH'' does not exist', 'a link owned by an unknown office');
SELECT throws_ok($$SELECT link_risk_items((SELECT b FROM lk), (SELECT c FROM lk), NULL,
                                          (SELECT min(office_code) FROM customs_risk.office WHERE level = 'house'))$$,
                 '22023', NULL, '... or by a customs house, which owns no items');
SELECT is((SELECT count(*) FROM risk_audit WHERE table_name = 'risk_item_link'
            AND (SELECT a FROM lk) IN (item_id, related_item_id)), 2::bigint, 'the links are in the audit trail');

-- ---------------------------------------------------------------- dissemination
CREATE TEMP TABLE pub AS SELECT pg_temp.item_at('analysed') AS nat, pg_temp.new_item('RC-SEOUL') AS dis;
SELECT is((SELECT count(*) FROM publish_risk_item((SELECT nat FROM pub), NULL, now() + interval '1 day')),
          (SELECT count(*) FROM office WHERE level = 'district'), 'the national centre publishes to every district');
SELECT ok((SELECT bool_and(o.level = 'district' AND e.from_office = 'NRC' AND e.published_by = session_user
                           AND e.deadline = now() + interval '1 day' AND e.read_at IS NULL)
             FROM risk_inbox e JOIN office o ON o.office_code = e.recipient_office WHERE e.item_id = (SELECT nat FROM pub)),
          'each district has an unread inbox entry with the deadline');
SELECT throws_ok($$SELECT publish_risk_item((SELECT nat FROM pub), ARRAY['RC-SEOUL'])$$, '23505', NULL,
                 'publishing again to a district that has not acknowledged it is refused');
SELECT is((SELECT array_agg(recipient_office ORDER BY recipient_office)
             FROM publish_risk_item((SELECT dis FROM pub), NULL, now() + interval '2 days')),
          (SELECT array_agg(office_code ORDER BY office_code) FROM office WHERE parent_code = 'RC-SEOUL'),
          'a district publishes to all its own customs houses');
SELECT is((SELECT count(*) FROM publish_risk_item(pg_temp.new_item('RC-BUSAN'), ARRAY['30', '33'])), 2::bigint,
          'a district publishes to some of its houses');
SELECT throws_ok($$SELECT publish_risk_item(pg_temp.new_item('RC-SEOUL'), ARRAY['10', '30'])$$, '22023',
                 'office 30 is not a customs house under RC-SEOUL', 'a district cannot publish to another district''s house');
SELECT throws_ok($$SELECT publish_risk_item(pg_temp.new_item(), ARRAY['10'])$$, '22023', NULL,
                 'the national centre publishes to districts, not houses');
SELECT throws_ok($$SELECT publish_risk_item(pg_temp.new_item(), ARRAY['RC-SEOUL', 'XX'])$$, 'P0002',
                 'office ''XX'' does not exist', 'an unknown recipient');
SELECT throws_ok($$SELECT publish_risk_item(pg_temp.new_item(), '{}')$$, '22023', NULL, 'an empty recipient list');
SELECT throws_ok($$SELECT publish_risk_item(pg_temp.new_item(), NULL, now() - interval '1 hour')$$, '22023', NULL,
                 'a deadline in the past');
SELECT is((SELECT count(*) FROM publish_risk_item((SELECT nat FROM pub), ARRAY['16'], NULL, 'RC-SEOUL')), 1::bigint,
          'a district passes a national item it received on to its house');
SELECT throws_ok($$SELECT publish_risk_item((SELECT dis FROM pub), ARRAY['30'], NULL, 'RC-BUSAN')$$, '42501', NULL,
                 'a district cannot publish an item it neither owns nor received');
-- read and acknowledge
CREATE TEMP TABLE box AS SELECT inbox_id FROM risk_inbox WHERE item_id = (SELECT nat FROM pub) AND recipient_office = 'RC-BUSAN';
SELECT is((SELECT (read_at = now())::text || ' ' || read_by || ' ' || (acknowledged_at IS NULL)::text
             FROM mark_read((SELECT inbox_id FROM box))), 'true ' || session_user || ' true', 'mark_read records who read it and when');
SELECT is((SELECT acknowledged_by || ' ' || (acknowledged_at = now())::text FROM acknowledge((SELECT inbox_id FROM box))),
          session_user || ' true', 'acknowledge records who and when');
SELECT ok((SELECT read_at IS NOT NULL AND acknowledged_at IS NOT NULL FROM acknowledge(
              (SELECT inbox_id FROM risk_inbox WHERE item_id = (SELECT nat FROM pub) AND recipient_office = 'RC-JEJU'))),
          'acknowledging an unread entry marks it read too');
SELECT throws_ok($$SELECT mark_read(-1)$$, 'P0002', 'inbox entry -1 does not exist', 'mark_read of an unknown entry');
SELECT throws_ok($$SELECT acknowledge(NULL)$$, '22004', NULL, 'acknowledge of NULL');
-- overdue
SELECT is((SELECT count(*) FROM overdue_acknowledgements(now() + interval '23 hours') WHERE item_id = (SELECT nat FROM pub)),
          0::bigint, 'nothing is overdue before the deadline');
SELECT is((SELECT array_agg(recipient_office ORDER BY recipient_office)
             FROM overdue_acknowledgements(now() + interval '25 hours') WHERE item_id = (SELECT nat FROM pub)),
          (SELECT array_agg(office_code ORDER BY office_code) FROM office
            WHERE level = 'district' AND office_code NOT IN ('RC-BUSAN', 'RC-JEJU')),
          'after the deadline every district that has not acknowledged is overdue, the two that did are not');
SELECT is((SELECT overdue::text || ' ' || recipient_district FROM overdue_acknowledgements(now() + interval '3 days')
            WHERE item_id = (SELECT dis FROM pub) AND recipient_office = '10'),
          '1 day RC-SEOUL', 'an overdue house entry says by how much, and its district');
SELECT throws_ok($$SELECT * FROM overdue_acknowledgements(NULL)$$, '22004', NULL, 'overdue_acknowledgements(NULL)');
SELECT lives_ok($$SELECT publish_risk_item((SELECT nat FROM pub), ARRAY['RC-BUSAN'])$$,
                'an item can be published again to a district that acknowledged it');

-- ids are generated, never chosen or changed (the audit trail names rows by them)
SELECT throws_ok($$INSERT INTO customs_risk.risk_item (item_id, source, category, title, description, owner_office)
                   OVERRIDING SYSTEM VALUE VALUES (999999, 'intelligence', 'revenue', 't chosen id', 'x', 'NRC')$$,
                 '428C9', NULL, 'a risk item''s id cannot be chosen');
SELECT throws_ok($$UPDATE customs_risk.risk_item SET item_id = DEFAULT WHERE item_id = (SELECT min(item_id) FROM customs_risk.risk_item WHERE status <> 'closed')$$,
                 '0A000', NULL, '... nor changed');
SELECT * FROM finish();
ROLLBACK;
