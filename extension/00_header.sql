-- customs_risk install script, built by `make` from extension/*.sql: edit those files, not this one.
\echo Use "CREATE EXTENSION customs_risk CASCADE" to load this file. \quit
