
-- ===========================================================================
-- Treatment coordination: the treatment decision, its actions (targeting
-- profiles, post-clearance audits, alerts to other agencies), and the review of
-- an item's profiles when it is closed
-- ===========================================================================

CREATE TYPE customs_risk.risk_action_kind AS ENUM ('targeting_profile', 'post_clearance_audit', 'agency_alert', 'other');
COMMENT ON TYPE customs_risk.risk_action_kind IS
    'what a treatment action is: a targeting profile, a post-clearance audit, an alert to another agency, other';

CREATE TYPE customs_risk.risk_action_status AS ENUM ('open', 'in_progress', 'done', 'cancelled');
COMMENT ON TYPE customs_risk.risk_action_status IS
    'status of a treatment action: open, in_progress, done, cancelled (changes allowed by risk_transition)';

-- A transition names statuses of its workflow (a misspelt one would never apply), and none
-- leaves a closed item: a closed item never changes (risk_item_check), so such a row would be
-- a rule that seems to hold and does nothing.
ALTER TABLE customs_risk.risk_transition
    ADD CONSTRAINT risk_transition_statuses CHECK (CASE workflow
        WHEN 'risk_item' THEN from_status::customs_risk.risk_status IS NOT NULL AND to_status::customs_risk.risk_status IS NOT NULL
        ELSE from_status::customs_risk.risk_action_status IS NOT NULL AND to_status::customs_risk.risk_action_status IS NOT NULL END),
    ADD CONSTRAINT risk_transition_closed_is_final CHECK (NOT (workflow = 'risk_item' AND from_status = 'closed' AND allowed));

CREATE TABLE customs_risk.risk_action (
    action_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id bigint NOT NULL REFERENCES customs_risk.risk_item (item_id) ON DELETE CASCADE,
    kind customs_risk.risk_action_kind NOT NULL,
    description text NOT NULL CHECK (description <> ''),
    assigned_office text COLLATE "C" NOT NULL REFERENCES customs_risk.office (office_code),
    assigned_unit text CHECK (assigned_unit <> ''),
    agency text CHECK (agency <> ''),
    profile_id bigint REFERENCES customs_risk.profile (profile_id) ON DELETE SET NULL,
    due_on date NOT NULL CHECK (due_on BETWEEN '2000-01-01' AND '2200-12-31'),
    status customs_risk.risk_action_status NOT NULL DEFAULT 'open',
    status_note text,
    owner_office text COLLATE "C" NOT NULL REFERENCES customs_risk.office (office_code),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL DEFAULT session_user,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL DEFAULT current_user,
    finished_at timestamptz,
    CONSTRAINT risk_action_agency CHECK ((kind = 'agency_alert') = (agency IS NOT NULL)),
    CONSTRAINT risk_action_finished_at CHECK ((status IN ('done', 'cancelled')) = (finished_at IS NOT NULL))
);
CREATE INDEX risk_action_item_idx ON customs_risk.risk_action (item_id);
CREATE INDEX risk_action_assigned_idx ON customs_risk.risk_action (assigned_office, due_on) WHERE status IN ('open', 'in_progress');
COMMENT ON TABLE customs_risk.risk_action IS
    'actions that carry out a risk item''s treatment, each assigned to an office (and a department in it) with a due date and a status';
