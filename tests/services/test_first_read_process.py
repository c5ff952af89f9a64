"""A big account's first full read is stored by a process of its own (services/page_store.py, issue 17); an
interrupted one is resumed by the next pull, and search works on every row once it completes."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services import page_store
from ccdesk.services.cache_pull import COMPLETED_AT, CachePull, PullProgress
from ccdesk.services.desk import Desk
from ccdesk.store import full_read
from ccdesk.store.database import DeskDatabase
from tests.services.conftest import TOKEN, make_client
from tests.store.conftest import assert_consistent

N = 3_000  # six pages of 500
CREATED: list[page_store.ProcessPageStore] = []  # the storing processes the `writers` fixture saw started


@pytest.fixture
def server(start_sandbox: Callable[..., SandboxServer]) -> SandboxServer:
    return start_sandbox(contacts=N)


@pytest.fixture
def writers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The process ids that stored first-read pages in this process; any account counts as big, and the storing
    process is waited for as soon as it is started (at 3,000 contacts the read would end before it is up)."""
    monkeypatch.setattr(page_store, "PROCESS_AT", 1)
    start = page_store.ProcessPageStore.__init__

    def started(self: page_store.ProcessPageStore, *args: Any, **kwargs: Any) -> None:
        start(self, *args, **kwargs)
        assert self._ready.result(timeout=60)
        CREATED.append(self)

    CREATED.clear()

    monkeypatch.setattr(page_store.ProcessPageStore, "__init__", started)
    pids: list[int] = []
    store = DeskDatabase.store_full_read_pages

    def spy(self: DeskDatabase, *args: object, **kwargs: object) -> object:
        pids.append(os.getpid())
        return store(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(DeskDatabase, "store_full_read_pages", spy)  # seen in this process only
    return pids


def _account(server: SandboxServer) -> list[dict[str, Any]]:
    """Every contact, as a plain loop of GETs reads them."""
    found: list[dict[str, Any]] = []
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        url: str | None = f"{server.api_base}/contacts?status=all&include=list_memberships&limit=500"
        while url:
            body = http.get(url).json()
            found += body["contacts"]
            nxt = body.get("_links", {}).get("next", {}).get("href")
            url = f"{server.base_url}{nxt}" if nxt else None
    return found


def _check_complete(path: Path, server: SandboxServer) -> None:
    account = _account(server)
    with DeskDatabase(path) as db:
        assert db.search_ready()
        assert db.count() == N == len(account)
        db.connection.execute("INSERT INTO contacts_fts (contacts_fts, rank) VALUES ('integrity-check', 1)")
        for contact in account[::7]:  # every 7th contact: found through the index by its address
            address = contact["email_address"]["address"]
            assert contact["contact_id"] in [r.contact_id for r in db.search(address)]
        counts = db.status_counts()
        assert sum(counts.values()) == N
        # One row per contact (a group stored again after its process died was kept once), and their lists.
        conn = db.connection
        assert full_read.ids_indexed(conn)
        assert conn.execute("SELECT count(DISTINCT contact_id) FROM contacts").fetchone()[0] == N
        assert conn.execute("SELECT count(*) FROM memberships").fetchone()[0] == sum(
            len(c.get("list_memberships", [])) for c in account)
        assert_consistent(db)
        assert counts["unsubscribed"] == sum(1 for c in account
                                             if c["email_address"].get("permission_to_send") == "unsubscribed")


async def test_a_big_first_read_is_stored_by_another_process(desk: Desk, server: SandboxServer,
                                                              writers: list[int],
                                                              caplog: pytest.LogCaptureFixture) -> None:
    seen: list[int] = []
    with caplog.at_level(logging.INFO, logger="ccdesk.services.page_store"):
        result = await CachePull(desk.db, desk.client).run(lambda p: seen.append(p.done))
    assert result.contacts == N and seen[-1] == N and seen == sorted(seen)
    assert writers == []  # every page was stored by the other process
    # ... and the log says so (CI reads this line on the installed app, whose child is the frozen executable)
    pages = -(-N // 500)
    assert f"first full read: {pages} pages stored by a separate process, 0 by the desk's own thread" in caplog.text
    _check_complete(Path(desk.db_path), server)


async def test_an_interrupted_first_read_is_resumed_and_completes(server: SandboxServer, tmp_path: Path,
                                                                 writers: list[int]) -> None:
    path = tmp_path / "cache.sqlite3"
    desk = Desk(make_client(server), path)
    try:
        task: asyncio.Task[object] | None = None

        def stop_after_two(p: PullProgress) -> None:
            if p.done >= 1_000 and task is not None:
                task.cancel()

        # Pages come half a second apart, so the cancel lands before the read is done even on a loaded machine
        # (without the pause, a run beside a busy CI once stored all six pages before the cancel arrived).
        server.sandbox.faults.update({"latency_ms": 500})
        task = asyncio.ensure_future(CachePull(desk.db, desk.client).run(stop_after_two))
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        server.sandbox.faults.reset()
        await desk.close()
    with DeskDatabase(path) as db:
        stored = db.count()
        assert 1_000 <= stored < N
        assert not db.search_ready() and db.get_state(COMPLETED_AT) is None
        some = db.search(limit=1)[0]
        assert [r.contact_id for r in db.search(some.email)] == [some.contact_id]  # search works meanwhile
    desk = Desk(make_client(server), path)
    try:
        server.sandbox.reset_request_counts()
        result = await CachePull(desk.db, desk.client).run()
        assert result.resumed
        pages = server.sandbox.request_counts["GET /v3/contacts"]
        assert pages <= (N - stored) // 500 + 1  # resumed where it stopped, not from the top
    finally:
        await desk.close()
    _check_complete(path, server)


async def test_a_storing_process_that_dies_mid_read_leaves_the_rest_to_the_desk(desk: Desk, server: SandboxServer,
                                                                              writers: list[int]) -> None:
    killed: list[int] = []

    def kill_after_first(p: PullProgress) -> None:
        if not killed:
            for pid in list(CREATED[0]._pool._processes):  # the real child
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    result = await CachePull(desk.db, desk.client).run(kill_after_first)
    assert killed and result.contacts == N
    assert writers and all(pid == os.getpid() for pid in writers)  # the pages after the kill: stored here
    _check_complete(Path(desk.db_path), server)


async def test_pages_wait_for_the_storing_process_while_it_starts(desk: Desk, server: SandboxServer,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """The read is over before the process is up (six pages over loopback): they wait for it rather than being
    stored on the desk's thread, which shares the GIL with the HTTP client."""
    monkeypatch.setattr(page_store, "PROCESS_AT", 1)
    with caplog.at_level(logging.INFO, logger="ccdesk.services.page_store"):
        result = await CachePull(desk.db, desk.client).run()
    assert result.contacts == N
    assert "first full read: 6 pages stored by a separate process, 0 by the desk's own thread" in caplog.text
    _check_complete(Path(desk.db_path), server)


async def test_a_process_slow_to_start_leaves_the_pages_to_the_desk_meanwhile(
        desk: Desk, server: SandboxServer, monkeypatch: pytest.MonkeyPatch, writers: list[int],
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(page_store, "START_WAIT", 0.0)
    monkeypatch.setattr(page_store.ProcessPageStore, "__init__", _never_ready(page_store.ProcessPageStore.__init__))
    with caplog.at_level(logging.INFO, logger="ccdesk.services.page_store"):
        result = await CachePull(desk.db, desk.client).run()
    assert result.contacts == N and writers and all(pid == os.getpid() for pid in writers)
    assert "first full read: 0 pages stored by a separate process, 6 by the desk's own thread" in caplog.text
    _check_complete(Path(desk.db_path), server)


def _never_ready(start: Callable[..., None]) -> Callable[..., None]:
    """A storing process whose start-up never ends (as seen from the read)."""
    import concurrent.futures

    def started(self: page_store.ProcessPageStore, *args: Any, **kwargs: Any) -> None:
        start(self, *args, **kwargs)
        self._ready = concurrent.futures.Future()

    return started


async def test_the_storing_process_runs_at_a_lower_priority(desk: Desk, writers: list[int]) -> None:
    """Background work: when the cores are busy, the desk's process (window, HTTP client) goes first."""
    if not hasattr(os, "nice"):
        pytest.skip("no nice() here")
    store = page_store.page_store_for(desk.db, first_read=True, count=None, more=True)
    try:
        assert isinstance(store, page_store.ProcessPageStore)
        child = store._pool.submit(os.nice, 0).result(timeout=60)
        assert child == min(os.nice(0) + page_store.NICENESS, 19)
    finally:
        await store.close()
