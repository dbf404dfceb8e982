
-- ===========================================================================
-- Targeting profiles, their history and the profile-set version
-- ===========================================================================

CREATE TYPE customs_risk.profile_status AS ENUM ('draft', 'active', 'suspended', 'retired');
COMMENT ON TYPE customs_risk.profile_status IS 'life cycle of a targeting profile: only active profiles select';

CREATE TABLE customs_risk.profile (
    profile_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (name ~ '^\S(.{0,118}\S)?$'),
    criteria customs_risk.criteria NOT NULL,
    channel customs_risk.channel NOT NULL CHECK (channel <> 'green'),
    weight float8 NOT NULL DEFAULT 1 CHECK (weight > 0 AND weight <= 1000),
    description text NOT NULL CHECK (description <> ''),
    status customs_risk.profile_status NOT NULL DEFAULT 'draft',
    valid_from date NOT NULL DEFAULT current_date,
    valid_to date,
    owner_office text COLLATE "C" NOT NULL REFERENCES customs_risk.office (office_code),
    scope_offices text[] COLLATE "C",
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL DEFAULT current_user,
    CHECK (valid_to IS NULL OR valid_to >= valid_from),
    CHECK (scope_offices IS NULL OR (cardinality(scope_offices) >= 1 AND array_position(scope_offices, NULL) IS NULL))
);
CREATE INDEX profile_status_idx ON customs_risk.profile (status) WHERE status = 'active';
COMMENT ON TABLE customs_risk.profile IS
    'targeting profiles (selectivity criteria): declarations whose lines satisfy the criteria go to the channel';
COMMENT ON COLUMN customs_risk.profile.profile_id IS 'profile number (generated)';
COMMENT ON COLUMN customs_risk.profile.name IS 'short unique name';
COMMENT ON COLUMN customs_risk.profile.criteria IS 'which declaration lines it selects (criteria language)';
COMMENT ON COLUMN customs_risk.profile.channel IS 'channel it sends to: blue, yellow or red';
COMMENT ON COLUMN customs_risk.profile.weight IS 'contribution to the risk score of a declaration it selects';
COMMENT ON COLUMN customs_risk.profile.description IS 'shown to the officer: why the declaration was selected and what to examine';
COMMENT ON COLUMN customs_risk.profile.status IS 'draft, active, suspended or retired; only active profiles select';
COMMENT ON COLUMN customs_risk.profile.valid_from IS 'first declaration date it applies to';
COMMENT ON COLUMN customs_risk.profile.valid_to IS 'last declaration date it applies to; NULL for open-ended';
COMMENT ON COLUMN customs_risk.profile.owner_office IS 'the national centre or the district centre that owns it';
COMMENT ON COLUMN customs_risk.profile.scope_offices IS
    'customs houses or districts it applies to; NULL for all offices under the owner';
COMMENT ON COLUMN customs_risk.profile.created_at IS 'when it was created';
COMMENT ON COLUMN customs_risk.profile.updated_at IS 'when it last changed';
COMMENT ON COLUMN customs_risk.profile.updated_by IS 'who last changed it';

