#!/usr/bin/env bash
# Builds dist/ccdesk_<version>_<arch>.deb from this checkout: a PyInstaller one-folder build of the app
# (packaging/ccdesk.spec) under /opt/ccdesk, a /usr/bin/ccdesk launcher, a desktop entry and icons.
# Uses .venv if it exists (tools/setup.sh makes it), otherwise creates build/venv. Needs dpkg-deb.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

VENV=${CCDESK_BUILD_VENV:-}
if [ -z "$VENV" ]; then
  if [ -x .venv/bin/python ]; then VENV=.venv; else VENV=build/venv; fi
fi
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
fi
"$VENV/bin/python" -m pip install -q -e . "pyinstaller>=6.10,<7"

VERSION=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("ccdesk"))')
ARCH=$(dpkg --print-architecture)
echo "== PyInstaller build of ccdesk $VERSION ($ARCH)"
rm -rf build/pyinstaller build/deb
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN --distpath build/pyinstaller/dist \
  --workpath build/pyinstaller/work packaging/ccdesk.spec
# Strip debug symbols from the shared libraries, except those vendored by wheels under <pkg>.libs/: they are
# patched with patchelf and stripping breaks them (numpy's OpenBLAS then fails to load).
find build/pyinstaller/dist/ccdesk -type f \( -name '*.so' -o -name '*.so.*' \) -not -path '*.libs/*' \
  -exec strip --strip-unneeded {} + 2>/dev/null || true

echo "== Debian package layout"
DEB=build/deb
mkdir -p "$DEB/DEBIAN" "$DEB/opt" "$DEB/usr/bin" "$DEB/usr/share/applications"
cp -a build/pyinstaller/dist/ccdesk "$DEB/opt/ccdesk"
install -m 0755 packaging/linux/ccdesk-launcher.sh "$DEB/usr/bin/ccdesk"
install -m 0644 packaging/linux/ccdesk.desktop "$DEB/usr/share/applications/ccdesk.desktop"
for size in 16 24 32 48 64 128 256 512; do
  install -D -m 0644 "resources/ccdesk-$size.png" "$DEB/usr/share/icons/hicolor/${size}x${size}/apps/ccdesk.png"
done
install -D -m 0644 ccdesk/resources/ccdesk.svg "$DEB/usr/share/icons/hicolor/scalable/apps/ccdesk.svg"
install -m 0755 packaging/linux/postinst packaging/linux/postrm "$DEB/DEBIAN/"
find "$DEB/opt/ccdesk" -type d -exec chmod 0755 {} +
find "$DEB/opt/ccdesk" -type f -exec chmod u+rw,go+r {} +
INSTALLED_KB=$(du -sk --exclude=DEBIAN "$DEB" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@INSTALLED_KB@/$INSTALLED_KB/" \
  packaging/linux/control.in > "$DEB/DEBIAN/control"

mkdir -p dist
OUT="dist/ccdesk_${VERSION}_${ARCH}.deb"
echo "== dpkg-deb -> $OUT"
dpkg-deb --root-owner-group -Zgzip -z6 --build "$DEB" "$OUT" >/dev/null
ls -l "$OUT"
echo "$OUT"
