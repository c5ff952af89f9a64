"""The desk's read service: the window's reads, on a connection that cannot write."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ccdesk.services.database_thread import DatabaseThread
from ccdesk.services.reads import NO_REASON, ContactQuery, DeskReads, Period
from ccdesk.store.database import DeskDatabase

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def optout(i: int, days_ago: float, source: str, reason: str | None) -> dict:
    email = {"address": f"p{i}@example.com", "permission_to_send": "unsubscribed", "opt_out_source": source,
             "opt_out_date": (NOW - timedelta(days=days_ago)).isoformat()}
    if reason:
        email["opt_out_reason"] = reason
    return {"contact_id": f"c{i}", "first_name": f"P{i}", "email_address": email, "list_memberships": [],
            "created_at": (NOW - timedelta(days=900)).isoformat(), "updated_at": NOW.isoformat()}


@pytest.fixture
def reads(tmp_path: Path) -> Iterator[DeskReads]:
    db = tmp_path / "c.sqlite3"
    with DeskDatabase(db) as s:
        s.upsert_contacts([optout(i, i, "Contact" if i % 2 else "Account", None if i % 3 == 0 else "Moved")
                           for i in range(12)])
    writer = DatabaseThread(db)
    reads = DeskReads(writer, db)
    yield reads
    reads.close()
    writer.close()


def test_the_read_connection_cannot_write(reads: DeskReads) -> None:
    assert reads.count(ContactQuery(), 100) == 12  # opens it
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reads._now.connection.execute("DELETE FROM contacts")
    assert reads.count(ContactQuery(), 100) == 12


def test_a_first_page_that_is_not_full_is_its_own_count(reads: DeskReads, monkeypatch: pytest.MonkeyPatch) -> None:
    counted: list[ContactQuery] = []
    real = reads.count
    monkeypatch.setattr(reads, "count", lambda q, cap: counted.append(q) or real(q, cap))
    rows, total = reads.first_page(ContactQuery(text="p1"), 5, 100)  # p1, p10, p11
    assert total == len(rows) == 3 and counted == []
    rows, total = reads.first_page(ContactQuery(), 5, 100)  # a full page: the rest are counted
    assert len(rows) == 5 and total == 12 and counted == [ContactQuery()]
    rows, total = reads.first_page(ContactQuery(), 5, 8)
    assert total == 8  # capped, as count caps it


def test_recent_optouts_filter_by_who_and_reason_and_count_them_all(reads: DeskReads) -> None:
    period = Period(NOW - timedelta(days=30), NOW + timedelta(days=1))
    everyone = reads.recent_optouts(period)
    assert everyone.total == 12 and everyone.stats.total == 12 and not everyone.more_than_shown
    assert [r.contact_id for r in everyone.shown][:2] == ["c0", "c1"]  # newest first
    by_team = reads.recent_optouts(Period(period.since, period.until, "Account", NO_REASON))
    assert {r.contact_id for r in by_team.shown} == {"c0", "c6"}  # even ids, and no reason: 0, 6
    found = reads.recent_optouts(period, found_ids=["c3", "gone", "c1"])
    assert [r.contact_id for r in found.shown] == ["c1", "c3"] and found.total == 2


async def test_filter_counts_for_a_search_text_come_from_the_database_thread(reads: DeskReads) -> None:
    per_status, _per_list = await reads.filter_counts(ContactQuery(text="p1"))
    assert per_status["unsubscribed"] == 3 and sum(per_status.values()) == 3  # p1, p10, p11


async def test_stale_ranks_are_rebuilt_on_a_worker_and_adopted(reads: DeskReads,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The window's reader never builds a large store's ranks itself: it starts one build on a worker thread (a
    second ask while it runs gets the same one) and adopts the result."""
    import asyncio

    from ccdesk.store import name_order

    monkeypatch.setattr(name_order, "BUILD_HERE_MAX", 5)  # 12 contacts count as large here
    assert [r.first_name for r in reads.search(ContactQuery(text="p1"), 0, 10)] == ["P1", "P10", "P11"]
    building = reads._ranks
    assert building is not None and reads.warm_search() is building
    assert reads._now._name_order.builds == 0  # not built where the search ran
    await asyncio.wait_for(building, 10)
    await asyncio.sleep(0)  # the done callback that adopts them
    assert reads._now._name_order.builds == 1
    assert [r.first_name for r in reads.search(ContactQuery(text="p1"), 0, 10)] == ["P1", "P10", "P11"]
    assert reads._ranks is building  # nothing new asked for: the adopted ranks were fresh


async def test_a_rank_build_that_failed_on_the_worker_is_done_where_the_search_runs(
        reads: DeskReads, monkeypatch: pytest.MonkeyPatch) -> None:
    """Asked again at every keystroke, a build that cannot succeed there would leave search without ranks for good."""
    import asyncio

    from ccdesk.store import name_order

    monkeypatch.setattr(name_order, "BUILD_HERE_MAX", 5)
    real = name_order.NameOrder.built_from

    def broken(path: str) -> name_order.NameOrder:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(name_order.NameOrder, "built_from", broken)
    reads.search(ContactQuery(text="p1"), 0, 10)
    failed = reads._ranks
    assert failed is not None
    with pytest.raises(sqlite3.OperationalError):
        await asyncio.wait_for(failed, 10)
    await asyncio.sleep(0)
    monkeypatch.setattr(name_order.NameOrder, "built_from", real)
    assert [r.first_name for r in reads.search(ContactQuery(text="p1"), 0, 10)] == ["P1", "P10", "P11"]
    assert reads._ranks is failed and reads._now._name_order.builds == 1  # built here, not asked for again
