
-- ===========================================================================
-- Risk register: risk items, the risk matrix, the lifecycle, links and the
-- audit trail (the information module of the risk management platform)
-- ===========================================================================
--
-- Every row carries the office it belongs to (owner_office, or recipient_office for inbox rows),
-- so row-level security can give each district its own rows.  Errors of the workflow:
--   55000 object_not_in_prerequisite_state  a transition the workflow does not allow
--   22004 null_value_not_allowed            a NULL argument
--   P0002 no_data_found                     an unknown item, inbox entry, action or office
--   22023 invalid_parameter_value           an argument of the wrong kind (office level, ...)

CREATE TYPE customs_risk.risk_source AS ENUM
    ('intelligence', 'inspection_finding', 'other_agency', 'open_source', 'data_analysis', 'trader_disclosure', 'other');
COMMENT ON TYPE customs_risk.risk_source IS
    'where risk information came from: intelligence, an inspection finding, another agency, open sources, data analysis, a trader''s own disclosure, other';

CREATE TYPE customs_risk.risk_category AS ENUM
    ('revenue', 'valuation', 'origin', 'safety', 'health', 'ipr', 'security', 'prohibited_goods', 'environment', 'other');
COMMENT ON TYPE customs_risk.risk_category IS
    'what is at risk: revenue, valuation, origin (preference), product safety, health (SPS), intellectual property, security, prohibited or restricted goods, environment, other';

CREATE TYPE customs_risk.risk_status AS ENUM ('reported', 'analysed', 'treatment_decided', 'monitored', 'closed');
COMMENT ON TYPE customs_risk.risk_status IS
    'lifecycle of a risk item: reported, analysed (likelihood and consequence assessed), treatment_decided, monitored, closed';

CREATE TYPE customs_risk.risk_level AS ENUM ('low', 'medium', 'high', 'extreme');
COMMENT ON TYPE customs_risk.risk_level IS 'risk level a cell of the risk matrix gives: low, medium, high, extreme';

CREATE TYPE customs_risk.risk_treatment AS ENUM ('tolerate', 'treat', 'transfer', 'terminate');
COMMENT ON TYPE customs_risk.risk_treatment IS
    'treatment decided for a risk: tolerate (accept and watch), treat (controls: profiles, audits), transfer (to another agency), terminate (stop the activity: prohibit, revoke)';

-- The risk matrix ----------------------------------------------------------------

-- Always the 25 cells: rows cannot be deleted, and inserting a cell that exists sets its level
-- (that is also how pg_restore brings back edited cells over the seeded ones).
CREATE TABLE customs_risk.risk_matrix (
    likelihood integer NOT NULL CHECK (likelihood BETWEEN 1 AND 5),
    consequence integer NOT NULL CHECK (consequence BETWEEN 1 AND 5),
    level customs_risk.risk_level NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL DEFAULT current_user,
    PRIMARY KEY (likelihood, consequence)
);
COMMENT ON TABLE customs_risk.risk_matrix IS
    'the risk matrix: the level of every likelihood x consequence cell (25 cells, editable with UPDATE; seeded: product <= 3 low, <= 6 medium, <= 12 high, above extreme)';
COMMENT ON COLUMN customs_risk.risk_matrix.likelihood IS 'likelihood 1 (rare) .. 5 (almost certain)';
COMMENT ON COLUMN customs_risk.risk_matrix.consequence IS 'consequence 1 (insignificant) .. 5 (severe)';
COMMENT ON COLUMN customs_risk.risk_matrix.level IS 'the risk level of the cell';
COMMENT ON COLUMN customs_risk.risk_matrix.updated_at IS 'when the cell last changed';
COMMENT ON COLUMN customs_risk.risk_matrix.updated_by IS 'who last changed it (the role in effect)';

INSERT INTO customs_risk.risk_matrix (likelihood, consequence, level)
SELECT l, c, CASE WHEN l * c <= 3 THEN 'low' WHEN l * c <= 6 THEN 'medium'
                  WHEN l * c <= 12 THEN 'high' ELSE 'extreme' END::customs_risk.risk_level
  FROM generate_series(1, 5) l, generate_series(1, 5) c;

CREATE FUNCTION customs_risk.risk_matrix_set() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'cells of the risk matrix cannot be deleted'
            USING ERRCODE = 'feature_not_supported', HINT = 'UPDATE the cell''s level instead.';
    END IF;
    IF NOT customs_risk.restoring() THEN
        NEW.updated_at := now();
        NEW.updated_by := current_user;
    END IF;
    IF TG_OP = 'INSERT' THEN
        UPDATE customs_risk.risk_matrix
           SET level = NEW.level, updated_at = NEW.updated_at, updated_by = NEW.updated_by
         WHERE likelihood = NEW.likelihood AND consequence = NEW.consequence;
        IF FOUND THEN
            RETURN NULL;    -- the cell exists: set, not added
        END IF;
    END IF;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_matrix_set() IS
    'trigger: stamp a risk-matrix cell; an INSERT of an existing cell sets its level; cells are never deleted nor truncated';
