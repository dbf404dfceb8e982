#!/bin/sh
# Build and run the Beta distribution unit tests (TAP); prove checks the plan.
root=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$root" test/unit/beta_test >&2 || { echo "Bail out! cannot build test/unit/beta_test"; exit 1; }
exec "$root/test/unit/beta_test"
