#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine with Python 3.11: installs the
# package with its test dependencies, then runs every test (slow ones included).
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1
python3 -m pip install --quiet --editable '.[test]'
exec python3 -m pytest -n auto --durations=15 "$@"