CREATE TRIGGER risk_matrix_set BEFORE INSERT OR UPDATE OR DELETE ON customs_risk.risk_matrix
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_matrix_set();
CREATE TRIGGER risk_matrix_no_truncate BEFORE TRUNCATE ON customs_risk.risk_matrix
    FOR EACH STATEMENT EXECUTE FUNCTION customs_risk.risk_matrix_set();

CREATE FUNCTION customs_risk.risk_level(likelihood integer, consequence integer) RETURNS customs_risk.risk_level
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    result customs_risk.risk_level;
BEGIN
    IF likelihood IS NULL OR consequence IS NULL THEN
        RAISE EXCEPTION 'risk_level: likelihood and consequence must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF likelihood NOT BETWEEN 1 AND 5 OR consequence NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION 'risk_level: likelihood % and consequence % must be between 1 and 5', likelihood, consequence
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT m.level INTO result FROM customs_risk.risk_matrix m
     WHERE m.likelihood = risk_level.likelihood AND m.consequence = risk_level.consequence;
    RETURN result;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_level(integer, integer) IS
    'the risk level the risk matrix gives for a likelihood and a consequence (1..5 each)';

-- Lifecycle transitions, in one place --------------------------------------------------

CREATE TABLE customs_risk.risk_transition (
    workflow text COLLATE "C" NOT NULL CHECK (workflow IN ('risk_item', 'risk_action')),
    from_status text COLLATE "C" NOT NULL,
    to_status text COLLATE "C" NOT NULL,
    meaning text NOT NULL,
    allowed boolean NOT NULL DEFAULT true,
    PRIMARY KEY (workflow, from_status, to_status)
);
COMMENT ON TABLE customs_risk.risk_transition IS
    'the status changes of the risk workflows (risk items and treatment actions); a change not listed, or listed with allowed = false, is refused with SQLSTATE 55000';
COMMENT ON COLUMN customs_risk.risk_transition.workflow IS 'risk_item or risk_action';
COMMENT ON COLUMN customs_risk.risk_transition.from_status IS 'status before';
COMMENT ON COLUMN customs_risk.risk_transition.to_status IS 'status after';
COMMENT ON COLUMN customs_risk.risk_transition.meaning IS 'what the change means';
COMMENT ON COLUMN customs_risk.risk_transition.allowed IS 'false: the change is refused (transitions are switched off, never deleted)';
INSERT INTO customs_risk.risk_transition VALUES
    ('risk_item', 'reported', 'analysed', 'likelihood and consequence assessed'),
    ('risk_item', 'reported', 'closed', 'dismissed: unfounded or a duplicate'),
    ('risk_item', 'analysed', 'treatment_decided', 'treatment decided (tolerate, treat, transfer, terminate)'),
    ('risk_item', 'treatment_decided', 'monitored', 'treatment in place, its effect watched'),
    ('risk_item', 'monitored', 'analysed', 're-assessment: the risk changed'),
    ('risk_item', 'monitored', 'closed', 'risk under control or gone; linked profiles reviewed'),
    ('risk_action', 'open', 'in_progress', 'work started'),
    ('risk_action', 'open', 'cancelled', 'not needed any more'),
    ('risk_action', 'in_progress', 'done', 'completed'),
    ('risk_action', 'in_progress', 'cancelled', 'abandoned');

-- The table is in a dump with every row.  A built-in transition is switched off, not deleted:
-- CREATE EXTENSION seeds the built-in rows again before a restore, and a deleted one would come
-- back allowed.  While a dump is replayed, a row whose key exists sets it instead.
CREATE FUNCTION customs_risk.risk_transition_set() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'risk workflow transitions cannot be deleted'
            USING ERRCODE = 'feature_not_supported', HINT = 'UPDATE it with allowed = false instead.';
    END IF;
    -- a renamed transition is a deleted one too: its old key would be seeded again on restore
    IF TG_OP = 'UPDATE' THEN
        IF (NEW.workflow, NEW.from_status, NEW.to_status) IS DISTINCT FROM (OLD.workflow, OLD.from_status, OLD.to_status) THEN
            RAISE EXCEPTION 'a risk workflow transition cannot change its statuses'
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Switch it off (allowed = false) and INSERT the new transition.';
        END IF;
        RETURN NEW;
    END IF;
    IF customs_risk.restoring() THEN
        UPDATE customs_risk.risk_transition SET meaning = NEW.meaning, allowed = NEW.allowed
         WHERE workflow = NEW.workflow AND from_status = NEW.from_status AND to_status = NEW.to_status;
        IF FOUND THEN
            RETURN NULL;    -- a built-in transition: set, not added
        END IF;
    END IF;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_transition_set() IS
    'trigger: refuse deleting a workflow transition or changing its statuses (switch it off); while a dump is replayed, an INSERT of an existing one sets it';