COMMENT ON COLUMN customs_risk.risk_action.action_id IS 'action number (generated)';
COMMENT ON COLUMN customs_risk.risk_action.item_id IS 'the risk item it treats';
COMMENT ON COLUMN customs_risk.risk_action.kind IS 'targeting_profile, post_clearance_audit, agency_alert or other';
COMMENT ON COLUMN customs_risk.risk_action.description IS 'what is to be done';
COMMENT ON COLUMN customs_risk.risk_action.assigned_office IS 'the office (national centre, district or house) that carries it out';
COMMENT ON COLUMN customs_risk.risk_action.assigned_unit IS 'the department within that office, e.g. post-clearance audit; NULL for the office as a whole';
COMMENT ON COLUMN customs_risk.risk_action.agency IS 'for an agency alert, the agency alerted; NULL otherwise';
COMMENT ON COLUMN customs_risk.risk_action.profile_id IS 'for a targeting-profile action, the profile created; NULL otherwise';
COMMENT ON COLUMN customs_risk.risk_action.due_on IS 'when it is due';
COMMENT ON COLUMN customs_risk.risk_action.status IS 'open, in_progress, done or cancelled';
COMMENT ON COLUMN customs_risk.risk_action.status_note IS 'why the status last changed';
COMMENT ON COLUMN customs_risk.risk_action.owner_office IS 'the owner of the risk item (row-level security filters on it)';
COMMENT ON COLUMN customs_risk.risk_action.created_at IS 'when it was ordered';
COMMENT ON COLUMN customs_risk.risk_action.created_by IS 'the session user who ordered it';
COMMENT ON COLUMN customs_risk.risk_action.updated_at IS 'when it last changed';
COMMENT ON COLUMN customs_risk.risk_action.updated_by IS 'who last changed it (the role in effect)';
COMMENT ON COLUMN customs_risk.risk_action.finished_at IS 'when it was done or cancelled; NULL while open';

-- Stamp an action, start it open, keep its owner the item's, enforce the status transitions.
CREATE FUNCTION customs_risk.risk_action_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    item customs_risk.risk_item;
BEGIN
    IF customs_risk.restoring() THEN
        RETURN NEW;
    END IF;
    -- a profile deleted: its foreign key clears profile_id, whatever the action's state
    IF TG_OP = 'UPDATE' AND NEW.profile_id IS NULL AND OLD.profile_id IS NOT NULL
       AND (pg_catalog.to_jsonb(NEW) - 'profile_id') = (pg_catalog.to_jsonb(OLD) - 'profile_id') THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status IN ('done', 'cancelled') AND NOT customs_risk.is_national() THEN
        RAISE EXCEPTION 'action % is %: it no longer changes', OLD.action_id, OLD.status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.item_id <> OLD.item_id THEN
        RAISE EXCEPTION 'action % cannot move to another risk item', OLD.action_id
            USING ERRCODE = 'feature_not_supported', HINT = 'Cancel it and add an action to the other item.';
    END IF;
    IF TG_OP = 'INSERT' THEN
        -- FOR SHARE: an item being closed at the same moment waits, and its check then sees this
        -- action (an update never makes an action unfinished again, and an assignee may hold no
        -- UPDATE right on items, which a row lock needs)
        SELECT * INTO item FROM customs_risk.risk_item i WHERE i.item_id = NEW.item_id FOR SHARE;
    ELSE
        SELECT * INTO item FROM customs_risk.risk_item i WHERE i.item_id = NEW.item_id;
    END IF;
    IF TG_OP = 'UPDATE' AND item.status = 'closed' THEN
        RAISE EXCEPTION 'risk item % is closed: its actions cannot change', item.item_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'open' THEN
            RAISE EXCEPTION 'a new action starts as open, not %', NEW.status USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF item.status NOT IN ('treatment_decided', 'monitored') THEN
            RAISE EXCEPTION 'risk item % is %: actions follow a treatment decision', item.item_id, item.status
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Decide its treatment first (decide_treatment).';
        END IF;
        NEW.created_at := now();
        NEW.created_by := session_user;
    ELSE
        -- the assignee moves the status along and notes why; the rest is the item owner's (an
        -- assignee may not even see the item, so the owner is the action's own)
        IF NOT customs_risk.is_national() AND OLD.owner_office IS DISTINCT FROM customs_risk.my_analyst_district()
           AND (pg_catalog.to_jsonb(NEW) - ARRAY['status', 'status_note', 'updated_at', 'updated_by', 'finished_at'])
               IS DISTINCT FROM (pg_catalog.to_jsonb(OLD) - ARRAY['status', 'status_note', 'updated_at', 'updated_by', 'finished_at']) THEN
            RAISE EXCEPTION 'action %: its assignee moves its status along; the rest is the item owner''s', OLD.action_id
                USING ERRCODE = 'insufficient_privilege', HINT = 'Use set_action_status.';
        END IF;
        NEW.created_at := OLD.created_at;
        NEW.created_by := OLD.created_by;
        PERFORM customs_risk.check_risk_transition('risk_action', format('action %s', OLD.action_id),
                                                   OLD.status::text, NEW.status::text);
    END IF;
    -- the item's owner; an assignee that cannot see the item keeps the action's
    NEW.owner_office := coalesce(item.owner_office, OLD.owner_office);
    NEW.finished_at := CASE WHEN NEW.status NOT IN ('done', 'cancelled') THEN NULL
                            WHEN TG_OP = 'UPDATE' AND OLD.status = NEW.status THEN OLD.finished_at ELSE now() END;
    NEW.updated_at := now();
    NEW.updated_by := current_user;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_action_check() IS
    'trigger: stamp a treatment action, start it open (only for an item whose treatment is decided), give it the item''s owner, enforce its status transitions';
