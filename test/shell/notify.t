#!/bin/bash
# run_monitoring() tells a listening client at once: NOTIFY customs_risk_alerts with the run's
# date and how many alerts it raised.
source "$(dirname "$0")/tap.sh"
plan 2
out=$(psql -X -q -v ON_ERROR_STOP=1 -c "LISTEN customs_risk_alerts" \
           -c "SELECT count(*) FROM customs_risk.run_monitoring('1990-06-30')" 2>&1)
ok $? "run_monitoring runs in a session that listens"
echo "$out" | grep -q 'Asynchronous notification "customs_risk_alerts" with payload "{"as_of" : "1990-06-30", "alerts" : 0}" received'
ok $? "the listening session receives the notification with the date and the alert count"
finish
