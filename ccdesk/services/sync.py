"""Incremental sync: catch every opt-out and every other contact change since the last run.

The API has no push, and `updated_after` does not see email-status changes (an unsubscribe moves only
`email_address.updated_at`). So a run makes two passes over `status=all` (deleted contacts included):
- opt-outs: `optout_after = checkpoint - overlap`
- everything else: `updated_after = checkpoint - overlap`
Each page is stored in one transaction together with the link to the next page, so a crash resumes where it
stopped; the pass's checkpoint moves to the time the pass *started* only when its last page is stored, in the
service's time (the answers' Date headers, ccdesk/api/service_clock.py: a PC clock running ahead would skip
changes). The overlap absorbs what is left of the skew; re-reading a contact is harmless (upserts are
idempotent). A stored next-page link the service refuses (400: links can expire) is dropped and the pass
starts again from its checkpoint. If the service refuses `optout_after` itself (older deployments did not have
it), the opt-out pass falls back to reading every unsubscribed contact and letting the store spot the new ones.
Then `Reconciler` catches the email-only changes neither pass can see (reconcile.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ccdesk.api import CCClient, ValidationError
from ccdesk.events import Event
from ccdesk.store.database import DeskDatabase

from . import sync_once
from .cache_pull import COMPLETED_AT, STARTED_AT, CachePull
from .database_thread import DatabaseThread
from .paging import PageReader
from .reconcile import LAST_COMPARE, Reconciler

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=10)
LAST_RUN = "sync.last_run_at"


@dataclass(frozen=True)
class SyncProgress:
    stage: str  # "full pull", "opt-outs", "changes"
    done: int
    total: int | None = None


@dataclass
class SyncResult:
    full_pull: bool = False
    contacts_read: int = 0
    new_optouts: list[str] = field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    fallback_used: bool = False
    forgotten: int = 0
    links_refused: int = 0  # stored paging links the service refused (the pass started again)
    reconcile_requests: int = 0  # requests spent catching email-only changes
    reconciled: list[str] = field(default_factory=list)  # contacts re-read for an email-only change
    reused: bool = False  # another process's sync, finished while this one waited for it
    from_team: bool = False  # team mode: brought up to date from the team's copy, not from Constant Contact


@dataclass(frozen=True)
class _Pass:
    name: str
    param: str  # the filter the checkpoint feeds

    @property
    def checkpoint(self) -> str:
        return f"sync.{self.name}.checkpoint"

    @property
    def started(self) -> str:
        return f"sync.{self.name}.run_started"

    @property
    def next_href(self) -> str:
        return f"sync.{self.name}.next_href"


OPTOUTS = _Pass("optouts", "optout_after")
CHANGES = _Pass("changes", "updated_after")


class SyncEngine:
    """Runs syncs one at a time (background and "Sync now" share it) and announces them."""

    def __init__(self, db: DatabaseThread, client: CCClient,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._db = db
        self._client = client
        self._clock = clock
        self.reconciler = Reconciler(db, client, clock)
        self._lock = asyncio.Lock()
        self._task: asyncio.Future[SyncResult] | None = None
        self._unannounced: list[str] = []  # new opt-outs a run stored before it failed
        self.started = Event()    # ()
        self.progress = Event()   # (SyncProgress)
        self.finished = Event()   # (SyncResult)
        self.stopped = Event()    # (BaseException) failed or cancelled

    @property
    def running(self) -> bool:
        return self._lock.locked()

    def cancel(self) -> bool:
        """Stop the sync that is running (what was stored stays; the next run resumes). The caller of run()
        sees CancelledError."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            return True
        return False

    async def run(self, on_progress: Callable[[SyncProgress], None] | None = None, *,
                  full: bool = False) -> SyncResult:
        """One sync. The first ever run is a full pull; its opt-outs are not "new" (nothing was seen before).
        `full=True` re-reads the whole account and reconciles (see full_resync)."""
        async with self._lock:
            self.started.emit()

            def progress(p: SyncProgress) -> None:
                self.progress.emit(p)
                if on_progress:
                    on_progress(p)

            def waiting(pid: int | None) -> None:
                progress(SyncProgress("waiting for another ccdesk process's sync", 0))

            work = functools.partial(self._full if full else self._run, progress)
            self._task = asyncio.ensure_future(sync_once.one_per_store(
                self._db, work, SyncResult, asked_at=self._clock(), may_reuse=not full, on_wait=waiting))
            try:
                result = await self._task
            except BaseException as exc:
                self.stopped.emit(exc)
                raise
            self.finished.emit(result)
            return result

    async def _run(self, on_progress: Callable[[SyncProgress], None]) -> SyncResult:
        result = SyncResult(started_at=self._clock())
        if await self._db.call(lambda s: s.get_state(COMPLETED_AT)) is None:
            started = self._clock()
            pull = await CachePull(self._db, self._client, self._clock).run(
                lambda p: on_progress(SyncProgress("full pull", p.done, p.total)))
            result.full_pull = True
            result.contacts_read = pull.contacts
            # Everything up to the pull's start is in the cache now.
            await self._db.call(lambda s: _set_many(s, self._after_full_read(started)))
        else:
            # Opt-outs a failed run stored (its first pass moved its bookmark) are announced by the next run.
            result.new_optouts = list(self._unannounced)
            try:
                for p in (OPTOUTS, CHANGES):
                    read, new, fallback = await self._run_pass(p, on_progress, result)
                    result.contacts_read += read
                    result.new_optouts.extend(cid for cid in new if cid not in result.new_optouts)
                    result.fallback_used |= fallback
                on_progress(SyncProgress("email-only changes", 0))
                rec = await self.reconciler.run()
            except BaseException:
                self._unannounced = result.new_optouts
                raise
            self._unannounced = []
            result.reconcile_requests, result.reconciled = rec.requests, rec.reread
            result.new_optouts.extend(cid for cid in rec.new_optouts if cid not in result.new_optouts)
        result.finished_at = self._clock()
        finished = result.finished_at.isoformat()
        await self._db.call(lambda s: s.set_state(LAST_RUN, finished))
        return result

    async def full_resync(self, on_progress: Callable[[SyncProgress], None] | None = None) -> SyncResult:
        """Read the whole account again and reconcile: contacts the service no longer returns at all (even
        with status=all) are dropped from the cache; everything else is overwritten with what it says now."""
        return await self.run(on_progress, full=True)

    async def _full(self, on_progress: Callable[[SyncProgress], None]) -> SyncResult:
        started = self._clock()
        pull = await CachePull(self._db, self._client, self._clock).run(
            lambda p: on_progress(SyncProgress("full pull", p.done, p.total)))
        pull_started = await self._db.call(lambda s: s.get_state(STARTED_AT))
        cutoff = datetime.fromisoformat(pull_started) if pull_started else started
        forgotten = await self._db.call(lambda s: s.forget_contacts_not_fetched_since(cutoff))
        if forgotten:
            log.info("full resync: %d cached contacts no longer exist in the account", forgotten)
        await self._db.call(lambda s: _set_many(s, self._after_full_read(started)))
        return SyncResult(full_pull=True, contacts_read=pull.contacts, new_optouts=pull.new_optouts,
                          started_at=started, finished_at=self._clock(), forgotten=forgotten)

    async def _run_pass(self, p: _Pass, on_progress: Callable[[SyncProgress], None] | None,
                        result: SyncResult | None = None) -> tuple[int, list[str], bool]:
        state = await self._db.call(lambda s: {k: s.get_state(k) for k in (p.checkpoint, p.started, p.next_href)})
        resume = state[p.next_href]
        started = (state[p.started] if resume else None) or self._clock().isoformat()
        if not resume:
            await self._db.call(lambda s: s.set_state(p.started, started))
        checkpoint = state[p.checkpoint]
        since = datetime.fromisoformat(checkpoint) - OVERLAP if checkpoint else None
        filters: dict[str, Any] = {"status": "all"}
        if since is not None:
            filters[p.param] = since.astimezone(UTC).replace(microsecond=0)
        fallback = False
        reader = PageReader(self._db, self._client, self._clock, p.next_href)

        def on_page(read: int, total: int | None) -> None:
            if on_progress:
                on_progress(SyncProgress(p.name, read, total))

        try:
            # An expired (or otherwise refused) link is forgotten and the pass reads again from the checkpoint;
            # its start time stays the earlier one, so nothing between the two is skipped.
            pages = await reader.read(filters, resume, on_page)
        except ValidationError:
            if p is not OPTOUTS:
                raise
            # The service refused optout_after: read every unsubscribed contact instead.
            log.warning("optout_after was refused; reading every unsubscribed contact instead")
            fallback = True
            pages = await reader.read({"status": "unsubscribed"}, None, on_page)
        if result is not None:
            result.links_refused += pages.link_refused
        checkpoint_now = self._service_time(datetime.fromisoformat(started)).isoformat()
        await self._db.call(lambda s: _set_many(s, {p.checkpoint: checkpoint_now, p.started: None,
                                                     p.next_href: None}))
        return pages.read, pages.new_optouts, fallback

    def _service_time(self, local: datetime) -> datetime:
        """A pass's bookmark is compared with the service's times: `local` (when the pass started, on this PC's
        clock) in the service's time, from the answers' Date headers (ccdesk/api/service_clock.py)."""
        return self._client.service_clock.service_time(local)

    def _after_full_read(self, started: datetime) -> dict[str, str | None]:
        """Everything up to the read's start is in the cache: both passes continue from there (in the service's
        time); the unsubscribed set was just compared (a local interval, on this PC's clock)."""
        bookmark = self._service_time(started).isoformat()
        return {OPTOUTS.checkpoint: bookmark, CHANGES.checkpoint: bookmark, LAST_COMPARE: started.isoformat()}


def _set_many(s: DeskDatabase, values: dict[str, str | None]) -> None:
    with s.transaction():
        for key, value in values.items():
            s.set_state(key, value)
