"""What the screenshot tools share: the real window on an in-process sandbox, pulled and ready, then shut down.

    from shot_window import run, save_shot, until, window_on_sandbox   # tools/ is on sys.path when a tool runs
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

import qasync
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QApplication

from ccdesk.api import CCClient, RateLimiter, StaticTokenProvider
from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.ui.main_window import MainWindow


async def until(predicate: Callable[[], object], timeout: float = 120) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise TimeoutError
        await asyncio.sleep(0.05)


class ShotNotWritten(Exception):
    """A picture that could not be written: the tool stops with this message (exit status 1), no traceback."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"Could not write the screenshot {path}: {why}")


def out_folder(folder: Path) -> Path:
    """The output folder, made if missing; stops with a clear message if it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ShotNotWritten(folder, exc.strerror or str(exc)) from None
    return folder


def save_shot(picture: QPixmap | QImage, path: Path) -> Path:
    """Save a PNG (its folder made if missing) or stop with a clear message: never a silent nothing."""
    out_folder(path.parent)
    if picture.isNull():
        raise ShotNotWritten(path, "the picture is empty (was the window shown?)")
    if not picture.save(str(path), "PNG"):
        raise ShotNotWritten(path, "Qt could not save it there (is the folder writable?)")
    return path


@contextlib.asynccontextmanager
async def window_on_sandbox(*, contacts: int, seed: int, rate_limit: float, account: str,
                            demo: bool = False) -> AsyncIterator[tuple[MainWindow, Desk, SandboxServer, Path]]:
    """A shown window whose first pull of a fresh sandbox has finished, its desk, the sandbox and a scratch
    folder; everything is closed on exit."""
    server = SandboxServer(SandboxConfig(contacts=contacts, seed=seed, rate_limit=rate_limit, tokens=["t"])).start()
    tmp = Path(tempfile.mkdtemp(prefix="ccdesk-shots-"))
    desk = Desk(CCClient(StaticTokenProvider("t"), base_url=server.api_base, rate_limiter=RateLimiter(rate_limit)),
                tmp / "c.sqlite3")
    window = MainWindow(desk, account=account, demo=demo)
    window.confirm_quit_with_pending = False
    window.show()
    try:
        window.start_pull()
        await until(lambda: window.pull_finished)
        yield window, desk, server, tmp
    finally:
        window.shutdown()
        window.close()
        await desk.close()
        server.stop()


def run(main: Callable[[Path], Awaitable[None]], default_out: Path) -> None:
    """Run `main(OUT_DIR)` (the first argument, else `default_out`) on a Qt + asyncio loop."""
    app = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        try:
            loop.run_until_complete(main(Path(sys.argv[1]) if len(sys.argv) > 1 else default_out))
        except ShotNotWritten as exc:
            sys.exit(str(exc))
