
-- ===========================================================================
-- Access control for the two-level structure: group roles a DBA grants, the
-- binding of a login to one district or one customs house, and row-level
-- security on the district data.  National roles see every row; a district
-- analyst sees and changes its district's rows; a customs-house officer reads
-- its house's declarations, decisions and reasons (never a profile's criteria);
-- only the administrator reads the random-selection key.
-- ===========================================================================

-- Group roles.  Roles are cluster-wide: another database's install may have made them already,
-- and DROP EXTENSION leaves them (they may serve other databases); see the README for removal.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'customs_risk_admin') THEN
        CREATE ROLE customs_risk_admin NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'customs_risk_national') THEN
        CREATE ROLE customs_risk_national NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'customs_risk_district') THEN
        CREATE ROLE customs_risk_district NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'customs_risk_officer') THEN
        CREATE ROLE customs_risk_officer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'customs_risk_bi') THEN
        CREATE ROLE customs_risk_bi NOLOGIN;
    END IF;
END
$$;

-- Binding a login to its district (district analyst) or customs house (officer) -------------

CREATE TABLE customs_risk.user_scope (
    role_name name PRIMARY KEY,
    office_code text COLLATE "C" NOT NULL REFERENCES customs_risk.office (office_code),
    bound_at timestamptz NOT NULL DEFAULT now(),
    bound_by text NOT NULL DEFAULT session_user,
    role_oid oid NOT NULL       -- set from role_name by the trigger
);
COMMENT ON TABLE customs_risk.user_scope IS
    'which district (district analysts) or customs house (officers) a login role works for; kept by the administrator';
COMMENT ON COLUMN customs_risk.user_scope.role_name IS 'the login role (as current_user names it)';
COMMENT ON COLUMN customs_risk.user_scope.office_code IS 'a district centre (the role sees its houses) or a customs house (the role sees that house)';
COMMENT ON COLUMN customs_risk.user_scope.bound_at IS 'when the binding was made';
COMMENT ON COLUMN customs_risk.user_scope.bound_by IS 'the session user who made it';
COMMENT ON COLUMN customs_risk.user_scope.role_oid IS
    'the role''s OID when bound (set by the trigger): a role dropped and made again under the same name is another role, and its binding does not hold';
SELECT pg_catalog.pg_extension_config_dump('customs_risk.user_scope', '');

