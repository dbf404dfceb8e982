
-- ===========================================================================
-- Dissemination of risk items: publish to districts or houses, inboxes with
-- read and acknowledged times, a NOTIFY per recipient, overdue acknowledgements
-- ===========================================================================

CREATE TABLE customs_risk.risk_inbox (
    inbox_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id bigint NOT NULL REFERENCES customs_risk.risk_item (item_id) ON DELETE CASCADE,
    from_office text COLLATE "C" NOT NULL REFERENCES customs_risk.office (office_code),
    recipient_office text COLLATE "C" NOT NULL REFERENCES customs_risk.office (office_code),
    published_at timestamptz NOT NULL DEFAULT now(),
    published_by text NOT NULL DEFAULT session_user,
    deadline timestamptz,
    read_at timestamptz,
    read_by text,
    acknowledged_at timestamptz,
    acknowledged_by text,
    CONSTRAINT risk_inbox_not_to_self CHECK (from_office <> recipient_office),
    CONSTRAINT risk_inbox_deadline_after_publication CHECK (deadline > published_at AND deadline < 'infinity'),
    CONSTRAINT risk_inbox_read CHECK ((read_at IS NULL) = (read_by IS NULL)),
    CONSTRAINT risk_inbox_acknowledged CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL)
                                              AND (acknowledged_at IS NULL OR read_at IS NOT NULL))
);
-- an item waits at most once, unacknowledged, in an inbox
CREATE UNIQUE INDEX risk_inbox_pending_idx ON customs_risk.risk_inbox (item_id, recipient_office)
    WHERE acknowledged_at IS NULL;
CREATE INDEX risk_inbox_recipient_idx ON customs_risk.risk_inbox (recipient_office, published_at);
CREATE INDEX risk_inbox_deadline_idx ON customs_risk.risk_inbox (deadline) WHERE acknowledged_at IS NULL;
COMMENT ON TABLE customs_risk.risk_inbox IS
    'one row per risk item published to an office: when it arrived, its deadline, when it was read and acknowledged, by whom';
COMMENT ON COLUMN customs_risk.risk_inbox.inbox_id IS 'inbox entry number (generated)';
COMMENT ON COLUMN customs_risk.risk_inbox.item_id IS 'the risk item published';
COMMENT ON COLUMN customs_risk.risk_inbox.from_office IS 'the office that published it (national centre or district centre)';
COMMENT ON COLUMN customs_risk.risk_inbox.recipient_office IS 'the office whose inbox it is in (a district centre or a customs house); row-level security filters on it';
COMMENT ON COLUMN customs_risk.risk_inbox.published_at IS 'when it was published';
COMMENT ON COLUMN customs_risk.risk_inbox.published_by IS 'the session user who published it';
COMMENT ON COLUMN customs_risk.risk_inbox.deadline IS 'when it must be acknowledged by; NULL for no deadline';
COMMENT ON COLUMN customs_risk.risk_inbox.read_at IS 'when the recipient first read it; NULL while unread';
COMMENT ON COLUMN customs_risk.risk_inbox.read_by IS 'the session user who first read it';
COMMENT ON COLUMN customs_risk.risk_inbox.acknowledged_at IS 'when the recipient acknowledged it; NULL while not acknowledged';
COMMENT ON COLUMN customs_risk.risk_inbox.acknowledged_by IS 'the session user who acknowledged it';
CREATE TRIGGER risk_inbox_audit AFTER INSERT OR UPDATE OR DELETE ON customs_risk.risk_inbox
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_audit_row('item_id', '', 'recipient_office');