CREATE TRIGGER risk_action_check BEFORE INSERT OR UPDATE ON customs_risk.risk_action
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_action_check();
CREATE TRIGGER risk_action_identity BEFORE INSERT OR UPDATE ON customs_risk.risk_action
    FOR EACH ROW EXECUTE FUNCTION customs_risk.identity_guard('action_id');
CREATE TRIGGER risk_action_audit AFTER INSERT OR UPDATE OR DELETE ON customs_risk.risk_action
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_audit_row('item_id', '', 'owner_office');

-- Profiles made for an item keep the link back.
CREATE TABLE customs_risk.risk_item_profile (
    item_id bigint NOT NULL REFERENCES customs_risk.risk_item (item_id) ON DELETE CASCADE,
    profile_id bigint NOT NULL REFERENCES customs_risk.profile (profile_id) ON DELETE CASCADE,
    owner_office text COLLATE "C" NOT NULL REFERENCES customs_risk.office (office_code),
    linked_at timestamptz NOT NULL DEFAULT now(),
    linked_by text NOT NULL DEFAULT session_user,
    PRIMARY KEY (item_id, profile_id)
);
CREATE INDEX risk_item_profile_profile_idx ON customs_risk.risk_item_profile (profile_id);
COMMENT ON TABLE customs_risk.risk_item_profile IS 'targeting profiles that treat a risk item (reviewed when the item is closed)';
COMMENT ON COLUMN customs_risk.risk_item_profile.item_id IS 'the risk item';
COMMENT ON COLUMN customs_risk.risk_item_profile.profile_id IS 'a profile that treats it';
COMMENT ON COLUMN customs_risk.risk_item_profile.owner_office IS 'the owner of the risk item';
COMMENT ON COLUMN customs_risk.risk_item_profile.linked_at IS 'when the link was made';
COMMENT ON COLUMN customs_risk.risk_item_profile.linked_by IS 'the session user who made it';
CREATE TRIGGER risk_item_profile_check BEFORE INSERT OR UPDATE ON customs_risk.risk_item_profile
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_link_check();

-- A closed item is the record of a risk: its actions and profile links stay as they were when
-- it closed (updates of its actions are refused by risk_action_check).  Definer's rights, to
-- read the item's status whoever deletes; a trigger function, so it cannot be called to probe
-- an item.  A deleted profile's links go with it (a cascade, pg_trigger_depth() > 1): the
-- review recorded at the close keeps what the profile was.
CREATE FUNCTION customs_risk.risk_item_keep_record() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    item bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        item := OLD.item_id;
    ELSE
        item := NEW.item_id;
    END IF;
    IF NOT customs_risk.restoring() AND NOT (TG_OP = 'DELETE' AND pg_catalog.pg_trigger_depth() > 1)
       AND EXISTS (SELECT 1 FROM customs_risk.risk_item i WHERE i.item_id = item AND i.status = 'closed') THEN
        RAISE EXCEPTION 'risk item % is closed: its % stay as they were', item, TG_ARGV[0]
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_item_keep_record() IS
    'trigger: refuse to add or delete the actions and profile links of a closed risk item (argument: what the rows are, for the message)';
