#!/bin/sh
# Build and run the partial-selection unit tests (TAP); prove checks the plan.
root=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$root" test/unit/select_first_test >&2 || { echo "Bail out! cannot build test/unit/select_first_test"; exit 1; }
exec "$root/test/unit/select_first_test"
