"""Render the main window on the Contacts tab at 1024x640 and 1366x768 against an in-process sandbox, a contact
selected (its details beside the table).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshot_contacts.py [OUT_DIR]

Writes OUT_DIR/contacts-1024.png and contacts-1366.png (default docs/images) and prints the paths.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import QApplication
from shot_window import run, save_shot, window_on_sandbox

SIZES = ((1024, 640), (1366, 768))


async def main(out: Path) -> None:
    async with window_on_sandbox(contacts=2500, seed=1, rate_limit=0, account="Demo account (sandbox)",
                                 demo=True) as (window, _desk, _server, _tmp):
        window.tabs.setCurrentWidget(window.contacts)
        window.contacts.table.selectRow(2)
        for width, height in SIZES:
            window.resize(width, height)
            for _ in range(20):
                QApplication.processEvents()
                await asyncio.sleep(0.02)
            print(save_shot(window.grab(), out / f"contacts-{width}.png"))


if __name__ == "__main__":
    run(main, Path(__file__).resolve().parent.parent / "docs" / "images")
