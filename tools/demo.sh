#!/usr/bin/env bash
# Sets up (tools/setup.sh) and starts ccdesk in demo mode against its built-in sandbox (no account needed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "No display found: starting on a virtual screen (xvfb-run)."
  exec xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/ccdesk --demo "$@"
fi
exec .venv/bin/ccdesk --demo "$@"