-- An inbox entry makes its item visible to the recipient (the risk register's policies), so the
-- rules of publish_risk_item() hold for a plain INSERT too: the sender reads the item under its
-- own row-level security (a district publishes only what it owns or received), the recipient is
-- one level under the sender, and an entry never changes its item, sender or recipient.
CREATE FUNCTION customs_risk.risk_inbox_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF customs_risk.restoring() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF (NEW.item_id, NEW.from_office, NEW.recipient_office, NEW.published_at, NEW.published_by)
           IS DISTINCT FROM (OLD.item_id, OLD.from_office, OLD.recipient_office, OLD.published_at, OLD.published_by) THEN
            RAISE EXCEPTION 'inbox entry % cannot change its item, sender, recipient or publication', OLD.inbox_id
                USING ERRCODE = 'feature_not_supported', HINT = 'Publish the item again (publish_risk_item).';
        END IF;
        IF NEW.deadline IS DISTINCT FROM OLD.deadline AND NOT customs_risk.is_national()
           AND OLD.from_office IS DISTINCT FROM customs_risk.my_analyst_district() THEN
            RAISE EXCEPTION 'the deadline of inbox entry % is its sender''s to change', OLD.inbox_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- reading and acknowledging are stamped with who and when, once, and stay
        IF OLD.read_at IS NOT NULL AND (NEW.read_at, NEW.read_by) IS DISTINCT FROM (OLD.read_at, OLD.read_by)
           OR OLD.acknowledged_at IS NOT NULL
              AND (NEW.acknowledged_at, NEW.acknowledged_by) IS DISTINCT FROM (OLD.acknowledged_at, OLD.acknowledged_by) THEN
            RAISE EXCEPTION 'inbox entry % was already read or acknowledged; that record stays', OLD.inbox_id
                USING ERRCODE = 'feature_not_supported';
        END IF;
        IF OLD.read_at IS NULL AND NEW.read_at IS NOT NULL THEN
            NEW.read_at := now();
            NEW.read_by := session_user;
        END IF;
        IF OLD.acknowledged_at IS NULL AND NEW.acknowledged_at IS NOT NULL THEN
            NEW.acknowledged_at := now();
            NEW.acknowledged_by := session_user;
        END IF;
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM customs_risk.risk_item i WHERE i.item_id = NEW.item_id) THEN
        RAISE EXCEPTION 'risk item % does not exist or may not be published by %', NEW.item_id, current_user
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'An item is published by its owner, or passed on by a district that received it.';
    END IF;
    -- whether the item is closed: risk_inbox_check_open, which locks it
    NEW.published_at := now();
    NEW.published_by := session_user;
    IF NOT EXISTS (SELECT 1 FROM customs_risk.office o
                    WHERE o.office_code = NEW.recipient_office AND o.parent_code = NEW.from_office) THEN
        RAISE EXCEPTION 'office % is not one level under %', NEW.recipient_office, NEW.from_office
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The national centre publishes to district centres, a district centre to its own customs houses.';
    END IF;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_inbox_check() IS
    'trigger: an inbox entry is for an item its sender may read, to an office one level under the sender, and keeps its item, sender and recipient';
CREATE TRIGGER risk_inbox_check BEFORE INSERT OR UPDATE ON customs_risk.risk_inbox
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_inbox_check();
CREATE TRIGGER risk_inbox_identity BEFORE INSERT OR UPDATE ON customs_risk.risk_inbox
    FOR EACH ROW EXECUTE FUNCTION customs_risk.identity_guard('inbox_id');

-- A closed item is not published.  The item is locked (FOR SHARE) before its status is read, so
-- a publication and a close wait for each other, as an action and a close do: a close that
-- commits first is seen (READ COMMITTED reads the new row; REPEATABLE READ fails with 40001),
-- and one that comes later waits for the entry.  Definer's rights, since a district passing
-- on an item it received may read it but not lock it; a trigger function, so nobody can call it
-- to lock or probe an item directly.  It fires after risk_inbox_check (names in order), which
-- has checked under the caller's rights that the item may be published.
CREATE FUNCTION customs_risk.risk_inbox_check_open() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    status customs_risk.risk_status;
BEGIN
    IF customs_risk.restoring() THEN
        RETURN NEW;
    END IF;
    SELECT i.status INTO status FROM customs_risk.risk_item i WHERE i.item_id = NEW.item_id FOR SHARE;
    IF status = 'closed' THEN
        RAISE EXCEPTION 'risk item % is closed and is not published', NEW.item_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_inbox_check_open() IS
    'trigger: lock a new inbox entry''s risk item (FOR SHARE) and refuse the entry if the item is closed';
REVOKE EXECUTE ON FUNCTION customs_risk.risk_inbox_check_open() FROM PUBLIC;   -- as risk_item_closing()
CREATE TRIGGER risk_inbox_check_open BEFORE INSERT ON customs_risk.risk_inbox
    FOR EACH ROW EXECUTE FUNCTION customs_risk.risk_inbox_check_open();

