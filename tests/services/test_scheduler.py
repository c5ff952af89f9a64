"""The background sync loop: the quota guard, pausing when signed out, retrying when offline."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.services.scheduler import RESERVE, QuotaMeter, SyncScheduler

from .conftest import make_client


async def test_quota_guard_stops_before_the_quota_runs_out(server: SandboxServer, tmp_path: Path) -> None:
    desk = Desk(make_client(server), tmp_path / "c.sqlite3")
    try:
        meter = QuotaMeter(desk.db, desk.client, limit=RESERVE + 2)
        scheduler = SyncScheduler(desk.sync, meter)
        messages: list[str] = []
        scheduler.failed.connect(messages.append)
        first = await scheduler.run_once()  # the full pull: a few requests, now over the guard
        assert first is not None and first.full_pull
        used_before = server.sandbox.requests_matching("GET")
        assert await scheduler.run_once() is None
        assert server.sandbox.requests_matching("GET") == used_before, "no request once the reserve is reached"
        assert messages and "paused until 00:00 UTC" in messages[-1]
        assert scheduler.next_run_at is not None and scheduler.next_run_at.hour == 0
        key = f"quota.{datetime.now(UTC):%Y-%m-%d}"
        assert int(await desk.db.call(lambda s: s.get_state(key))) == used_before
    finally:
        await desk.close()


async def test_signed_out_pauses_and_offline_retries_soon(server: SandboxServer, tmp_path: Path) -> None:
    desk = Desk(make_client(server), tmp_path / "c.sqlite3")
    try:
        scheduler = SyncScheduler(desk.sync, QuotaMeter(desk.db, desk.client))
        server.sandbox.faults.update({"error_next": 100, "error_status": 503})
        assert await scheduler.run_once() is None
        assert scheduler.paused_reason is None and scheduler.next_run_at is not None
        server.sandbox.faults.update({"error_next": 0})
        server.sandbox.tokens.expire_all()
        assert await scheduler.run_once() is None
        assert scheduler.paused_reason
    finally:
        await desk.close()


async def test_without_a_shared_budget_the_status_bar_count_follows_the_requests(server: SandboxServer,
                                                                                 tmp_path: Path) -> None:
    """Demo mode has no desk-wide budget file: the status bar's count (peek, every 5 s) must still move with
    the requests sent, and agree with the account menu's (update)."""
    desk = Desk(make_client(server), tmp_path / "c.sqlite3")
    try:
        meter = QuotaMeter(desk.db, desk.client)
        assert meter.peek() is None  # nothing counted yet today
        counted = await meter.update()
        assert meter.peek() == counted
        cid = server.sandbox.contact_ids()[0]
        for _ in range(3):
            await desk.client.get_contact(cid)
        peeked = meter.peek()
        assert peeked is not None and peeked.used == counted.used + 3
        assert await meter.update() == peeked
    finally:
        await desk.close()