CREATE TRIGGER risk_transition_set BEFORE INSERT OR UPDATE OR DELETE ON customs_risk.risk_transition
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_transition_set();
CREATE TRIGGER risk_transition_no_truncate BEFORE TRUNCATE ON customs_risk.risk_transition
    FOR EACH STATEMENT EXECUTE FUNCTION customs_risk.risk_transition_set();

-- Refuse a status change the workflow does not allow.
CREATE FUNCTION customs_risk.check_risk_transition(workflow text, what text, from_status text, to_status text)
RETURNS void
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    allowed text;
BEGIN
    IF from_status IS NOT DISTINCT FROM to_status THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM customs_risk.risk_transition t
                WHERE t.workflow = check_risk_transition.workflow
                  AND t.from_status = check_risk_transition.from_status AND t.to_status = check_risk_transition.to_status
                  AND t.allowed) THEN
        RETURN;
    END IF;
    SELECT string_agg(t.to_status, ', ' ORDER BY t.to_status) INTO allowed
      FROM customs_risk.risk_transition t
     WHERE t.workflow = check_risk_transition.workflow AND t.from_status = check_risk_transition.from_status AND t.allowed;
    RAISE EXCEPTION '% cannot go from % to %', what, coalesce(from_status, 'NULL'), coalesce(to_status, 'NULL')
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = CASE WHEN allowed IS NOT NULL THEN format('From %s it may go to: %s.', from_status, allowed)
                          WHEN EXISTS (SELECT 1 FROM customs_risk.risk_transition t
                                        WHERE t.workflow = check_risk_transition.workflow
                                          AND t.from_status = check_risk_transition.from_status)
                          THEN format('Every change from %s is switched off (risk_transition.allowed).', from_status)
                          ELSE format('%s is final.', from_status) END;
END
$fn$;
COMMENT ON FUNCTION customs_risk.check_risk_transition(text, text, text, text) IS
    'raise 55000 unless table risk_transition allows the status change of the workflow (no change is always allowed)';

-- Risk items ------------------------------------------------------------------------