CREATE FUNCTION customs_risk.inbox_channel(office_code text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
    SELECT 'customs_risk_inbox_' || pg_catalog.lower(office_code)
$fn$;
COMMENT ON FUNCTION customs_risk.inbox_channel(text) IS
    'the NOTIFY channel of an office''s inbox: customs_risk_inbox_ and the office code in lower case (LISTEN "customs_risk_inbox_rc-seoul")';

-- Publish an item from its owner (or from a district that received it) to offices one level
-- down; NULL recipients means all of them.  Each recipient gets an inbox entry and a NOTIFY on
-- its channel, sent when the transaction commits.
CREATE FUNCTION customs_risk.publish_risk_item(item_id bigint, recipients text[] DEFAULT NULL,
                                               deadline timestamptz DEFAULT NULL, from_office text DEFAULT NULL)
RETURNS SETOF customs_risk.risk_inbox
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r customs_risk.risk_item := customs_risk.risk_item_row(item_id, false);
    sender text := publish_risk_item.from_office;
    sender_level customs_risk.office_level;
    bad text;
    e customs_risk.risk_inbox;
BEGIN
    -- by default the item's owner publishes it; a district analyst publishes from its district,
    -- passing on an item it received (publishing as the owner is not its to do)
    IF sender IS NULL THEN
        sender := CASE WHEN NOT customs_risk.is_national() THEN customs_risk.my_analyst_district() END;
        sender := coalesce(sender, r.owner_office);
    END IF;
    IF r.status = 'closed' THEN
        RAISE EXCEPTION 'risk item % is closed and cannot be published', r.item_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF deadline IS NOT NULL AND NOT (deadline > now() AND deadline < 'infinity') THEN
        RAISE EXCEPTION 'deadline must be a finite time after now' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF recipients IS NOT NULL AND (cardinality(recipients) = 0 OR array_position(recipients, NULL) IS NOT NULL) THEN
        RAISE EXCEPTION 'recipients must be NULL (all) or a non-empty list of office codes without NULLs'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT o.level INTO sender_level FROM customs_risk.office o WHERE o.office_code = sender;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'office % does not exist', quote_literal(sender) USING ERRCODE = 'no_data_found';
    END IF;
    -- a district passes on what it owns or what it received; the national centre publishes its own
    IF sender <> r.owner_office AND NOT (sender_level = 'district' AND EXISTS (
               SELECT 1 FROM customs_risk.risk_inbox i WHERE i.item_id = r.item_id AND i.recipient_office = sender)) THEN
        RAISE EXCEPTION 'office % may not publish risk item %', sender, r.item_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'An item is published by its owner, or passed on by a district that received it.';
    END IF;
    IF sender_level = 'house' THEN
        RAISE EXCEPTION 'customs house % has no offices to publish to', sender USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF recipients IS NOT NULL THEN
        SELECT x INTO bad FROM unnest(recipients) x
         WHERE NOT EXISTS (SELECT 1 FROM customs_risk.office o WHERE o.office_code = x) LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'office % does not exist', quote_literal(bad) USING ERRCODE = 'no_data_found';
        END IF;
        SELECT x INTO bad FROM unnest(recipients) x JOIN customs_risk.office o ON o.office_code = x
         WHERE o.parent_code IS DISTINCT FROM sender LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'office % is not % under %', bad,
                  CASE sender_level WHEN 'national' THEN 'a district centre' ELSE 'a customs house' END, sender
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'The national centre publishes to district centres, a district centre to its own customs houses.';
        END IF;
    END IF;
    SELECT string_agg(i.recipient_office, ', ' ORDER BY i.recipient_office) INTO bad
      FROM customs_risk.risk_inbox i
     WHERE i.item_id = r.item_id AND i.acknowledged_at IS NULL
       AND i.recipient_office IN (SELECT o.office_code FROM customs_risk.office o
                                   WHERE o.parent_code = sender AND (recipients IS NULL OR o.office_code = ANY (recipients)));
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'risk item % waits unacknowledged in the inbox of %', r.item_id, bad
            USING ERRCODE = 'unique_violation', HINT = 'Publish again once they have acknowledged it, or leave them out.';
    END IF;

    FOR e IN
        INSERT INTO customs_risk.risk_inbox (item_id, from_office, recipient_office, deadline)
        SELECT r.item_id, sender, o.office_code, publish_risk_item.deadline
          FROM customs_risk.office o
         WHERE o.parent_code = sender AND (recipients IS NULL OR o.office_code = ANY (recipients))
         ORDER BY o.office_code
        RETURNING *
    LOOP
        -- numbers only: any role that can connect may LISTEN on, or NOTIFY, any channel, so a
        -- payload carries nothing a recipient's rights guard; the client reads the entry itself
        PERFORM pg_notify(customs_risk.inbox_channel(e.recipient_office),
                          json_build_object('inbox_id', e.inbox_id, 'item_id', r.item_id, 'from_office', sender,
                                            'deadline', e.deadline)::text);
        RETURN NEXT e;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION customs_risk.publish_risk_item(bigint, text[], timestamptz, text) IS
    'publish a risk item from the national centre to its districts, or from a district to its customs houses (all, or the recipients named), with an optional deadline; an inbox entry and a NOTIFY on inbox_channel() per recipient';

-- The entry, locked; clear errors for NULL and unknown ids.
CREATE FUNCTION customs_risk.risk_inbox_for_update(inbox_id bigint) RETURNS customs_risk.risk_inbox
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    e customs_risk.risk_inbox;
BEGIN
    IF inbox_id IS NULL THEN
        RAISE EXCEPTION 'inbox id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO e FROM customs_risk.risk_inbox i WHERE i.inbox_id = risk_inbox_for_update.inbox_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'inbox entry % does not exist', inbox_id USING ERRCODE = 'no_data_found';
    END IF;
    RETURN e;
END
$fn$;
COMMENT ON FUNCTION customs_risk.risk_inbox_for_update(bigint) IS
    'the inbox entry, locked FOR UPDATE; 22004 for a NULL id, P0002 for an unknown one';

CREATE FUNCTION customs_risk.mark_read(inbox_id bigint) RETURNS customs_risk.risk_inbox
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    e customs_risk.risk_inbox := customs_risk.risk_inbox_for_update(inbox_id);
BEGIN
    IF e.read_at IS NULL THEN
        UPDATE customs_risk.risk_inbox i SET read_at = now(), read_by = session_user
         WHERE i.inbox_id = e.inbox_id RETURNING * INTO e;
    END IF;
    RETURN e;
END
$fn$;
COMMENT ON FUNCTION customs_risk.mark_read(bigint) IS
    'record that an inbox entry was read (the first reading counts; reading again changes nothing); returns the entry';

CREATE FUNCTION customs_risk.acknowledge(inbox_id bigint) RETURNS customs_risk.risk_inbox
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    e customs_risk.risk_inbox := customs_risk.risk_inbox_for_update(inbox_id);
BEGIN
    IF e.acknowledged_at IS NULL THEN
        UPDATE customs_risk.risk_inbox i
           SET read_at = coalesce(i.read_at, now()), read_by = coalesce(i.read_by, session_user),
               acknowledged_at = now(), acknowledged_by = session_user
         WHERE i.inbox_id = e.inbox_id RETURNING * INTO e;
    END IF;
    RETURN e;
END
$fn$;
COMMENT ON FUNCTION customs_risk.acknowledge(bigint) IS
    'acknowledge an inbox entry (marking it read too); the first acknowledgement counts; returns the entry';

CREATE FUNCTION customs_risk.overdue_acknowledgements(as_of timestamptz DEFAULT now())
RETURNS TABLE (inbox_id bigint, item_id bigint, title text, level customs_risk.risk_level,
               from_office text, recipient_office text, recipient_district text,
               published_at timestamptz, deadline timestamptz, overdue interval, read_at timestamptz)
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF as_of IS NULL OR NOT isfinite(as_of) THEN
        RAISE EXCEPTION 'overdue_acknowledgements: as_of must be a finite time, not %', coalesce(as_of::text, 'NULL')
            USING ERRCODE = CASE WHEN as_of IS NULL THEN 'null_value_not_allowed' ELSE 'invalid_parameter_value' END;
    END IF;
    RETURN QUERY
    SELECT e.inbox_id, e.item_id, i.title, m.level, e.from_office::text, e.recipient_office::text,
           (CASE o.level WHEN 'district' THEN o.office_code ELSE o.parent_code END)::text,
           e.published_at, e.deadline, as_of - e.deadline,
           CASE WHEN e.read_at <= as_of THEN e.read_at END
      FROM customs_risk.risk_inbox e
      JOIN customs_risk.risk_item i ON i.item_id = e.item_id
      JOIN customs_risk.office o ON o.office_code = e.recipient_office
      LEFT JOIN customs_risk.risk_matrix m ON m.likelihood = i.likelihood AND m.consequence = i.consequence
     WHERE e.deadline < as_of AND e.published_at <= as_of
       AND (e.acknowledged_at IS NULL OR e.acknowledged_at > as_of)
     ORDER BY e.deadline, e.recipient_office, e.inbox_id;
END
$fn$;
COMMENT ON FUNCTION customs_risk.overdue_acknowledgements(timestamptz) IS
    'inbox entries not acknowledged at as_of although their deadline had passed, oldest deadline first, with the recipient''s district';

SELECT pg_catalog.pg_extension_config_dump('customs_risk.risk_inbox', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.risk_inbox_inbox_id_seq', '');
