"""The Activity tab: failed changes can be retried or discarded; the journal exports to CSV."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from ccdesk.api import CCClient, StaticTokenProvider
from ccdesk.services.desk import Desk
from ccdesk.store.database import DeskDatabase
from ccdesk.ui.activity_tab import JOURNAL_COLUMNS, ActivityTab
from tests.db_helpers import on_file
from tests.ui.waiting import until


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    """A desk on a fresh file, with no network (nothing here is sent)."""
    desk = Desk(CCClient(StaticTokenProvider("unused"), base_url="http://127.0.0.1:9/v3"), tmp_path / "c.sqlite3")
    yield desk
    desk.reads.close()
    desk.db.close()


def _failed(desk: Desk) -> int:
    def make(s: DeskDatabase) -> int:
        item_id = s.enqueue("unsubscribe", "c1", {"reason": "x"}, actor="alice")
        s.next_due()
        s.mark_failed(item_id, "Constant Contact refused the request: contact not found")
        return item_id

    return on_file(desk.db, make)


async def test_retry_and_discard_failed_changes(desk: Desk, qtbot) -> None:
    changed: list[int] = []
    first, second = _failed(desk), _failed(desk)
    tab = ActivityTab(desk)
    tab.changed.connect(lambda: changed.append(1))
    qtbot.addWidget(tab)
    tab.refresh()
    assert "2 failed" in tab.queue_summary.text()
    assert not tab.retry_button.isEnabled()
    tab.queue.selectRow(next(i for i, item in enumerate(tab._items) if item.id == first))
    assert tab.retry_button.isEnabled() and tab.discard_button.isEnabled()
    tab.retry_selected()
    await until(lambda: changed == [1])
    assert str(desk.reads.outbox_item(first).state) == "pending"
    row = next(i for i, item in enumerate(tab._items) if item.id == second)
    tab.queue.selectRow(row)
    box = tab.discard_selected()  # asks first: an unsubscribe given up is an opt-out not made
    assert box is not None and "Give up on the unsubscribe of" in box.text() and "the law" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    await asyncio.sleep(0.2)
    assert str(desk.reads.outbox_item(second).state) == "failed" and changed == [1]  # Cancel: nothing happens
    box = tab.discard_selected()
    assert box is not None
    next(b for b in box.buttons() if b.text() == "Give up on it").click()
    await until(lambda: changed == [1, 1])
    assert str(desk.reads.outbox_item(second).state) == "discarded"
    assert "1 waiting to send · 0 failed" in tab.queue_summary.text()


async def test_journal_exports_every_entry(desk: Desk, tmp_path: Path, qtbot) -> None:
    def fill(s: DeskDatabase) -> None:
        for i in range(1203):
            s.add_audit("unsubscribe", "sent", contact_id=f"c{i}", email=f"=p{i}@example.com", actor="alice")

    on_file(desk.db, fill)
    tab = ActivityTab(desk)
    qtbot.addWidget(tab)
    out = tmp_path / "journal.csv"
    assert await tab.write_journal(out) == 1203  # on the desk's database thread, not the GUI thread
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    # An address is never altered, even one starting with "=" (issue 14 item 2); other cells would be marked.
    assert len(rows) == 1204 and rows[1][6].startswith("=p")


async def test_a_journal_that_cannot_be_written_is_explained_not_raised(desk: Desk, tmp_path: Path, qtbot,
                                                                       monkeypatch) -> None:
    """One error policy for every CSV (csv_writer.py): the message names the file and says what to do."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    target = tmp_path / "no-such-folder" / "journal.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    on_file(desk.db, lambda s: s.add_audit("unsubscribe", "sent", contact_id="c1", email="a@example.com",
                                           actor="alice"))
    tab = ActivityTab(desk)
    qtbot.addWidget(tab)
    tab.export_journal()  # written on the database thread; the message comes when it failed
    await until(lambda: tab.findChildren(QMessageBox))
    boxes = tab.findChildren(QMessageBox)
    assert [b.windowTitle() for b in boxes] == ["Export failed"]
    assert str(target.parent) in boxes[0].text() and "does not exist" in boxes[0].text()
    assert not target.parent.exists()


def test_long_sentences_fit_a_1024_window_and_are_whole_in_the_tooltip(desk: Desk, qtbot) -> None:
    """A long reason made the journal's columns wider than the window (a sideways scroll bar at 1024 px): the
    sentence columns now share the width left, cut with "…", whole in the cell's tooltip."""
    reason = "Asked by phone to stop every newsletter and every event invitation, and to remove them from all lists"
    on_file(desk.db, lambda s: s.enqueue("unsubscribe", "c1", {"reason": reason, "update_source": "Contact"},
                                         actor="alice"))
    tab = ActivityTab(desk)
    qtbot.addWidget(tab)
    tab.resize(1000, 560)
    tab.show()
    tab.refresh()
    QApplication.processEvents()
    for table in (tab.queue, tab.table):
        assert table.horizontalScrollBar().maximum() == 0
    evidence = tab.table.item(0, JOURNAL_COLUMNS.index("Reason, who asked, received"))
    assert reason in evidence.text() and evidence.toolTip() == evidence.text()


def test_tab_leaves_the_tables_instead_of_moving_cell_to_cell(desk: Desk, qtbot) -> None:
    """A keyboard-only user was trapped in the journal: Tab moved from cell to cell and never left it."""
    from PySide6.QtCore import Qt

    _failed(desk)
    tab = ActivityTab(desk)
    qtbot.addWidget(tab)
    tab.show()
    qtbot.waitExposed(tab)
    tab.refresh()
    QApplication.processEvents()
    for table in (tab.queue, tab.table):
        assert table.rowCount() > 0
        table.setFocus()
        table.setCurrentCell(0, 0)
        qtbot.waitUntil(table.hasFocus)
        qtbot.keyClick(table, Qt.Key.Key_Tab)
        assert not table.hasFocus(), table.accessibleName()


async def test_a_change_still_waiting_can_be_sent_now_or_withdrawn(desk: Desk, qtbot) -> None:
    """Queued by mistake while Constant Contact was unreachable: it can be withdrawn before it is sent (it stays in
    the journal), or tried now instead of after its pause."""
    def waiting(s: DeskDatabase) -> int:
        item_id = s.enqueue("unsubscribe", None, {"reason": "x"}, actor="a")
        assert s.next_due() is not None
        s.mark_retry(item_id, "Constant Contact had a problem (503).", datetime.now(UTC) + timedelta(minutes=10))
        return item_id

    first, second = on_file(desk.db, waiting), on_file(desk.db, waiting)
    tab = ActivityTab(desk)
    qtbot.addWidget(tab)
    tab.refresh()
    tab.queue.selectRow(next(i for i, item in enumerate(tab._items) if item.id == first))
    assert tab.retry_button.isEnabled() and tab.discard_button.isEnabled()
    tab.retry_selected()
    await until(lambda: desk.reads.outbox_item(first).next_attempt_at <= datetime.now(UTC))
    tab.refresh()
    tab.queue.selectRow(next(i for i, item in enumerate(tab._items) if item.id == second))
    box = tab.discard_selected()
    assert box is not None and box.text().startswith("Withdraw the unsubscribe of")
    next(b for b in box.buttons() if b.text() == "Withdraw it").click()
    await until(lambda: str(desk.reads.outbox_item(second).state) == "discarded")
    assert any(entry.message == "Cancelled before it was sent" for entry in desk.reads.journal())
