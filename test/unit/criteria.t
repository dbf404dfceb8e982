#!/bin/sh
# Build and run the criteria-language unit tests (TAP); prove checks the plan.
root=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$root" test/unit/criteria_test >&2 || { echo "Bail out! cannot build test/unit/criteria_test"; exit 1; }
exec "$root/test/unit/criteria_test"