REVOKE EXECUTE ON FUNCTION customs_risk.risk_item_keep_record() FROM PUBLIC;   -- as risk_item_closing()
CREATE TRIGGER risk_item_profile_keep_record BEFORE INSERT OR DELETE ON customs_risk.risk_item_profile
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_item_keep_record('profile links');
CREATE TRIGGER risk_action_keep_record BEFORE DELETE ON customs_risk.risk_action
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_item_keep_record('actions');

-- An item given another owner (by the national centre) takes its actions, profile links and
-- own links along: they belong to the item's owner, who must see and finish them.
CREATE FUNCTION customs_risk.risk_item_owner_moves() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF customs_risk.restoring() THEN
        RETURN NULL;
    END IF;
    UPDATE customs_risk.risk_action a SET owner_office = NEW.owner_office
     WHERE a.item_id = NEW.item_id AND a.owner_office = OLD.owner_office;
    UPDATE customs_risk.risk_item_profile l SET owner_office = NEW.owner_office
     WHERE l.item_id = NEW.item_id AND l.owner_office = OLD.owner_office;
    UPDATE customs_risk.risk_item_link l SET owner_office = NEW.owner_office
     WHERE l.item_a = NEW.item_id AND l.owner_office = OLD.owner_office;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_item_owner_moves() IS
    'trigger: a risk item''s new owner takes over its actions, profile links and links';
REVOKE EXECUTE ON FUNCTION customs_risk.risk_item_owner_moves() FROM PUBLIC;
CREATE TRIGGER risk_item_owner_moves AFTER UPDATE OF owner_office ON customs_risk.risk_item
    FOR EACH ROW WHEN (NEW.owner_office IS DISTINCT FROM OLD.owner_office)
    EXECUTE FUNCTION customs_risk.risk_item_owner_moves();
CREATE TRIGGER risk_item_profile_audit AFTER INSERT OR UPDATE OR DELETE ON customs_risk.risk_item_profile
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_audit_row('item_id', '', 'owner_office');

-- Functions of the treatment -----------------------------------------------------------

CREATE FUNCTION customs_risk.decide_treatment(item_id bigint, treatment customs_risk.risk_treatment, rationale text)
RETURNS customs_risk.risk_status
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r customs_risk.risk_item := customs_risk.risk_item_row(item_id, true);
BEGIN
    IF treatment IS NULL OR rationale IS NULL OR rationale = '' THEN
        RAISE EXCEPTION 'decide_treatment needs a treatment and a rationale' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    UPDATE customs_risk.risk_item i
       SET treatment = decide_treatment.treatment, treatment_rationale = rationale, status = 'treatment_decided',
           status_note = format('treatment: %s', decide_treatment.treatment)
     WHERE i.item_id = r.item_id;
    RETURN 'treatment_decided';
END
$fn$;
COMMENT ON FUNCTION customs_risk.decide_treatment(bigint, customs_risk.risk_treatment, text) IS
    'decide an analysed item''s treatment (tolerate, treat, transfer, terminate) with its rationale; the item becomes treatment_decided (a decided one may be changed until it is monitored)';

