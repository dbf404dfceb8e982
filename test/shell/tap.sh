# Minimal TAP for the shell tests.  Sourced.
set -uo pipefail
CR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TAP_N=0
TAP_FAILED=0

plan() { echo "1..$1"; }

# ok COND-EXIT-STATUS NAME
ok() {
    TAP_N=$((TAP_N + 1))
    if [ "$1" -eq 0 ]; then echo "ok $TAP_N - $2"; else echo "not ok $TAP_N - $2"; TAP_FAILED=$((TAP_FAILED + 1)); fi
}

# is GOT WANT NAME
is() {
    TAP_N=$((TAP_N + 1))
    if [ "$1" = "$2" ]; then echo "ok $TAP_N - $3"; else
        echo "not ok $TAP_N - $3"; echo "#   got:  '$1'"; echo "#   want: '$2'"; TAP_FAILED=$((TAP_FAILED + 1)); fi
}

# like TEXT REGEX NAME
like() {
    TAP_N=$((TAP_N + 1))
    if printf '%s' "$1" | grep -qE -- "$2"; then echo "ok $TAP_N - $3"; else
        echo "not ok $TAP_N - $3"; echo "#   '$1'"; echo "#   does not match /$2/"; TAP_FAILED=$((TAP_FAILED + 1)); fi
}

finish() { exit $((TAP_FAILED > 0)); }

export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
