#!/usr/bin/env bash
# Installs what ccdesk needs on a Debian/Ubuntu machine: the system libraries Qt loads, a virtualenv in
# .venv, and ccdesk itself (editable) with its test tools. Safe to run again; it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

QT_RUNTIME="libglib2.0-0 libgl1 libegl1 libx11-6 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3 libbrotli1
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0
  libxcb-xkb1"
TEST_TOOLS="xvfb xauth dbus gnome-keyring libsecret-tools python3-venv desktop-file-utils"
# Only for the test suite (bash tools/setup.sh --test): a real spreadsheet to open the exports with, and a real
# browser (Chromium driven by Selenium through chromedriver; xdg-utils opens it as the default browser).
# PostgreSQL: tests/team start a throwaway server from the Debian package (team mode, docs/team.md).
[ "${1:-}" = "--test" ] && TEST_TOOLS="$TEST_TOOLS libreoffice-calc-nogui chromium chromium-driver xdg-utils postgresql"

missing=()
for pkg in $QT_RUNTIME $TEST_TOOLS; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "Installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[test]"
# A plaintext keyring backend must never be picked up by accident (it would store tokens in a file).
if .venv/bin/python -m pip show -q keyrings.alt >/dev/null 2>&1; then
  echo "keyrings.alt is installed in .venv: removing it (it would store tokens in plain text)"; 
  .venv/bin/python -m pip uninstall -y -q keyrings.alt
fi
