
-- ===========================================================================
-- Access control of the risk register (94_risk_*.sql), with the roles and scope helpers of
-- 95_access.sql.  The national centre sees and changes everything.  A district sees the items
-- it owns and those published to it or to one of its houses, and changes only its own; it sees
-- the inbox entries addressed to it or its houses and those it sent; an officer sees what was
-- published to its house.  Actions are seen by their item's owner and by the office they are
-- assigned to, which may move them along.
-- ===========================================================================

ALTER VIEW customs_risk.risk_register_v SET (security_invoker = true);

ALTER TABLE customs_risk.risk_item ENABLE ROW LEVEL SECURITY;
CREATE POLICY national_all ON customs_risk.risk_item
    TO customs_risk_admin, customs_risk_national USING (true) WITH CHECK (true);
CREATE POLICY district_read ON customs_risk.risk_item FOR SELECT TO customs_risk_district
    USING (owner_office = (SELECT customs_risk.my_district())
           OR item_id IN (SELECT e.item_id FROM customs_risk.risk_inbox e
                           WHERE e.recipient_office = ANY ((SELECT customs_risk.my_scope_codes())::pg_catalog.text[])));
CREATE POLICY district_insert ON customs_risk.risk_item FOR INSERT TO customs_risk_district
    WITH CHECK (owner_office = (SELECT customs_risk.my_district()));
-- an item it received can be locked (to pass it on to its houses), never changed: the new row
-- must still be the district's own
CREATE POLICY district_update ON customs_risk.risk_item FOR UPDATE TO customs_risk_district
    USING (owner_office = (SELECT customs_risk.my_district())
           OR item_id IN (SELECT e.item_id FROM customs_risk.risk_inbox e
                           WHERE e.recipient_office = (SELECT customs_risk.my_district())))
    WITH CHECK (owner_office = (SELECT customs_risk.my_district()));
CREATE POLICY district_delete ON customs_risk.risk_item FOR DELETE TO customs_risk_district
    USING (owner_office = (SELECT customs_risk.my_district()));
CREATE POLICY house_read ON customs_risk.risk_item FOR SELECT TO customs_risk_officer
    USING (item_id IN (SELECT e.item_id FROM customs_risk.risk_inbox e
                        WHERE e.recipient_office = (SELECT customs_risk.my_house())));

ALTER TABLE customs_risk.risk_inbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY national_all ON customs_risk.risk_inbox
    TO customs_risk_admin, customs_risk_national USING (true) WITH CHECK (true);
CREATE POLICY district_read ON customs_risk.risk_inbox FOR SELECT TO customs_risk_district
    USING (recipient_office = ANY ((SELECT customs_risk.my_scope_codes())::pg_catalog.text[])
           OR from_office = (SELECT customs_risk.my_district()));
CREATE POLICY district_publish ON customs_risk.risk_inbox FOR INSERT TO customs_risk_district
    WITH CHECK (from_office = (SELECT customs_risk.my_district()));
CREATE POLICY district_receive ON customs_risk.risk_inbox FOR UPDATE TO customs_risk_district
    USING (recipient_office = (SELECT customs_risk.my_district()))
    WITH CHECK (recipient_office = (SELECT customs_risk.my_district()));
CREATE POLICY house_receive ON customs_risk.risk_inbox TO customs_risk_officer
    USING (recipient_office = (SELECT customs_risk.my_house()))
    WITH CHECK (recipient_office = (SELECT customs_risk.my_house()));

ALTER TABLE customs_risk.risk_action ENABLE ROW LEVEL SECURITY;
CREATE POLICY national_all ON customs_risk.risk_action
    TO customs_risk_admin, customs_risk_national USING (true) WITH CHECK (true);
CREATE POLICY district_read ON customs_risk.risk_action FOR SELECT TO customs_risk_district
    USING (owner_office = (SELECT customs_risk.my_district())
           OR assigned_office = ANY ((SELECT customs_risk.my_scope_codes())::pg_catalog.text[]));
-- a district assigns actions within its district: work for another district's houses goes
-- through the national centre, which assigns anywhere
CREATE POLICY district_insert ON customs_risk.risk_action FOR INSERT TO customs_risk_district
    WITH CHECK (owner_office = (SELECT customs_risk.my_district())
                AND assigned_office = ANY ((SELECT customs_risk.my_scope_codes())::pg_catalog.text[]));
CREATE POLICY district_update ON customs_risk.risk_action FOR UPDATE TO customs_risk_district
    USING (owner_office = (SELECT customs_risk.my_district())
           OR assigned_office = ANY ((SELECT customs_risk.my_scope_codes())::pg_catalog.text[]))
    WITH CHECK (assigned_office = ANY ((SELECT customs_risk.my_scope_codes())::pg_catalog.text[]));
CREATE POLICY district_delete ON customs_risk.risk_action FOR DELETE TO customs_risk_district
    USING (owner_office = (SELECT customs_risk.my_district()));
CREATE POLICY house_assigned ON customs_risk.risk_action TO customs_risk_officer
    USING (assigned_office = (SELECT customs_risk.my_house()))
    WITH CHECK (assigned_office = (SELECT customs_risk.my_house()));

