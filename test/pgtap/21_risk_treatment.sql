-- Treatment coordination: the treatment decision, actions and their refused transitions, a
-- targeting profile made from an item (criteria and owner carried over, link kept), and the
-- review of an item's profiles when it is closed, checked against a direct count.
BEGIN;
SET search_path = customs_risk, public;
SET client_min_messages = warning;
SELECT plan(63);

CREATE FUNCTION pg_temp.new_item(owner text DEFAULT 'RC-BUSAN', scope criteria DEFAULT 'hs <@ 8471 and origin in (CN, VN)')
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO customs_risk.risk_item (source, category, title, description, scope, owner_office)
    VALUES ('inspection_finding', 'ipr', 'Counterfeit laptops', 'Fake brand laptops found at Busan', scope, owner)
    RETURNING item_id
$$;
CREATE FUNCTION pg_temp.decided_item(scope criteria DEFAULT 'hs <@ 8471 and origin in (CN, VN)') RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    id bigint := pg_temp.new_item('RC-BUSAN', scope);
BEGIN
    PERFORM customs_risk.assess_risk_item(id, 4, 3);
    PERFORM customs_risk.decide_treatment(id, 'treat', 'target and audit');
    RETURN id;
END $$;
-- an action driven to a status
CREATE FUNCTION pg_temp.action_at(st customs_risk.risk_action_status) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    id bigint := customs_risk.order_post_clearance_audit(pg_temp.decided_item(), 'RC-BUSAN', '2030-06-30', 'audit the importers');
BEGIN
    IF st = 'cancelled' THEN PERFORM customs_risk.set_action_status(id, 'cancelled'); RETURN id; END IF;
    IF st IN ('in_progress', 'done') THEN PERFORM customs_risk.set_action_status(id, 'in_progress'); END IF;
    IF st = 'done' THEN PERFORM customs_risk.set_action_status(id, 'done'); END IF;
    RETURN id;
END $$;

-- ---------------------------------------------------------------- treatment decision
CREATE TEMP TABLE t AS SELECT pg_temp.new_item() AS id;
SELECT throws_ok($$SELECT decide_treatment((SELECT id FROM t), 'treat', 'too early')$$, '55000', NULL,
                 'a reported item cannot have a treatment decided before it is analysed');
SELECT throws_ok($$SELECT order_post_clearance_audit((SELECT id FROM t), 'RC-BUSAN', '2030-06-30', 'audit')$$, '55000', NULL,
                 'no actions before a treatment decision');
SELECT is(assess_risk_item((SELECT id FROM t), 4, 4), 'extreme', 'assessed 4 x 4: extreme');
SELECT throws_ok($$SELECT decide_treatment((SELECT id FROM t), NULL, 'why')$$, '22004', NULL, 'a NULL treatment');
SELECT throws_ok($$SELECT decide_treatment((SELECT id FROM t), 'treat', '')$$, '22004', NULL, 'an empty rationale');
SELECT throws_ok($$SELECT decide_treatment((SELECT id FROM t), 'ignore', 'why')$$, '22P02', NULL, 'an unknown treatment');
SELECT is(decide_treatment((SELECT id FROM t), 'transfer', 'the health agency handles it'), 'treatment_decided', 'treatment decided');
SELECT is(decide_treatment((SELECT id FROM t), 'treat', 'we target it ourselves'), 'treatment_decided',
          'the decision can be changed until the item is monitored');
SELECT is((SELECT treatment::text || ' / ' || treatment_rationale FROM risk_item WHERE item_id = (SELECT id FROM t)),
          'treat / we target it ourselves', 'the latest decision and its rationale are kept');

-- ---------------------------------------------------------------- actions
CREATE TEMP TABLE a AS
SELECT order_post_clearance_audit((SELECT id FROM t), 'RC-BUSAN', '2030-06-30', 'audit the three importers') AS audit,
       alert_agency((SELECT id FROM t), 'Korea Intellectual Property Office', 'NRC', '2030-05-31', 'send the brand owners'' list') AS alert;
SELECT is((SELECT kind || ' ' || assigned_office || ' ' || assigned_unit || ' ' || due_on || ' ' || status || ' ' || owner_office
             FROM risk_action WHERE action_id = (SELECT audit FROM a)),
          'post_clearance_audit RC-BUSAN post-clearance audit 2030-06-30 open RC-BUSAN',
          'a post-clearance audit is assigned to an office and department, due, open, owned by the item''s owner');
