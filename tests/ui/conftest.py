"""UI tests: `async def` tests run on a qasync loop, so awaiting httpx and Qt events work together."""

from __future__ import annotations

from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication


def _qasync_loop() -> qasync.QEventLoop:
    app = QApplication.instance() or QApplication([])
    # Closing a test's last window must not quit the application (and stop the test's event loop).
    app.setQuitOnLastWindowClosed(False)  # type: ignore[union-attr]
    return qasync.QEventLoop(app)


def pytest_asyncio_loop_factories(config, item):  # type: ignore[no-untyped-def]
    return {"qasync": _qasync_loop}


@pytest.fixture
def sandbox_options() -> dict[str, Any]:
    """A small sandbox for window tests (`server`, tests/conftest.py); a module may override these options."""
    from tests.ui.test_window_e2e import TOKEN

    return {"contacts": 200, "seed": 5, "rate_limit": 0, "tokens": [TOKEN]}
