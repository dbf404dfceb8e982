#!/bin/bash
# publish_risk_item() tells a listening client at once: a session that LISTENs on a district's
# inbox channel receives a JSON payload when an item published to that district is committed;
# a district the item was not published to hears nothing.
source "$(dirname "$0")/tap.sh"
plan 7
TMP=$(mktemp -d)
ITEM=$(q -c "INSERT INTO customs_risk.risk_item (source, category, title, description, owner_office)
             VALUES ('intelligence', 'security', 'Notify test: dual-use valves', 'Valves re-exported to a sanctioned end user', 'NRC')
             RETURNING item_id" | head -1)
trap 'rm -rf "$TMP"; q -c "DELETE FROM customs_risk.risk_item WHERE item_id = ${ITEM:-0}" >/dev/null' EXIT
is "$(q -c "SELECT customs_risk.inbox_channel('RC-SEOUL')")" "customs_risk_inbox_rc-seoul" "the inbox channel of an office is its code in lower case"

# the listener: another session, waiting
PGAPPNAME=risk_inbox_listener psql -X -q -c 'LISTEN "customs_risk_inbox_rc-seoul"' -c 'LISTEN "customs_risk_inbox_rc-jeju"' \
    -c 'SELECT pg_sleep(5)' > "$TMP/listener.out" 2>&1 &
LISTENER=$!
for _ in $(seq 1 50); do
    [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'risk_inbox_listener' AND query LIKE 'SELECT pg_sleep%'")" = 1 ] && break
    sleep 0.1
done
SENT=$(q -c "SELECT string_agg(inbox_id::text, ',' ORDER BY recipient_office)
               FROM customs_risk.publish_risk_item($ITEM, ARRAY['RC-SEOUL', 'RC-BUSAN'], now() + interval '2 days')")
ok $? "the item is published to two districts"
wait $LISTENER
ok $? "the listening session ends normally"
OUT=$(cat "$TMP/listener.out")
SEOUL=$(q -c "SELECT inbox_id FROM customs_risk.risk_inbox WHERE item_id = $ITEM AND recipient_office = 'RC-SEOUL'")
like "$OUT" "Asynchronous notification \"customs_risk_inbox_rc-seoul\" with payload \"\\{\"inbox_id\" : $SEOUL, \"item_id\" : $ITEM, \"from_office\"" \
     "the listening Seoul client receives the entry's inbox id and item"
ok $( echo "$OUT" | grep -q 'dual-use valves'; [ $? -ne 0 ]; echo $? ) "... and not its title: any role may listen on a channel"
like "$OUT" "\"from_office\" : \"NRC\", \"deadline\" : \"[0-9-]+T" "... who sent it and the deadline"
ok $( echo "$OUT" | grep -q 'customs_risk_inbox_rc-jeju'; [ $? -ne 0 ]; echo $? ) "the Jeju client, not a recipient, receives nothing"
finish