CREATE FUNCTION customs_risk.add_risk_action(item_id bigint, kind customs_risk.risk_action_kind, description text,
                                             assigned_office text, due_on date, assigned_unit text DEFAULT NULL,
                                             agency text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r customs_risk.risk_item := customs_risk.risk_item_row(item_id, true);
    result bigint;
BEGIN
    IF kind IS NULL OR description IS NULL OR assigned_office IS NULL OR due_on IS NULL THEN
        RAISE EXCEPTION 'add_risk_action needs a kind, a description, an assigned office and a due date'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM customs_risk.office o WHERE o.office_code = assigned_office) THEN
        RAISE EXCEPTION 'office % does not exist', quote_literal(assigned_office) USING ERRCODE = 'no_data_found';
    END IF;
    IF kind = 'targeting_profile' THEN
        RAISE EXCEPTION 'a targeting-profile action is made by create_profile_from_risk()' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO customs_risk.risk_action (item_id, kind, description, assigned_office, assigned_unit, agency, due_on, owner_office)
    VALUES (r.item_id, kind, description, assigned_office, assigned_unit, agency, due_on, r.owner_office)
    RETURNING action_id INTO result;
    RETURN result;
END
$fn$;
COMMENT ON FUNCTION customs_risk.add_risk_action(bigint, customs_risk.risk_action_kind, text, text, date, text, text) IS
    'order a treatment action for an item whose treatment is decided: a post-clearance audit, an agency alert (agency named) or other, assigned to an office (and department) with a due date; returns its id';

CREATE FUNCTION customs_risk.order_post_clearance_audit(item_id bigint, assigned_office text, due_on date,
                                                        description text, assigned_unit text DEFAULT 'post-clearance audit')
RETURNS bigint
LANGUAGE sql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT customs_risk.add_risk_action(item_id, 'post_clearance_audit', description, assigned_office, due_on, assigned_unit)
$fn$;
COMMENT ON FUNCTION customs_risk.order_post_clearance_audit(bigint, text, date, text, text) IS
    'order a post-clearance audit of the declarations and traders in an item''s scope; returns the action id';

CREATE FUNCTION customs_risk.alert_agency(item_id bigint, agency text, assigned_office text, due_on date, description text)
RETURNS bigint
LANGUAGE sql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT customs_risk.add_risk_action(item_id, 'agency_alert', description, assigned_office, due_on, NULL, agency)
$fn$;
COMMENT ON FUNCTION customs_risk.alert_agency(bigint, text, text, date, text) IS
    'order an alert to another agency (named), sent by the assigned office by the due date; returns the action id';

CREATE FUNCTION customs_risk.set_action_status(action_id bigint, status customs_risk.risk_action_status, note text DEFAULT NULL)
RETURNS customs_risk.risk_action_status
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF action_id IS NULL OR status IS NULL THEN
        RAISE EXCEPTION 'set_action_status needs an action id and a status' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    UPDATE customs_risk.risk_action a SET status = set_action_status.status, status_note = note
     WHERE a.action_id = set_action_status.action_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'action % does not exist', action_id USING ERRCODE = 'no_data_found';
    END IF;
    RETURN status;
END
$fn$;
COMMENT ON FUNCTION customs_risk.set_action_status(bigint, customs_risk.risk_action_status, text) IS
    'move a treatment action to a status (open -> in_progress or cancelled, in_progress -> done or cancelled); any other change is refused (55000)';

-- A targeting profile from an item: its scope becomes the criteria, its owner the owner.
CREATE FUNCTION customs_risk.create_profile_from_risk(item_id bigint, name text, channel customs_risk.channel,
                                                      description text, weight float8 DEFAULT 1,
                                                      status customs_risk.profile_status DEFAULT 'draft',
                                                      valid_from date DEFAULT current_date, valid_to date DEFAULT NULL,
                                                      scope_offices text[] DEFAULT NULL, due_on date DEFAULT current_date)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r customs_risk.risk_item := customs_risk.risk_item_row(item_id, true);
    pid bigint;
    aid bigint;
