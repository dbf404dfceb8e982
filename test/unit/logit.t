#!/bin/sh
# Build and run the logistic regression unit tests (TAP); prove checks the plan.
root=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$root" test/unit/logit_test >&2 || { echo "Bail out! cannot build test/unit/logit_test"; exit 1; }
exec "$root/test/unit/logit_test"
