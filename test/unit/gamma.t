#!/bin/sh
# Build and run the incomplete gamma / chi-square unit tests (TAP); prove checks the plan.
root=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$root" test/unit/gamma_test >&2 || { echo "Bail out! cannot build test/unit/gamma_test"; exit 1; }
exec "$root/test/unit/gamma_test"