CREATE TABLE customs_risk.risk_item (
    item_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source customs_risk.risk_source NOT NULL,
    source_reference text CHECK (source_reference <> ''),
    category customs_risk.risk_category NOT NULL,
    title text NOT NULL CHECK (title ~ '^\S(.{0,198}\S)?$'),
    description text NOT NULL CHECK (description <> ''),
    scope customs_risk.criteria,
    likelihood integer CHECK (likelihood BETWEEN 1 AND 5),
    consequence integer CHECK (consequence BETWEEN 1 AND 5),
    owner_office text COLLATE "C" NOT NULL REFERENCES customs_risk.office (office_code),
    status customs_risk.risk_status NOT NULL DEFAULT 'reported',
    status_note text,
    treatment customs_risk.risk_treatment,
    treatment_rationale text,
    reported_at timestamptz NOT NULL DEFAULT now(),
    reported_by text NOT NULL DEFAULT session_user,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL DEFAULT current_user,
    closed_at timestamptz,
    CONSTRAINT risk_item_assessed CHECK (status IN ('reported', 'closed') OR (likelihood IS NOT NULL AND consequence IS NOT NULL)),
    -- a treatment is decided with its reasons (decide_treatment), whatever path sets it
    CONSTRAINT risk_item_treatment_decided CHECK (status NOT IN ('treatment_decided', 'monitored')
                                                  OR (treatment IS NOT NULL AND btrim(coalesce(treatment_rationale, '')) <> '')),
    CONSTRAINT risk_item_closed_at CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX risk_item_owner_idx ON customs_risk.risk_item (owner_office, status);
COMMENT ON TABLE customs_risk.risk_item IS
    'the risk register: one row per risk, from report to closure; every change is kept in risk_audit';
COMMENT ON COLUMN customs_risk.risk_item.item_id IS 'risk item number (generated)';
COMMENT ON COLUMN customs_risk.risk_item.source IS 'where the information came from';
COMMENT ON COLUMN customs_risk.risk_item.source_reference IS 'reference in the source (report number, agency file, URL); NULL when none';
COMMENT ON COLUMN customs_risk.risk_item.category IS 'what is at risk: revenue, safety, ipr, security, prohibited_goods, ...';
COMMENT ON COLUMN customs_risk.risk_item.title IS 'short title (1 to 200 characters, no surrounding spaces)';
COMMENT ON COLUMN customs_risk.risk_item.description IS 'what the risk is and what is known about it';
COMMENT ON COLUMN customs_risk.risk_item.scope IS 'the declarations it concerns, as criteria (goods, origins, traders, offices); NULL while unknown';
COMMENT ON COLUMN customs_risk.risk_item.likelihood IS 'likelihood 1..5; NULL until analysed';
COMMENT ON COLUMN customs_risk.risk_item.consequence IS 'consequence 1..5; NULL until analysed';
COMMENT ON COLUMN customs_risk.risk_item.owner_office IS 'the national centre or the district centre that owns the item';
COMMENT ON COLUMN customs_risk.risk_item.status IS 'reported, analysed, treatment_decided, monitored, closed (changes allowed by risk_transition)';
COMMENT ON COLUMN customs_risk.risk_item.status_note IS 'why the status last changed';
COMMENT ON COLUMN customs_risk.risk_item.treatment IS 'treatment decided: tolerate, treat, transfer, terminate; NULL before the decision';
COMMENT ON COLUMN customs_risk.risk_item.treatment_rationale IS 'why that treatment';
COMMENT ON COLUMN customs_risk.risk_item.reported_at IS 'when the item was reported';
COMMENT ON COLUMN customs_risk.risk_item.reported_by IS 'the session user who reported it';
COMMENT ON COLUMN customs_risk.risk_item.updated_at IS 'when it last changed';
COMMENT ON COLUMN customs_risk.risk_item.updated_by IS 'who last changed it (the role in effect)';
COMMENT ON COLUMN customs_risk.risk_item.closed_at IS 'when it was closed; NULL while open';

-- Stamp the row and enforce the lifecycle: new items are reported, owners are national or
-- district centres, status changes follow risk_transition.
CREATE FUNCTION customs_risk.risk_item_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    owner_level customs_risk.office_level;
BEGIN
    IF customs_risk.restoring() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'reported' THEN
            RAISE EXCEPTION 'a new risk item starts as reported, not %', NEW.status
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF NEW.treatment IS NOT NULL OR NEW.treatment_rationale IS NOT NULL THEN
            RAISE EXCEPTION 'a new risk item has no treatment yet: it is decided after assessment'
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Use decide_treatment once the item is assessed.';
        END IF;
        NEW.reported_at := now();
        NEW.reported_by := session_user;
    ELSIF OLD.status = 'closed' THEN
        RAISE EXCEPTION 'risk item % is closed and cannot change', OLD.item_id
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Report a new item and link it to this one.';
    ELSE
        -- a district changes its own items only: one it received it may lock to pass on (a row
        -- lock fires no trigger), and only the national centre gives an item another owner
        IF NOT customs_risk.is_national() AND OLD.owner_office IS DISTINCT FROM customs_risk.my_analyst_district() THEN
            RAISE EXCEPTION 'risk item % belongs to %: a district changes only its own items', OLD.item_id, OLD.owner_office
                USING ERRCODE = 'insufficient_privilege', HINT = 'Pass it on to your houses (publish_risk_item), or report an item of your own.';
        END IF;
        IF NEW.owner_office IS DISTINCT FROM OLD.owner_office AND NOT customs_risk.is_national() THEN
            RAISE EXCEPTION 'only the national centre gives risk item % another owner', OLD.item_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        NEW.reported_at := OLD.reported_at;
        NEW.reported_by := OLD.reported_by;
        PERFORM customs_risk.check_risk_transition('risk_item', format('risk item %s', OLD.item_id),
                                                   OLD.status::text, NEW.status::text);
    END IF;
    IF TG_OP = 'INSERT' OR NEW.owner_office IS DISTINCT FROM OLD.owner_office THEN
        SELECT o.level INTO owner_level FROM customs_risk.office o WHERE o.office_code = NEW.owner_office;
        IF owner_level = 'house' THEN
            RAISE EXCEPTION 'risk item owner % is a customs house', NEW.owner_office
                USING ERRCODE = 'check_violation', HINT = 'Risk items are owned by the national centre or a district centre.';
        END IF;
    END IF;
    NEW.closed_at := CASE WHEN NEW.status <> 'closed' THEN NULL
                          WHEN TG_OP = 'UPDATE' AND OLD.status = 'closed' THEN OLD.closed_at ELSE now() END;
    NEW.updated_at := now();
    NEW.updated_by := current_user;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_item_check() IS
    'trigger: stamp a risk item, start it as reported, keep owners at national or district level, enforce the lifecycle (rows kept as they are while restoring a dump)';
CREATE TRIGGER risk_item_check BEFORE INSERT OR UPDATE ON customs_risk.risk_item
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_item_check();

-- The register's ids are their rows' identities in the audit trail: generated, never chosen
-- (OVERRIDING SYSTEM VALUE could take a deleted row's id, or one the sequence will give next)
-- and never changed.  TG_ARGV[0] names the identity column.
CREATE FUNCTION customs_risk.identity_guard() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER  -- currval needs the sequence's rights
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    col text := TG_ARGV[0];
    id bigint := (pg_catalog.to_jsonb(NEW) ->> col)::bigint;
    seq regclass;
BEGIN
    IF customs_risk.restoring() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF id IS DISTINCT FROM (pg_catalog.to_jsonb(OLD) ->> col)::bigint THEN
            RAISE EXCEPTION '%.% cannot change', TG_TABLE_NAME, col USING ERRCODE = 'feature_not_supported';
        END IF;
        RETURN NEW;
    END IF;
    seq := pg_catalog.pg_get_serial_sequence(pg_catalog.format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME), col)::regclass;
    -- the row's default was drawn just now in this session: anything else was chosen
    BEGIN
        IF id = pg_catalog.currval(seq) THEN
            RETURN NEW;
        END IF;
    EXCEPTION WHEN object_not_in_prerequisite_state THEN
        NULL;   -- currval before any nextval in this session
    END;
    RAISE EXCEPTION '%.% is generated, not chosen (% given)', TG_TABLE_NAME, col, id
        USING ERRCODE = 'generated_always', HINT = 'Leave it out of the INSERT.';
END
$fn$;
COMMENT ON FUNCTION customs_risk.identity_guard() IS
    'trigger: the identity column named by the trigger argument is the one the sequence gave this row, and never changes';
REVOKE EXECUTE ON FUNCTION customs_risk.identity_guard() FROM PUBLIC;   -- as risk_audit_row()

-- A closed item is the record of a risk and of the review made when it closed: it stays.
CREATE FUNCTION customs_risk.risk_item_keep_closed() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF OLD.status = 'closed' THEN
        RAISE EXCEPTION 'risk item % is closed and cannot be deleted', OLD.item_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN OLD;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_item_keep_closed() IS 'trigger: refuse to delete a closed risk item';
CREATE TRIGGER risk_item_keep_closed BEFORE DELETE ON customs_risk.risk_item
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_item_keep_closed();
CREATE TRIGGER risk_item_identity BEFORE INSERT OR UPDATE ON customs_risk.risk_item
    FOR EACH ROW EXECUTE FUNCTION customs_risk.identity_guard('item_id');

-- A link names only what the linking role may see, and a profile link (which feeds the item's
-- closure review) belongs to the item's owner: row-level security does not reach through
-- foreign keys, so without this a district could attach rows to items it cannot see, or learn
-- of profiles it cannot.
CREATE FUNCTION customs_risk.risk_link_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    item bigint;
    item_owner text;
BEGIN
    IF customs_risk.restoring() THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'risk_item_link' THEN
        item := NEW.item_a;
    ELSE
        item := NEW.item_id;
    END IF;
    SELECT i.owner_office INTO item_owner FROM customs_risk.risk_item i WHERE i.item_id = item;
    IF item_owner IS NULL THEN
        RAISE EXCEPTION 'risk item % does not exist', item USING ERRCODE = 'no_data_found';
    END IF;
    IF TG_TABLE_NAME = 'risk_item_link' THEN
        IF NOT EXISTS (SELECT 1 FROM customs_risk.risk_item i WHERE i.item_id = NEW.item_b) THEN
            RAISE EXCEPTION 'risk item % does not exist', NEW.item_b USING ERRCODE = 'no_data_found';
        END IF;
        -- owned as items are: by the national centre or a district centre
        IF NOT EXISTS (SELECT 1 FROM customs_risk.office o WHERE o.office_code = NEW.owner_office) THEN
            RAISE EXCEPTION 'office % does not exist', coalesce(quote_literal(NEW.owner_office), 'NULL')
                USING ERRCODE = 'no_data_found';
        END IF;
        IF EXISTS (SELECT 1 FROM customs_risk.office o WHERE o.office_code = NEW.owner_office AND o.level = 'house') THEN
            RAISE EXCEPTION 'a link between risk items is owned by the national centre or a district centre, not customs house %',
                            NEW.owner_office
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    ELSE
        -- a profile link feeds the item's closure review: it is the item owner's to make
        IF item_owner IS DISTINCT FROM NEW.owner_office THEN
            RAISE EXCEPTION 'a profile link belongs to its item''s owner, %, not %', item_owner, NEW.owner_office
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM customs_risk.profile p WHERE p.profile_id = NEW.profile_id) THEN
            RAISE EXCEPTION 'profile % does not exist', NEW.profile_id USING ERRCODE = 'no_data_found';
        END IF;
    END IF;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_link_check() IS
    'trigger: a risk item link names only items the linking role can see; a profile link belongs to its item''s owner and names a profile the role can see';

