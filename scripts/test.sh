#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine with Python 3.11: installs the
# package with its test dependencies, starts a throwaway PostgreSQL server on
# loopback (installing Debian's postgresql if needed) so the database tests run
# on SQLite and PostgreSQL, then runs every test, slow ones included.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1
python3 -m pip install --quiet --editable '.[test]'

pg_dir=$(mktemp -d /tmp/testigo-pg.XXXXXX)
trap 'bash scripts/postgres.sh stop "$pg_dir"; rm -rf "$pg_dir"' EXIT
eval "$(bash scripts/postgres.sh start "$pg_dir")"
export TESTIGO_REQUIRE_POSTGRES=1

python3 -m pytest -n auto --durations=15 "$@"
