"""The desk's reads for the window: contact search and counts, details, lists, recent opt-outs, the journal.

The window gets only the desk; everything it shows comes through `desk.reads` (no store of its own, no store
lambdas in ui/). Two doors, chosen by how long a read may take:

- **At once, on a read-only connection this service owns**: a page of 200 contacts, a capped count, one
  contact with its pending items and journal, the lists, the waiting changes. A Qt item model asks for rows
  inside ``rowCount``/``fetchMore`` and cannot await, and a round trip through the writer thread would queue
  each page behind a sync transaction (``gui_max_stall_ms``). So these run on the calling (GUI) thread on a
  connection opened there on first use (sqlite3 connections belong to their thread; the desk itself may be
  built on a worker thread). It is ``query_only``: WAL lets it read while the writer writes, and it can never
  write. Every query on it is a page or a capped count (``search_p95_ms_1m``).
- **Awaited, off the GUI thread**: counts per filter for a search text (they count every match), the name
  ranks, CSV files (journal, evidence, the opt-outs of a period).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ccdesk.store.database import DeskDatabase
from ccdesk.store.journal import JournalEntry
from ccdesk.store.name_order import NameOrder
from ccdesk.store.rows import ContactRow, ListRow, OutboxItem, OutboxState

from .database_thread import DatabaseThread
from .export import ExportResult, OptOutExporter, export_evidence, export_journal
from .optout_stats import OptOutStats, optout_stats

log = logging.getLogger(__name__)

RANKS_RETRY_S = 300.0  # after a failed worker build the search builds the ranks itself for this long
SHOWN_MAX = 10_000  # opt-out rows kept for a table; the figures and the export cover the whole period
NO_REASON = "(no reason given)"


@dataclass(frozen=True)
class ContactQuery:
    """What the contact table shows: search text, filters and sort."""

    text: str = ""
    status: str | None = None
    list_id: str | None = None
    sort: str = "name"
    descending: bool = False


@dataclass(frozen=True)
class ContactDetails:
    row: ContactRow
    list_names: dict[str, str]
    history: list[JournalEntry]
    pending: list[OutboxItem]


@dataclass(frozen=True)
class Period:
    """Opt-outs from `since` to `until`, by `source` ("Contact"/"Account"/None) with `reason` (None: any)."""

    since: datetime
    until: datetime
    source: str | None = None
    reason: str | None = None

    def matches(self, row: ContactRow) -> bool:
        if self.source is not None and row.opt_out_source != self.source:
            return False
        reason = (row.opt_out_reason or "").strip()
        return self.reason is None or reason == self.reason or (self.reason == NO_REASON and not reason)


@dataclass
class RecentOptOuts:
    shown: list[ContactRow]  # newest first, at most SHOWN_MAX
    total: int
    stats: OptOutStats
    list_names: dict[str, str] = field(default_factory=dict)

    @property
    def more_than_shown(self) -> bool:
        return self.total > len(self.shown)


class DeskReads:
    """Reads for the window (see the module docstring for which run at once and which are awaited)."""

    def __init__(self, db: DatabaseThread, path: str | os.PathLike[str]) -> None:
        self._db = db
        self.path = Path(path)
        self._reader: DeskDatabase | None = None
        self._ranks: asyncio.Future[NameOrder] | None = None  # the last build started on a worker thread
        self._ranks_settled = True  # ... and its result adopted (or its failure noted)
        self._ranks_failed_at: float | None = None  # monotonic time the last worker build failed

    @property
    def _now(self) -> DeskDatabase:
        """The read-only connection of the thread that reads at once, opened on first use."""
        if self._reader is None:
            reader = DeskDatabase(self.path, recover=False)  # the writer recovered already; this one only reads
            reader.connection.execute("PRAGMA query_only = ON")
            reader.build_ranks_elsewhere(self._build_ranks_elsewhere)
            self._reader = reader
        return self._reader

    def close(self) -> None:
        if self._ranks is not None:
            self._ranks.cancel()
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    # --- the contact table ------------------------------------------------------------------------------
    def search(self, q: ContactQuery, offset: int, limit: int) -> list[ContactRow]:
        return self._now.search(q.text, q.status, q.list_id, q.sort, q.descending, offset, limit)

    def first_page(self, q: ContactQuery, limit: int, cap: int | None) -> tuple[list[ContactRow], int]:
        """What a new search shows at once: its first `limit` rows and the number of matches (up to `cap`, as
        `count`). The page comes first: a page that is not full holds every match, so nothing is counted, and a
        page of a text query ordered by name leaves its count behind for `count` to reuse."""
        rows = self.search(q, 0, limit)
        if len(rows) < limit:
            return rows, len(rows)
        return rows, self.count(q, cap)

    def count(self, q: ContactQuery, cap: int | None) -> int:
        """Matching contacts, counted up to `cap`; None: exact (only cheap without search text: the facets)."""
        return self._now.count(q.text, q.status, q.list_id, cap=cap)

    def filter_counts_now(self, q: ContactQuery) -> tuple[dict[str, int], dict[str, int]]:
        """Per status and per list, from the summary table: only for a query without search text."""
        return self._now.status_counts(q.text, q.list_id), self._now.list_counts(q.text, q.status)

    def filter_counts(self, q: ContactQuery) -> asyncio.Future[tuple[dict[str, int], dict[str, int]]]:
        """Per status and per list for a search text: counts every match, so on the database thread (a future:
        the caller takes the counts in a done callback, and nothing is left pending if it is cancelled)."""
        return self._db.submit(lambda s: (s.status_counts(q.text, q.list_id), s.list_counts(q.text, q.status)))

    def warm_search(self) -> asyncio.Future[NameOrder] | None:
        """Start building the ranks that order text matches by name on a worker thread (a read of every contact:
        0.3 s at 1M); the read connection adopts them when they are ready, so the first keystroke does not build
        them. Also what the reader calls when its ranks are too stale (after a full read): one build at a time.
        A plain executor future, not a task: cancelled at shutdown, it leaves nothing pending behind
        (None without a running loop: the search builds them where it runs)."""
        if self._ranks is not None and not self._ranks_settled:  # running, or done and about to be adopted
            return self._ranks
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        future = loop.run_in_executor(None, NameOrder.built_from, str(self.path))
        future.add_done_callback(self._adopt_ranks)
        self._ranks, self._ranks_settled = future, False
        return future

    def _build_ranks_elsewhere(self) -> bool:
        """The window's reader asks for ranks (name_order.py): False, so that it builds them itself, when there is no
        event loop, or for RANKS_RETRY_S after a build on the worker failed (not tried again at every keystroke)."""
        if self._ranks_failed_at is not None and time.monotonic() - self._ranks_failed_at < RANKS_RETRY_S:
            return False
        return self.warm_search() is not None

    def _adopt_ranks(self, future: asyncio.Future[NameOrder]) -> None:
        self._ranks_settled = True
        if future.cancelled():
            return
        if (exc := future.exception()) is not None:
            log.info("search ranks not prepared: %s", exc)
            self._ranks_failed_at = time.monotonic()
            return
        self._ranks_failed_at = None
        if self._reader is not None:
            with contextlib.suppress(sqlite3.ProgrammingError):  # closed meanwhile
                self._reader.adopt_name_order(future.result())

    # --- one contact, the lists, the queue --------------------------------------------------------------
    def contact(self, contact_id: str) -> ContactRow | None:
        return self._now.get_contact(contact_id)

    def contacts(self, contact_ids: Iterable[str]) -> list[ContactRow]:
        """The cached contacts among `contact_ids`, in that order (unknown ids left out)."""
        return [r for r in (self._now.get_contact(cid) for cid in contact_ids) if r is not None]

    def details(self, contact_id: str) -> ContactDetails | None:
        row = self._now.get_contact(contact_id)
        if row is None:
            return None
        return ContactDetails(row, self.list_names(), self._now.journal(contact_id, limit=200),
                              self._now.pending(contact_id))

    def lists(self, *, include_deleted: bool = False) -> list[ListRow]:
        return self._now.lists(include_deleted=include_deleted)

    def list_names(self, *, include_deleted: bool = False) -> dict[str, str]:
        return {lst.list_id: lst.name for lst in self.lists(include_deleted=include_deleted)}

    def pending(self, contact_id: str | None = None) -> list[OutboxItem]:
        return self._now.pending(contact_id)

    def waiting_and_failed(self) -> list[OutboxItem]:
        """The Activity tab's queue: what waits to be sent, then what failed."""
        return self._now.pending() + self._now.outbox_items(str(OutboxState.FAILED), limit=1000)

    def outbox_item(self, item_id: int) -> OutboxItem | None:
        return self._now.get_outbox_item(item_id)

    def removed_here(self, contact_id: str) -> set[str]:
        """Lists this desk took the contact off (its recent removals sent from here)."""
        return self._now.lists_removed_from(contact_id)

    # --- the journal --------------------------------------------------------------------------------------
    def journal(self, limit: int = 500) -> list[JournalEntry]:
        return self._now.journal(limit=limit)

    async def export_journal(self, path: Path) -> int:
        """The whole journal as CSV, written on the desk's database thread."""
        return await self._db.call(lambda s: export_journal(path, s.journal(limit=None)))

    async def export_evidence(self, path: Path, contact_id: str) -> int | None:
        """One contact's opt-out record and whole journal as CSV; None if the contact is not cached."""
        def work(s: DeskDatabase) -> int | None:
            row = s.get_contact(contact_id)
            return None if row is None else export_evidence(path, row, s.journal(contact_id, limit=None))

        return await self._db.call(work)

    # --- recent opt-outs ------------------------------------------------------------------------------
    def recent_optouts(self, p: Period, found_ids: list[str] | None = None) -> RecentOptOuts:
        """The opt-outs of a period (or the ones a check found, `found_ids`), newest first, with the weekly
        figures and reasons of all of them (the table keeps SHOWN_MAX). At once: for a synchronous caller."""
        return recent_optouts(self._now, p, found_ids)

    def recent_optouts_later(self, p: Period,
                             found_ids: list[str] | None = None) -> asyncio.Future[RecentOptOuts]:
        """The same, read and counted on the database thread (a whole period can be many rows)."""
        return self._db.submit(lambda s: recent_optouts(s, p, found_ids))

    def found_optouts(self, contact_ids: list[str]) -> list[ContactRow]:
        """The contacts a check found newly opted out that are still opted out."""
        return found_optouts(self._now, contact_ids)

    async def export_optouts(self, path: Path, p: Period) -> ExportResult:
        """The period's opt-outs as CSV, streamed on a worker thread by the exporter."""
        def rows(s: DeskDatabase) -> Iterator[ContactRow]:
            return (r for r in s.optouts(p.since, p.until, p.source, newest_first=True) if p.matches(r))

        return await OptOutExporter(self._db).export_rows(path, rows)


def found_optouts(db: DeskDatabase, contact_ids: list[str]) -> list[ContactRow]:
    rows = (db.get_contact(cid) for cid in contact_ids)
    return [r for r in rows if r is not None and (str(r.status) == "unsubscribed" or r.opt_out_date is not None)]


def recent_optouts(db: DeskDatabase, p: Period, found_ids: list[str] | None) -> RecentOptOuts:
    if found_ids is not None:
        found = sorted((r for r in found_optouts(db, found_ids) if p.matches(r)),
                       key=lambda r: r.opt_out_date or p.since, reverse=True)
        rows: Iterator[ContactRow] = iter(found)
    else:
        rows = (r for r in db.optouts(p.since, p.until, p.source, newest_first=True) if p.matches(r))
    shown = list(itertools.islice(rows, SHOWN_MAX))
    rest = sum(1 for _ in rows)
    everything = [r for r in db.optouts(p.since, p.until, p.source) if p.matches(r)] if rest else shown
    names = {lst.list_id: lst.name for lst in db.lists(include_deleted=True)}
    return RecentOptOuts(shown, len(shown) + rest, optout_stats(everything, p.since, p.until), names)