SELECT is((SELECT kind || ' ' || agency || ' ' || assigned_office || ' ' || owner_office FROM risk_action WHERE action_id = (SELECT alert FROM a)),
          'agency_alert Korea Intellectual Property Office NRC RC-BUSAN', 'an agency alert names the agency');
SELECT throws_ok($$SELECT alert_agency((SELECT id FROM t), NULL, 'NRC', '2030-05-31', 'x')$$, '23514', NULL, 'an alert without an agency');
SELECT throws_ok($$SELECT add_risk_action((SELECT id FROM t), 'other', 'x', 'NOPE', '2030-05-31')$$, 'P0002',
                 'office ''NOPE'' does not exist', 'an action for an unknown office');
SELECT throws_ok($$SELECT add_risk_action((SELECT id FROM t), 'other', 'x', 'NRC', NULL)$$, '22004', NULL, 'an action without a due date');
SELECT throws_ok($$SELECT add_risk_action((SELECT id FROM t), 'targeting_profile', 'x', 'NRC', '2030-05-31')$$, '22023', NULL,
                 'profile actions come from create_profile_from_risk');
SELECT throws_ok($$SELECT add_risk_action(-3, 'other', 'x', 'NRC', '2030-05-31')$$, 'P0002', NULL, 'an action for an unknown item');
SELECT throws_ok($$UPDATE risk_action SET item_id = pg_temp.decided_item() WHERE action_id = (SELECT alert FROM a)$$, '0A000', NULL,
                 'an action cannot move to another item (where its item''s rules would not have let it in)');
SELECT is(set_action_status((SELECT audit FROM a), 'in_progress'), 'in_progress', 'open -> in_progress');
SELECT is(set_action_status((SELECT audit FROM a), 'done', 'two importers under-declared'), 'done', 'in_progress -> done');
SELECT ok((SELECT finished_at = now() FROM risk_action WHERE action_id = (SELECT audit FROM a)), 'a finished action has its time');
SELECT throws_like($$SELECT set_action_status((SELECT alert FROM a), 'done')$$, '%cannot go from open to done',
                   'an action cannot be done without being started');
-- every change risk_transition does not list is refused with 55000
SELECT throws_ok(format('SELECT customs_risk.set_action_status(pg_temp.action_at(%L), %L)', f, s), '55000', NULL,
                 format('action %s -> %s is refused', f, s))
  FROM unnest(enum_range(NULL::risk_action_status)) f, unnest(enum_range(NULL::risk_action_status)) s
 WHERE f <> s AND NOT EXISTS (SELECT 1 FROM risk_transition r WHERE r.workflow = 'risk_action'
                                 AND r.from_status = f::text AND r.to_status = s::text)
 ORDER BY f, s;
SELECT throws_ok($$SELECT set_action_status(-1, 'done')$$, 'P0002', NULL, 'an unknown action');

-- ---------------------------------------------------------------- a profile from the item
CREATE TEMP TABLE p AS SELECT create_profile_from_risk((SELECT id FROM t), 'counterfeit laptops CN/VN', 'red',
                                                       'Examine brand markings on laptops', 2, 'active') AS id;
SELECT is((SELECT criteria::text || ' | ' || channel || ' | ' || owner_office || ' | ' || status || ' | ' || weight
             FROM profile WHERE profile_id = (SELECT id FROM p)),
          (SELECT scope::text || ' | red | RC-BUSAN | active | 2' FROM risk_item WHERE item_id = (SELECT id FROM t)),
          'the profile has the item''s scope as criteria and its owner');
SELECT is((SELECT array_agg(item_id) FROM risk_item_profile WHERE profile_id = (SELECT id FROM p)),
          (SELECT ARRAY[id] FROM t), 'the profile keeps the link back to the item');
SELECT is((SELECT status || ' ' || profile_id FROM risk_action WHERE kind = 'targeting_profile' AND item_id = (SELECT id FROM t)),
          'done ' || (SELECT id FROM p), 'a done targeting-profile action records it');
SELECT is((SELECT count(*) FROM profile_history WHERE profile_id = (SELECT id FROM p) AND action = 'insert'), 1::bigint,
          'the profile has its own history, as any profile');
SELECT throws_ok($$SELECT create_profile_from_risk(pg_temp.decided_item(NULL), 'no scope', 'red', 'x')$$, '55000', NULL,
                 'an item without a scope cannot make a profile');
SELECT throws_ok($$SELECT create_profile_from_risk((SELECT id FROM t), 'counterfeit laptops CN/VN', 'red', 'x')$$, '23505', NULL,
                 'profile names stay unique');
