#!/bin/bash
# A declaration without lines gets no decision from the day's batch; the batch says how many
# (a WARNING), instead of leaving it out silently.  Everything in one transaction, rolled back.
source "$(dirname "$0")/tap.sh"
plan 3
house=$(psql -X -At -c "SELECT min(office_code) FROM customs_risk.declaration WHERE declared_on = '2020-03-02'")
out=$(psql -X -q -v ON_ERROR_STOP=1 2>&1 <<SQL
BEGIN;
-- a copy of a declaration of the day, without its lines
INSERT INTO customs_risk.declaration (declaration_id, declared_on, office_code, importer_id, declarant_id, seller_id,
                                      courier_id, process_type, import_type, import_use, payment_type, transport,
                                      departure_country, source)
SELECT 'QA-NOLINES-1', declared_on, office_code, importer_id, declarant_id, seller_id, courier_id, process_type,
       import_type, import_use, payment_type, transport, departure_country, source
  FROM customs_risk.declaration d WHERE d.office_code = '$house' AND d.declared_on = '2020-03-02' LIMIT 1;
SELECT 'decided', sum(declarations) FROM customs_risk.select_for_day('2020-03-02', '$house');
SELECT 'logged', count(*) FROM customs_risk.decision_log WHERE declaration_id = 'QA-NOLINES-1';
ROLLBACK;
SQL
)
ok $? "the batch runs on a day with a declaration that has no lines"
like "$out" "WARNING:  1 declaration\(s\) of 2020-03-02 have no lines and were not decided" \
     "it warns that one declaration was not decided"
like "$out" "logged +\| +0" "... and logs nothing for it"
finish
