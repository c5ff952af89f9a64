"""Exports from the window: the feed of new opt-outs has its own file name and never replaces a full list (15.8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ccdesk.ui.export_choice import FEED_NAME, FULL_KEY, FULL_NAME
from ccdesk.ui.main_window import MainWindow
from tests.ui.test_window_ux import window  # noqa: F401 - the window fixture
from tests.ui.waiting import until


@pytest.fixture(autouse=True)
def forget_full_lists():
    QSettings("ccdesk", "ccdesk").remove(FULL_KEY)
    yield
    QSettings("ccdesk", "ccdesk").remove(FULL_KEY)


async def test_a_feed_never_overwrites_a_full_export(window: MainWindow, tmp_path: Path,  # noqa: F811
                                                    monkeypatch) -> None:
    full, feed = tmp_path / "dnm.csv", tmp_path / "crm-feed.csv"
    answers = [str(full), str(full), str(feed)]  # the full export, then the feed aimed at it twice over
    suggested: list[str] = []

    def save_name(_parent, _title, name, _filter):  # type: ignore[no-untyped-def]
        suggested.append(name)
        return answers.pop(0), ""

    warned: list[str] = []
    told: list[str] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warned.append(text))
    monkeypatch.setattr("ccdesk.ui.messages.show_message", lambda _p, _t, text, _icon=None: told.append(text))
    window.actions_part.export_do_not_mail(only_new=False)
    await until(lambda: told)
    full_text = full.read_text(encoding="utf-8-sig")
    assert full_text.count("\n") == 2  # header + the one unsubscribed contact
    window.actions_part.export_do_not_mail(only_new=True)
    await until(lambda: len(told) == 2)
    assert suggested[0] == FULL_NAME and suggested[1] == FEED_NAME
    assert len(warned) == 1 and "full Do Not Mail list" in warned[0]
    assert suggested[2].endswith(FEED_NAME)
    assert full.read_text(encoding="utf-8-sig") == full_text  # the full list is untouched
    assert feed.exists()
