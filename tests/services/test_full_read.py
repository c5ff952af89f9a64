"""The account's first full read defers two indexes to its end (issue 17 item 2); the window's queries work
meanwhile, and a later full read keeps them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.cache_pull import CachePull, PullProgress
from ccdesk.services.desk import Desk
from ccdesk.store.database import DeskDatabase
from ccdesk.store.full_read import DEFERRED


@pytest.fixture
def server(start_sandbox: Callable[..., SandboxServer]) -> SandboxServer:
    return start_sandbox(contacts=1_300)  # three pages of 500


def _indexes(db: Path) -> set[str]:
    with DeskDatabase(db) as reader:
        return {name for (name,) in reader.connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


async def test_the_first_read_builds_two_indexes_at_its_end_and_search_works_meanwhile(desk: Desk) -> None:
    seen: list[tuple[int, set[str], int, int]] = []
    reader = DeskDatabase(desk.db_path)

    def progress(p: PullProgress) -> None:
        names = {n for (n,) in reader.connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        by_email = reader.search(sort="email", limit=5)  # INDEXED BY contacts_email, when it is there
        mailable = reader.search(status="mailable", limit=5)  # INDEXED BY contacts_status_name
        seen.append((p.done, names, len(by_email), reader.count(status="mailable")))
        emails = [(r.email or "").lower() for r in by_email]
        assert emails == sorted(emails)
        assert all(str(r.status) == "mailable" for r in mailable)

    try:
        await CachePull(desk.db, desk.client).run(progress)
    finally:
        reader.close()
    assert [done for done, *_ in seen] == [500, 1000, 1300]
    assert not set(DEFERRED) & seen[0][1] and not set(DEFERRED) & seen[1][1]  # dropped while the read runs
    assert set(DEFERRED) <= seen[2][1]  # built with the last page
    assert all(n_email == 5 for _d, _n, n_email, _m in seen)
    assert set(DEFERRED) <= _indexes(Path(desk.db_path))

    # A later full read (a resync) keeps them: the cache is complete already.
    kept: list[set[str]] = []
    with DeskDatabase(desk.db_path) as again:
        def watch(p: PullProgress) -> None:
            kept.append({n for (n,) in again.connection.execute("SELECT name FROM sqlite_master WHERE type='index'")})
        await CachePull(desk.db, desk.client).run(watch)
    assert all(set(DEFERRED) <= names for names in kept)


async def test_the_next_page_is_read_while_this_one_is_stored(desk: Desk, server: SandboxServer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    stored: list[tuple[float, float]] = []
    upsert = DeskDatabase.store_full_read_pages  # a first read's pages (one per transaction at this size)

    def slow_upsert(self: DeskDatabase, *args: object, **kwargs: object) -> object:
        started = time.monotonic()
        time.sleep(0.3)  # a slow disk
        result = upsert(self, *args, **kwargs)  # type: ignore[arg-type]
        stored.append((started, time.monotonic()))
        return result

    monkeypatch.setattr(DeskDatabase, "store_full_read_pages", slow_upsert)
    server.sandbox.reset_request_counts()
    await CachePull(desk.db, desk.client).run()
    pages = sorted(t for t in server.sandbox.arrivals)[-3:]  # the three page requests (after the lists)
    assert len(stored) == 3
    assert pages[1] < stored[0][1] and pages[2] < stored[1][1], "each page was asked for while the previous was stored"
    assert stored[0][1] <= stored[1][0] and stored[1][1] <= stored[2][0], "pages are stored one after the other"


async def test_at_the_real_rate_limit_the_first_read_keeps_the_search_index_page_by_page(
        server: SandboxServer, tmp_path: Path) -> None:
    """At 4 requests/s (2,000 contacts/s) the store keeps up with the search index written per page: search stays
    indexed during the read and the last page does not rebuild it. Without a limit it waits for the end."""
    from ccdesk.api import RateLimiter
    from tests.services.conftest import make_client

    for rate, path in ((4.0, tmp_path / "limited.sqlite3"), (0.0, tmp_path / "unlimited.sqlite3")):
        desk = Desk(make_client(server, rate_limiter=RateLimiter(rate=rate)), path)
        indexed: list[tuple[int, int, bool]] = []
        reader = DeskDatabase(path)

        def progress(p: PullProgress, reader: DeskDatabase = reader, indexed: list[tuple[int, int, bool]] = indexed
                     ) -> None:
            docs = reader.connection.execute("SELECT count(*) FROM contacts_fts_docsize").fetchone()[0]
            indexed.append((p.done, int(docs), reader.search_ready()))

        try:
            await CachePull(desk.db, desk.client).run(progress)
        finally:
            reader.close()
            await desk.close()
        if rate:
            assert indexed == [(500, 500, True), (1000, 1000, True), (1300, 1300, True)]
        else:
            assert indexed[:2] == [(500, 0, False), (1000, 0, False)] and indexed[2] == (1300, 1300, True)
        with DeskDatabase(path) as db:
            db.connection.execute("INSERT INTO contacts_fts (contacts_fts, rank) VALUES ('integrity-check', 1)")
            some = db.search(limit=50)
            assert len(some) == 50
            assert all(c.contact_id in [r.contact_id for r in db.search(c.email or "")] for c in some)
