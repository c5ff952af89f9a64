"""One window per user and data folder: a second launch on the same folder hands over to the first, while
another data folder (another HOME, another test run on this machine) is a separate instance."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ccdesk.ui.single_instance import SingleInstance, server_name


def test_second_instance_on_one_data_folder_hands_over_to_the_first(qtbot, tmp_path: Path) -> None:
    first = SingleInstance("test-mode", folder=tmp_path)
    assert first.claim()
    second = SingleInstance("test-mode", folder=tmp_path / "sub" / "..")  # the same folder, spelt differently
    with qtbot.waitSignal(first.raise_requested, timeout=3000):
        assert not second.claim()


def test_another_data_folder_is_another_instance(qtbot, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = SingleInstance("test-mode", folder=tmp_path / "a")
    assert first.claim()
    other = SingleInstance("test-mode", folder=tmp_path / "b")
    with qtbot.assertNotEmitted(first.raise_requested, wait=300):
        assert other.claim()


def test_the_default_key_follows_the_users_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two homes (two test suites, or two people) never share the default key; one home always gets the same."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home1"))
    one = server_name("account")
    assert server_name("account") == one
    assert server_name("account", tmp_path / "home1" / "ccdesk") == one
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home2"))
    assert server_name("account") != one
    assert server_name("demo") != server_name("account")


HOLD = """
import sys, time
from PySide6.QtCore import QCoreApplication
from ccdesk.ui.single_instance import SingleInstance
app = QCoreApplication([])
instance = SingleInstance("account")
print("first" if instance.claim() else "handed over", flush=True)
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    app.processEvents()
    time.sleep(0.02)
"""


def _launch(home: Path, hold: float) -> subprocess.Popen[str]:
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen([sys.executable, "-c", HOLD, str(hold)], env=env, stdout=subprocess.PIPE, text=True)


def test_separate_processes_share_a_home_but_not_another(tmp_path: Path) -> None:
    """Real processes, the default key (no folder given): a second launch with the same HOME hands over, a
    launch with another HOME (another user, another test run) starts on its own."""
    first = _launch(tmp_path / "home1", hold=20)
    try:
        assert first.stdout is not None and first.stdout.readline().strip() == "first"
        same, other = _launch(tmp_path / "home1", hold=0), _launch(tmp_path / "home2", hold=0)
        assert same.communicate(timeout=30)[0].strip() == "handed over"
        assert other.communicate(timeout=30)[0].strip() == "first"
    finally:
        first.kill()
        first.wait(timeout=10)
