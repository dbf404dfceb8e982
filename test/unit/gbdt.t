#!/bin/sh
# Build and run the gradient-boosted tree unit tests (TAP); prove checks the plan.
root=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$root" test/unit/gbdt_test >&2 || { echo "Bail out! cannot build test/unit/gbdt_test"; exit 1; }
exec "$root/test/unit/gbdt_test"
