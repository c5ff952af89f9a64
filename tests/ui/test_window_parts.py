"""Each part of the main window is built with a desk alone (no window) and does its job (tests/test_layers.py
checks that no part imports another)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from ccdesk.api import CCClient, StaticTokenProvider
from ccdesk.api.errors import ServerError
from ccdesk.services.desk import Desk
from ccdesk.services.sync import SyncProgress, SyncResult
from ccdesk.store.database import DeskDatabase
from ccdesk.ui.actions_part import ActionsPart
from ccdesk.ui.contacts_part import ContactsPart
from ccdesk.ui.status_part import StatusPart
from tests.db_helpers import on_file
from tests.ui.waiting import until

LISTS = [{"list_id": "L1", "name": "Newsletter"}, {"list_id": "L2", "name": "Events"}]


def contact(i: int, **email: object) -> dict:
    when = datetime(2025, 1, 1, tzinfo=UTC).isoformat()
    return {"contact_id": f"c{i:04d}", "first_name": f"First{i}", "last_name": "Smith",
            "email_address": {"address": f"person{i}@example.com", "permission_to_send": "explicit", **email},
            "created_at": when, "updated_at": when, "list_memberships": ["L1"]}


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    db = tmp_path / "cache.sqlite3"
    with DeskDatabase(db) as s:
        s.upsert_lists(LISTS)
        s.upsert_contacts([contact(i) for i in range(30)])
    desk = Desk(CCClient(StaticTokenProvider("unused"), base_url="http://127.0.0.1:9/v3"), db)
    yield desk
    desk.reads.close()
    desk.db.close()


def test_the_contacts_part_searches_selects_and_says_so(desk: Desk, qtbot) -> None:
    part = ContactsPart(desk)
    qtbot.addWidget(part)
    assert part.model.total == 30 and part.result_label.text() == "30 contacts"
    assert "Newsletter (30)" in [part.list_filter.itemText(i) for i in range(part.list_filter.count())]
    part.search_edit.setText("person7@example.com")
    part.apply_query()
    assert part.model.total == 1
    with qtbot.waitSignal(part.selection_changed) as selected:
        part.table.selectRow(0)
    assert [r.contact_id for r in selected.args[0]] == ["c0007"]
    assert part.details.title.text().startswith("First7")
    part.shutdown()


async def test_a_capped_count_is_made_exact_by_the_counts_per_status(desk: Desk, qtbot,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from ccdesk.ui import contact_table

    monkeypatch.setattr(contact_table, "COUNT_CAP", 10)
    monkeypatch.setattr(contact_table, "BATCH", 5)
    part = ContactsPart(desk)
    qtbot.addWidget(part)
    part.search_edit.setText("smith")  # all 30
    part.apply_query()
    assert part.model.capped and part.result_label.text() == "10+ contacts"  # at once: counted up to the cap
    part.model.sort(1, Qt.SortOrder.DescendingOrder)  # sorted before the counts arrive: they still count
    await until(lambda: part.result_label.text() == "30 contacts")  # then every match, off the GUI thread
    part.search_edit.setText("person7@")  # one match: the first page holds it, exact at once
    part.apply_query()
    assert not part.model.capped and part.result_label.text() == "1 contact"
    part.shutdown()


def test_the_contacts_part_refreshes_during_a_sync(desk: Desk, qtbot) -> None:
    part = ContactsPart(desk)
    qtbot.addWidget(part)
    on_file(desk.db, lambda s: s.upsert_contacts([contact(i) for i in range(30, 40)]))
    part.on_sync_progress(SyncProgress("full pull", 40, 100))
    assert part.model.total == 40 and part.status_filter.itemText(0) == "All statuses (40)"
    part.shutdown()


async def test_the_actions_part_queues_what_its_dialog_asks(desk: Desk, qtbot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    actions = ActionsPart(desk, host)
    assert actions.unsubscribe_selected() is None  # nothing selected: no dialog
    actions.set_selection([desk.reads.contact("c0003")])
    dialog = actions.unsubscribe_selected()
    assert dialog is not None
    dialog.reason_edit.setPlainText("Asked by phone")
    dialog.contact_radio.setChecked(True)
    queued: list[tuple[list[int], str]] = []
    actions.queued.connect(lambda ids, text: queued.append((ids, text)))
    dialog.accept()
    await until(lambda: queued)
    (item_ids, text), = queued
    assert len(item_ids) == 1 and text.startswith("Queued 1 unsubscribe;")
    assert [i.contact_id for i in desk.reads.pending()] == ["c0003"]


def test_an_item_another_process_took_over_is_not_called_refused(desk: Desk, qtbot, monkeypatch) -> None:
    from ccdesk.services.outbox import TAKEN_OVER, ItemOutcome
    from ccdesk.ui import status_part

    warned: list[str] = []
    monkeypatch.setattr(status_part, "warn", lambda _parent, title, _text: warned.append(title))
    status = StatusPart(desk)
    qtbot.addWidget(status)
    for bulk in (False, True):
        if bulk:
            status.track_bulk([7])
        desk.worker.item_finished.emit(ItemOutcome(7, "unsubscribe", "c0001", False, TAKEN_OVER, True, "elsewhere"))
        assert not warned and status.currentMessage() == TAKEN_OVER
    status.shutdown()


def test_a_paused_sender_is_not_said_to_try_again_and_long_messages_can_be_read(desk: Desk, qtbot) -> None:
    from ccdesk.services.outbox import ItemOutcome

    status = StatusPart(desk)
    qtbot.addWidget(status)
    desk.worker.item_finished.emit(ItemOutcome(8, "unsubscribe", "c0001", False, "Not allowed (403).", False,
                                               "not_allowed"))
    assert status.currentMessage() == "Not sent yet: Not allowed (403)."  # it waits for a Retry, not by itself
    assert status.toolTip() == status.currentMessage()  # a message cut at the bar's width is read by hovering
    desk.worker.item_finished.emit(ItemOutcome(9, "unsubscribe", "c0001", False, "A 503.", False, "temporary"))
    assert status.currentMessage().endswith("ccdesk will try again by itself.")
    status.shutdown()


def test_the_status_part_shows_the_queue_and_the_sync(desk: Desk, qtbot) -> None:
    status = StatusPart(desk)
    qtbot.addWidget(status)
    assert status.pending_label.text() == "Nothing waiting to send"
    on_file(desk.db, lambda s: s.enqueue("unsubscribe", "c0001", {"reason": "x"}))
    with qtbot.waitSignal(status.unsubscribe_waiting) as waiting:
        status.refresh_pending()
    assert waiting.args == [frozenset({"c0001"})] and status.pending_label.text() == "1 change waiting to send"
    with qtbot.waitSignal(status.sync_running) as running:
        desk.sync.started.emit()
    assert running.args == [True] and not status.progress.isHidden()
    with qtbot.waitSignal(status.new_optouts) as new:
        desk.sync.finished.emit(SyncResult(new_optouts=["c0002"]))
    assert new.args == [["c0002"]] and status.progress.isHidden()
    assert status.notice.label.text().startswith("1 new opt-out since the last check: person2@example.com")
    desk.sync.started.emit()
    assert status.currentMessage() == "Reading changes from Constant Contact…"
    desk.sync.stopped.emit(ServerError("Constant Contact had a problem (502). Try again in a few minutes."))
    assert status.currentMessage().startswith("Sync stopped")  # not "Reading changes…" beside the notice
    assert status.notice.label.text().startswith("Sync stopped: Constant Contact had a problem (502)")
    status.shutdown()


async def test_shutdown_leaves_no_task_pending(desk: Desk, qtbot) -> None:
    """The search-rank warm-up and the filter counts run on other threads; a shutdown while they run leaves no
    asyncio task behind ("Task was destroyed but it is pending" at exit)."""
    part = ContactsPart(desk)
    qtbot.addWidget(part)
    part.search_edit.setText("person")
    part.apply_query()  # counts with search text: on the database thread
    part._warm_search.timeout.emit()  # the ranks, without waiting for the timer
    part.shutdown()
    mine = asyncio.current_task()
    assert [t for t in asyncio.all_tasks() if t is not mine and not t.done()] == []