-- One row: the version of the profile set, raised by every change to profiles or offices.
-- Decisions record it; the in-memory matcher is rebuilt when it moves.  The row gives the
-- version transactionally (readers see it move with the profiles); the numbers come from a
-- sequence, which pg_dump keeps, so versions never repeat after a restore.
CREATE SEQUENCE customs_risk.profile_set_version_seq;
COMMENT ON SEQUENCE customs_risk.profile_set_version_seq IS 'numbers of profile-set versions';
CREATE TABLE customs_risk.profile_set (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version bigint NOT NULL DEFAULT 0,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO customs_risk.profile_set DEFAULT VALUES;
COMMENT ON TABLE customs_risk.profile_set IS 'the version of the profile set (one row); every change to table profile raises it';
COMMENT ON COLUMN customs_risk.profile_set.singleton IS 'always true: the table has one row';
COMMENT ON COLUMN customs_risk.profile_set.version IS 'current profile-set version';
COMMENT ON COLUMN customs_risk.profile_set.changed_at IS 'when it last moved';

CREATE TABLE customs_risk.profile_history (
    history_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    profile_id bigint NOT NULL,
    action text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    profile_row jsonb NOT NULL,
    profile_set_version bigint NOT NULL,
    changed_by text NOT NULL DEFAULT session_user,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX profile_history_profile_idx ON customs_risk.profile_history (profile_id, history_id);
COMMENT ON TABLE customs_risk.profile_history IS 'append-only history of every change to a profile, with who and when';
COMMENT ON COLUMN customs_risk.profile_history.history_id IS 'order of the changes';
COMMENT ON COLUMN customs_risk.profile_history.profile_id IS 'the profile changed';
COMMENT ON COLUMN customs_risk.profile_history.action IS 'insert, update or delete';
COMMENT ON COLUMN customs_risk.profile_history.profile_row IS 'the profile as it was after the change (before, for a delete)';
COMMENT ON COLUMN customs_risk.profile_history.profile_set_version IS 'the profile-set version the change created';
COMMENT ON COLUMN customs_risk.profile_history.changed_by IS 'the session user who made the change';
COMMENT ON COLUMN customs_risk.profile_history.changed_at IS 'when';

-- pg_restore (and psql replaying a pg_dump script) turns row_security and check_function_bodies
-- off for its session; ordinary sessions keep both on.  Triggers that stamp rows or write
-- history then keep rows as dumped and write nothing: the history is in the dump too, and rows
-- a trigger wrote would take the numbers the dumped ones hold.  Only a session logged in as a
-- superuser or as (a member of) the extension's owner counts, so an analyst who sets both
-- settings still goes through the checks and the history.  Not a BYPASSRLS role: backup and
-- ETL logins often have that, and could then rewrite profiles with no history and no version
-- move; a data-only restore by such a login needs membership in the extension's owner.
CREATE FUNCTION customs_risk.restoring() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
    SELECT pg_catalog.current_setting('row_security') = 'off'
       AND pg_catalog.current_setting('check_function_bodies') = 'off'
       AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles r, pg_catalog.pg_extension e
                    WHERE r.rolname = session_user AND e.extname = 'customs_risk'
                      AND (r.rolsuper OR pg_catalog.pg_has_role(session_user, e.extowner, 'MEMBER')))
$fn$;
COMMENT ON FUNCTION customs_risk.restoring() IS
    'true in a session that replays a dump (row_security and check_function_bodies both off, as pg_restore sets them) logged in as a superuser or (a member of) the extension owner';

-- The version goes into a dump with the profiles.  CREATE EXTENSION makes the row before a
-- restore, so the dumped row sets it: decisions after a restore carry the version they had
-- before it, never a number that meant another profile set.
CREATE FUNCTION customs_risk.profile_set_restore() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF NOT customs_risk.restoring() THEN
        RAISE EXCEPTION 'profile_set has one row, which moves with the profiles'
            USING ERRCODE = 'feature_not_supported';
    END IF;
    UPDATE customs_risk.profile_set SET version = NEW.version, changed_at = NEW.changed_at;
    IF NOT FOUND THEN
        RETURN NEW;     -- the row was missing: the dumped one is it
    END IF;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION customs_risk.profile_set_restore() IS
    'trigger: while a dump is replayed, an INSERT into profile_set sets its one row; otherwise refused';
CREATE TRIGGER profile_set_restore BEFORE INSERT ON customs_risk.profile_set
    FOR EACH ROW EXECUTE FUNCTION customs_risk.profile_set_restore();

-- The version only moves forward (decisions and matchers compare it), and the row stays.
CREATE FUNCTION customs_risk.profile_set_guard() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.version > OLD.version OR customs_risk.restoring()) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'profile_set has one row, whose version only moves forward with the profiles'
        USING ERRCODE = 'feature_not_supported';
END
$fn$;
COMMENT ON FUNCTION customs_risk.profile_set_guard() IS
    'trigger: refuse to delete or truncate profile_set, or to move its version back (except while a dump is replayed)';
CREATE TRIGGER profile_set_guard BEFORE UPDATE OR DELETE ON customs_risk.profile_set
    FOR EACH ROW EXECUTE FUNCTION customs_risk.profile_set_guard();
CREATE TRIGGER profile_set_no_truncate BEFORE TRUNCATE ON customs_risk.profile_set
    FOR EACH STATEMENT EXECUTE FUNCTION customs_risk.profile_set_guard();

