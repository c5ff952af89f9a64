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
from ccdesk.store.database import DeskDatabase
from ccdesk.ui.main_window import MainWindow
from tests.faults.hostile import SEARCH_SQL_BUDGET, SEARCHES, search_store, search_work


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    db = tmp_path / "cache.sqlite3"
    search_store(db, 600).close()
    desk = Desk(CCClient(StaticTokenProvider("unused"), base_url="http://127.0.0.1:9/v3"), db)
    reader = DeskDatabase(db)
    w = MainWindow(desk, reader, account="Test")
    qtbot.addWidget(w)
    w.show()
    yield w
    for timer in w.findChildren(QTimer):  # a search typed by the test must not run after the cache is closed
        timer.stop()
    w.close()
    reader.close()
    desk.db.close()


@pytest.mark.parametrize(("name", "text"), SEARCHES, ids=[name for name, _ in SEARCHES])
def test_hostile_search_text_in_the_window(window: MainWindow, qtbot, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    window.search_edit.setText(text)
    _, _steps, longest = search_work(window.reader, window.apply_query)
    assert longest <= SEARCH_SQL_BUDGET, f"{longest:,}-character statement on the GUI thread"
    expected = window.reader.count(window.current_query().text, cap=10_000)
    assert window.model.total == expected and window.model.rowCount() == min(expected, window.model.rowCount())
    assert "contact" in window.result_label.text()


def test_a_nul_in_the_search_box_finds_what_the_words_find(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.search_edit.setText("person12")
    window.apply_query()
    plain = window.model.total
    window.search_edit.setText("person12\x00")
    window.apply_query()
    assert window.model.total == plain == 11  # person12, person120..129; the count is not stale
    assert f"{plain}" in window.result_label.text()

