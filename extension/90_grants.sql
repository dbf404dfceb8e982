
-- ===========================================================================
-- Privileges: everyone may use the schema's types and pure functions; the
-- data tables stay private until roles are granted (district access control).
-- ===========================================================================
GRANT USAGE ON SCHEMA customs_risk TO PUBLIC;
-- Loading and generating write the data tables: only for roles the administrator chooses.
REVOKE EXECUTE ON FUNCTION customs_risk.load_kcs_staging(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION customs_risk.generate_declarations(bigint, integer, bigint, float8, integer, text, date, integer, float8, text[]) FROM PUBLIC;
-- The random draw would let its caller predict random selection: administrators grant it to the
-- roles that decide, with table privileges on declarations, profiles and the decision log.
REVOKE EXECUTE ON FUNCTION customs_risk.random_draw(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION customs_risk.random_draws(text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION customs_risk.grade_draw(text) FROM PUBLIC;
-- the batch's two parts give and use the draws too: for the same roles (select_for_day() runs
-- as its caller)
REVOKE EXECUTE ON FUNCTION customs_risk.batch_first_channels(date, text, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION customs_risk.batch_channels(date, text) FROM PUBLIC;
