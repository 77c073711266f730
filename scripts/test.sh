#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine with Python 3.11: installs the
# package with its test dependencies and Debian's Chromium (browser tests),
# starts a throwaway PostgreSQL server on
# loopback (installing Debian's postgresql if needed) so the database tests run
# on SQLite and PostgreSQL, checks lint, formatting and types, then runs every
# test, slow ones included, measuring coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1
python3 -m pip install --quiet --editable '.[test]'

# the browser tests drive Debian's Chromium (Playwright's own browser download is not used); the
# deployment test runs docs/deploy/nginx.conf in Debian's nginx
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/sbin/nginx ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq chromium nginx-light >/dev/null
fi
export TESTIGO_REQUIRE_BROWSER=1 TESTIGO_REQUIRE_NGINX=1
# the simulator's printer tests also print with Debian's DejaVu Sans Mono, and the reader's with Liberation Mono
# (a font the simulator's printers never use); they skip without them
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] \
    || [ ! -f /usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core fonts-liberation >/dev/null
fi

pg_dir=$(mktemp -d /tmp/testigo-pg.XXXXXX)
trap 'bash scripts/postgres.sh stop "$pg_dir"; rm -rf "$pg_dir"' EXIT
pg_env=$(bash scripts/postgres.sh start "$pg_dir")  # an assignment, so a failed start stops the run here
eval "$pg_env"
export TESTIGO_REQUIRE_POSTGRES=1

# gates before the tests: lint, formatting and the strict type check (pyproject.toml holds their settings)
python3 -m ruff check src tests benchmarks scripts
python3 -m ruff format --check src tests benchmarks scripts
python3 -m mypy

# coverage is measured on every run (the fast tests', tests/conftest.py: the slow ones run untraced), and the
# run fails below the floor set in pyproject.toml; workers steal
# queued tests from each other, so a few long tests near the end do not leave one core idle
# one worker per core: a third worker on two cores kept them 97% busy but made the run slower (23:28, 21:04)
python3 -m pytest -n auto --dist worksteal --durations=40 --cov --cov-report=term "$@"
