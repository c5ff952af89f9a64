"""Render the main window on the Recent opt-outs tab at 1024x640 and 1920x1040 against an in-process sandbox.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshot_optouts.py [OUT_DIR]

Writes OUT_DIR/recent-optouts-1024.png and -1920.png (default docs/images) and prints the paths.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import QApplication
from shot_window import run, window_on_sandbox


async def main(out: Path) -> None:
    async with window_on_sandbox(contacts=2500, seed=1, rate_limit=0, account="Demo account (sandbox)",
                                 demo=True) as (window, _desk, _server, _tmp):
        window.tabs.setCurrentWidget(window.optouts)
        window.optouts.preset.setCurrentIndex(window.optouts.preset.findData("365"))
        out.mkdir(parents=True, exist_ok=True)
        for width, height in ((1024, 640), (1920, 1040)):
            window.resize(width, height)
            for _ in range(20):
                QApplication.processEvents()
                await asyncio.sleep(0.02)
            path = out / f"recent-optouts-{width}.png"
            window.grab().save(str(path))
            print(path)


if __name__ == "__main__":
    run(main, Path(__file__).resolve().parent.parent / "docs" / "images")
