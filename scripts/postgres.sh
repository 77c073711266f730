#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the test suite and prints
# its URL. Installs Debian's postgresql first when it is missing.
#   usage: eval "$(bash scripts/postgres.sh start DIR)"   # exports TESTIGO_TEST_POSTGRES_URL
#          bash scripts/postgres.sh stop DIR
set -euo pipefail
action=${1:?start or stop}
dir=${2:?data folder}
# a free loopback port unless one is given: a developer's own server may hold 5432 or any fixed one
port=${TESTIGO_TEST_POSTGRES_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

bin_dir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

if [ "$action" = stop ]; then
    bin=$(bin_dir)
    [ -n "$bin" ] && [ -d "$dir/data" ] && runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    exit 0
fi

if [ -z "$(bin_dir)" ]; then
    echo "installing postgresql (Debian)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi
bin=$(bin_dir)
# initdb refuses to run as root: the server runs as Debian's postgres user
mkdir -p "$dir"
chown postgres "$dir"
if [ ! -d "$dir/data" ]; then
    runuser -u postgres -- "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 >/dev/null
fi
runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off" start >/dev/null
echo "export TESTIGO_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
