"""Issue 14 item 13 in the window: every hostile search text of the catalogue typed into the search box (a NUL
used to raise in every search function, leaving a traceback, a stale count and a broken model reset), and a
paste of 5,000 addresses, whose work on the GUI thread is measured as SQLite work (not time)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from ccdesk.api import CCClient, StaticTokenProvider
from ccdesk.services.desk import Desk
from ccdesk.ui.main_window import MainWindow
from tests.faults.hostile import SEARCH_SQL_BUDGET, SEARCHES, search_store, search_work


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    db = tmp_path / "cache.sqlite3"
    search_store(db, 600).close()
    desk = Desk(CCClient(StaticTokenProvider("unused"), base_url="http://127.0.0.1:9/v3"), db)
    w = MainWindow(desk, account="Test")
    qtbot.addWidget(w)
    w.show()
    yield w
    for timer in w.findChildren(QTimer):  # a search typed by the test must not run after the cache is closed
        timer.stop()
    w.close()
    desk.reads.close()
    desk.db.close()


@pytest.mark.parametrize(("name", "text"), SEARCHES, ids=[name for name, _ in SEARCHES])
def test_hostile_search_text_in_the_window(window: MainWindow, qtbot, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    window.contacts.search_edit.setText(text)
    _, _steps, longest = search_work(window.desk.reads._now, window.contacts.apply_query)
    assert longest <= SEARCH_SQL_BUDGET, f"{longest:,}-character statement on the GUI thread"
    expected = window.desk.reads.count(window.contacts.current_query(), 10_000)
    model = window.contacts.model
    assert model.total == expected and model.rowCount() == min(expected, model.rowCount())
    assert "contact" in window.contacts.result_label.text()


def test_a_nul_in_the_search_box_finds_what_the_words_find(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.contacts.search_edit.setText("person12")
    window.contacts.apply_query()
    plain = window.contacts.model.total
    window.contacts.search_edit.setText("person12\x00")
    window.contacts.apply_query()
    assert window.contacts.model.total == plain == 11  # person12, person120..129; the count is not stale
    assert f"{plain}" in window.contacts.result_label.text()

