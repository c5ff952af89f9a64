"""The Activity tab: failed changes can be retried or discarded; the journal exports to CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from ccdesk.services.database_thread import DatabaseThread
from ccdesk.store.database import DeskDatabase
from ccdesk.ui.activity_tab import ActivityTab
from tests.db_helpers import on_file
from tests.ui.waiting import until


def _failed(store: DatabaseThread) -> int:
    def make(s: DeskDatabase) -> int:
        item_id = s.enqueue("unsubscribe", "c1", {"reason": "x"}, actor="alice")
        s.next_due()
        s.mark_failed(item_id, "Constant Contact refused the request: contact not found")
        return item_id

    return on_file(store, make)




async def test_retry_and_discard_failed_changes(tmp_path: Path, qtbot) -> None:
    db = tmp_path / "c.sqlite3"
    store = DatabaseThread(db)
    reader = DeskDatabase(db)
    changed: list[int] = []
    try:
        first, second = _failed(store), _failed(store)
        tab = ActivityTab(reader, store, on_changed=lambda: changed.append(1))
        qtbot.addWidget(tab)
        assert "2 failed" in tab.queue_summary.text()
        assert not tab.retry_button.isEnabled()
        tab.queue.selectRow(next(i for i, item in enumerate(tab._items) if item.id == first))
        assert tab.retry_button.isEnabled() and tab.discard_button.isEnabled()
        tab.retry_selected()
        await until(lambda: changed == [1])
        assert str(reader.get_outbox_item(first).state) == "pending"
        row = next(i for i, item in enumerate(tab._items) if item.id == second)
        tab.queue.selectRow(row)
        tab.discard_selected()
        await until(lambda: changed == [1, 1])
        assert str(reader.get_outbox_item(second).state) == "discarded"
        assert "1 waiting to send · 0 failed" in tab.queue_summary.text()
    finally:
        reader.close()
        store.close()


def test_journal_exports_every_entry(tmp_path: Path, qtbot) -> None:
    db = tmp_path / "c.sqlite3"
    with DeskDatabase(db) as s:
        for i in range(1203):
            s.add_audit("unsubscribe", "sent", contact_id=f"c{i}", email=f"=p{i}@example.com", actor="alice")
        tab = ActivityTab(s)
        qtbot.addWidget(tab)
        out = tmp_path / "journal.csv"
        assert tab.write_journal(str(out)) == 1203
        with open(out, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    # An address is never altered, even one starting with "=" (issue 14 item 2); other cells would be marked.
    assert len(rows) == 1204 and rows[1][6].startswith("=p")


def test_a_journal_that_cannot_be_written_is_explained_not_raised(tmp_path: Path, qtbot, monkeypatch) -> None:
    """One error policy for every CSV (csv_writer.py): the message names the file and says what to do."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    target = tmp_path / "no-such-folder" / "journal.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    with DeskDatabase(tmp_path / "c.sqlite3") as s:
        s.add_audit("unsubscribe", "sent", contact_id="c1", email="a@example.com", actor="alice")
        tab = ActivityTab(s)
        qtbot.addWidget(tab)
        tab.export_journal()
        boxes = tab.findChildren(QMessageBox)
    assert [b.windowTitle() for b in boxes] == ["Export failed"]
    assert str(target.parent) in boxes[0].text() and "does not exist" in boxes[0].text()
    assert not target.parent.exists()
