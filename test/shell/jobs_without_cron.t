#!/bin/bash
# customs_risk installs and works in a database without pg_cron; schedule_jobs() and
# unschedule_jobs() there fail with SQLSTATE 55000 and tell the DBA what to set up.
source "$(dirname "$0")/tap.sh"
plan 7
DB=customs_risk_nocron_t
trap 'q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null' EXIT
q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
q -d "$DB" -c "CREATE EXTENSION customs_risk CASCADE" >/dev/null
ok $? "CREATE EXTENSION customs_risk succeeds in a database without pg_cron"
is "$(q -d "$DB" -c "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'")" "0" "... and does not install pg_cron"

err=$(psql -X -q -d "$DB" -v VERBOSITY=verbose -c "SELECT * FROM customs_risk.schedule_jobs()" 2>&1)
like "$err" "ERROR:  55000: " "schedule_jobs() fails with SQLSTATE 55000 (object not in prerequisite state)"
like "$err" "HINT:  .*cron.database_name = '$DB'" "the hint names the setting cron.database_name = '$DB'"
like "$err" "HINT:  .*CREATE EXTENSION pg_cron in database $DB" "... and CREATE EXTENSION pg_cron in this database"
err=$(psql -X -q -d "$DB" -v VERBOSITY=verbose -c "SELECT * FROM customs_risk.unschedule_jobs()" 2>&1)
like "$err" "ERROR:  55000: " "unschedule_jobs() fails the same way"
is "$(q -d "$DB" -c "SELECT string_agg(job_name, ',') FROM customs_risk.job_definitions()")" \
   "customs_risk-expire-profiles,customs_risk-grade-traders,customs_risk-run-monitoring,customs_risk-refresh-reports" \
   "job_definitions() lists the jobs without pg_cron"
finish