-- Row trigger: stamp the row and write its history.
CREATE FUNCTION customs_risk.profile_audit() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v bigint;
BEGIN
    IF customs_risk.restoring() THEN
        RETURN NULL;
    END IF;
    -- the version moves in the same transaction as the profiles, so every snapshot sees both agree
    UPDATE customs_risk.profile_set
       SET version = nextval('customs_risk.profile_set_version_seq'), changed_at = now()
    RETURNING version INTO v;
    IF TG_OP = 'DELETE' THEN
        INSERT INTO customs_risk.profile_history (profile_id, action, profile_row, profile_set_version)
        VALUES (OLD.profile_id, 'delete', to_jsonb(OLD), v);
        RETURN OLD;
    END IF;
    INSERT INTO customs_risk.profile_history (profile_id, action, profile_row, profile_set_version)
    VALUES (NEW.profile_id, lower(TG_OP), to_jsonb(NEW), v);
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION customs_risk.profile_audit() IS 'trigger: raise the profile-set version and append the change to profile_history';
-- A SECURITY DEFINER trigger function: PUBLIC could otherwise attach it to a table of its own
-- (CREATE TRIGGER needs EXECUTE) and make it write as the owner.  Triggers fire without it.
REVOKE EXECUTE ON FUNCTION customs_risk.profile_audit() FROM PUBLIC;

-- Stamp who and when before the row is written.
CREATE FUNCTION customs_risk.profile_stamp() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF customs_risk.restoring() THEN
        RETURN NEW;
    END IF;
    NEW.updated_at := now();
    NEW.updated_by := session_user;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION customs_risk.profile_stamp() IS 'trigger: record who changed a profile and when';

CREATE TRIGGER profile_stamp BEFORE INSERT OR UPDATE ON customs_risk.profile
    FOR EACH ROW EXECUTE FUNCTION customs_risk.profile_stamp();

CREATE TRIGGER profile_audit AFTER INSERT OR UPDATE OR DELETE ON customs_risk.profile
    FOR EACH ROW EXECUTE FUNCTION customs_risk.profile_audit();

-- A profile's owner is the national centre or a district; its scope, districts or houses
-- under that owner.  NULL scope elements are left to the table's check constraint.
CREATE FUNCTION customs_risk.profile_scope_check(owner text, scope text[]) RETURNS void
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    owner_level customs_risk.office_level;
    bad text;
BEGIN
    SELECT o.level INTO owner_level FROM customs_risk.office o WHERE o.office_code = owner;
    IF owner_level = 'house' THEN
        RAISE EXCEPTION 'profile owner % is a customs house', quote_literal(owner)
            USING ERRCODE = 'check_violation',
                  HINT = 'A profile is owned by the national centre or a district centre.';
    END IF;
    IF scope IS NULL THEN
        RETURN;
    END IF;
    IF pg_catalog.array_ndims(scope) <> 1 THEN
        RAISE EXCEPTION 'scope_offices must be a one-dimensional list of office codes'
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT s INTO bad FROM pg_catalog.unnest(scope) s
     WHERE s IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customs_risk.office o WHERE o.office_code = s) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'scope office % does not exist', quote_literal(bad)
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT o.office_code INTO bad FROM pg_catalog.unnest(scope) s
      JOIN customs_risk.office o ON o.office_code = s
     WHERE o.level = 'national'
        OR (owner_level = 'district' AND o.office_code <> owner AND o.parent_code IS DISTINCT FROM owner)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'scope office % is not a district or house under owner %', quote_literal(bad), quote_literal(owner)
            USING ERRCODE = 'check_violation',
                  HINT = 'A district''s profile applies within that district; leave scope_offices NULL for all of it.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION customs_risk.profile_scope_check(text, text[]) IS
    'raise an error unless owner is the national centre or a district and scope names districts or houses under it';
REVOKE EXECUTE ON FUNCTION customs_risk.profile_scope_check(text, text[]) FROM PUBLIC;