SELECT throws_ok($$SELECT create_profile_from_risk((SELECT id FROM t), 'green one', 'green', 'x')$$, '23514', NULL,
                 'a profile cannot send to green');
SELECT throws_ok($$SELECT create_profile_from_risk(pg_temp.new_item(), 'too early', 'red', 'x')$$, '55000', NULL,
                 'an item whose treatment is not decided cannot make a profile');
SELECT throws_ok($$SELECT create_profile_from_risk((SELECT id FROM t), NULL, 'red', 'x')$$, '22004', NULL, 'a NULL name');

-- ---------------------------------------------------------------- review and closing
-- inspections selected by the profile at the owner's (Busan's) houses: five since it was made
-- (two hits, one critical), one before it was made, and one of another profile; none of the
-- latter two counts, nor one at another district's house
INSERT INTO profile (name, criteria, channel, description, owner_office)
VALUES ('other profile', 'origin in (CN)', 'yellow', 'other', 'NRC');
INSERT INTO inspection (declaration_id, selected_by, profile_id, inspected_on, result, extra_revenue)
SELECT d.declaration_id, 'profile', CASE WHEN n = 7 THEN (SELECT profile_id FROM profile WHERE name = 'other profile') ELSE (SELECT id FROM p) END,
       CASE WHEN n = 6 THEN current_date - 10 ELSE current_date END,
       (ARRAY['none', 'minor', 'critical', 'none', 'none', 'critical', 'critical'])[n]::inspection_result,
       CASE WHEN n = 3 THEN 1500 END
  FROM (SELECT declaration_id, row_number() OVER (ORDER BY declaration_id) n FROM declaration
         WHERE office_code IN (SELECT office_code FROM office WHERE parent_code = 'RC-BUSAN')
         ORDER BY declaration_id LIMIT 7) d;
INSERT INTO inspection (declaration_id, selected_by, profile_id, inspected_on, result)
SELECT min(declaration_id), 'profile', (SELECT id FROM p), current_date, 'critical' FROM declaration
 WHERE office_code IN (SELECT office_code FROM office WHERE parent_code = 'RC-SEOUL');
SELECT lives_ok($$SELECT link_risk_profile((SELECT id FROM t), (SELECT profile_id FROM profile WHERE name = 'other profile'))$$,
                'an existing profile is linked to the item');
SELECT throws_ok($$SELECT link_risk_profile((SELECT id FROM t), (SELECT id FROM p))$$, '23505', 'profile ' || (SELECT id FROM p) || ' is already linked to risk item ' || (SELECT id FROM t), 'a profile is linked once');
SELECT throws_ok($$SELECT link_risk_profile((SELECT id FROM t), -1)$$, 'P0002', NULL, 'linking an unknown profile');
SELECT is((SELECT inspections || ' ' || hits || ' ' || hit_rate || ' ' || critical || ' ' || extra_revenue
             FROM risk_item_review((SELECT id FROM t)) WHERE profile_id = (SELECT id FROM p)),
          '5 2 0.4 1 1500', 'the review counts the profile''s inspections since its creation, hits and hit rate');
SELECT is((SELECT ARRAY[inspections, hits] FROM risk_item_review((SELECT id FROM t)) WHERE profile_id = (SELECT id FROM p)),
          (SELECT ARRAY[count(*), count(*) FILTER (WHERE i.result IN ('minor', 'critical'))]
             FROM inspection i JOIN profile q ON q.profile_id = i.profile_id
            WHERE q.profile_id = (SELECT id FROM p) AND i.inspected_on >= q.created_at::date
              AND i.office_code IN (SELECT office_code FROM office WHERE parent_code = 'RC-BUSAN')),
          '... the same numbers as a direct count of the owning district''s inspections (Seoul''s hit is not counted)');
SELECT ok((SELECT ci_low < 0.4 AND ci_high > 0.4 FROM risk_item_review((SELECT id FROM t)) WHERE profile_id = (SELECT id FROM p)),
          'with an interval around the hit rate');
SELECT is((SELECT count(*) FROM risk_item_review((SELECT id FROM t))), 2::bigint, 'every linked profile is reviewed');
SELECT throws_ok($$SELECT * FROM risk_item_review(NULL)$$, '22004', NULL, 'a review of NULL');
SELECT throws_ok($$SELECT * FROM risk_item_review(-1)$$, 'P0002', NULL, 'a review of an unknown item');
SELECT is(set_risk_status((SELECT id FROM t), 'monitored'), 'monitored', 'the treated item is monitored');
SELECT throws_ok($$SELECT close_risk_item((SELECT id FROM t))$$, '55000', 'risk item ' || (SELECT id FROM t) || ' has 1 unfinished action(s)',
                 'an item with an unfinished action cannot be closed');
