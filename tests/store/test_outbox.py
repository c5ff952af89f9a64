"""Outbox lifecycle, audit written in the same transaction, per-contact order, crash recovery."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ccdesk.store import DeskDatabase, InvalidStateError, OutboxState
from ccdesk.store import audit as audit_mod
from tests.store.conftest import cid, make_contact

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cstore(db_path: Path, clock: Clock) -> DeskDatabase:
    s = DeskDatabase(db_path, clock=clock)
    s.upsert_contacts([make_contact(1, email="a@example.com"), make_contact(2)])
    yield s  # type: ignore[misc]
    s.close()


def test_lifecycle_with_retry(cstore: DeskDatabase, clock: Clock) -> None:
    payload = {"reason": "asked by phone", "update_source": "Account"}
    item_id = cstore.enqueue("unsubscribe", cid(1), payload, actor="alice")
    [pending] = cstore.pending()
    assert (pending.id, pending.state, pending.attempts, pending.payload) == (item_id, OutboxState.PENDING, 0, payload)
    assert pending.created_by == "alice"

    item = cstore.next_due()
    assert item is not None and item.state is OutboxState.IN_PROGRESS and item.attempts == 1
    assert cstore.next_due() is None  # claimed, not handed out twice

    cstore.mark_retry(item_id, "503 Service Unavailable", T0 + timedelta(minutes=5))
    assert cstore.next_due() is None  # not due yet
    assert cstore.next_attempt_at() == T0 + timedelta(minutes=5)
    clock.now = T0 + timedelta(minutes=5)
    again = cstore.next_due()
    assert again is not None and again.attempts == 2 and again.last_error == "503 Service Unavailable"
    cstore.mark_done(item_id, "200 OK")
    assert cstore.pending() == []
    assert cstore.get_outbox_item(item_id).state is OutboxState.DONE  # type: ignore[union-attr]

    journal = cstore.audit(cid(1))
    assert [a.outcome for a in journal] == ["sent", "retry", "queued"]  # newest first
    assert all(a.action == "unsubscribe" and a.email == "a@example.com" for a in journal)
    assert journal[-1].actor == "alice" and journal[-1].details["payload"] == payload
    assert journal[1].message == "503 Service Unavailable"


def test_failed_and_invalid_transitions(cstore: DeskDatabase) -> None:
    item_id = cstore.enqueue("remove_from_lists", cid(2), {"list_ids": ["x"]}, actor="bob")
    with pytest.raises(InvalidStateError):
        cstore.mark_done(item_id)  # never claimed
    assert cstore.next_due() is not None
    cstore.mark_failed(item_id, "404 contact not found")
    with pytest.raises(InvalidStateError):
        cstore.mark_failed(item_id, "again")
    with pytest.raises(InvalidStateError):
        cstore.mark_done(9999)
    item = cstore.get_outbox_item(item_id)
    assert item is not None and item.state is OutboxState.FAILED and item.last_error == "404 contact not found"
    assert [i.id for i in cstore.outbox_items("failed")] == [item_id]
    assert cstore.audit(cid(2))[0].outcome == "failed"


def test_per_contact_order(cstore: DeskDatabase, clock: Clock) -> None:
    first = cstore.enqueue("unsubscribe", cid(1), {}, actor="a")
    second = cstore.enqueue("remove_from_lists", cid(1), {}, actor="a")
    other = cstore.enqueue("unsubscribe", cid(2), {}, actor="a")
    bulk = cstore.enqueue("remove_from_lists", None, {"contact_ids": []}, actor="a")
    item = cstore.next_due()
    assert item is not None and item.id == first
    cstore.mark_retry(first, "429", T0 + timedelta(hours=1))
    # The second action for contact 1 waits behind the first; others go ahead.
    handed = [cstore.next_due(), cstore.next_due(), cstore.next_due()]
    assert [h.id if h else None for h in handed] == [other, bulk, None]
    clock.now = T0 + timedelta(hours=1)
    assert cstore.next_due().id == first  # type: ignore[union-attr]
    cstore.mark_done(first)
    assert cstore.next_due().id == second  # type: ignore[union-attr]
    assert [p.id for p in cstore.pending(contact_id=cid(1))] == [second]
    assert [p.id for p in cstore.pending(kind="unsubscribe")] == [other]


def test_a_bulk_removal_and_an_action_for_one_of_its_contacts_keep_their_order(cstore: DeskDatabase,
                                                                                 clock: Clock) -> None:
    """An add back queued after a bulk removal naming the contact must not overtake it while the removal waits
    out a back-off (the contact would end up off the list it was added back to), nor the other way round."""
    bulk = cstore.enqueue("remove_from_lists_bulk", None, {"contact_ids": [cid(1), cid(2)], "list_ids": ["l1"]},
                          actor="a")
    add_back = cstore.enqueue("add_to_lists", cid(1), {"list_ids": ["l1"]}, actor="a")
    unrelated = cstore.enqueue("unsubscribe", cid(3), {}, actor="a")
    assert cstore.next_due().id == bulk  # type: ignore[union-attr]
    cstore.mark_retry(bulk, "503", T0 + timedelta(hours=1))
    assert [h.id if h else None for h in (cstore.next_due(), cstore.next_due())] == [unrelated, None]
    clock.now = T0 + timedelta(hours=1)
    assert cstore.next_due().id == bulk  # type: ignore[union-attr]
    cstore.mark_done(bulk)
    assert cstore.next_due().id == add_back  # type: ignore[union-attr]
    cstore.mark_retry(add_back, "503", T0 + timedelta(hours=2))
    later_bulk = cstore.enqueue("remove_from_lists_bulk", None, {"contact_ids": [cid(2), cid(1)], "list_ids": ["l1"]},
                                actor="a")
    assert cstore.next_due() is None  # the later bulk removal waits for the add back it names
    clock.now = T0 + timedelta(hours=2)
    assert [h.id if h else None for h in (cstore.next_due(), cstore.next_due())] == [add_back, None]
    cstore.mark_done(add_back)
    assert cstore.next_due().id == later_bulk  # type: ignore[union-attr]


def test_audit_is_in_the_same_transaction(cstore: DeskDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr("ccdesk.store.outbox.add_audit", broken)
    with pytest.raises(RuntimeError):
        cstore.enqueue("unsubscribe", cid(1), {}, actor="a")
    assert cstore.outbox_items() == []
    monkeypatch.undo()
    item_id = cstore.enqueue("unsubscribe", cid(1), {}, actor="a")
    cstore.next_due()
    monkeypatch.setattr("ccdesk.store.outbox.add_audit", broken)
    with pytest.raises(RuntimeError):
        cstore.mark_done(item_id)
    assert cstore.get_outbox_item(item_id).state is OutboxState.IN_PROGRESS  # type: ignore[union-attr]


def test_credentials_are_refused(cstore: DeskDatabase) -> None:
    with pytest.raises(ValueError, match="credentials"):
        cstore.enqueue("unsubscribe", cid(1), {"headers": {"Authorization": "Bearer x"}}, actor="a")
    with pytest.raises(ValueError, match="credentials"):
        cstore.add_audit("login", "ok", details={"refresh_token": "x"})
    assert cstore.outbox_items() == [] and cstore.audit() == []


def _one_queued(db_path: Path) -> int:
    with DeskDatabase(db_path) as s:
        s.upsert_contacts([make_contact(1)])
        return s.enqueue("unsubscribe", cid(1), {"reason": "x"}, actor="a")


def _claimer(db_path: Path, then: str) -> dict[str, Any]:
    """Popen/run arguments for another process that claims the next due item of `db_path`, then runs `then`."""
    code = (f"import os, sys\nfrom ccdesk.store import DeskDatabase\ns = DeskDatabase({str(db_path)!r})\n"
            f"assert s.next_due() is not None\n{then}")
    return {"args": [sys.executable, "-c", code], "env": {**os.environ, "PYTHONPATH": str(ROOT)}}


def test_crash_recovery_in_progress_back_to_pending(db_path: Path) -> None:
    item_id = _one_queued(db_path)
    # Another process claims the item and dies without finishing it.
    subprocess.run(**_claimer(db_path, "os._exit(0)\n"), check=True, timeout=60)
    with DeskDatabase(db_path, recover=False) as peek:
        assert peek.get_outbox_item(item_id).state is OutboxState.IN_PROGRESS  # type: ignore[union-attr]
    with DeskDatabase(db_path) as s:
        item = s.get_outbox_item(item_id)
        assert item is not None and item.state is OutboxState.PENDING and item.attempts == 1
        assert s.audit(cid(1))[0].outcome == "requeued"
        again = s.next_due()
        assert again is not None and again.id == item_id and again.attempts == 2


def test_claim_of_a_live_process_is_not_taken(db_path: Path) -> None:
    """The window and a scheduled `ccdesk unsubscribe` share the file: opening it must not requeue an item the
    other (running) process is sending, or it would be sent twice."""
    item_id = _one_queued(db_path)
    other = subprocess.Popen(**_claimer(db_path, "print('claimed', flush=True)\nsys.stdin.readline()\n"),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "claimed"
        with DeskDatabase(db_path) as s:
            assert s.get_outbox_item(item_id).state is OutboxState.IN_PROGRESS  # type: ignore[union-attr]
            assert s.next_due() is None
    finally:
        assert other.stdin is not None
        other.stdin.close()
        other.wait(30)
        other.stdout.close()  # type: ignore[union-attr]
    with DeskDatabase(db_path) as s:  # now the other process is gone: its claim is recovered
        assert s.get_outbox_item(item_id).state is OutboxState.PENDING  # type: ignore[union-attr]


def test_second_store_in_same_process_does_not_steal(db_path: Path) -> None:
    with DeskDatabase(db_path) as worker:
        item_id = worker.enqueue("unsubscribe", None, {}, actor="a")
        assert worker.next_due() is not None
        with DeskDatabase(db_path) as gui:  # opened later by the GUI thread, same process
            assert gui.get_outbox_item(item_id).state is OutboxState.IN_PROGRESS  # type: ignore[union-attr]
        worker.mark_done(item_id)


def test_audit_append_only_and_paging(cstore: DeskDatabase) -> None:
    ids = [cstore.add_audit("export", "done", message=f"m{i}", details={"rows": i}) for i in range(5)]
    rows = cstore.audit(limit=2)
    assert [r.id for r in rows] == ids[::-1][:2]
    assert [r.id for r in cstore.audit(limit=10, before_id=rows[-1].id)] == ids[::-1][2:]
    assert rows[0].details == {"rows": 4} and rows[0].actor == audit_mod.current_actor()
    cstore.add_audit("note", "done", contact_id=cid(1))
    assert cstore.audit(cid(1))[0].email == "a@example.com"  # filled from the cache
    import sqlite3

    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        cstore.connection.execute("UPDATE audit SET outcome = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        cstore.connection.execute("DELETE FROM audit")


def test_cancel_pending_discards_only_what_was_not_sent(cstore: DeskDatabase) -> None:
    cstore.upsert_contacts([make_contact(1), make_contact(2), make_contact(3)])
    ids = [cstore.enqueue("unsubscribe", cid(n), {"reason": "x"}, actor="a") for n in (1, 2, 3)]
    first = cstore.next_due()
    assert first is not None and first.id == ids[0]
    cstore.mark_done(first.id)
    second = cstore.next_due()  # being sent right now
    assert second is not None and second.id == ids[1]
    assert cstore.cancel_pending(ids, actor="staff") == [ids[2]]
    states = [cstore.get_outbox_item(i).state for i in ids]  # type: ignore[union-attr]
    assert states == [OutboxState.DONE, OutboxState.IN_PROGRESS, OutboxState.DISCARDED]
    assert cstore.audit(cid(3))[0].message == "Cancelled before it was sent"
    assert cstore.next_due() is None


def test_the_lists_a_contact_was_taken_off_come_from_sent_removals_only(cstore: DeskDatabase) -> None:
    one = cstore.enqueue("remove_from_lists", cid(1), {"list_ids": ["L1"]})
    bulk = cstore.enqueue("remove_from_lists_bulk", None, {"contact_ids": [cid(2), cid(1)], "list_ids": ["L2", "L3"]})
    other = cstore.enqueue("remove_from_lists_bulk", None, {"contact_ids": [cid(2)], "list_ids": ["L4"]})
    cstore.enqueue("add_to_lists", cid(1), {"list_ids": ["L6"]})  # sent, but not a removal
    waiting = cstore.enqueue("remove_from_lists", cid(1), {"list_ids": ["L5"]})  # claimed, not sent yet
    while (item := cstore.next_due()) is not None and item.id != waiting:
        cstore.mark_done(item.id)
    assert item is not None and one < bulk < other < item.id == waiting
    assert cstore.lists_removed_from(cid(1)) == {"L1", "L2", "L3"}
    assert cstore.lists_removed_from(cid(2)) == {"L2", "L3", "L4"}
    assert cstore.lists_removed_from(cid(2), recent=1) == {"L4"}  # only the newest sent item