-- What the table's constraints cannot say.  A profile's id is its identity in the history and
-- in every logged decision: it never changes and is never used twice.  Its owner is the
-- national centre or a district centre; its scope names districts or houses under that owner,
-- so a profile can never silently match nothing.  An active profile names only code lists
-- that exist (code_list_guard() keeps them while such a profile uses them).  SECURITY DEFINER:
-- the history and other districts' offices are behind row-level security.
CREATE FUNCTION customs_risk.profile_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    list text;
BEGIN
    IF customs_risk.restoring() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.profile_id <> OLD.profile_id THEN
        RAISE EXCEPTION 'the id of profile % cannot change', OLD.profile_id
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'The id names the profile in its history and in logged decisions; retire it and create another.';
    END IF;
    IF TG_OP = 'INSERT' AND (NEW.profile_id <= 0
            OR NEW.profile_id > coalesce(pg_catalog.pg_sequence_last_value(
                   pg_catalog.pg_get_serial_sequence('customs_risk.profile', 'profile_id')::regclass), 0)
            OR EXISTS (SELECT 1 FROM customs_risk.profile_history h WHERE h.profile_id = NEW.profile_id)) THEN
        RAISE EXCEPTION 'profile id % is not one the table gave out, or was used before', NEW.profile_id
            USING ERRCODE = 'unique_violation',
                  HINT = 'Leave profile_id out: it is generated.';
    END IF;
    -- an edit that leaves owner and scope alone (retiring, say) is not held up by them
    IF TG_OP = 'INSERT' OR NEW.owner_office IS DISTINCT FROM OLD.owner_office
       OR NEW.scope_offices IS DISTINCT FROM OLD.scope_offices THEN
        PERFORM customs_risk.profile_scope_check(NEW.owner_office, NEW.scope_offices);
    END IF;
    IF NEW.status = 'active' AND (TG_OP = 'INSERT' OR OLD.status <> 'active' OR NEW.criteria::text <> OLD.criteria::text) THEN
        -- FOR KEY SHARE, as a foreign key would: a list being deleted meanwhile waits for this
        -- transaction, and its guard then sees this profile
        FOREACH list IN ARRAY customs_risk.criteria_lists(NEW.criteria) LOOP
            PERFORM 1 FROM customs_risk.code_list c WHERE c.list_name = list FOR KEY SHARE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'profile % names code list %, which does not exist', quote_literal(NEW.name), quote_literal(list)
                    USING ERRCODE = 'foreign_key_violation',
                          HINT = 'Create the list first, or keep the profile as a draft.';
            END IF;
        END LOOP;
    END IF;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION customs_risk.profile_check() IS
    'trigger: a profile keeps its id, has a national or district owner, a scope of existing offices under it, and (when active) existing code lists';
REVOKE EXECUTE ON FUNCTION customs_risk.profile_check() FROM PUBLIC;   -- as profile_audit()
CREATE TRIGGER profile_check BEFORE INSERT OR UPDATE ON customs_risk.profile
    FOR EACH ROW EXECUTE FUNCTION customs_risk.profile_check();

-- A code list an active profile names stays: deleting or renaming it would stop every decision
-- and batch that meets the profile.
CREATE FUNCTION customs_risk.code_list_guard() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    user_name text;
    list text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.list_name = OLD.list_name THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        SELECT p.name, l INTO user_name, list FROM customs_risk.profile p,
               LATERAL pg_catalog.unnest(customs_risk.criteria_lists(p.criteria)) l
         WHERE p.status = 'active' LIMIT 1;
    ELSE
        list := OLD.list_name;
        SELECT p.name INTO user_name FROM customs_risk.profile p
         WHERE p.status = 'active' AND OLD.list_name = ANY (customs_risk.criteria_lists(p.criteria)) LIMIT 1;
    END IF;
    IF user_name IS NOT NULL THEN
        RAISE EXCEPTION 'code list % is named by active profile %', quote_literal(list), quote_literal(user_name)
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'Edit, suspend or retire the profiles that name it first.';
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        RETURN NULL;
    END IF;
    RETURN CASE TG_OP WHEN 'UPDATE' THEN NEW ELSE OLD END;
END
$fn$;
COMMENT ON FUNCTION customs_risk.code_list_guard() IS
    'trigger: refuse to delete, rename or truncate a code list that an active profile names';
REVOKE EXECUTE ON FUNCTION customs_risk.code_list_guard() FROM PUBLIC;
CREATE TRIGGER code_list_guard BEFORE UPDATE OR DELETE ON customs_risk.code_list
    FOR EACH ROW EXECUTE FUNCTION customs_risk.code_list_guard();
CREATE TRIGGER code_list_guard_truncate BEFORE TRUNCATE ON customs_risk.code_list
    FOR EACH STATEMENT EXECUTE FUNCTION customs_risk.code_list_guard();

