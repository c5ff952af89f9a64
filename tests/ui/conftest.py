"""UI tests: `async def` tests run on a qasync loop, so awaiting httpx and Qt events work together."""

from __future__ import annotations

import qasync
from PySide6.QtWidgets import QApplication


def pytest_asyncio_loop_factories(config, item):  # type: ignore[no-untyped-def]
    return {"qasync": lambda: qasync.QEventLoop(QApplication.instance() or QApplication([]))}
