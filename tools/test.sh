#!/usr/bin/env bash
# Sets up (tools/setup.sh) and runs the whole test suite headless: Qt offscreen, no network but loopback.
# Lint (ruff) and types (mypy, configured in pyproject.toml) first. With no arguments the suite runs in two
# stages, each test once: the quick tests first (what tools/test-quick.sh runs, so a plain failure shows within
# minutes), then the tests marked slow. Arguments go to pytest and run once (tools/test-quick.sh passes
# -m "not slow").
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --test
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check .
.venv/bin/mypy
if [ "$#" -gt 0 ]; then
    exec .venv/bin/python -m pytest "$@"
fi
.venv/bin/python -m pytest -m "not slow"
exec .venv/bin/python -m pytest -m slow