-- Links between related items ---------------------------------------------------------

CREATE TABLE customs_risk.risk_item_link (
    item_a bigint NOT NULL REFERENCES customs_risk.risk_item (item_id) ON DELETE CASCADE,
    item_b bigint NOT NULL REFERENCES customs_risk.risk_item (item_id) ON DELETE CASCADE,
    note text,
    owner_office text COLLATE "C" NOT NULL REFERENCES customs_risk.office (office_code),
    linked_at timestamptz NOT NULL DEFAULT now(),
    linked_by text NOT NULL DEFAULT session_user,
    CONSTRAINT risk_item_link_not_self CHECK (item_a <> item_b)
);
-- one link per pair, in whichever order it was given
CREATE UNIQUE INDEX risk_item_link_pair_idx ON customs_risk.risk_item_link
    (LEAST(item_a, item_b), GREATEST(item_a, item_b));
CREATE INDEX risk_item_link_b_idx ON customs_risk.risk_item_link (item_b);
COMMENT ON TABLE customs_risk.risk_item_link IS
    'related risk items (symmetric: one row per pair, never an item with itself); related_risk_items() looks both ways';
COMMENT ON COLUMN customs_risk.risk_item_link.item_a IS 'one item';
COMMENT ON COLUMN customs_risk.risk_item_link.item_b IS 'the other item';
COMMENT ON COLUMN customs_risk.risk_item_link.note IS 'how they are related';
COMMENT ON COLUMN customs_risk.risk_item_link.owner_office IS 'the office that made the link (the owner of item_a unless given)';
COMMENT ON COLUMN customs_risk.risk_item_link.linked_at IS 'when';
COMMENT ON COLUMN customs_risk.risk_item_link.linked_by IS 'the session user who linked them';

