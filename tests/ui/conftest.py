"""UI tests: `async def` tests run on a qasync loop, so awaiting httpx and Qt events work together."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer


def _qasync_loop() -> qasync.QEventLoop:
    app = QApplication.instance() or QApplication([])
    # Closing a test's last window must not quit the application (and stop the test's event loop).
    app.setQuitOnLastWindowClosed(False)  # type: ignore[union-attr]
    return qasync.QEventLoop(app)


def pytest_asyncio_loop_factories(config, item):  # type: ignore[no-untyped-def]
    return {"qasync": _qasync_loop}


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    """A small sandbox for window tests (modules with their own `server` fixture use theirs)."""
    from tests.ui.test_window_e2e import TOKEN

    srv = SandboxServer(SandboxConfig(contacts=200, seed=5, rate_limit=0, tokens=[TOKEN])).start()
    yield srv
    srv.stop()
