"""Render the one icon source, ccdesk/resources/ccdesk.svg, into what installers need (run after changing the SVG):

    resources/ccdesk-<N>.png   the hicolor sizes the .deb installs (and the Linux executable's icon)
    resources/ccdesk.ico       Windows (PyInstaller spec, Inno Setup): PNG-compressed entries 16..256
    resources/ccdesk.icns      macOS (the spec's BUNDLE): PNG-compressed entries 16..1024

Both containers hold PNG data, which Windows (Vista on) and macOS (10.7 on) read; writing them here keeps the build
free of platform tools (iconutil, ImageMagick). `--check` renders into a temporary folder and fails if the
committed files differ from what the SVG gives.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "ccdesk" / "resources" / "ccdesk.svg"
OUT = ROOT / "resources"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Apple's PNG-capable type codes: icp4/icp5/icp6 (16, 32, 64), ic07..ic10 (128, 256, 512, 1024).
ICNS_TYPES = ((b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256), (b"ic09", 512),
              (b"ic10", 1024))


def render_png(renderer: QSvgRenderer, size: int) -> bytes:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICONDIR, one ICONDIRENTRY per size (0 means 256), then the PNG data."""
    sizes = sorted(pngs)
    offset = 6 + 16 * len(sizes)
    head = struct.pack("<HHH", 0, 1, len(sizes))
    entries, blobs = b"", b""
    for size in sizes:
        data = pngs[size]
        edge = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", edge, edge, 0, 0, 1, 32, len(data), offset + len(blobs))
        blobs += data
    return head + entries + blobs


def icns(pngs: dict[bytes, bytes]) -> bytes:
    """'icns', the total length, then (type code, length with its 8-byte header, PNG data) per entry."""
    body = b"".join(code + struct.pack(">I", 8 + len(data)) + data for code, data in pngs.items())
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def render(out: Path) -> list[Path]:
    """Write every icon file into `out`; return their paths."""
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"{SOURCE} is not an SVG Qt can render")
    sizes = sorted({*PNG_SIZES, *ICO_SIZES, *(size for _, size in ICNS_TYPES)})
    pngs = {size: render_png(renderer, size) for size in sizes}
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for size in PNG_SIZES:
        written.append(out / f"ccdesk-{size}.png")
        written[-1].write_bytes(pngs[size])
    written.append(out / "ccdesk.ico")
    written[-1].write_bytes(ico({size: pngs[size] for size in ICO_SIZES}))
    written.append(out / "ccdesk.icns")
    written[-1].write_bytes(icns({code: pngs[size] for code, size in ICNS_TYPES}))
    del app
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if resources/ differs from what the SVG gives")
    args = parser.parse_args(argv)
    if not args.check:
        for path in render(OUT):
            print(path.relative_to(ROOT))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        stale = [p.name for p in render(Path(tmp)) if not (OUT / p.name).is_file()
                 or (OUT / p.name).read_bytes() != p.read_bytes()]
    if stale:
        print(f"out of date: {', '.join(stale)}; run: python packaging/render_icons.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
