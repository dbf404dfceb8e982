#!/bin/bash
# pg_dump of a database with the sample loaded, restored into a new database, keeps every row
# of the tables users fill (they are registered with pg_extension_config_dump).
source "$(dirname "$0")/tap.sh"
plan 16
SRC=${PGDATABASE:?set PGDATABASE to a database with the sample loaded}
DST=customs_risk_restore_t
TMP=$(mktemp -d)
trap 'q -d postgres -c "DROP DATABASE IF EXISTS $DST" >/dev/null; q -d "$SRC" -c "DELETE FROM customs_risk.model WHERE name = '"'"'dump_t'"'"'" >/dev/null; q -d "$SRC" -f "$TMP/undo_risk.sql" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
counts() {
    q -d "$1" -c "SELECT string_agg(n::text, '/' ORDER BY t) FROM (
        SELECT 1 AS t, count(*) AS n FROM customs_risk.office UNION ALL
        SELECT 2, count(*) FROM customs_risk.trader UNION ALL
        SELECT 3, count(*) FROM customs_risk.declaration UNION ALL
        SELECT 4, count(*) FROM customs_risk.declaration_line UNION ALL
        SELECT 5, count(*) FROM customs_risk.inspection) c"
}

# a trained model must come back able to give the same scores
SCORES="SELECT md5(string_agg(customs_risk.score('dump_t', v)::text, ',' ORDER BY declaration_id, line_no)) FROM customs_risk.declaration_line_v v"
q -d "$SRC" -c "SELECT customs_risk.train_model('dump_t', 'SELECT o.hit, v.office, v.hs, v.origin, v.importer, v.value FROM customs_risk.declaration_line_v v JOIN customs_risk.declaration_outcome_v o USING (declaration_id)', 'hit', '{\"trees\": 20, \"replace\": true}')" >/dev/null
# a risk item through its workflow, with a profile made from it and an edited risk-matrix cell:
# stamps, lifecycle checks and audit triggers must not fire again when the rows are restored
RISK=$(q -d "$SRC" -c "INSERT INTO customs_risk.risk_item (source, category, title, description, scope, owner_office)
    VALUES ('intelligence', 'revenue', 'dump_t item', 'd', 'hs <@ 8471', 'NRC') RETURNING item_id" | head -1)
echo "DELETE FROM customs_risk.risk_item WHERE item_id = $RISK; DELETE FROM customs_risk.profile WHERE name = 'dump_t profile';
      UPDATE customs_risk.risk_matrix SET level = 'medium' WHERE likelihood = 2 AND consequence = 2;
      UPDATE customs_risk.risk_transition SET allowed = true, meaning = 'dismissed: unfounded or a duplicate'
       WHERE workflow = 'risk_item' AND from_status = 'reported' AND to_status = 'closed';
      ALTER TABLE customs_risk.risk_transition DISABLE TRIGGER risk_transition_set;
      DELETE FROM customs_risk.risk_transition WHERE meaning = 'dump_t transition';
      ALTER TABLE customs_risk.risk_transition ENABLE TRIGGER risk_transition_set;
      UPDATE customs_risk.country SET name = 'Türkiye' WHERE code = 'TR';
      DELETE FROM customs_risk.country WHERE code = 'XK';" > "$TMP/undo_risk.sql"
q -d "$SRC" -c "SELECT customs_risk.assess_risk_item($RISK, 2, 2), customs_risk.decide_treatment($RISK, 'treat', 'x')" \
  -c "SELECT customs_risk.create_profile_from_risk($RISK, 'dump_t profile', 'red', 'x'), count(*) FROM customs_risk.publish_risk_item($RISK)" \
  -c "UPDATE customs_risk.risk_matrix SET level = 'extreme' WHERE likelihood = 2 AND consequence = 2" >/dev/null
# edited reference rows the extension seeds: a transition switched off, one added, a country
# renamed and one added; the restore must bring back the edits, not the seeded rows
q -d "$SRC" -c "UPDATE customs_risk.risk_transition SET allowed = false, meaning = 'dump_t off'
                 WHERE workflow = 'risk_item' AND from_status = 'reported' AND to_status = 'closed'" \
  -c "INSERT INTO customs_risk.risk_transition VALUES ('risk_item', 'analysed', 'closed', 'dump_t transition')" \
  -c "UPDATE customs_risk.country SET name = 'dump_t Türkiye' WHERE code = 'TR'" \
  -c "INSERT INTO customs_risk.country VALUES ('XK', 'dump_t Kosovo')" >/dev/null
REFROWS="SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (SELECT to_jsonb(t)::text x FROM customs_risk.risk_transition t UNION ALL
    SELECT to_jsonb(c)::text FROM customs_risk.country c) r"
