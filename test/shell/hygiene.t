#!/bin/bash
# The install script and package metadata follow the house rules (DESIGN.md section 6).
source "$(dirname "$0")/tap.sh"
plan 8
SCRIPT=$(cat "$CR_ROOT"/extension/*.sql)
is "$(grep -ciE 'CREATE OR REPLACE' <<< "$SCRIPT")" "0" "no CREATE OR REPLACE in the install script"
is "$(grep -vE '^\s*--' <<< "$SCRIPT" | grep -vE 'ON (DELETE|UPDATE) CASCADE|^.echo' | grep -ciE '\bCASCADE\b')" "0" "no CASCADE in the install script (foreign-key actions aside)"
is "$(grep -E '^CREATE (TABLE|UNLOGGED TABLE|VIEW|FUNCTION|TYPE|DOMAIN|OPERATOR|AGGREGATE|CAST)' <<< "$SCRIPT" \
      | grep -vE 'customs_risk\.|^CREATE CAST \(' | wc -l)" "0" "every created object is schema-qualified"
is "$(grep -E '^(LANGUAGE|    AS|RETURNS)' <<< "$SCRIPT" | grep -ciE 'LANGUAGE (plpgsql|sql)$')" "0" \
   "every PL/pgSQL or SQL function states its volatility, strictness and parallel safety on its LANGUAGE line"
perl -MJSON::PP -e 'local $/; my $m = decode_json(<STDIN>);
    for (qw(name abstract version maintainer license provides prereqs resources release_status meta-spec)) { die "missing $_\n" unless exists $m->{$_} }
    die "spec\n" unless $m->{"meta-spec"}{version} eq "1.0.0";
    die "postgis\n" unless exists $m->{prereqs}{runtime}{requires}{postgis};
    die "PostgreSQL\n" unless exists $m->{prereqs}{runtime}{requires}{PostgreSQL};
    die "pg_cron\n" unless exists $m->{prereqs}{runtime}{recommends}{pg_cron};
    die "pgtap\n" unless exists $m->{prereqs}{test}{requires}{pgtap};' < "$CR_ROOT/META.json"
ok $? "META.json is PGXN meta-spec 1.0.0 with the required keys and prereqs"
CTRL_VERSION=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$CR_ROOT/customs_risk.control")
META_VERSION=$(perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->{version}' < "$CR_ROOT/META.json")
is "$META_VERSION" "$CTRL_VERSION" "META.json and the control file agree on the version"
like "$(cat "$CR_ROOT/CHANGELOG.md")" "$CTRL_VERSION" "CHANGELOG.md has an entry for the version"
ok $( [ -f "$CR_ROOT/data/kcs/LICENSE" ] && grep -q 'MIT License' "$CR_ROOT/data/kcs/LICENSE"; echo $?) "the bundled data keeps its MIT licence"
finish
