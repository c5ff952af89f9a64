"""The first full pull of the account into the local cache: pages of 500, resumable, cancellable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from ccdesk.api import CCClient

from .database_thread import DatabaseThread
from .paging import PAGE_SIZE, PageReader

NEXT_HREF = "full_pull.next_href"
STARTED_AT = "full_pull.started_at"
COMPLETED_AT = "full_pull.completed_at"
DEFER_SEARCH_ABOVE = 2_500  # contacts/s (rate limit x page size) above which the search index waits for the end


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
        first = await self._db.call(lambda s: s.get_state(COMPLETED_AT)) is None
        if first:  # the account's first read (or its resumption): indexes (and maybe the search index) wait for its end
            defer = self._pages_outpace_store()
            await self._db.call(lambda s: s.begin_full_read(defer_search=defer))
        # A refused stored link (400: links can expire, e.g. a pull resumed days later) starts again at the top.
        reader = PageReader(self._db, self._client, self._clock, NEXT_HREF,
                            last_page_state=lambda: {COMPLETED_AT: self._clock().isoformat()},
                            first_read=first)
        pages = await reader.read({"status": "all"}, start_href,
                                  (lambda done, total: on_progress(PullProgress(done, total))) if on_progress else None,
                                  restarted=self._mark_start)
        # A first read stores a contact that pages repeat twice until its end keeps one (store/unique_ids.py).
        return PullResult(pages.read, len(lists), list(dict.fromkeys(pages.new_optouts)),
                          start_href is not None and not pages.link_refused)

    def _pages_outpace_store(self) -> bool:
        """Whether pages may come faster than they are stored with the search index written page by page (about
        4,000 contacts/s at 1M): then it is built in one pass at the read's end (store/full_read.py)."""
        rate = float(getattr(self._client.rate_limiter, "rate", 0) or 0)
        return rate <= 0 or rate * PAGE_SIZE > DEFER_SEARCH_ABOVE

    async def _mark_start(self) -> None:
        started = self._clock().isoformat()
        await self._db.call(lambda s: s.set_state(STARTED_AT, started))
