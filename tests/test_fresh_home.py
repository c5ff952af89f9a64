"""Each test has a home of its own (tests/conftest.py::fresh_home): what one test saves, the next never sees.
The two tests run in this order; without the fixture the second finds what the first left."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

from ccdesk.preferences import Preferences, preferences_path

LEFT = "left-by-the-previous-test"


def test_a_test_saves_preferences_window_settings_and_a_file_at_home() -> None:
    Preferences(client_id=LEFT).save()
    settings = QSettings("ccdesk", "ccdesk")
    settings.setValue("left", LEFT)
    settings.sync()
    (Path.home() / "left.txt").write_text(LEFT)
    assert Preferences.load().client_id == LEFT and QSettings("ccdesk", "ccdesk").value("left") == LEFT


def test_the_next_test_finds_none_of_it(fresh_home: Path) -> None:
    assert Preferences.load().client_id != LEFT and not preferences_path().exists()
    assert QSettings("ccdesk", "ccdesk").value("left") is None
    assert not (Path.home() / "left.txt").exists()
    assert Path.home() == fresh_home and preferences_path().is_relative_to(fresh_home)
    assert all(os.environ[var].startswith(str(fresh_home)) for var in
               ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_DIRS"))
    assert QSettings("ccdesk", "ccdesk").fileName().startswith(str(fresh_home))
