"""File > Quit in the real program: exit code 0, no asyncio error, and the shutdown runs (issue 15, item 10)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DRIVER = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import ccdesk.app as app_mod

def quit_from_the_file_menu():
    from ccdesk.ui.main_window import MainWindow
    shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    if not shown or not shown[0].pull_finished:
        QTimer.singleShot(200, quit_from_the_file_menu)
        return
    window = shown[0]
    window.confirm_quit_with_pending = False
    file_menu = window.menuBar().actions()[0].menu()
    next(a for a in file_menu.actions() if a.text() == "&Quit").trigger()
    print("quit triggered", flush=True)

app = QApplication(sys.argv[:1])
QTimer.singleShot(300, quit_from_the_file_menu)
code = app_mod.main(["--demo", "--db", sys.argv[1]])
print("main returned", code, flush=True)
sys.exit(code)
"""


def test_file_quit_exits_cleanly(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(home), "TMPDIR": str(temp),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share"),
           "XDG_RUNTIME_DIR": str(temp), "USER": f"quit-test-{os.getpid()}", "LOGNAME": f"quit-test-{os.getpid()}"}
    done = subprocess.run([sys.executable, "-c", DRIVER, str(tmp_path / "demo.sqlite3")], env=env,
                          capture_output=True, text=True, timeout=180)
    assert "quit triggered" in done.stdout, done.stderr[-2000:]
    assert "Event loop stopped" not in done.stderr
    assert done.returncode == 0, done.stderr[-2000:]
    assert "main returned 0" in done.stdout
    assert not list(temp.glob("ccdesk-demo-*"))  # the shutdown ran: the demo's temporary folder is gone