BEGIN
    IF name IS NULL OR channel IS NULL OR description IS NULL OR weight IS NULL OR status IS NULL
       OR valid_from IS NULL OR due_on IS NULL THEN
        RAISE EXCEPTION 'create_profile_from_risk needs a name, a channel, a description, a weight, a status, valid_from and due_on'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF r.scope IS NULL THEN
        RAISE EXCEPTION 'risk item % has no scope to target', r.item_id
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Set its scope (criteria) first.';
    END IF;
    -- the action first: it refuses an item whose treatment is not decided
    INSERT INTO customs_risk.risk_action (item_id, kind, description, assigned_office, due_on, owner_office)
    VALUES (r.item_id, 'targeting_profile', format('targeting profile %s', name), r.owner_office, due_on, r.owner_office)
    RETURNING action_id INTO aid;
    INSERT INTO customs_risk.profile (name, criteria, channel, weight, description, status, valid_from, valid_to,
                                      owner_office, scope_offices)
    VALUES (name, r.scope, channel, weight, description, status, valid_from, valid_to, r.owner_office, scope_offices)
    RETURNING profile_id INTO pid;
    INSERT INTO customs_risk.risk_item_profile (item_id, profile_id, owner_office) VALUES (r.item_id, pid, r.owner_office);
    -- the profile exists: the action is done
    UPDATE customs_risk.risk_action a SET profile_id = pid, status = 'in_progress' WHERE a.action_id = aid;
    UPDATE customs_risk.risk_action a SET status = 'done', status_note = format('profile %s created', pid)
     WHERE a.action_id = aid;
    RETURN pid;
END
$fn$;
COMMENT ON FUNCTION customs_risk.create_profile_from_risk(bigint, text, customs_risk.channel, text, float8,
                                                          customs_risk.profile_status, date, date, text[], date) IS
    'create a targeting profile from a risk item whose treatment is decided: the item''s scope as criteria, its owner as owner; links it to the item and records a done targeting-profile action; returns the profile id';

CREATE FUNCTION customs_risk.link_risk_profile(item_id bigint, profile_id bigint) RETURNS void
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r customs_risk.risk_item := customs_risk.risk_item_row(item_id, true);
BEGIN
    IF profile_id IS NULL THEN
        RAISE EXCEPTION 'profile id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM customs_risk.profile p WHERE p.profile_id = link_risk_profile.profile_id) THEN
        RAISE EXCEPTION 'profile % does not exist', profile_id USING ERRCODE = 'no_data_found';
    END IF;
    IF EXISTS (SELECT 1 FROM customs_risk.risk_item_profile l
                WHERE l.item_id = r.item_id AND l.profile_id = link_risk_profile.profile_id) THEN
        RAISE EXCEPTION 'profile % is already linked to risk item %', profile_id, r.item_id USING ERRCODE = 'unique_violation';
    END IF;
    INSERT INTO customs_risk.risk_item_profile (item_id, profile_id, owner_office)
    VALUES (r.item_id, link_risk_profile.profile_id, r.owner_office);
END
$fn$;
COMMENT ON FUNCTION customs_risk.link_risk_profile(bigint, bigint) IS
    'link an existing targeting profile to a risk item it treats, so the item''s review covers it (23505 when already linked)';

-- The review -------------------------------------------------------------------------------

CREATE FUNCTION customs_risk.risk_item_review(item_id bigint)
RETURNS TABLE (profile_id bigint, name text, profile_status customs_risk.profile_status, created_at timestamptz,
               inspections bigint, hits bigint, hit_rate float8, ci_low float8, ci_high float8,
               critical bigint, extra_revenue float8)
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    owner text;
    owner_level customs_risk.office_level;