RISKROWS="SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (SELECT to_jsonb(i)::text x FROM customs_risk.risk_item i UNION ALL
    SELECT to_jsonb(a)::text FROM customs_risk.risk_audit a UNION ALL SELECT to_jsonb(e)::text FROM customs_risk.risk_inbox e UNION ALL
    SELECT to_jsonb(h)::text FROM customs_risk.profile_history h UNION ALL SELECT to_jsonb(m)::text FROM customs_risk.risk_matrix m) r"
pg_dump -Fc -f "$TMP/db.dump" "$SRC" 2> "$TMP/dump.err"
ok $? "pg_dump succeeds"
q -d postgres -c "DROP DATABASE IF EXISTS $DST" -c "CREATE DATABASE $DST" >/dev/null
pg_restore --exit-on-error -d "$DST" "$TMP/db.dump" 2> "$TMP/restore.err"
rc=$?
ok $rc "pg_restore succeeds"
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/restore.err" | head -20

BEFORE=$(counts "$SRC")
is "$(counts "$DST")" "$BEFORE" "same row counts in office/trader/declaration/line/inspection ($BEFORE)"
is "$(q -d "$DST" -c "SELECT count(*) FROM customs_risk.inspection WHERE result <> 'none'")" \
   "$(q -d "$SRC" -c "SELECT count(*) FROM customs_risk.inspection WHERE result <> 'none'")" "same hits"
is "$(q -d "$DST" -c "SELECT md5(string_agg(declaration_id || hs::text || coalesce(value::text, '-'), ',' ORDER BY declaration_id, line_no)) FROM customs_risk.declaration_line")" \
   "$(q -d "$SRC" -c "SELECT md5(string_agg(declaration_id || hs::text || coalesce(value::text, '-'), ',' ORDER BY declaration_id, line_no)) FROM customs_risk.declaration_line")" \
   "the lines are identical, HS codes included"
is "$(q -d "$DST" -c "SELECT count(*) FROM customs_risk.country")" "251" "reference countries come from the extension and the dump, not doubled"
is "$(q -d "$DST" -c "$REFROWS")" "$(q -d "$SRC" -c "$REFROWS")" \
   "edited and added workflow transitions and countries come back as they were, not as seeded"
is "$(q -d "$DST" -c "SELECT version FROM customs_risk.profile_set")" "$(q -d "$SRC" -c "SELECT version FROM customs_risk.profile_set")" \
   "the current profile-set version is restored: decisions after a restore carry the version they had before"
# the identity sequence was dumped too: a new inspection gets a fresh number
NEXT=$(q -d "$DST" -c "INSERT INTO customs_risk.inspection (declaration_id, selected_by, inspected_on, result)
                      SELECT declaration_id, 'officer', declared_on, 'none' FROM customs_risk.declaration LIMIT 1
                      RETURNING inspection_id > (SELECT max(inspection_id) FROM customs_risk.inspection WHERE recorded_at < now())" | head -1)
is "$NEXT" "t" "the inspection number sequence continues after restore"
is "$(q -d "$DST" -c "SELECT count(*) FROM customs_risk.declaration_line WHERE hs OPERATOR(customs_risk.<@) '8471'")" \
   "$(q -d "$SRC" -c "SELECT count(*) FROM customs_risk.declaration_line WHERE hs OPERATOR(customs_risk.<@) '8471'")" "hscode containment works in the restored database"
is "$(q -d "$DST" -c "SELECT extversion FROM pg_extension WHERE extname = 'customs_risk'")" "0.1.0" "the extension is restored at its version"
ok $( [ "$(q -d "$DST" -c "SELECT last_value FROM customs_risk.profile_set_version_seq")" -ge \
        "$(q -d "$SRC" -c "SELECT last_value FROM customs_risk.profile_set_version_seq")" ]; echo $?) \
   "profile-set version numbers continue after restore, never repeat"
is "$(q -d "$DST" -c "SELECT md5(body) FROM customs_risk.model WHERE name = 'dump_t'")" \
   "$(q -d "$SRC" -c "SELECT md5(body) FROM customs_risk.model WHERE name = 'dump_t'")" "a trained model is restored byte for byte"
is "$(q -d "$DST" -c "$SCORES")" "$(q -d "$SRC" -c "$SCORES")" "... and gives identical scores on every line"
is "$(q -d "$DST" -c "$RISKROWS")" "$(q -d "$SRC" -c "$RISKROWS")" \
   "risk items, audit trail, inboxes, profile history and the edited risk matrix come back unchanged, nothing doubled"
is "$(q -d "$DST" -c "SELECT customs_risk.set_risk_status($RISK, 'monitored')")" "monitored" "a restored item goes on through its lifecycle"
finish
