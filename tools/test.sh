#!/usr/bin/env bash
# Sets up (tools/setup.sh) and runs the whole test suite headless: Qt offscreen, no network but loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --test
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
