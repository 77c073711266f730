#!/usr/bin/env bash
# Installs testigo on a fresh Debian machine with Python 3.11 and runs the demo:
# a synthetic election rendered as acta photos, ingested, verified and tallied.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1
python3 -m pip install --quiet --editable .
exec testigo demo "$@"