SELECT is(set_action_status((SELECT alert FROM a), 'cancelled', 'sent by phone'), 'cancelled', 'open -> cancelled');
CREATE TEMP TABLE closing AS SELECT * FROM close_risk_item((SELECT id FROM t), 'counterfeits gone');
SELECT is((SELECT array_agg(ARRAY[profile_id, inspections, hits] ORDER BY profile_id) FROM closing),
          (SELECT array_agg(ARRAY[profile_id, inspections, hits] ORDER BY profile_id) FROM risk_item_review((SELECT id FROM t))),
          'closing returns the review of the item''s profiles');
SELECT is((SELECT count(*) FROM risk_closure_review WHERE item_id = (SELECT id FROM t) AND reviewed_by = session_user), 2::bigint,
          '... and records it');
SELECT throws_ok($$UPDATE risk_closure_review SET hits = 0$$, '42501', NULL, 'a recorded review cannot be changed');
SELECT throws_ok($$DELETE FROM risk_item WHERE item_id = (SELECT id FROM t)$$, '55000', NULL, 'a closed (and reviewed) item cannot be deleted');
SELECT is((SELECT string_agg(row_data ->> 'status', ' ' ORDER BY audit_id) FROM risk_audit
            WHERE table_name = 'risk_action' AND (row_data ->> 'action_id')::bigint = (SELECT audit FROM a)),
          'open in_progress done', 'the actions'' changes are in the audit trail');
SELECT throws_ok($$DELETE FROM customs_risk.risk_action WHERE item_id = (SELECT id FROM t)$$, '55000',
                 'risk item ' || (SELECT id FROM t) || ' is closed: its actions stay as they were',
                 'a closed item''s actions cannot be deleted');
SELECT throws_ok($$DELETE FROM customs_risk.risk_item_profile WHERE item_id = (SELECT id FROM t)$$, '55000',
                 'risk item ' || (SELECT id FROM t) || ' is closed: its profile links stay as they were',
                 '... nor its profile links');
INSERT INTO customs_risk.profile (name, criteria, channel, weight, description, status, valid_from, owner_office)
SELECT 't unlinked', 'hs <@ 61', 'yellow', 1, 'x', 'draft', '2020-01-01', i.owner_office
  FROM customs_risk.risk_item i WHERE i.item_id = (SELECT id FROM t)
RETURNING profile_id AS unlinked \gset
SELECT throws_ok(format('SELECT link_risk_profile(%s, %s)', (SELECT id FROM t), :unlinked),
                 '55000', NULL, '... and no profile is linked to it any more');

-- a treatment comes with its reasons whatever path sets it, and never with the report
SELECT pg_temp.new_item() AS plain_item \gset
SELECT assess_risk_item(:plain_item, 4, 3) IS NOT NULL AS assessed \gset
SELECT throws_ok(format($$UPDATE customs_risk.risk_item SET status = 'treatment_decided', treatment = 'treat' WHERE item_id = %s$$,
                        :plain_item),
                 '23514', NULL, 'a treatment set by a plain UPDATE without a rationale is refused');
SELECT throws_ok($$INSERT INTO customs_risk.risk_item (source, category, title, description, owner_office, treatment, treatment_rationale)
                   VALUES ('intelligence', 'revenue', 't preset', 'x', 'RC-BUSAN', 'treat', 'because')$$,
                 '55000', NULL, 'a new item cannot come with a treatment');
-- a profile made from an item can be deleted after the item closed (its foreign key clears the
-- action's profile_id); an item moved to another owner takes its actions and links along
SELECT pg_temp.decided_item() AS moving_item \gset
SELECT add_risk_action(:moving_item, 'other', 'x', 'RC-BUSAN', '2030-01-01') AS moving_action \gset
UPDATE customs_risk.risk_item SET owner_office = 'RC-SEOUL' WHERE item_id = :moving_item;
SELECT is((SELECT owner_office FROM risk_action WHERE action_id = :moving_action), 'RC-SEOUL',
          'an item''s new owner takes over its actions');
SELECT lives_ok(format($$DELETE FROM customs_risk.profile WHERE profile_id = %s$$,
                       (SELECT a.profile_id FROM risk_action a JOIN risk_item i USING (item_id)
                         WHERE i.status = 'closed' AND a.profile_id IS NOT NULL LIMIT 1)),
                'a profile made from an item can be deleted after the item closed');
SELECT * FROM finish();
ROLLBACK;
