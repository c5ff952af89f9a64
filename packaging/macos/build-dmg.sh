#!/usr/bin/env bash
# macOS: build ccdesk.app with PyInstaller (the spec's BUNDLE step) and wrap it in a .dmg. Run on a Mac.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -m venv build/venv && build/venv/bin/pip install -q -e . "pyinstaller>=6.10,<7"
VERSION=$(build/venv/bin/python -c 'import importlib.metadata as m; print(m.version("ccdesk"))')
build/venv/bin/pyinstaller --noconfirm --clean packaging/ccdesk.spec
# Signing and notarisation go here (see packaging/README.md): codesign, notarytool submit --wait, stapler staple.
hdiutil create -volname ccdesk -srcfolder dist/ccdesk.app -ov -format UDZO "dist/ccdesk-$VERSION.dmg"
