#!/bin/sh
# Build and run the control chart unit tests (TAP); prove checks the plan.
root=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$root" test/unit/control_chart_test >&2 || { echo "Bail out! cannot build test/unit/control_chart_test"; exit 1; }
exec "$root/test/unit/control_chart_test"
