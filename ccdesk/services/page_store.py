"""Where the pages of a full read are stored: on the desk's database thread, or, for the account's first full read
of a big account, by a process of its own.

Why a process (issue 17): turning a contact into its cached columns (derive.py: dates, folded names, the search
document) is Python work that holds the GIL, about 30 µs a contact, and so does binding 25 values a row. On the
desk's thread it took turns with the HTTP client and JSON decoding, so a full read ran at ~0.45x the speed of a
plain loop of GETs. A spawned process gets the pages as pickled dicts (~2 µs a contact to send), derives and
stores them on the other core, with its own connection to the same file (WAL: the window keeps reading; the
desk's thread, e.g. the outbox, writes between two of its transactions). While it stores, the reader keeps
fetching; pages that arrive meanwhile go into its next transaction together (up to `MAX_GROUP`).

Until the process is up (about a second: a Python and ccdesk's imports), the pages that arrive wait for it (up to
`STARTING_GROUP`) instead of being stored on the desk's thread: that thread shares the desk's process, and its
GIL, with the HTTP client (and, in the benchmarks and the demo, with the sandbox), so storing there slowed the
read for as long as it lasted. Only a process that is not up after `START_WAIT` seconds (or failed to start)
leaves the pages to the desk's thread.

The process runs at a lower priority (`NICENESS`, where the system has `nice`): it is background work, and when
the cores are busy (other programs; in the benchmarks, the sandbox in the desk's process) the desk's process (the
window, the HTTP client) goes first and the storing catches up in what is left; pages that arrive meanwhile go
into its next transaction together. Side by side at 100k contacts on two cores with one of them taken by another
job, the unthrottled read went from 0.56-0.70x the plain loop's speed to 0.83-0.85x (nice 5: 0.67-0.76x).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import Any, Protocol

from ccdesk.store.database import DeskDatabase
from ccdesk.store.rows import UpsertResult

from .database_thread import DatabaseThread, translated

log = logging.getLogger(__name__)

PROCESS_AT = 20_000  # contacts (the server's count) from which a first full read is stored by a process
MAX_GROUP = 8  # pages stored in one transaction when they arrive faster than they are stored
STARTING_GROUP = 32  # pages that may wait (about 16 MB) while the storing process starts
START_WAIT = 10.0  # seconds a store waits for the process to be up before storing on the desk's thread
NICENESS = 10  # the storing process's lower priority (see the module's docstring)

Pages = Sequence[Sequence[Mapping[str, Any]]]


class PageStore(Protocol):
    @property
    def max_group(self) -> int: ...

    async def store(self, pages: Pages, fetched_at: datetime, state: dict[str, str | None],
                    last: bool) -> UpsertResult: ...

    async def close(self) -> None: ...


class ThreadPageStore:
    """On the desk's database thread. A first read's pages go through `store_full_read_pages` (no search index
    writes, built at the end); any other read's pages are upserted one by one, as always."""

    def __init__(self, db: DatabaseThread, *, first_read: bool) -> None:
        self._db = db
        self._first_read = first_read
        self.max_group = 1

    async def store(self, pages: Pages, fetched_at: datetime, state: dict[str, str | None],
                    last: bool) -> UpsertResult:
        if self._first_read:
            return await self._db.call(lambda s: s.store_full_read_pages(pages, fetched_at, state=state, last=last))
        (page,) = pages
        return await self._db.call(lambda s: s.upsert_contacts(page, fetched_at, state=state))

    async def close(self) -> None:
        return None


class ProcessPageStore:
    """In a spawned process of its own (see the module's docstring). Starting it takes about a second (a Python
    and ccdesk's imports); pages wait for it meanwhile, up to `START_WAIT`, after which (or if it failed to
    start) they are stored by `meanwhile` (one store at a time either way, so transactions still commit in page
    order). `close` waits for the process to end."""

    def __init__(self, path: str | os.PathLike[str], meanwhile: PageStore) -> None:
        self._meanwhile = meanwhile
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_open, initargs=(os.fspath(path),))
        self._ready = self._pool.submit(_ready)
        self._broken = False
        self.pages_there = 0  # stored by the process
        self.pages_here = 0  # stored by `meanwhile` (before it was up, or after it died)

    @property
    def max_group(self) -> int:
        """Pages per transaction; more while the process starts (they wait for it instead of being stored)."""
        return MAX_GROUP if self._ready.done() else STARTING_GROUP

    async def store(self, pages: Pages, fetched_at: datetime, state: dict[str, str | None],
                    last: bool) -> UpsertResult:
        if not self._ready.done():
            # shielded: a cancelled read must not cancel the start-up (close() still shuts the process down)
            with contextlib.suppress(Exception, asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(self._ready)), START_WAIT)
        if self._broken or not self._ready.done() or self._ready.exception() is not None:
            self.pages_here += len(pages)
            return await self._meanwhile.store(pages, fetched_at, state, last)
        plain = [list(page) for page in pages]
        try:
            result = await asyncio.wrap_future(self._pool.submit(_store, plain, fetched_at, state, last))
            self.pages_there += len(pages)
            return result
        except BrokenProcessPool:
            # It died (killed, out of memory): its open transaction rolled back, so these pages are stored here,
            # and so is the rest of the read. Storing a page again that it did commit changes nothing.
            log.warning("the process storing the first full read ended; storing the rest here")
            self._broken = True
            self.pages_here += len(pages)
            return await self._meanwhile.store(pages, fetched_at, state, last)

    async def close(self) -> None:
        # Said in the log (CI checks it on the installed app, whose child process is the frozen executable again).
        log.info("first full read: %d pages stored by a separate process, %d by the desk's own thread",
                 self.pages_there, self.pages_here)
        try:
            with contextlib.suppress(BrokenProcessPool):  # it failed to start: the pages went to `meanwhile`
                await asyncio.wrap_future(self._pool.submit(_close))
        finally:
            await asyncio.get_running_loop().run_in_executor(None, self._pool.shutdown)


def page_store_for(db: DatabaseThread, *, first_read: bool, count: int | None, more: bool) -> PageStore:
    """The process for a first read of `PROCESS_AT` contacts or more (`count` from the first page; None when a read
    is resumed, which only a long read needs); the desk's thread otherwise."""
    here = ThreadPageStore(db, first_read=first_read)
    if first_read and more and (count is None or count >= PROCESS_AT):
        return ProcessPageStore(db.path, meanwhile=here)
    return here


# --- in the worker process ------------------------------------------------------------------------------------

_db: DeskDatabase | None = None


def _open(path: str) -> None:
    global _db
    if hasattr(os, "nice"):  # POSIX
        with contextlib.suppress(OSError):
            os.nice(NICENESS)
    _db = DeskDatabase(path, recover=False)  # the desk's process owns the outbox; this one only stores pages


def _ready() -> bool:
    return _db is not None


def _store(pages: Pages, fetched_at: datetime, state: dict[str, str | None], last: bool) -> UpsertResult:
    assert _db is not None
    return translated(lambda s: s.store_full_read_pages(pages, fetched_at, state=state, last=last), _db)


def _close() -> None:
    global _db
    if _db is not None:
        _db.close()
        _db = None