BEGIN
    IF item_id IS NULL THEN
        RAISE EXCEPTION 'risk item id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT i.owner_office, o.level INTO owner, owner_level
      FROM customs_risk.risk_item i JOIN customs_risk.office o ON o.office_code = i.owner_office
     WHERE i.item_id = risk_item_review.item_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'risk item % does not exist', item_id USING ERRCODE = 'no_data_found';
    END IF;
    RETURN QUERY
    SELECT p.profile_id, p.name, p.status, p.created_at,
           customs_risk.inspections(s.c), customs_risk.hits(s.c), customs_risk.hit_rate(s.c),
           (customs_risk.wilson_interval(s.c))[1], (customs_risk.wilson_interval(s.c))[2],
           customs_risk.critical_findings(s.c), customs_risk.extra_revenue(s.c)
      FROM customs_risk.risk_item_profile l
      JOIN customs_risk.profile p ON p.profile_id = l.profile_id
      CROSS JOIN LATERAL (
          -- the inspections the profile selected since it was made; a hit is a minor or critical finding
          SELECT customs_risk.compliance(true, x.result IN ('minor', 'critical'), x.result = 'critical',
                                         x.extra_revenue::float8) AS c
            FROM customs_risk.inspection x
           WHERE x.profile_id = p.profile_id AND x.inspected_on >= p.created_at::date
             -- a district's item counts its own houses' inspections, as it could itself
             AND (owner_level = 'national'
                  OR x.office_code IN (SELECT h.office_code FROM customs_risk.office h WHERE h.parent_code = owner))) s
     WHERE l.item_id = risk_item_review.item_id
     ORDER BY p.profile_id;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_item_review(bigint) IS
    'the targeting profiles linked to a risk item, each with the inspections it selected since it was created, hits (minor or critical findings), hit rate and its 95% Wilson interval, critical findings and extra revenue';

CREATE TABLE customs_risk.risk_closure_review (
    item_id bigint NOT NULL REFERENCES customs_risk.risk_item (item_id),   -- a reviewed item is kept
    profile_id bigint NOT NULL,
    name text NOT NULL,
    profile_status customs_risk.profile_status NOT NULL,
    inspections bigint NOT NULL,
    hits bigint NOT NULL,
    hit_rate float8,
    ci_low float8,
    ci_high float8,
    critical bigint NOT NULL,
    extra_revenue float8 NOT NULL,
    owner_office text COLLATE "C" NOT NULL,
    reviewed_at timestamptz NOT NULL DEFAULT now(),
    reviewed_by text NOT NULL DEFAULT session_user,
    PRIMARY KEY (item_id, profile_id, reviewed_at)
);
COMMENT ON TABLE customs_risk.risk_closure_review IS
    'the review of a risk item''s profiles recorded when the item was closed (risk_item_review at that moment)';
COMMENT ON COLUMN customs_risk.risk_closure_review.item_id IS 'the risk item closed';
COMMENT ON COLUMN customs_risk.risk_closure_review.profile_id IS 'a profile linked to it';
COMMENT ON COLUMN customs_risk.risk_closure_review.name IS 'the profile''s name then';
COMMENT ON COLUMN customs_risk.risk_closure_review.profile_status IS 'the profile''s status then';
COMMENT ON COLUMN customs_risk.risk_closure_review.inspections IS 'inspections it selected since it was created';
COMMENT ON COLUMN customs_risk.risk_closure_review.hits IS 'those that found something (minor or critical)';
COMMENT ON COLUMN customs_risk.risk_closure_review.hit_rate IS 'hits / inspections with a result; NULL without any';
COMMENT ON COLUMN customs_risk.risk_closure_review.ci_low IS 'lower end of the 95% Wilson interval of the hit rate';
COMMENT ON COLUMN customs_risk.risk_closure_review.ci_high IS 'upper end of the 95% Wilson interval';
COMMENT ON COLUMN customs_risk.risk_closure_review.critical IS 'critical findings';
COMMENT ON COLUMN customs_risk.risk_closure_review.extra_revenue IS 'extra revenue assessed';
COMMENT ON COLUMN customs_risk.risk_closure_review.owner_office IS 'the owner of the risk item';
COMMENT ON COLUMN customs_risk.risk_closure_review.reviewed_at IS 'when the item was closed';
COMMENT ON COLUMN customs_risk.risk_closure_review.reviewed_by IS 'the session user who closed it';
CREATE TRIGGER risk_closure_review_append_only BEFORE UPDATE OR DELETE ON customs_risk.risk_closure_review
    FOR EACH ROW EXECUTE FUNCTION customs_risk.refuse_change();
CREATE TRIGGER risk_closure_review_no_truncate BEFORE TRUNCATE ON customs_risk.risk_closure_review
    FOR EACH STATEMENT EXECUTE FUNCTION customs_risk.refuse_change();

