# Shared by bin/demo, bin/check and bin/load-kcs.  Sourced, not run.
set -euo pipefail

CR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CR_PACKAGES=(build-essential postgresql-15 postgresql-server-dev-15 postgresql-15-postgis-3
             postgresql-15-cron postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl)
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
# Throwaway clusters take their encoding from the locale: make it UTF-8 even where none is set.
export LC_ALL=C.UTF-8 LANG=C.UTF-8

say() { printf '\n== %s\n' "$*" >&2; }

# Run a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install the Debian packages that are missing (apt-get update only when needed); arguments
# name packages one command needs beyond the project's own (a benchmark's peer).
ensure_packages() {
    local missing=() p
    for p in "${CR_PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing Debian packages: ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# Build (warnings are errors) and install the extension into the PostgreSQL 15 tree.
build_and_install() {
    say "building and installing customs_risk"
    make -C "$CR_ROOT" -s PG_CONFIG="$PG_CONFIG" >/dev/null
    as_root make -C "$CR_ROOT" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
}

# True when the caller pointed us at an existing server through PG* variables.
using_existing_server() {
    [ -n "${PGHOST:-}${PGPORT:-}${PGDATABASE:-}${PGSERVICE:-}${PGUSER:-}" ]
}

# Run "$@" against the existing server, or inside a throwaway cluster with pg_cron preloaded;
# pg_cron schedules from database $CR_CRON_DB (bin/check sets it to its test database).
with_server() {
    if using_existing_server; then
        "$@"
    else
        say "starting a throwaway PostgreSQL 15 cluster (pg_virtualenv)"
        pg_virtualenv -v 15 -o shared_preload_libraries=pg_cron -o "cron.database_name=${CR_CRON_DB:-postgres}" "$@"
    fi
}

# psql with the project's defaults: stop at the first error, no psqlrc.
cr_psql() {
    psql -X -v ON_ERROR_STOP=1 "$@"
}