-- links, profile links and closure reviews belong to their item's owner
ALTER TABLE customs_risk.risk_item_link ENABLE ROW LEVEL SECURITY;
CREATE POLICY national_all ON customs_risk.risk_item_link
    TO customs_risk_admin, customs_risk_national USING (true) WITH CHECK (true);
CREATE POLICY district_own ON customs_risk.risk_item_link TO customs_risk_district
    USING (owner_office = (SELECT customs_risk.my_district()))
    WITH CHECK (owner_office = (SELECT customs_risk.my_district()));
ALTER TABLE customs_risk.risk_item_profile ENABLE ROW LEVEL SECURITY;
CREATE POLICY national_all ON customs_risk.risk_item_profile
    TO customs_risk_admin, customs_risk_national USING (true) WITH CHECK (true);
CREATE POLICY district_own ON customs_risk.risk_item_profile TO customs_risk_district
    USING (owner_office = (SELECT customs_risk.my_district()))
    WITH CHECK (owner_office = (SELECT customs_risk.my_district()));
ALTER TABLE customs_risk.risk_closure_review ENABLE ROW LEVEL SECURITY;
CREATE POLICY national_all ON customs_risk.risk_closure_review
    TO customs_risk_admin, customs_risk_national USING (true) WITH CHECK (true);
CREATE POLICY district_read ON customs_risk.risk_closure_review FOR SELECT TO customs_risk_district
    USING (owner_office = (SELECT customs_risk.my_district()));

-- the audit trail: a district reads what concerns it or its houses, an officer its house's
ALTER TABLE customs_risk.risk_audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY national_all ON customs_risk.risk_audit
    TO customs_risk_admin, customs_risk_national USING (true) WITH CHECK (true);
CREATE POLICY district_read ON customs_risk.risk_audit FOR SELECT TO customs_risk_district
    USING (owner_office = ANY ((SELECT customs_risk.my_scope_codes())::pg_catalog.text[]));
CREATE POLICY house_read ON customs_risk.risk_audit FOR SELECT TO customs_risk_officer
    USING (owner_office = (SELECT customs_risk.my_house()));

GRANT SELECT ON customs_risk.risk_matrix, customs_risk.risk_transition
    TO customs_risk_admin, customs_risk_national, customs_risk_district, customs_risk_officer;
GRANT INSERT, UPDATE, DELETE ON customs_risk.risk_matrix, customs_risk.risk_transition TO customs_risk_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON customs_risk.risk_item_link, customs_risk.risk_item_profile
    TO customs_risk_admin, customs_risk_national, customs_risk_district;
-- Ids are generated, never written: column privileges without them make OVERRIDING SYSTEM VALUE
-- and an id change fail at the privilege check (identity_guard() catches the rest).
GRANT SELECT, DELETE ON customs_risk.risk_item, customs_risk.risk_action
    TO customs_risk_admin, customs_risk_national, customs_risk_district;
GRANT INSERT (source, source_reference, category, title, description, scope, likelihood, consequence, owner_office,
              status, status_note, treatment, treatment_rationale),
      UPDATE (source, source_reference, category, title, description, scope, likelihood, consequence, owner_office,
              status, status_note, treatment, treatment_rationale, reported_at, reported_by, updated_at, updated_by,
              closed_at)
    ON customs_risk.risk_item TO customs_risk_admin, customs_risk_national, customs_risk_district;
GRANT INSERT (item_id, kind, description, assigned_office, assigned_unit, agency, profile_id, due_on, status,
              status_note, owner_office),
      UPDATE (item_id, kind, description, assigned_office, assigned_unit, agency, profile_id, due_on, status,
              status_note, owner_office, created_at, created_by, updated_at, updated_by, finished_at)
    ON customs_risk.risk_action TO customs_risk_admin, customs_risk_national, customs_risk_district;
GRANT SELECT ON customs_risk.risk_inbox TO customs_risk_admin, customs_risk_national, customs_risk_district;
GRANT INSERT (item_id, from_office, recipient_office, published_at, published_by, deadline),
      UPDATE (item_id, from_office, recipient_office, published_at, published_by, deadline, read_at, read_by,
              acknowledged_at, acknowledged_by)
    ON customs_risk.risk_inbox TO customs_risk_admin, customs_risk_national, customs_risk_district;
GRANT SELECT ON customs_risk.risk_audit, customs_risk.risk_closure_review, customs_risk.risk_register_v
    TO customs_risk_admin, customs_risk_national, customs_risk_district;
GRANT SELECT ON customs_risk.risk_item, customs_risk.risk_register_v, customs_risk.risk_audit
    TO customs_risk_officer;
GRANT SELECT ON customs_risk.risk_inbox, customs_risk.risk_action TO customs_risk_officer;
GRANT UPDATE (deadline, read_at, read_by, acknowledged_at, acknowledged_by) ON customs_risk.risk_inbox TO customs_risk_officer;
GRANT UPDATE (kind, description, assigned_office, assigned_unit, agency, profile_id, due_on, status, status_note,
              owner_office, created_at, created_by, updated_at, updated_by, finished_at)
    ON customs_risk.risk_action TO customs_risk_officer;