-- The count again with the latest snapshot (src/risk_close.c): under REPEATABLE READ and
-- SERIALIZABLE the closing transaction's snapshot misses an action committed while it waited
-- for the item's lock, and the lock raises no serialization failure.  PARALLEL UNSAFE: no
-- backend may take the latest snapshot in parallel mode, the leader of a Gather included.
CREATE FUNCTION customs_risk.risk_item_unfinished_now(item_id bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'risk_item_unfinished_now' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION customs_risk.risk_item_unfinished_now(bigint) IS
    'the risk item''s open and in-progress actions counted with the latest snapshot, for the closing check under REPEATABLE READ and SERIALIZABLE';
REVOKE EXECUTE ON FUNCTION customs_risk.risk_item_unfinished_now(bigint) FROM PUBLIC;

-- Closing an item: refused while actions are open; records the review of its profiles.
CREATE FUNCTION customs_risk.risk_item_closing() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    n bigint;
BEGIN
    IF customs_risk.restoring() THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO n FROM customs_risk.risk_action a
     WHERE a.item_id = NEW.item_id AND a.status IN ('open', 'in_progress');
    -- the item is locked now, so a change to its actions made after this transaction's
    -- snapshot has committed, and the latest snapshot sees it: when the two disagree on whether
    -- any is unfinished, the snapshot is out of date and a retry decides
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed'
       AND (customs_risk.risk_item_unfinished_now(NEW.item_id) > 0) <> (n > 0) THEN
        RAISE EXCEPTION 'could not close risk item %: a concurrent transaction changed its actions', NEW.item_id
            USING ERRCODE = 'serialization_failure', HINT = 'Retry the transaction.';
    END IF;
    IF n > 0 THEN
        RAISE EXCEPTION 'risk item % has % unfinished action(s)', NEW.item_id, n
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Finish or cancel them before closing the item.';
    END IF;
    INSERT INTO customs_risk.risk_closure_review (item_id, profile_id, name, profile_status, inspections, hits, hit_rate,
                                                  ci_low, ci_high, critical, extra_revenue, owner_office)
    SELECT NEW.item_id, v.profile_id, v.name, v.profile_status, v.inspections, v.hits, v.hit_rate, v.ci_low, v.ci_high,
           v.critical, v.extra_revenue, NEW.owner_office
      FROM customs_risk.risk_item_review(NEW.item_id) v;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_item_closing() IS
    'trigger: refuse to close a risk item with unfinished actions; record the review of its profiles in risk_closure_review';
REVOKE EXECUTE ON FUNCTION customs_risk.risk_item_closing() FROM PUBLIC;   -- as risk_audit_row()
CREATE TRIGGER risk_item_closing AFTER UPDATE OF status ON customs_risk.risk_item
    FOR EACH ROW WHEN (NEW.status = 'closed' AND OLD.status <> 'closed')
    EXECUTE FUNCTION customs_risk.risk_item_closing();

CREATE FUNCTION customs_risk.close_risk_item(item_id bigint, note text DEFAULT NULL)
RETURNS SETOF customs_risk.risk_closure_review
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r customs_risk.risk_item := customs_risk.risk_item_row(item_id, true);
BEGIN
    UPDATE customs_risk.risk_item i SET status = 'closed', status_note = note WHERE i.item_id = r.item_id;
    RETURN QUERY SELECT * FROM customs_risk.risk_closure_review v
                  WHERE v.item_id = r.item_id AND v.reviewed_at = now() ORDER BY v.profile_id;
END
$fn$;
COMMENT ON FUNCTION customs_risk.close_risk_item(bigint, text) IS
    'close a monitored (or dismiss a reported) risk item; refused while it has unfinished actions; returns the review of its profiles, which is recorded in risk_closure_review';

SELECT pg_catalog.pg_extension_config_dump('customs_risk.risk_action', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.risk_action_action_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.risk_item_profile', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.risk_closure_review', '');
