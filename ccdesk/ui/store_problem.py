"""Opening the local data at start, and when that fails (locked by another program past the wait, damaged, not
ccdesk's): a plain screen that says so, with Try again and Quit, instead of a traceback."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ccdesk.store.errors import SchemaTooNewError, StoreUnavailableError, StoreUnreadableError

T = TypeVar("T")
PROBLEMS = (StoreUnavailableError, StoreUnreadableError, SchemaTooNewError)


class StoreProblemScreen(QWidget):
    retry = Signal()
    quit = Signal()

    def __init__(self, message: str) -> None:
        super().__init__()
        self.setWindowTitle("ccdesk cannot open its local data")
        self.setMinimumWidth(520)
        title = QLabel("<b>ccdesk cannot open its local data</b>")
        self.message = QLabel(message)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Try again")
        self.retry_button.setDefault(True)
        self.quit_button = QPushButton("Quit")
        self.retry_button.clicked.connect(self.retry)
        self.quit_button.clicked.connect(self.quit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.quit_button)
        buttons.addWidget(self.retry_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.message, 1)
        layout.addLayout(buttons)

    def show_problem(self, message: str) -> None:
        self.message.setText(message)
        self.retry_button.setEnabled(True)
        self.show()
        self.raise_()


async def open_or_explain(open_fn: Callable[[], T], quit_event: asyncio.Event, *, smoke: bool = False,
                          on_screen: Callable[[StoreProblemScreen], None] | None = None) -> T | None:
    """`open_fn()` on a worker thread (SQLite waits for a lock there, not on the GUI thread). On a store problem
    show the screen and wait for Try again (open again) or Quit/closing the app (None). With `smoke`, print the
    problem and return None."""
    screen: StoreProblemScreen | None = None
    try:
        while True:
            try:
                return await asyncio.to_thread(open_fn)
            except PROBLEMS as exc:
                message = str(getattr(exc, "message", exc))
            if smoke:
                print(f"ccdesk cannot open its local data: {message}", file=sys.stderr, flush=True)
                return None
            if screen is None:
                screen = StoreProblemScreen(message)
                if on_screen is not None:
                    on_screen(screen)
            screen.show_problem(message)
            if not await _ask(screen, quit_event):
                return None
            screen.retry_button.setEnabled(False)
            screen.message.setText("Opening the local data again…")
    finally:
        if screen is not None:
            screen.close()
            screen.deleteLater()


async def _ask(screen: StoreProblemScreen, quit_event: asyncio.Event) -> bool:
    """True for Try again; False for Quit or the app closing."""
    choice: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def answer(value: bool) -> None:
        if not choice.done():
            choice.set_result(value)

    def on_retry() -> None:
        answer(True)

    def on_quit() -> None:
        answer(False)

    screen.retry.connect(on_retry)
    screen.quit.connect(on_quit)
    closing = asyncio.ensure_future(quit_event.wait())
    try:
        waiting: set[asyncio.Future[Any]] = {choice, closing}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    finally:
        closing.cancel()
        screen.retry.disconnect(on_retry)
        screen.quit.disconnect(on_quit)
    return choice.done() and choice.result()