-- A binding names a role that exists and a district or a house (the national centre is a role
-- membership, customs_risk_national, not a binding).
CREATE FUNCTION customs_risk.user_scope_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    level customs_risk.office_level;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = NEW.role_name) THEN
        RAISE EXCEPTION 'role % does not exist', quote_ident(NEW.role_name)
            USING ERRCODE = 'undefined_object';
    END IF;
    -- the scope functions read current_user's binding: a group role bound to an office would
    -- give that office to every member that runs SET ROLE to it, and the extension's own
    -- groups have every analyst or officer as a member
    IF NEW.role_name IN ('customs_risk_admin', 'customs_risk_national', 'customs_risk_district',
                         'customs_risk_officer', 'customs_risk_bi') THEN
        RAISE EXCEPTION 'role % is one of the extension''s group roles and cannot be bound to an office', NEW.role_name
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Bind each login role.';
    END IF;
    SELECT o.level INTO level FROM customs_risk.office o WHERE o.office_code = NEW.office_code;
    IF level IS NULL OR level NOT IN ('district', 'house') THEN
        RAISE EXCEPTION 'office % is not a district centre or a customs house', coalesce(quote_literal(NEW.office_code), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'National analysts are members of customs_risk_national and need no binding.';
    END IF;
    -- the binding gives a district analyst a district and an officer a house: the other way
    -- round an officer would see a whole district, and an analyst write for one through a house
    IF level = 'house' AND pg_catalog.pg_has_role(NEW.role_name, 'customs_risk_district', 'MEMBER')
       AND NOT pg_catalog.pg_has_role(NEW.role_name, 'customs_risk_officer', 'MEMBER') THEN
        RAISE EXCEPTION 'role % is a district analyst (customs_risk_district): bind it to a district centre, not to customs house %',
                        NEW.role_name, NEW.office_code
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF level = 'district' AND pg_catalog.pg_has_role(NEW.role_name, 'customs_risk_officer', 'MEMBER')
       AND NOT pg_catalog.pg_has_role(NEW.role_name, 'customs_risk_district', 'MEMBER') THEN
        RAISE EXCEPTION 'role % is an officer (customs_risk_officer): bind it to a customs house, not to district centre %',
                        NEW.role_name, NEW.office_code
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    NEW.role_oid := (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = NEW.role_name);
    NEW.bound_at := now();
    NEW.bound_by := session_user;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION customs_risk.user_scope_check() IS
    'trigger: a user_scope row names an existing role and a district or house; stamps who bound it and when';
CREATE TRIGGER user_scope_check BEFORE INSERT OR UPDATE ON customs_risk.user_scope
    FOR EACH ROW EXECUTE FUNCTION customs_risk.user_scope_check();
-- A session's matcher holds the profiles its role may see, and is rebuilt when the version
-- moves: a new binding changes what the role sees, so it moves the version too.
CREATE TRIGGER user_scope_moves_profile_set AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customs_risk.user_scope
    FOR EACH STATEMENT EXECUTE FUNCTION customs_risk.profile_set_touch();
ALTER TABLE customs_risk.user_scope ENABLE ALWAYS TRIGGER user_scope_moves_profile_set;

-- A role's binding, or no row.  A binding holds for the role it was made for (a role dropped
-- and made again under its name is another role) and at its level: a member of
-- customs_risk_officer that is not a district analyst takes a house binding only, a district
-- analyst that is not an officer a district binding only, whatever the memberships were when
-- it was bound.  Plain (invoker) SQL: called by a role, the user_scope policy lets it read its
-- own row only; decide_as_owner() calls it with its owner's rights for decide()'s caller.
CREATE FUNCTION customs_risk.binding_of(role_id oid, OUT office_code text, OUT level customs_risk.office_level,
                                        OUT parent_code text)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT o.office_code, o.level, o.parent_code
      FROM customs_risk.user_scope s
      JOIN customs_risk.office o ON o.office_code = s.office_code
      JOIN pg_catalog.pg_roles r ON r.rolname = s.role_name AND r.oid = s.role_oid
     WHERE s.role_oid = binding_of.role_id
       AND CASE o.level
           WHEN 'house' THEN pg_catalog.pg_has_role(binding_of.role_id, 'customs_risk_officer', 'MEMBER')
                          OR NOT pg_catalog.pg_has_role(binding_of.role_id, 'customs_risk_district', 'MEMBER')
           WHEN 'district' THEN pg_catalog.pg_has_role(binding_of.role_id, 'customs_risk_district', 'MEMBER')
                             OR NOT pg_catalog.pg_has_role(binding_of.role_id, 'customs_risk_officer', 'MEMBER')
           ELSE false END
$fn$;
COMMENT ON FUNCTION customs_risk.binding_of(oid) IS
    'the office a role is bound to, with its level and parent, when the binding holds (the same role, at a level its group roles allow); no row otherwise';

-- The current role's binding, for the scope functions below.
CREATE FUNCTION customs_risk.my_binding(OUT office_code text, OUT level customs_risk.office_level, OUT parent_code text)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT b.office_code, b.level, b.parent_code
      FROM customs_risk.binding_of((SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)) b
$fn$;
COMMENT ON FUNCTION customs_risk.my_binding() IS
    'the office the current role is bound to, with its level and parent, when the binding holds (binding_of); no row otherwise';

-- Which declarations a role may decide (decide_as_owner() runs as its owner, so that only the
-- extension's code writes the decision log, and asks this for decide()'s caller): NULL for
-- every office (the administrator and national analysts), the houses of its district for a
-- district analyst ('{}' when unbound), and 42501 for any other role (officers read
-- decisions, BI reports them).
CREATE FUNCTION customs_risk.decision_houses_of(role_id oid) RETURNS text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF pg_catalog.pg_has_role(role_id, 'customs_risk_admin', 'USAGE')
       OR pg_catalog.pg_has_role(role_id, 'customs_risk_national', 'USAGE') THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.pg_has_role(role_id, 'customs_risk_district', 'USAGE') THEN
        RETURN (SELECT coalesce(pg_catalog.array_agg(h.office_code::text), '{}')
                  FROM customs_risk.binding_of(role_id) b
                  JOIN customs_risk.office h ON h.level = 'house' AND (h.office_code = b.office_code OR h.parent_code = b.office_code));
    END IF;
    RAISE EXCEPTION 'role % may not make channel decisions', role_id::regrole
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'National and district analysts decide; officers read decisions in decision_reason_v.';
END
$fn$;
COMMENT ON FUNCTION customs_risk.decision_houses_of(oid) IS
    'the houses whose declarations a role may decide: NULL for all (administrator, national analysts), its district''s for a district analyst; 42501 for other roles';