-- The audit trail -----------------------------------------------------------------------

CREATE TABLE customs_risk.risk_audit (
    audit_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id bigint NOT NULL,
    related_item_id bigint,
    table_name text COLLATE "C" NOT NULL,
    action text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    row_data jsonb NOT NULL,
    owner_office text COLLATE "C" NOT NULL,
    changed_by text NOT NULL DEFAULT session_user,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX risk_audit_item_idx ON customs_risk.risk_audit (item_id, audit_id);
COMMENT ON TABLE customs_risk.risk_audit IS
    'append-only audit trail of every change to risk items, their links, inbox entries, actions and profile links, with who and when';
COMMENT ON COLUMN customs_risk.risk_audit.audit_id IS 'order of the changes';
COMMENT ON COLUMN customs_risk.risk_audit.item_id IS 'the risk item concerned';
COMMENT ON COLUMN customs_risk.risk_audit.related_item_id IS 'for a link, the other item; NULL otherwise';
COMMENT ON COLUMN customs_risk.risk_audit.table_name IS 'the table changed: risk_item, risk_item_link, risk_inbox, risk_action or risk_item_profile';
COMMENT ON COLUMN customs_risk.risk_audit.action IS 'insert, update or delete';
COMMENT ON COLUMN customs_risk.risk_audit.row_data IS 'the row after the change (before, for a delete)';
COMMENT ON COLUMN customs_risk.risk_audit.owner_office IS 'the office the changed row belongs to (owner, or recipient for inbox entries)';
COMMENT ON COLUMN customs_risk.risk_audit.changed_by IS 'the session user who made the change (the row''s updated_by, where it has one, names the role in effect)';
COMMENT ON COLUMN customs_risk.risk_audit.changed_at IS 'when (the clock, not the transaction start)';
CREATE TRIGGER risk_audit_append_only BEFORE UPDATE OR DELETE ON customs_risk.risk_audit
    FOR EACH ROW EXECUTE FUNCTION customs_risk.refuse_change();
CREATE TRIGGER risk_audit_no_truncate BEFORE TRUNCATE ON customs_risk.risk_audit
    FOR EACH STATEMENT EXECUTE FUNCTION customs_risk.refuse_change();

-- Row trigger of the register's tables: append the change to risk_audit.  Arguments: the
-- column holding the item, the column holding a related item ('' for none), the office column.
-- SECURITY DEFINER so writers need no privilege on the audit table (and cannot forge it).
CREATE FUNCTION customs_risk.risk_audit_row() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
BEGIN
    IF customs_risk.restoring() THEN
        RETURN NULL;    -- the dump carries the audit trail itself
    END IF;
    INSERT INTO customs_risk.risk_audit (item_id, related_item_id, table_name, action, row_data, owner_office)
    VALUES ((r ->> TG_ARGV[0])::bigint, (r ->> nullif(TG_ARGV[1], ''))::bigint, TG_TABLE_NAME, lower(TG_OP), r,
            r ->> TG_ARGV[2]);
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_audit_row() IS
    'trigger: append a change to a risk-register table to risk_audit (arguments: item column, related-item column or empty, office column)';
-- A SECURITY DEFINER trigger function: PUBLIC could otherwise attach it to a table of its own
-- (CREATE TRIGGER needs EXECUTE) and make it forge audit rows.  Triggers fire without it.
REVOKE EXECUTE ON FUNCTION customs_risk.risk_audit_row() FROM PUBLIC;
CREATE TRIGGER risk_item_audit AFTER INSERT OR UPDATE OR DELETE ON customs_risk.risk_item
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_audit_row('item_id', '', 'owner_office');
CREATE TRIGGER risk_item_link_check BEFORE INSERT OR UPDATE ON customs_risk.risk_item_link
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_link_check();
CREATE TRIGGER risk_item_link_audit AFTER INSERT OR UPDATE OR DELETE ON customs_risk.risk_item_link
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_audit_row('item_a', 'item_b', 'owner_office');

-- The register with its levels ------------------------------------------------------------

CREATE VIEW customs_risk.risk_register_v AS
SELECT i.item_id, i.title, i.source, i.category, i.scope, i.likelihood, i.consequence,
       m.level, i.likelihood * i.consequence AS score, i.owner_office, i.status, i.treatment,
       i.reported_at, i.updated_at, i.closed_at
  FROM customs_risk.risk_item i
  LEFT JOIN customs_risk.risk_matrix m ON m.likelihood = i.likelihood AND m.consequence = i.consequence;
COMMENT ON VIEW customs_risk.risk_register_v IS
    'the risk register with each item''s level from the risk matrix as it is now';
COMMENT ON COLUMN customs_risk.risk_register_v.item_id IS 'risk item number';
COMMENT ON COLUMN customs_risk.risk_register_v.title IS 'short title';
COMMENT ON COLUMN customs_risk.risk_register_v.source IS 'where the information came from';
COMMENT ON COLUMN customs_risk.risk_register_v.category IS 'what is at risk';
COMMENT ON COLUMN customs_risk.risk_register_v.scope IS 'the declarations it concerns (criteria)';
COMMENT ON COLUMN customs_risk.risk_register_v.likelihood IS 'likelihood 1..5; NULL until analysed';
COMMENT ON COLUMN customs_risk.risk_register_v.consequence IS 'consequence 1..5; NULL until analysed';
COMMENT ON COLUMN customs_risk.risk_register_v.level IS 'risk level from the risk matrix; NULL until analysed';
COMMENT ON COLUMN customs_risk.risk_register_v.score IS 'likelihood x consequence (1..25), for sorting within a level';
COMMENT ON COLUMN customs_risk.risk_register_v.owner_office IS 'owning national or district centre';
COMMENT ON COLUMN customs_risk.risk_register_v.status IS 'lifecycle status';
COMMENT ON COLUMN customs_risk.risk_register_v.treatment IS 'treatment decided; NULL before';
COMMENT ON COLUMN customs_risk.risk_register_v.reported_at IS 'when reported';
COMMENT ON COLUMN customs_risk.risk_register_v.updated_at IS 'when last changed';
COMMENT ON COLUMN customs_risk.risk_register_v.closed_at IS 'when closed; NULL while open';

-- Workflow functions ------------------------------------------------------------------------

-- The item, locked for the change that follows or not (publishing and linking change nothing in
-- it, and a lock would need the right to update it); clear errors for NULL and unknown ids.
CREATE FUNCTION customs_risk.risk_item_row(item_id bigint, for_update boolean) RETURNS customs_risk.risk_item
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r customs_risk.risk_item;
BEGIN
    IF item_id IS NULL THEN
        RAISE EXCEPTION 'risk item id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF for_update THEN
        SELECT * INTO r FROM customs_risk.risk_item i WHERE i.item_id = risk_item_row.item_id FOR UPDATE;
    ELSE
        SELECT * INTO r FROM customs_risk.risk_item i WHERE i.item_id = risk_item_row.item_id;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'risk item % does not exist', item_id USING ERRCODE = 'no_data_found';
    END IF;
    RETURN r;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_item_row(bigint, boolean) IS
    'the risk item, locked FOR UPDATE when asked; 22004 for a NULL id, P0002 for an unknown one';

CREATE FUNCTION customs_risk.assess_risk_item(item_id bigint, likelihood integer, consequence integer, note text DEFAULT NULL)
RETURNS customs_risk.risk_level
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r customs_risk.risk_item := customs_risk.risk_item_row(item_id, true);
    result customs_risk.risk_level := customs_risk.risk_level(likelihood, consequence);   -- checks both
BEGIN
    UPDATE customs_risk.risk_item i
       SET likelihood = assess_risk_item.likelihood, consequence = assess_risk_item.consequence,
           status = CASE WHEN r.status = 'reported' THEN 'analysed' ELSE r.status END,
           status_note = coalesce(note, i.status_note)
     WHERE i.item_id = r.item_id;
    RETURN result;
END
$fn$;
COMMENT ON FUNCTION customs_risk.assess_risk_item(bigint, integer, integer, text) IS
    'set an item''s likelihood and consequence (1..5): a reported item becomes analysed, a later one is re-assessed; returns the risk level';

CREATE FUNCTION customs_risk.set_risk_status(item_id bigint, status customs_risk.risk_status, note text DEFAULT NULL)
RETURNS customs_risk.risk_status
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r customs_risk.risk_item := customs_risk.risk_item_row(item_id, true);
BEGIN
    IF status IS NULL THEN
        RAISE EXCEPTION 'status must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    UPDATE customs_risk.risk_item i SET status = set_risk_status.status, status_note = note
     WHERE i.item_id = r.item_id;
    RETURN status;
END
$fn$;
COMMENT ON FUNCTION customs_risk.set_risk_status(bigint, customs_risk.risk_status, text) IS
    'move a risk item to a status, with a note; a change risk_transition does not allow is refused (55000)';

CREATE FUNCTION customs_risk.link_risk_items(item_a bigint, item_b bigint, note text DEFAULT NULL,
                                             owner_office text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    a customs_risk.risk_item := customs_risk.risk_item_row(item_a, false);
    b customs_risk.risk_item := customs_risk.risk_item_row(item_b, false);
BEGIN
    IF a.item_id = b.item_id THEN
        RAISE EXCEPTION 'risk item % cannot be linked to itself', a.item_id USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM customs_risk.risk_item_link l
                WHERE LEAST(l.item_a, l.item_b) = LEAST(a.item_id, b.item_id)
                  AND GREATEST(l.item_a, l.item_b) = GREATEST(a.item_id, b.item_id)) THEN
        RAISE EXCEPTION 'risk items % and % are already linked', a.item_id, b.item_id USING ERRCODE = 'unique_violation';
    END IF;
    INSERT INTO customs_risk.risk_item_link (item_a, item_b, note, owner_office)
    VALUES (a.item_id, b.item_id, note, coalesce(link_risk_items.owner_office, a.owner_office));
END
$fn$;
COMMENT ON FUNCTION customs_risk.link_risk_items(bigint, bigint, text, text) IS
    'link two related risk items (23514 for an item with itself, 23505 for a pair already linked in either order)';

CREATE FUNCTION customs_risk.related_risk_items(item_id bigint)
RETURNS TABLE (related_item_id bigint, title text, status customs_risk.risk_status, note text, linked_at timestamptz)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT i.item_id, i.title, i.status, l.note, l.linked_at
      FROM customs_risk.risk_item_link l
      JOIN customs_risk.risk_item i
        ON i.item_id = CASE WHEN l.item_a = related_risk_items.item_id THEN l.item_b ELSE l.item_a END
     WHERE l.item_a = related_risk_items.item_id OR l.item_b = related_risk_items.item_id
     ORDER BY i.item_id
$fn$;
COMMENT ON FUNCTION customs_risk.related_risk_items(bigint) IS
    'the items linked to an item, whichever side of the link it is on';

SELECT pg_catalog.pg_extension_config_dump('customs_risk.risk_matrix', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.risk_transition', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.risk_item', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.risk_item_item_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.risk_item_link', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.risk_audit', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.risk_audit_audit_id_seq', '');
