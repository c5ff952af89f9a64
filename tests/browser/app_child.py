"""The app under test in the browser sign-in tests: the real ccdesk window (`ccdesk.app.main`, the same composition
root users start), plus a line protocol so the test can press its buttons, read what it shows and grab it.

    python -m tests.browser.app_child [ccdesk options]      (DISPLAY set, QT_QPA_PLATFORM=xcb)

Commands on stdin, one per line; each gets one reply line on stdout, `@@ {json}`:
    state                      what the sign-in screen and the main window show
    click browser|device|cancel   press that button on the sign-in screen, as a mouse click
    grab main|sign_in PATH     save a screenshot of that window
    quit                       close the app's windows (as File → Quit does)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QPushButton, QWidget

PAGES = ("start", "browser", "device", "session_only")


def _visible(kind: str) -> QWidget | None:
    from ccdesk.ui.main_window import MainWindow
    from ccdesk.ui.sign_in import SignInScreen

    wanted = {"main": MainWindow, "sign_in": SignInScreen}[kind]
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, wanted) and w.isVisible()), None)


def state() -> dict[str, Any]:
    screen: Any = _visible("sign_in")
    window: Any = _visible("main")
    out: dict[str, Any] = {"sign_in": None, "main": None}
    if screen is not None:
        out["sign_in"] = {
            "page": PAGES[screen.pages.currentIndex()],
            "error": screen.error.label.text() if screen.error.isVisible() else "",
            "browser_enabled": screen.browser_button.isEnabled(),
            # a sign-in still winding down (e.g. just cancelled): the screen ignores a new click until it is done
            "busy": screen._task is not None,
            "browser_status": screen.browser_status.text(),
            "browser_url": screen.browser_url.text(),
            "user_code": screen.user_code.text(),
            "device_url": screen.device_url.text(),
            "device_status": screen.device_status.text(),
            "session_only": screen.session_only_text.text(),
        }
    if window is not None:
        out["main"] = {"title": window.windowTitle(), "pull_finished": window.pull_finished,
                       "contacts": window.contacts.model.total}
    return out


def click(which: str) -> dict[str, Any]:
    screen: Any = _visible("sign_in")
    if screen is None:
        return {"error": "no sign-in screen"}
    if which == "cancel":
        buttons = [b for b in screen.findChildren(QPushButton) if b.text() == "Cancel" and b.isVisible()]
        if not buttons:
            return {"error": "no Cancel button shown"}
        button: QAbstractButton = buttons[0]
    else:
        button = {"browser": screen.browser_button, "device": screen.device_button}[which]
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    return {"clicked": which}


def grab(kind: str, path: str) -> dict[str, Any]:
    widget = _visible(kind)
    if widget is None:
        return {"error": f"no {kind} window shown"}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {"saved": bool(widget.grab().save(path, "PNG"))}


class Control(QObject):
    """Reads commands from stdin in the GUI thread (a socket notifier on fd 0: no thread, no nested loop)."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = b""
        self._notifier = QSocketNotifier(0, QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._readable)

    def _readable(self) -> None:
        chunk = os.read(0, 65536)
        if not chunk:  # the test went away: do not outlive it
            self._notifier.setEnabled(False)
            QApplication.quit()
            return
        self._buffer += chunk
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            self._reply(self._run(line.decode().split()))

    @staticmethod
    def _run(words: list[str]) -> dict[str, Any]:
        try:
            if words == ["state"]:
                return state()
            if len(words) == 2 and words[0] == "click":
                return click(words[1])
            if len(words) == 3 and words[0] == "grab":
                return grab(words[1], words[2])
            if words == ["quit"]:  # as File → Quit (and closing the last window) does
                for window in QApplication.topLevelWidgets():
                    if window.isVisible():
                        window.close()
                return {"quitting": True}
            return {"error": f"unknown command {words!r}"}
        except Exception as exc:  # report to the test rather than die silently
            return {"error": f"{type(exc).__name__}: {exc}"}

    @staticmethod
    def _reply(payload: dict[str, Any]) -> None:
        sys.stdout.write("@@ " + json.dumps(payload) + "\n")
        sys.stdout.flush()


def main() -> int:
    app = QApplication(sys.argv[:1])  # noqa: F841 - ccdesk.app.main uses this instance
    control = Control()  # noqa: F841 - lives as long as the app
    from ccdesk.app import main as ccdesk_main

    return ccdesk_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
