"""Render the main window on the Recent opt-outs tab at 1024x640 and 1920x1040 against an in-process sandbox.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshot_optouts.py [OUT_DIR]

Writes OUT_DIR/recent-optouts-1024.png and -1920.png (default docs/images) and prints the paths.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qasync
from PySide6.QtWidgets import QApplication

from ccdesk.api import CCClient, RateLimiter, StaticTokenProvider
from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.store.database import DeskDatabase
from ccdesk.ui.main_window import MainWindow


async def until(predicate, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise TimeoutError
        await asyncio.sleep(0.05)


async def main(out: Path) -> None:
    server = SandboxServer(SandboxConfig(contacts=2500, seed=1, rate_limit=0, tokens=["t"])).start()
    tmp = Path(tempfile.mkdtemp(prefix="ccdesk-shots-"))
    desk = Desk(CCClient(StaticTokenProvider("t"), base_url=server.api_base, rate_limiter=RateLimiter(0)),
                tmp / "c.sqlite3")
    reader = DeskDatabase(tmp / "c.sqlite3")
    window = MainWindow(desk, reader, account="Demo account (sandbox)", demo=True)
    window.confirm_quit_with_pending = False
    window.show()
    window.start_pull()
    await until(lambda: window.pull_finished)
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
    window.shutdown()
    window.close()
    await desk.close()
    reader.close()
    server.stop()


if __name__ == "__main__":
    app = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    default = Path(__file__).resolve().parent.parent / "docs" / "images"
    with loop:
        loop.run_until_complete(main(Path(sys.argv[1]) if len(sys.argv) > 1 else default))
