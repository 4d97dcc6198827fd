#!/usr/bin/env bash
# Installs the PostgreSQL and Redis servers that the tests and the load benchmark start for
# themselves (tests/servers.py: a throwaway cluster and a throwaway Redis, each on a free
# loopback port, stopped at the end of the run).
#
# Idempotent and quick: does nothing when both are already installed. Leaves no system service
# running: Debian's packages start theirs on install, and nothing here should listen on 5432 or
# 6379 afterwards. Without root it prints what to run instead and exits 1 (the tests need them).
set -euo pipefail

PACKAGES=(postgresql redis-server)

has_postgres() {
    # Debian keeps the server binaries off PATH, one folder per major version.
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null \
        && compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null
}

has_redis() {
    command -v redis-server >/dev/null 2>&1
}

if has_postgres && has_redis; then
    echo "PostgreSQL and Redis: already installed"
    exit 0
fi

fail() {
    echo "error: $1" >&2
    echo "       Run as root:  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${PACKAGES[*]}" >&2
    echo "       (or: sudo bash scripts/install-servers.sh)" >&2
    exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "PostgreSQL and Redis are missing and apt-get is not available here."
[ "$(id -u)" -eq 0 ] || fail "PostgreSQL and Redis are missing; installing them needs root."

# Keep the packages' maintainer scripts from starting the system services: invoke-rc.d asks
# policy-rc.d, and 101 means "not allowed". Docker images usually ship one already; if there is
# none, put ours in place for the install only.
POLICY=/usr/sbin/policy-rc.d
own_policy=false
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\n# Temporary, from scripts/install-servers.sh: start no service during apt-get install.\nexit 101\n' >"$POLICY"
    chmod 755 "$POLICY"
    own_policy=true
fi
cleanup() {
    if $own_policy; then rm -f "$POLICY"; fi
}
trap cleanup EXIT

apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
}

echo "==> Installing PostgreSQL and Redis from Debian's packages (apt-get) …"
# The package lists may be missing or stale (a fresh image): refresh them only if needed.
if ! apt_install 2>/dev/null; then
    apt-get update -qq >/dev/null
    apt_install
fi

# Belt and braces, for a machine whose policy-rc.d allows starting services: stop them again.
if command -v service >/dev/null 2>&1; then
    service postgresql stop >/dev/null 2>&1 || true
    service redis-server stop >/dev/null 2>&1 || true
fi

has_postgres && has_redis || fail "apt-get finished but initdb/pg_ctl or redis-server is still missing."
pg_version=$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1 | cut -d/ -f5)
redis_version=$(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-)
echo "==> PostgreSQL $pg_version and Redis $redis_version ready"