-- The office tree keeps profiles' scopes valid too: an office a live profile's scope names is
-- not deleted, and a house it names does not move out of the owning district.
CREATE FUNCTION customs_risk.office_scope_guard() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    p record;
BEGIN
    IF customs_risk.restoring() OR (TG_OP = 'UPDATE' AND NEW.parent_code IS NOT DISTINCT FROM OLD.parent_code
                                   AND NEW.level = OLD.level AND NEW.office_code = OLD.office_code) THEN
        RETURN NULL;
    END IF;
    FOR p IN SELECT pr.name, pr.owner_office, pr.scope_offices FROM customs_risk.profile pr
              WHERE pr.status <> 'retired' AND OLD.office_code = ANY (pr.scope_offices) LOOP
        IF TG_OP = 'DELETE' OR NEW.office_code <> OLD.office_code THEN
            RAISE EXCEPTION 'office % is in the scope of profile %', quote_literal(OLD.office_code), quote_literal(p.name)
                USING ERRCODE = 'foreign_key_violation',
                      HINT = 'Take it out of the profile''s scope, or retire the profile, first.';
        END IF;
        PERFORM customs_risk.profile_scope_check(p.owner_office, p.scope_offices);
    END LOOP;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION customs_risk.office_scope_guard() IS
    'trigger: refuse to delete, rename or move an office so that a live profile''s scope would name an office that is gone or outside its owner';
REVOKE EXECUTE ON FUNCTION customs_risk.office_scope_guard() FROM PUBLIC;
CREATE TRIGGER office_scope_guard AFTER UPDATE OR DELETE ON customs_risk.office
    FOR EACH ROW EXECUTE FUNCTION customs_risk.office_scope_guard();

-- Profiles are retired, not truncated: TRUNCATE would fire no row trigger, so neither the
-- history nor the profile-set version would see it.
CREATE FUNCTION customs_risk.profile_refuse_truncate() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RAISE EXCEPTION 'profiles cannot be truncated'
        USING ERRCODE = 'feature_not_supported',
              HINT = 'Retire them (status = ''retired'') or delete them row by row, so the history keeps them.';
END
$fn$;
COMMENT ON FUNCTION customs_risk.profile_refuse_truncate() IS 'trigger: refuse TRUNCATE on profile';
CREATE TRIGGER profile_no_truncate BEFORE TRUNCATE ON customs_risk.profile
    FOR EACH STATEMENT EXECUTE FUNCTION customs_risk.profile_refuse_truncate();

-- Profile scopes are resolved through the office tree, so a change there moves the version too.
CREATE FUNCTION customs_risk.profile_set_touch() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF customs_risk.restoring() THEN
        -- the restored rows are the dumped ones, so the dumped version stands; the row is still
        -- written, so that sessions that keep what they read (policies, the office tree) read again
        UPDATE customs_risk.profile_set SET version = version;
        RETURN NULL;
    END IF;
    UPDATE customs_risk.profile_set
       SET version = nextval('customs_risk.profile_set_version_seq'), changed_at = now();
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION customs_risk.profile_set_touch() IS 'trigger: raise the profile-set version when the office tree, a channel policy or a role''s binding (user_scope) changes';
REVOKE EXECUTE ON FUNCTION customs_risk.profile_set_touch() FROM PUBLIC;   -- as profile_audit()
CREATE TRIGGER office_moves_profile_set AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customs_risk.office
    FOR EACH STATEMENT EXECUTE FUNCTION customs_risk.profile_set_touch();
-- ALWAYS, here and below: a change made with session_replication_role = replica (the generator's
-- fast path, a logical-replication subscriber) must move the version too, or sessions would keep
-- what they read (src/kept_set.c) and a matcher its scopes.
ALTER TABLE customs_risk.office ENABLE ALWAYS TRIGGER office_moves_profile_set;

-- History and decision logs refuse changes: they are evidence.
CREATE FUNCTION customs_risk.refuse_change() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$fn$;
COMMENT ON FUNCTION customs_risk.refuse_change() IS 'trigger: refuse UPDATE, DELETE and TRUNCATE on append-only tables';
CREATE TRIGGER profile_history_append_only BEFORE UPDATE OR DELETE ON customs_risk.profile_history
    FOR EACH ROW EXECUTE FUNCTION customs_risk.refuse_change();
CREATE TRIGGER profile_history_no_truncate BEFORE TRUNCATE ON customs_risk.profile_history
    FOR EACH STATEMENT EXECUTE FUNCTION customs_risk.refuse_change();

-- ===========================================================================
-- Channel policy per office, the selection secret, and the decision log
-- ===========================================================================

