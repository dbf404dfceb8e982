#!/bin/sh
# Build and run the HS-code core unit tests (TAP); prove checks the plan.
root=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$root" test/unit/hscode_test >&2 || { echo "Bail out! cannot build test/unit/hscode_test"; exit 1; }
exec "$root/test/unit/hscode_test"
