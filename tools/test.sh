#!/usr/bin/env bash
# Sets up (tools/setup.sh) and runs the whole test suite headless: Qt offscreen, no network but loopback.
# Lint (ruff) and types (mypy, configured in pyproject.toml) first; arguments go to pytest
# (tools/test-quick.sh passes -m "not slow").
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --test
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check .
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
