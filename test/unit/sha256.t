#!/bin/sh
# Build and run the SHA-256 unit tests (TAP); prove checks the plan.
root=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$root" test/unit/sha256_test >&2 || { echo "Bail out! cannot build test/unit/sha256_test"; exit 1; }
exec "$root/test/unit/sha256_test"
