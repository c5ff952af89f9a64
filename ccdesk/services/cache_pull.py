"""The first full pull of the account into the local cache: pages of 500, resumable, cancellable."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from ccdesk.api import CCClient, ContactPage, ValidationError
from ccdesk.store.database import DeskDatabase

from .database_thread import DatabaseThread

log = logging.getLogger(__name__)

NEXT_HREF = "full_pull.next_href"
STARTED_AT = "full_pull.started_at"
COMPLETED_AT = "full_pull.completed_at"
PAGE_SIZE = 500


@dataclass(frozen=True)
class PullProgress:
    done: int
    total: int | None  # the server's count, when it gave one


@dataclass(frozen=True)
class PullResult:
    contacts: int
    lists: int
    new_optouts: list[str]
    resumed: bool


class _LinkRefused(Exception):
    """A next-page link was refused with 400."""


class CachePull:
    """Reads every contact (deleted ones included) with its lists, one transaction per page.

    The page and the link to the next page commit together, so after a crash the pull resumes at the first
    page not stored. Cancelling (task.cancel()) stops between requests; what was stored stays.
    """

    def __init__(self, db: DatabaseThread, client: CCClient,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._db = db
        self._client = client
        self._clock = clock

    async def run(self, on_progress: Callable[[PullProgress], None] | None = None) -> PullResult:
        lists = [lst.raw async for lst in self._client.iter_lists(include_membership_count="all")]
        await self._db.call(lambda s: s.upsert_lists(lists, self._clock()))

        start_href = await self._db.call(lambda s: s.get_state(NEXT_HREF))
        if start_href is None:
            await self._mark_start()
        try:
            return await self._pages(start_href, len(lists), on_progress)
        except _LinkRefused:
            # A paging link the service refused (400: links can expire, e.g. a pull resumed days later) is
            # dropped and the pull starts again from its bookmark, the top.
            log.warning("the stored paging link was refused; starting the full pull again")
            await self._db.call(lambda s: s.set_state(NEXT_HREF, None))
            await self._mark_start()
            return await self._pages(None, len(lists), on_progress, retry_links=False)

    async def _mark_start(self) -> None:
        started = self._clock().isoformat()
        await self._db.call(lambda s: s.set_state(STARTED_AT, started))

    async def _pages(self, start_href: str | None, n_lists: int,
                     on_progress: Callable[[PullProgress], None] | None, *, retry_links: bool = True) -> PullResult:
        done = 0
        total: int | None = None
        new_optouts: list[str] = []
        following = start_href is not None
        pages = self._client.iter_contact_pages(status="all", include=["list_memberships"], include_count=True,
                                                limit=PAGE_SIZE, start_href=start_href)
        try:
            async for page in pages:
                following = True
                done, total = await self._store_page(page, done, total, new_optouts, on_progress)
        except ValidationError:
            if following and retry_links:
                raise _LinkRefused() from None
            raise
        return PullResult(done, n_lists, new_optouts, start_href is not None)

    async def _store_page(self, page: ContactPage, done: int, total: int | None, new_optouts: list[str],
                          on_progress: Callable[[PullProgress], None] | None) -> tuple[int, int | None]:
        total = page.contacts_count if page.contacts_count is not None else total
        raw = [c.raw for c in page.contacts]
        # No next link (the last page) clears the checkpoint: the next pull starts from the top.
        checkpoint: dict[str, str | None] = {NEXT_HREF: page.next_href}
        if page.next_href is None:
            checkpoint[COMPLETED_AT] = self._clock().isoformat()

        result = await self._db.call(
            functools.partial(DeskDatabase.upsert_contacts, contacts=raw, fetched_at=self._clock(), state=checkpoint))
        new_optouts.extend(result.new_optouts)
        done += len(raw)
        if on_progress:
            on_progress(PullProgress(done, total))
        return done, total