-- The caller's scope, for policies.  Policies call these in a scalar subquery, so each runs
-- once per query (an InitPlan), not once per row.
CREATE FUNCTION customs_risk.my_district() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT CASE b.level WHEN 'district' THEN b.office_code WHEN 'house' THEN b.parent_code END
      FROM customs_risk.my_binding() b
$fn$;
COMMENT ON FUNCTION customs_risk.my_district() IS
    'the district the current role is bound to (for an officer, its house''s district); NULL when unbound';

-- The district of a role bound to a district centre, and NULL for an officer bound to a house:
-- the register's district rules are a district analyst's, and my_district() gives an officer
-- its house's district too.
CREATE FUNCTION customs_risk.my_analyst_district() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT b.office_code FROM customs_risk.my_binding() b WHERE b.level = 'district'
$fn$;
COMMENT ON FUNCTION customs_risk.my_analyst_district() IS
    'the district centre the current role is bound to as a district analyst; NULL for officers and unbound roles';

CREATE FUNCTION customs_risk.my_house() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT b.office_code FROM customs_risk.my_binding() b WHERE b.level = 'house'
$fn$;
COMMENT ON FUNCTION customs_risk.my_house() IS 'the customs house the current role is bound to (officers); NULL otherwise';

CREATE FUNCTION customs_risk.my_houses() RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT coalesce(array_agg(h.office_code::text ORDER BY h.office_code), '{}')
      FROM customs_risk.my_binding() b
      JOIN customs_risk.office h ON h.level = 'house' AND (h.office_code = b.office_code OR h.parent_code = b.office_code)
$fn$;
COMMENT ON FUNCTION customs_risk.my_houses() IS
    'the customs houses whose rows the current role sees: every house of its district, or its one house; empty when unbound';

CREATE FUNCTION customs_risk.my_scope_codes() RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT customs_risk.my_district() || customs_risk.my_houses()
$fn$;
COMMENT ON FUNCTION customs_risk.my_scope_codes() IS
    'office codes a profile scope may name for the current role: its district and the houses it sees';

CREATE FUNCTION customs_risk.is_national() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT pg_catalog.pg_has_role(current_user, 'customs_risk_national', 'USAGE')
        OR pg_catalog.pg_has_role(current_user, 'customs_risk_admin', 'USAGE')
$fn$;
COMMENT ON FUNCTION customs_risk.is_national() IS
    'true when the current role works at national level (customs_risk_national or customs_risk_admin)';

-- Lines and inspections carry their declaration's customs house, so a policy filters them by a
-- column of their own instead of a lookup of the declaration per row.  The loader and the
-- generator give it; otherwise a trigger looks it up on insert (with the inserting role's
-- rights: a line for a declaration it cannot see gets no house and fails the policy), also under
-- session_replication_role = replica.  Only the administrator may write the column itself (the
-- other roles have column privileges without it); a moved declaration takes its rows along.
ALTER TABLE customs_risk.declaration_line ADD COLUMN office_code text COLLATE "C";
COMMENT ON COLUMN customs_risk.declaration_line.office_code IS
    'customs house of the declaration (kept equal to it; what row-level security filters on)';
ALTER TABLE customs_risk.inspection ADD COLUMN office_code text COLLATE "C";
COMMENT ON COLUMN customs_risk.inspection.office_code IS
    'customs house of the declaration (kept equal to it; what row-level security filters on)';

CREATE FUNCTION customs_risk.take_declaration_office() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    NEW.office_code := (SELECT d.office_code FROM customs_risk.declaration d
                         WHERE d.declaration_id = NEW.declaration_id);
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION customs_risk.take_declaration_office() IS
    'trigger: set a line''s or inspection''s office_code from its declaration';
