"""The one paging loop: read contact pages and store each with the link to the next, in one transaction.

Used by the full pull (cache_pull.py) and the sync passes (sync.py). A crash resumes at the first page not
stored; a stored link the service refuses (400: links can expire) is dropped and the read starts again from
its bookmark (the top, or the pass's checkpoint).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ccdesk.api import CCClient, ContactPage, ValidationError

from .database_thread import DatabaseThread
from .page_store import PageStore, page_store_for

log = logging.getLogger(__name__)

PAGE_SIZE = 500
INCLUDE = ["list_memberships"]


@dataclass
class PagesRead:
    read: int = 0
    total: int | None = None  # the server's count, when it gave one
    new_optouts: list[str] = field(default_factory=list)
    link_refused: bool = False  # a stored link was refused and the read started again


class _LinkRefused(Exception):
    """A next-page link (stored or just received) was refused with 400."""


@dataclass(frozen=True)
class PageReader:
    """Where the pages go: `link_key` is the state key holding the next-page link; `last_page_state` adds
    state written with the last page (e.g. when a full pull completed). `first_read`: the account's first full
    read (store/full_read.py): its pages skip the search index, built with the last page, and a big account's
    are stored by a process of its own (page_store.py)."""

    db: DatabaseThread
    client: CCClient
    clock: Callable[[], datetime]
    link_key: str
    last_page_state: Callable[[], dict[str, str | None]] = dict
    first_read: bool = False

    async def read(self, filters: dict[str, Any], resume: str | None,
                   on_page: Callable[[int, int | None], None] | None = None, *,
                   restarted: Callable[[], Awaitable[None]] | None = None) -> PagesRead:
        """Every page from `resume` (a stored link) or from the first filtered request. A refused stored link
        is forgotten, `restarted()` runs (the caller moves its bookmark), and the read starts again once."""
        try:
            return await self._pages(filters, resume, on_page, retry_links=True)
        except _LinkRefused:
            log.warning("%s: the stored paging link was refused; reading again from the start", self.link_key)
            await self.db.call(lambda s: s.set_state(self.link_key, None))
            if restarted is not None:
                await restarted()
            result = await self._pages(filters, None, on_page, retry_links=False)
            result.link_refused = True
            return result

    def _sink(self, first: ContactPage) -> PageStore:
        return page_store_for(self.db, first_read=self.first_read, count=first.contacts_count,
                              more=first.next_href is not None)

    async def _pages(self, filters: dict[str, Any], resume: str | None,
                     on_page: Callable[[int, int | None], None] | None, *, retry_links: bool) -> PagesRead:
        result = PagesRead()
        following = resume is not None
        pages = self.client.iter_contact_pages(include=INCLUDE, include_count=resume is None, limit=PAGE_SIZE,
                                               start_href=resume, **filters)
        # The next page is read while this one is stored (issue 17: reading then storing took the sum of both).
        # Pages are stored one transaction after the other, each with the link to the page after it; pages that
        # arrive while one is stored wait and go together (up to the sink's max_group).
        sink: PageStore | None = None
        storing: asyncio.Future[None] | None = None
        waiting: list[ContactPage] = []
        try:
            async for page in pages:
                following = True
                sink = sink or self._sink(page)
                waiting.append(page)
                if storing is not None and not storing.done() and len(waiting) < sink.max_group:
                    continue
                if storing is not None:
                    await storing
                storing = asyncio.ensure_future(self._store(sink, waiting, result, on_page))
                waiting = []
            if storing is not None:
                await storing
            if waiting and sink is not None:
                await self._store(sink, waiting, result, on_page)
        except ValidationError:
            # A 400 on a link (not on the first, filtered request) means the link is refused.
            if following and retry_links:
                await _settle(storing)
                raise _LinkRefused() from None
            raise
        finally:
            await _settle(storing)
            if sink is not None:
                await sink.close()
        return result

    async def _store(self, sink: PageStore, pages: list[ContactPage], result: PagesRead,
                     on_page: Callable[[int, int | None], None] | None) -> None:
        for page in pages:
            result.total = page.contacts_count if page.contacts_count is not None else result.total
        raw = [[c.raw for c in page.contacts] for page in pages]
        # No next link (the last page) clears the link: the next read starts from its bookmark.
        last = pages[-1].next_href is None
        state: dict[str, str | None] = {self.link_key: pages[-1].next_href}
        if last:
            state.update(self.last_page_state())
        outcome = await sink.store(raw, self.clock(), state, last)
        result.new_optouts.extend(outcome.new_optouts)
        for contacts in raw:
            result.read += len(contacts)
            if on_page:
                on_page(result.read, result.total)


async def _settle(storing: asyncio.Future[None] | None) -> None:
    """Let a page being stored finish (it commits with its link either way) before leaving the read."""
    if storing is not None and not storing.done():
        with contextlib.suppress(Exception):
            await asyncio.shield(storing)
