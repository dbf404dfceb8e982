#!/bin/bash
# The C code builds from clean with -Wall -Wextra -Werror -Wno-unused-parameter, printing no warning.
source "$(dirname "$0")/tap.sh"
plan 2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cp -r "$CR_ROOT/src" "$CR_ROOT/extension" "$CR_ROOT/test" "$CR_ROOT/Makefile" "$CR_ROOT/customs_risk.control" "$TMP/"
make -C "$TMP" clean >/dev/null 2>&1
make -C "$TMP" PG_CONFIG="${PG_CONFIG:-pg_config}" > "$TMP/build.log" 2>&1
ok $? "make succeeds with warnings as errors"
is "$(grep -c 'warning:' "$TMP/build.log")" "0" "no compiler warnings"
finish