CREATE TRIGGER declaration_line_office BEFORE INSERT ON customs_risk.declaration_line
    FOR EACH ROW WHEN (NEW.office_code IS NULL) EXECUTE FUNCTION customs_risk.take_declaration_office();
CREATE TRIGGER declaration_line_office_update BEFORE UPDATE OF declaration_id, office_code ON customs_risk.declaration_line
    FOR EACH ROW EXECUTE FUNCTION customs_risk.take_declaration_office();
CREATE TRIGGER inspection_office BEFORE INSERT ON customs_risk.inspection
    FOR EACH ROW WHEN (NEW.office_code IS NULL) EXECUTE FUNCTION customs_risk.take_declaration_office();
CREATE TRIGGER inspection_office_update BEFORE UPDATE OF declaration_id, office_code ON customs_risk.inspection
    FOR EACH ROW EXECUTE FUNCTION customs_risk.take_declaration_office();
ALTER TABLE customs_risk.declaration_line ENABLE ALWAYS TRIGGER declaration_line_office;
ALTER TABLE customs_risk.declaration_line ENABLE ALWAYS TRIGGER declaration_line_office_update;
ALTER TABLE customs_risk.inspection ENABLE ALWAYS TRIGGER inspection_office;
ALTER TABLE customs_risk.inspection ENABLE ALWAYS TRIGGER inspection_office_update;

-- SECURITY DEFINER: the mover may not write office_code itself.  It touches only the rows of
-- the declaration whose move the policies already allowed.
CREATE FUNCTION customs_risk.move_declaration_rows() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    UPDATE customs_risk.declaration_line l SET office_code = NEW.office_code
     WHERE l.declaration_id = NEW.declaration_id;
    UPDATE customs_risk.inspection i SET office_code = NEW.office_code
     WHERE i.declaration_id = NEW.declaration_id;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION customs_risk.move_declaration_rows() IS
    'trigger: a declaration moved to another customs house takes its lines and inspections along';
-- Not for PUBLIC: fired from a table of the caller's own, it would move any declaration's lines
-- and inspections into the caller's houses (CREATE TRIGGER needs EXECUTE; firing does not).
REVOKE EXECUTE ON FUNCTION customs_risk.move_declaration_rows() FROM PUBLIC;
CREATE TRIGGER declaration_moves_rows AFTER UPDATE OF office_code ON customs_risk.declaration
    FOR EACH ROW WHEN (OLD.office_code IS DISTINCT FROM NEW.office_code)
    EXECUTE FUNCTION customs_risk.move_declaration_rows();
ALTER TABLE customs_risk.declaration ENABLE ALWAYS TRIGGER declaration_moves_rows;

-- Rows already there when the extension is updated or restored (none on a fresh install).
UPDATE customs_risk.declaration_line l SET office_code = d.office_code
  FROM customs_risk.declaration d WHERE d.declaration_id = l.declaration_id AND l.office_code IS NULL;
UPDATE customs_risk.inspection i SET office_code = d.office_code
  FROM customs_risk.declaration d WHERE d.declaration_id = i.declaration_id AND i.office_code IS NULL;

-- What an officer sees of a decision: the channel and the reasons (the matched profiles'
-- descriptions, in the order of profile_ids), never the criteria.  Rows and profiles are those
-- the caller's policies let it see (security_invoker).
CREATE VIEW customs_risk.decision_reason_v WITH (security_invoker = true) AS
SELECT l.decision_id,
       l.declaration_id,
       l.office_code,
       l.channel,
       l.score,
       l.random,
       l.selected_by,
       l.decided_at,
       l.decided_by,
       l.profile_ids,
       ARRAY(SELECT p.description
               FROM pg_catalog.unnest(l.profile_ids) WITH ORDINALITY AS u(profile_id, n)
               JOIN customs_risk.profile p ON p.profile_id = u.profile_id
              ORDER BY u.n) AS reasons
  FROM customs_risk.decision_log l;
COMMENT ON VIEW customs_risk.decision_reason_v IS
    'channel decisions with their reasons (the matched profiles'' descriptions), as the caller may see them: an officer sees its house''s';
