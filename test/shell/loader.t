#!/bin/bash
# bin/load-kcs: loads once, loads again without duplicates, and leaves the tables as they
# were when any file of a load is malformed.
source "$(dirname "$0")/tap.sh"
plan 16
DB=customs_risk_loader_t
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"; q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null' EXIT
q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
q -d $DB -c "SET client_min_messages = warning" -c "CREATE EXTENSION customs_risk CASCADE" >/dev/null
export PGDATABASE=$DB
counts() { q -c "SELECT (SELECT count(*) FROM customs_risk.declaration) || '/' || (SELECT count(*) FROM customs_risk.declaration_line) || '/' || (SELECT count(*) FROM customs_risk.inspection) || '/' || (SELECT count(*) FROM customs_risk.trader) || '/' || (SELECT count(*) FROM customs_risk.office)"; }

"$CR_ROOT/bin/load-kcs" > "$TMP/out1" 2>&1
ok $? "the bundled files load"
FULL=$(counts)
is "$FULL" "45519/45519/45519/26411/58" "declarations/lines/inspections/traders/offices after the first load"

"$CR_ROOT/bin/load-kcs" > "$TMP/out2" 2>&1
ok $? "loading again succeeds"
is "$(counts)" "$FULL" "loading again adds nothing"
like "$(cat "$TMP/out2")" "kcs-train +\| +37385 +\| +0 +\| +37385" "the second load reports 0 added, 37,385 present"

# New rows followed by a malformed one: nothing of the file is kept.
{ head -1 "$CR_ROOT/data/kcs/df_syn_valid.csv"; sed -n '2,51p' "$CR_ROOT/data/kcs/df_syn_valid.csv" | sed 's/^/9/';
  sed -n '52p' "$CR_ROOT/data/kcs/df_syn_valid.csv" | sed 's/^/9/; s/,2021-0[1-3]-[0-9][0-9],/,2021-02-30,/'; } > "$TMP/bad_date.csv"
"$CR_ROOT/bin/load-kcs" "$TMP/bad_date.csv:bad-date" > "$TMP/out3" 2>&1
rc=$?
ok $((rc == 0)) "a file with an impossible date fails"
like "$(cat "$TMP/out3")" "line 52: Date '2021-02-30' does not exist" "the error names the line and the value"
is "$(counts)" "$FULL" "none of the 50 good new rows before it were kept"

# A good file and then a bad one in the same load: the good one is rolled back too.
{ head -1 "$CR_ROOT/data/kcs/df_syn_valid.csv"; sed -n '2,11p' "$CR_ROOT/data/kcs/df_syn_valid.csv" | sed 's/^/8/'; } > "$TMP/good.csv"
{ head -1 "$CR_ROOT/data/kcs/df_syn_valid.csv"; sed -n '2,3p' "$CR_ROOT/data/kcs/df_syn_valid.csv" | sed 's/^/7/; s/$/,extra/'; } > "$TMP/extra_col.csv"
"$CR_ROOT/bin/load-kcs" "$TMP/good.csv:good" "$TMP/extra_col.csv:extra" > "$TMP/out4" 2>&1
rc=$?
ok $((rc == 0)) "a load whose second file has an extra column fails"
like "$(cat "$TMP/out4")" "extra data after last expected column" "COPY names the problem"
is "$(counts)" "$FULL" "the first, good file of that load was not kept either"

: > "$TMP/empty.csv"
"$CR_ROOT/bin/load-kcs" "$TMP/empty.csv:empty" > "$TMP/out5" 2>&1
ok $(( $? == 0 )) "an empty file fails"
like "$(cat "$TMP/out5")" "is empty" "and says so"

"$CR_ROOT/bin/load-kcs" "$TMP/no_such_file.csv:x" > "$TMP/out6" 2>&1
like "$? $(cat "$TMP/out6")" "^2 .*cannot read" "a missing file is refused before connecting"
"$CR_ROOT/bin/load-kcs" "$TMP/good.csv:Bad Label" > "$TMP/out7" 2>&1
like "$? $(cat "$TMP/out7")" "^2 .*not FILE:LABEL" "a malformed label is refused"

"$CR_ROOT/bin/load-kcs" "$TMP/good.csv:good" > /dev/null 2>&1
is "$(counts)" "45529/45529/45529/26411/58" "a good new file adds its 10 declarations"
finish