CREATE TABLE customs_risk.channel_policy (
    office_code text COLLATE "C" PRIMARY KEY REFERENCES customs_risk.office (office_code),
    share_red float8 NOT NULL DEFAULT 0.03 CHECK (share_red BETWEEN 0 AND 1),
    share_yellow float8 NOT NULL DEFAULT 0.07 CHECK (share_yellow BETWEEN 0 AND 1),
    share_blue float8 NOT NULL DEFAULT 0.02 CHECK (share_blue BETWEEN 0 AND 1),
    random_rate float8 NOT NULL DEFAULT 0.01 CHECK (random_rate BETWEEN 0 AND 1),
    random_channel customs_risk.channel NOT NULL DEFAULT 'yellow' CHECK (random_channel <> 'green'),
    max_hits_green integer NOT NULL DEFAULT 0 CHECK (max_hits_green BETWEEN 0 AND 1000),
    daily_capacity integer CHECK (daily_capacity >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    model_name text,            -- a foreign key to customs_risk.model, added where that table is made
    model_yellow float8 CHECK (model_yellow BETWEEN 0 AND 1),
    model_red float8 CHECK (model_red BETWEEN 0 AND 1),
    topup_by text NOT NULL DEFAULT 'profile' CHECK (topup_by IN ('profile', 'model')),
    CHECK (share_red + share_yellow + share_blue <= 1),
    CHECK (model_yellow <= model_red),
    CHECK (model_name IS NOT NULL OR (model_yellow IS NULL AND model_red IS NULL AND topup_by = 'profile'))
);
COMMENT ON TABLE customs_risk.channel_policy IS
    'selection policy of an office: a house row applies to the house, a district row to its houses, the national row to all; built-in defaults otherwise';
COMMENT ON COLUMN customs_risk.channel_policy.office_code IS 'house, district or national centre the policy is set for';
COMMENT ON COLUMN customs_risk.channel_policy.share_red IS 'expected share of declarations in the red channel (physical inspection)';
COMMENT ON COLUMN customs_risk.channel_policy.share_yellow IS 'expected share in the yellow channel (documentary check)';
COMMENT ON COLUMN customs_risk.channel_policy.share_blue IS 'expected share in the blue channel (post-clearance audit)';
COMMENT ON COLUMN customs_risk.channel_policy.random_rate IS 'minimum share selected at random, the control sample';
COMMENT ON COLUMN customs_risk.channel_policy.random_channel IS 'channel a random selection goes to (at least)';
COMMENT ON COLUMN customs_risk.channel_policy.max_hits_green IS 'profile hits a declaration may have and still go green (0: any hit selects)';
COMMENT ON COLUMN customs_risk.channel_policy.daily_capacity IS 'inspections (yellow and red) the office can do in a day; NULL for no limit';
COMMENT ON COLUMN customs_risk.channel_policy.updated_at IS 'when the policy last changed';
COMMENT ON COLUMN customs_risk.channel_policy.model_name IS 'risk model that scores the office''s declarations (their lines as model_line_v gives them; a declaration scores its highest line); NULL for none';
COMMENT ON COLUMN customs_risk.channel_policy.model_yellow IS 'model score at or above which a declaration goes at least yellow; NULL for no threshold';
COMMENT ON COLUMN customs_risk.channel_policy.model_red IS 'model score at or above which a declaration goes red; NULL for no threshold';
COMMENT ON COLUMN customs_risk.channel_policy.topup_by IS 'what fills the top-up quota first: profile (profile score, then the draw) or model (model score)';

-- A policy is part of what a decision used: a change moves the profile-set version, as the
-- office tree does (and effective_policy()'s kept policies are read again).
CREATE TRIGGER channel_policy_moves_profile_set AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customs_risk.channel_policy
    FOR EACH STATEMENT EXECUTE FUNCTION customs_risk.profile_set_touch();
ALTER TABLE customs_risk.channel_policy ENABLE ALWAYS TRIGGER channel_policy_moves_profile_set;

-- The random-selection secret: readable by the extension owner (the administrator) only.  Made on
-- first use, and dumped with the data, so a restored database reproduces the same selections.
CREATE TABLE customs_risk.selection_secret (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    secret bytea NOT NULL CHECK (length(secret) >= 16),
    set_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON customs_risk.selection_secret FROM PUBLIC;
COMMENT ON TABLE customs_risk.selection_secret IS
    'secret key of random selection (one row); with it an auditor can reproduce every random selection, without it no trader can predict one';
COMMENT ON COLUMN customs_risk.selection_secret.singleton IS 'always true: the table has one row';
COMMENT ON COLUMN customs_risk.selection_secret.secret IS 'the key (at least 16 bytes)';
COMMENT ON COLUMN customs_risk.selection_secret.set_at IS 'when the key was set';

CREATE TYPE customs_risk.decision AS (
    declaration_id text,
    channel customs_risk.channel,
    score float8,
    profile_ids bigint[],
    reasons text[],
    random boolean,
    profile_set_version bigint,
    model_score float8
);
COMMENT ON TYPE customs_risk.decision IS
    'a channel decision: channel, risk score, matched profiles and their descriptions, random flag, profile-set version, model score (NULL without a model)';

CREATE TABLE customs_risk.decision_log (
    decision_id bigint GENERATED ALWAYS AS IDENTITY,
    declaration_id text COLLATE "C" NOT NULL,
    office_code text COLLATE "C" NOT NULL,
    channel customs_risk.channel NOT NULL,
    score float8 NOT NULL,
    profile_ids bigint[] NOT NULL,
    random boolean NOT NULL,
    -- the commonest first: the check stops at the first value that matches
    selected_by text NOT NULL CHECK (selected_by IN ('batch-green', 'decide', 'batch-profile', 'batch-random', 'batch-topup',
                                                     'batch-model', 'batch-grade', 'batch-capacity')),
    profile_set_version bigint NOT NULL,
    decided_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    decided_by text NOT NULL DEFAULT session_user,
    model_name text,
    model_score float8
);
-- One index, the key: a declaration's decisions in order.  It serves the lookups by
-- declaration and "its latest decision".  decide() takes a decision_id per decision; a batch
-- takes one for all its decisions (made at once, one per declaration).  A second index on
-- decision_id alone cost a batch of a million decisions 1.5 to 2 s more to write (measured
-- side by side).
ALTER TABLE customs_risk.decision_log ADD PRIMARY KEY (declaration_id, decision_id);
COMMENT ON TABLE customs_risk.decision_log IS 'append-only log of every channel decision';
COMMENT ON COLUMN customs_risk.decision_log.decision_id IS 'order of the decisions; one per decide() call, one per batch';
COMMENT ON COLUMN customs_risk.decision_log.declaration_id IS 'the declaration decided';
COMMENT ON COLUMN customs_risk.decision_log.office_code IS 'its customs house';
COMMENT ON COLUMN customs_risk.decision_log.channel IS 'the channel given';
COMMENT ON COLUMN customs_risk.decision_log.score IS 'risk score: the sum of the matched profiles'' weights';
COMMENT ON COLUMN customs_risk.decision_log.profile_ids IS 'the profiles that matched';
COMMENT ON COLUMN customs_risk.decision_log.random IS 'selected at random (the control sample)';
COMMENT ON COLUMN customs_risk.decision_log.selected_by IS 'decide() for one declaration, or the batch step that set the channel';
COMMENT ON COLUMN customs_risk.decision_log.profile_set_version IS 'the profile-set version the decision used';
COMMENT ON COLUMN customs_risk.decision_log.decided_at IS 'when';
COMMENT ON COLUMN customs_risk.decision_log.decided_by IS 'the session user';
COMMENT ON COLUMN customs_risk.decision_log.model_name IS 'the risk model the office''s policy used; NULL for none';
COMMENT ON COLUMN customs_risk.decision_log.model_score IS 'the declaration''s model score (its highest line); NULL without a model';
-- A declaration hitting hundreds of profiles has an id list past the TOAST threshold; LZ4
-- compresses it several times faster than pglz (a batch logs a million rows).  Servers built
-- without LZ4 keep the default.
DO $do$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_settings
                WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE customs_risk.decision_log ALTER COLUMN profile_ids SET COMPRESSION lz4;
    END IF;
END
$do$;
CREATE TRIGGER decision_log_append_only BEFORE UPDATE OR DELETE ON customs_risk.decision_log
    FOR EACH ROW EXECUTE FUNCTION customs_risk.refuse_change();
CREATE TRIGGER decision_log_no_truncate BEFORE TRUNCATE ON customs_risk.decision_log
    FOR EACH STATEMENT EXECUTE FUNCTION customs_risk.refuse_change();

SELECT pg_catalog.pg_extension_config_dump('customs_risk.profile', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.profile_profile_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.profile_history', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.profile_history_history_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.profile_set_version_seq', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.profile_set', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.selection_secret', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.channel_policy', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.decision_log', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.decision_log_decision_id_seq', '');

-- ===========================================================================
-- Matching lines against the active profiles (C: src/profile_match.c)
-- ===========================================================================

-- COST 25: about 25 plain comparisons' time for a line against 10,000 profiles.
CREATE FUNCTION customs_risk.match_profiles(line record) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'match_profiles' LANGUAGE C STABLE STRICT PARALLEL SAFE COST 25
    SUPPORT customs_risk.row_columns_support;
COMMENT ON FUNCTION customs_risk.match_profiles(record) IS
    'ids of the active profiles a line matches (valid on its declared_on, in scope for its office); indexed, not a scan of all profiles';

-- What the planner calls instead of match_profiles for rows of a named type (same result).
CREATE FUNCTION customs_risk.match_profiles_columns(line_type regtype, present tid, columns text[], VARIADIC "any")
    RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'match_profiles_columns' LANGUAGE C STABLE PARALLEL SAFE COST 25;
COMMENT ON FUNCTION customs_risk.match_profiles_columns(regtype, tid, text[], "any") IS
    'match_profiles() of a row given as its columns (the planner''s rewrite); NULL when present is NULL';

CREATE FUNCTION customs_risk.match_profile_rows(line record,
    OUT profile_id bigint, OUT channel text, OUT weight float8, OUT description text, OUT profile_set_version bigint)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'match_profile_rows' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 2;
COMMENT ON FUNCTION customs_risk.match_profile_rows(record) IS
    'the active profiles a line matches with their channel, weight and description, all from one profile-set version';

-- From matched ids to a declaration's decision inputs (C: src/profile_summary.c).
CREATE FUNCTION customs_risk.profile_union_merge(bigint[], bigint[]) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'profile_union_merge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.profile_union_merge(bigint[], bigint[]) IS
    'merge two ascending sets of profile ids (transition and combine function of profile_union)';
CREATE AGGREGATE customs_risk.profile_union(bigint[]) (
    SFUNC = customs_risk.profile_union_merge,
    STYPE = bigint[],
    INITCOND = '{}',
    COMBINEFUNC = customs_risk.profile_union_merge,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE customs_risk.profile_union(bigint[]) IS
    'union of the ascending profile-id sets of a declaration''s lines (as match_profiles returns them), ascending; empty for no rows';

CREATE FUNCTION customs_risk.profile_score(profile_ids bigint[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'profile_score' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.profile_score(bigint[]) IS
    'risk score of matched profiles: the sum of their weights in the active profile set; error for an id that is not active';

CREATE FUNCTION customs_risk.profile_channel(profile_ids bigint[]) RETURNS customs_risk.channel
    AS 'MODULE_PATHNAME', 'profile_channel' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.profile_channel(bigint[]) IS
    'the most intrusive channel the matched profiles send to (NULL for none); error for an id that is not active';

CREATE FUNCTION customs_risk.profile_summary(profile_ids bigint[],
    OUT score float8, OUT channel customs_risk.channel, OUT reasons text[], OUT profile_set_version bigint)
    AS 'MODULE_PATHNAME', 'profile_summary' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.profile_summary(bigint[]) IS
    'score (sum of weights), most intrusive channel (NULL for none), reasons (descriptions, in id order) and profile-set version of matched profile ids; error for an id that is not active';

CREATE FUNCTION customs_risk.profile_set_version() RETURNS bigint
    AS 'MODULE_PATHNAME', 'profile_set_version' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.profile_set_version() IS
    'the profile-set version the matcher uses in this statement (the same snapshot as match_profiles in it); needs SELECT on profile';

CREATE FUNCTION customs_risk.profile_matcher_stats(
    OUT profile_set_version bigint, OUT active_profiles integer, OUT code_keys bigint, OUT hs_keys bigint,
    OUT range_anchored integer, OUT unanchored integer, OUT decided_by_lookup integer, OUT largest_key integer)
    AS 'MODULE_PATHNAME', 'profile_matcher_stats' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION customs_risk.profile_matcher_stats() IS
    'how the in-memory matcher filed the active profiles: by code, by HS code, by range, or tested for every line; how many a line matches by finding them and passing their guards, with no evaluation; and the most profiles filed under one code or HS key (from 16 they are searched by guard, not read one by one)';