COMMENT ON COLUMN customs_risk.decision_reason_v.decision_id IS 'order of the decisions; one per decide() call, one per batch';
COMMENT ON COLUMN customs_risk.decision_reason_v.declaration_id IS 'the declaration decided';
COMMENT ON COLUMN customs_risk.decision_reason_v.office_code IS 'its customs house';
COMMENT ON COLUMN customs_risk.decision_reason_v.channel IS 'the channel given';
COMMENT ON COLUMN customs_risk.decision_reason_v.score IS 'risk score: the sum of the matched profiles'' weights';
COMMENT ON COLUMN customs_risk.decision_reason_v.random IS 'selected at random (the control sample)';
COMMENT ON COLUMN customs_risk.decision_reason_v.selected_by IS 'decide() or the batch step that set the channel';
COMMENT ON COLUMN customs_risk.decision_reason_v.decided_at IS 'when';
COMMENT ON COLUMN customs_risk.decision_reason_v.decided_by IS 'the session user that decided';
COMMENT ON COLUMN customs_risk.decision_reason_v.profile_ids IS 'the profiles that matched';
COMMENT ON COLUMN customs_risk.decision_reason_v.reasons IS 'what each matched profile tells the officer to examine (its description), in profile_ids order';

-- Views over district data run with the caller's rights, so its row-level security applies
-- (a view owned by the extension's superuser owner would otherwise show every row).
ALTER VIEW customs_risk.declaration_line_v SET (security_invoker = true);
ALTER VIEW customs_risk.declaration_outcome_v SET (security_invoker = true);
ALTER VIEW customs_risk.model_line_v SET (security_invoker = true);
ALTER VIEW customs_risk.trader_risk_v SET (security_invoker = true);

-- ===========================================================================
-- Row-level security.  Policies name their roles: the national roles' policies are plain
-- "true" (no filter at all for them), the district and officer policies compare a row's own
-- office column with the caller's houses, found once per query.
-- ===========================================================================

ALTER TABLE customs_risk.declaration ENABLE ROW LEVEL SECURITY;
CREATE POLICY national_all ON customs_risk.declaration
    TO customs_risk_admin, customs_risk_national USING (true) WITH CHECK (true);
CREATE POLICY district_rows ON customs_risk.declaration TO customs_risk_district
    USING (office_code = ANY ((SELECT customs_risk.my_houses())::pg_catalog.text[]))
    WITH CHECK (office_code = ANY ((SELECT customs_risk.my_houses())::pg_catalog.text[]));
CREATE POLICY house_read ON customs_risk.declaration FOR SELECT TO customs_risk_officer
    USING (office_code = ANY ((SELECT customs_risk.my_houses())::pg_catalog.text[]));

ALTER TABLE customs_risk.declaration_line ENABLE ROW LEVEL SECURITY;
CREATE POLICY national_all ON customs_risk.declaration_line
    TO customs_risk_admin, customs_risk_national USING (true) WITH CHECK (true);
CREATE POLICY district_rows ON customs_risk.declaration_line TO customs_risk_district
    USING (office_code = ANY ((SELECT customs_risk.my_houses())::pg_catalog.text[]))
    WITH CHECK (office_code = ANY ((SELECT customs_risk.my_houses())::pg_catalog.text[]));
CREATE POLICY house_read ON customs_risk.declaration_line FOR SELECT TO customs_risk_officer
    USING (office_code = ANY ((SELECT customs_risk.my_houses())::pg_catalog.text[]));

-- officers record what their inspections found: all of their house's inspections
ALTER TABLE customs_risk.inspection ENABLE ROW LEVEL SECURITY;
CREATE POLICY national_all ON customs_risk.inspection
    TO customs_risk_admin, customs_risk_national USING (true) WITH CHECK (true);
CREATE POLICY district_rows ON customs_risk.inspection TO customs_risk_district, customs_risk_officer
    USING (office_code = ANY ((SELECT customs_risk.my_houses())::pg_catalog.text[]))
    WITH CHECK (office_code = ANY ((SELECT customs_risk.my_houses())::pg_catalog.text[]));

-- the log is append-only (triggers); a district logs decisions on its own declarations only
-- a decision is logged under the session user that made it, at the time it is made (within a
-- minute of the inserting transaction, for clock adjustments), and with a decision_id the
-- sequence has given out: INSERT ... OVERRIDING SYSTEM VALUE could otherwise plant a decision
-- with an id no later decision reaches, which would stay the declaration's decision in force for
-- good.  Checks per row, not a trigger: batches log a million rows (0.4 us a row for the id)
ALTER TABLE customs_risk.decision_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY admin_all ON customs_risk.decision_log TO customs_risk_admin USING (true) WITH CHECK (true);
CREATE POLICY national_read ON customs_risk.decision_log FOR SELECT TO customs_risk_national USING (true);
CREATE POLICY district_read ON customs_risk.decision_log FOR SELECT TO customs_risk_district, customs_risk_officer
    USING (office_code = ANY ((SELECT customs_risk.my_houses())::pg_catalog.text[]));
-- no insert policy but the administrator's: decisions are written by decide() and the batch

-- Profiles: a district sees the profiles that can apply to it (its own, national ones for every
-- office, any whose scope names it or one of its houses) and changes only its own, within its
-- district; the national centre sees and changes all.
ALTER TABLE customs_risk.profile ENABLE ROW LEVEL SECURITY;
CREATE POLICY national_all ON customs_risk.profile
    TO customs_risk_admin, customs_risk_national USING (true) WITH CHECK (true);
CREATE POLICY district_read ON customs_risk.profile FOR SELECT TO customs_risk_district
    USING (owner_office = (SELECT customs_risk.my_district())
           OR scope_offices && (SELECT customs_risk.my_scope_codes())
           OR (scope_offices IS NULL AND (SELECT customs_risk.my_district()) IS NOT NULL
               AND owner_office IN (SELECT o.office_code FROM customs_risk.office o WHERE o.level = 'national')));
-- an officer reads the profiles that apply at its house (its district's and the national ones
-- for the whole district or for that house), not those its district scoped to other houses;
-- as the reasons of decisions are these profiles' descriptions, a profile scoped away from the
-- house since drops out of the reasons the officer reads.  Unbound roles read none.
CREATE POLICY officer_read ON customs_risk.profile FOR SELECT TO customs_risk_officer
    USING (scope_offices && (SELECT customs_risk.my_scope_codes())
           OR (scope_offices IS NULL AND (SELECT customs_risk.my_district()) IS NOT NULL
               AND (owner_office = (SELECT customs_risk.my_district())
                    OR owner_office IN (SELECT o.office_code FROM customs_risk.office o WHERE o.level = 'national'))));
CREATE POLICY district_insert ON customs_risk.profile FOR INSERT TO customs_risk_district
    WITH CHECK (owner_office = (SELECT customs_risk.my_district())
                AND (scope_offices IS NULL OR scope_offices <@ (SELECT customs_risk.my_scope_codes())));
CREATE POLICY district_update ON customs_risk.profile FOR UPDATE TO customs_risk_district
    USING (owner_office = (SELECT customs_risk.my_district()))
    WITH CHECK (owner_office = (SELECT customs_risk.my_district())
                AND (scope_offices IS NULL OR scope_offices <@ (SELECT customs_risk.my_scope_codes())));
CREATE POLICY district_delete ON customs_risk.profile FOR DELETE TO customs_risk_district
    USING (owner_office = (SELECT customs_risk.my_district()));

-- the history holds every version of a profile, criteria included: a district reads its own
ALTER TABLE customs_risk.profile_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY national_all ON customs_risk.profile_history
    TO customs_risk_admin, customs_risk_national USING (true) WITH CHECK (true);
CREATE POLICY district_read ON customs_risk.profile_history FOR SELECT TO customs_risk_district
    USING ((profile_row ->> 'owner_office') = (SELECT customs_risk.my_district()));

ALTER TABLE customs_risk.monitoring_alert ENABLE ROW LEVEL SECURITY;
CREATE POLICY national_all ON customs_risk.monitoring_alert
    TO customs_risk_admin, customs_risk_national USING (true) WITH CHECK (true);
CREATE POLICY district_read ON customs_risk.monitoring_alert FOR SELECT TO customs_risk_district, customs_risk_officer
    USING (office_code = ANY ((SELECT customs_risk.my_houses())::pg_catalog.text[]));

ALTER TABLE customs_risk.user_scope ENABLE ROW LEVEL SECURITY;
CREATE POLICY admin_all ON customs_risk.user_scope TO customs_risk_admin USING (true) WITH CHECK (true);
CREATE POLICY own_row ON customs_risk.user_scope FOR SELECT
    TO customs_risk_national, customs_risk_district, customs_risk_officer, customs_risk_bi
    USING (role_name = current_user);

-- ===========================================================================
-- Privileges of each role.  Tables stay closed to PUBLIC (90_grants.sql).
-- ===========================================================================

-- Reference data: every role reads it; the administrator keeps it.
GRANT SELECT ON customs_risk.office, customs_risk.country, customs_risk.hs_sections
    TO customs_risk_admin, customs_risk_national, customs_risk_district, customs_risk_officer, customs_risk_bi;
GRANT INSERT, UPDATE, DELETE ON customs_risk.office, customs_risk.country TO customs_risk_admin;
GRANT SELECT ON customs_risk.user_scope
    TO customs_risk_admin, customs_risk_national, customs_risk_district, customs_risk_officer, customs_risk_bi;
GRANT INSERT, UPDATE, DELETE ON customs_risk.user_scope TO customs_risk_admin;

-- District data: administrator and national analysts everywhere, district analysts in their
-- district (policies), officers read their house and record its inspections.
GRANT SELECT, INSERT, UPDATE, DELETE ON customs_risk.declaration, customs_risk.declaration_line,
    customs_risk.inspection, customs_risk.trader TO customs_risk_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON customs_risk.declaration, customs_risk.trader
    TO customs_risk_national;
GRANT SELECT, INSERT, UPDATE, DELETE ON customs_risk.declaration TO customs_risk_district;
-- Traders work across districts: the national level keeps the register.  A district may add a
-- trader (its declarations must name registered ones), not change or remove one (other
-- districts' declarations name the same traders).
GRANT SELECT, INSERT ON customs_risk.trader TO customs_risk_district;
GRANT SELECT, DELETE ON customs_risk.declaration_line, customs_risk.inspection
    TO customs_risk_national, customs_risk_district;
-- every column but office_code, which follows the declaration
GRANT INSERT (declaration_id, line_no, hs, origin_country, origin_indicator, tax_type, tax_rate, net_mass, value),
      UPDATE (declaration_id, line_no, hs, origin_country, origin_indicator, tax_type, tax_rate, net_mass, value)
    ON customs_risk.declaration_line TO customs_risk_national, customs_risk_district;
GRANT INSERT (declaration_id, line_no, channel, selected_by, profile_id, model_name, inspected_on, result,
              extra_revenue, officer, notes),
      UPDATE (declaration_id, line_no, channel, selected_by, profile_id, model_name, inspected_on, result,
              extra_revenue, officer, notes)
    ON customs_risk.inspection TO customs_risk_national, customs_risk_district, customs_risk_officer;
GRANT SELECT ON customs_risk.declaration, customs_risk.declaration_line, customs_risk.inspection,
    customs_risk.trader TO customs_risk_officer;
GRANT SELECT ON customs_risk.declaration_line_v, customs_risk.declaration_outcome_v, customs_risk.model_line_v,
    customs_risk.trader_risk_v TO customs_risk_admin, customs_risk_national, customs_risk_district;
GRANT SELECT ON customs_risk.declaration_line_v, customs_risk.declaration_outcome_v TO customs_risk_officer;

-- Profiles and decisions.  Officers read profiles without their criteria (column privileges):
-- they see why a declaration was selected, not the rule that selected it, and cannot run the
-- matcher (it needs SELECT on the whole table).
GRANT SELECT, INSERT, UPDATE, DELETE ON customs_risk.profile TO customs_risk_admin, customs_risk_national, customs_risk_district;
GRANT SELECT (profile_id, name, channel, weight, description, status, valid_from, valid_to, owner_office,
              scope_offices, created_at, updated_at) ON customs_risk.profile TO customs_risk_officer;
GRANT SELECT ON customs_risk.profile_history TO customs_risk_admin, customs_risk_national, customs_risk_district;
GRANT SELECT ON customs_risk.profile_set TO customs_risk_admin, customs_risk_national, customs_risk_district;
-- decisions are logged by decide() (as its owner) and the batch (which logs as the log's owner):
-- no analyst writes one of its own choosing
GRANT SELECT ON customs_risk.decision_log TO customs_risk_admin, customs_risk_national, customs_risk_district;
GRANT INSERT ON customs_risk.decision_log TO customs_risk_admin;
-- the log's ids are taken by decide_as_owner() and the batch as the log's owner
GRANT USAGE ON SEQUENCE customs_risk.decision_log_decision_id_seq TO customs_risk_admin;
GRANT SELECT ON customs_risk.decision_log TO customs_risk_officer;
GRANT SELECT ON customs_risk.decision_reason_v
    TO customs_risk_admin, customs_risk_national, customs_risk_district, customs_risk_officer;
GRANT SELECT ON customs_risk.code_list, customs_risk.code_list_entry
    TO customs_risk_admin, customs_risk_national, customs_risk_district;
GRANT INSERT, UPDATE, DELETE ON customs_risk.code_list, customs_risk.code_list_entry
    TO customs_risk_admin, customs_risk_national;
GRANT SELECT ON customs_risk.channel_policy TO customs_risk_admin, customs_risk_national, customs_risk_district;
GRANT INSERT, UPDATE, DELETE ON customs_risk.channel_policy TO customs_risk_admin, customs_risk_national;
-- deciding draws under the key (never reading it): analysts who decide may draw
GRANT EXECUTE ON FUNCTION customs_risk.random_draw(text), customs_risk.grade_draw(text),
                          customs_risk.batch_first_channels(date, text, boolean), customs_risk.batch_channels(date, text)
    TO customs_risk_admin, customs_risk_national, customs_risk_district;
GRANT EXECUTE ON FUNCTION customs_risk.random_draws(text[]) TO customs_risk_admin;
-- the key itself: the administrator only
GRANT SELECT ON customs_risk.selection_secret TO customs_risk_admin;

-- Models, grades, monitoring: analysts read; the national level trains, grades and monitors.
GRANT SELECT ON customs_risk.model, customs_risk.trader_certification, customs_risk.grading_rule,
    customs_risk.trader_grade_history, customs_risk.grade_inspection_policy, customs_risk.monitoring_alert
    TO customs_risk_admin, customs_risk_national, customs_risk_district;
GRANT SELECT ON customs_risk.monitoring_alert TO customs_risk_officer;
GRANT INSERT, UPDATE, DELETE ON customs_risk.model, customs_risk.trader_certification, customs_risk.grading_rule,
    customs_risk.trader_grade_history, customs_risk.grade_inspection_policy, customs_risk.monitoring_alert
    TO customs_risk_admin, customs_risk_national;

-- Loading and generating data: the administrator.
GRANT SELECT, INSERT, DELETE, TRUNCATE ON customs_risk.kcs_staging TO customs_risk_admin;
GRANT EXECUTE ON FUNCTION customs_risk.load_kcs_staging(text),
    customs_risk.generate_declarations(bigint, integer, bigint, float8, integer, text, date, integer, float8, text[])
    TO customs_risk_admin;

-- Reports (92_reports.sql).  These views read the tables with their owner's rights, across every
-- district: the national roles and the BI role read them; district analysts and officers do not
-- (they use performance_report() and the other report functions, which run with the caller's
-- rights and so its row-level security).  Views that call a report function need that function's
-- tables, so the BI role reads only those that read tables directly.
GRANT SELECT ON customs_risk.workload_trend_v, customs_risk.latest_decision_v, customs_risk.office_daily_v,
    customs_risk.channel_performance_v, customs_risk.profile_performance_v, customs_risk.grade_distribution_v,
    customs_risk.harmonisation_v, customs_risk.alert_v TO customs_risk_admin, customs_risk_national;
GRANT SELECT ON customs_risk.workload_trend_v, customs_risk.latest_decision_v, customs_risk.office_daily_v,
    customs_risk.grade_distribution_v, customs_risk.alert_v TO customs_risk_bi;

-- Scheduled jobs (93_jobs.sql) are the administrator's; they run as the extension's owner.
GRANT EXECUTE ON FUNCTION customs_risk.schedule_jobs(text, text, text, text), customs_risk.unschedule_jobs(),
    customs_risk.refresh_reports() TO customs_risk_admin;
