"""Catch the changes `updated_after` cannot see, cheaply, on every sync.

A contact who confirms a resubscribe email, opts back in through a sign-up form, or is sent a resubscribe
email from Constant Contact's web UI changes only its email status (the 2021 forum thread behind ccdesk:
`updated_after` misses those). Two checks, after the two passes of a sync:

- every sync: re-read the contacts with a resubscribe request waiting for the contact (a handful; one GET
  each), since their next change is exactly such an email-only change;
- at most every `interval` (default 2 hours): read the ids of `status=unsubscribed` (pages of 500, no
  sub-resources: about one request per 500 unsubscribed contacts) and compare them with the cached
  unsubscribed set. Cached ones the service no longer lists are re-read one by one; listed ones the cache
  does not hold as unsubscribed are stored from the page itself (and count as new opt-outs).
- at the same times, deletions: where a delete leaves `updated_at` as it was (a reading of the service,
  docs/sandbox.md), no `updated_after` pass sees it. One request asks how many contacts are deleted; only
  when that differs from the cache's count are the deleted ones listed (pages of 500) and the ones the cache
  holds as alive stored from the page.

Not seen until a full re-read: a resubscribe email sent from the web UI when the service keeps the contact
`unsubscribed` (only `confirm_status` changes; the other reading makes it `pending_confirmation`, which
leaves the unsubscribed set). Nothing is lost by that: the outbox reads the contact before sending one.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ccdesk.api import ApiError, CCClient, NotFound, ValidationError
from ccdesk.store.database import DeskDatabase

from .database_thread import DatabaseThread

log = logging.getLogger(__name__)

LAST_COMPARE = "sync.reconcile.compared_at"
INTERVAL = timedelta(hours=2)
PAGE_SIZE = 500
INCLUDE = ["list_memberships"]


@dataclass
class ReconcileResult:
    requests: int = 0  # requests this reconcile sent
    reread: list[str] = field(default_factory=list)  # contacts read again because their state changed
    new_optouts: list[str] = field(default_factory=list)
    compared: bool = False  # whether the unsubscribed set was compared this time
    deleted: list[str] = field(default_factory=list)  # deleted contacts found by the comparison of the deleted set


class Reconciler:
    def __init__(self, db: DatabaseThread, client: CCClient,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), interval: timedelta = INTERVAL) -> None:
        self._db = db
        self._client = client
        self._clock = clock
        self.interval = interval

    async def run(self, *, force: bool = False) -> ReconcileResult:
        result = ReconcileResult()
        pending = await self._db.call(lambda s: s.awaiting_confirmation_ids())
        last = await self._db.call(lambda s: s.get_state(LAST_COMPARE))
        due = force or last is None or self._clock() - datetime.fromisoformat(last) >= self.interval
        started = self._clock()
        leavers = await self._compare_unsubscribed(result) if due else []
        if due:
            requests, deleted = await find_unseen_deletes(self._db, self._client, self._clock)
            result.requests += requests
            result.deleted.extend(deleted)
        missed = 0
        for cid in dict.fromkeys([*pending, *leavers]):
            missed += not await self._reread(cid, result)
        if due and not missed:  # a contact that could not be re-read is looked for again next sync
            stamp = started.isoformat()
            await self._db.call(lambda s: s.set_state(LAST_COMPARE, stamp))
        result.compared = due
        return result

    async def _compare_unsubscribed(self, result: ReconcileResult) -> list[str]:
        cached = await self._db.call(lambda s: s.unsubscribed_ids())
        for attempt in (1, 2):
            listed: set[str] = set()
            try:
                async for page in self._client.iter_contact_pages(status="unsubscribed", include=INCLUDE,
                                                                  limit=PAGE_SIZE):
                    result.requests += 1
                    listed.update(c.contact_id for c in page.contacts)
                    fresh = [c.raw for c in page.contacts if c.contact_id not in cached]
                    if fresh:  # opted out without the opt-out pass seeing it (e.g. an old opt-out date)
                        outcome = await self._db.call(functools.partial(
                            DeskDatabase.upsert_contacts, contacts=fresh, fetched_at=self._clock()))
                        result.new_optouts.extend(outcome.new_optouts)
                        cached |= {c["contact_id"] for c in fresh}
                break
            except ValidationError:
                if attempt == 2 or not listed:  # the listing itself was refused, not a link of it
                    raise
                log.warning("reconcile: a paging link was refused; listing the unsubscribed contacts again")
        return sorted(cached - listed)

    async def _reread(self, contact_id: str, result: ReconcileResult) -> bool:
        result.requests += 1
        try:
            contact = await self._client.get_contact(contact_id, include=INCLUDE)
        except NotFound:
            log.info("reconcile: %s no longer exists; the next full re-read drops it", contact_id)
            return True
        except ApiError as exc:
            if not exc.retryable:
                raise
            log.info("reconcile: could not re-read %s (%s); the next sync tries again", contact_id, exc)
            return False
        fetched = self._clock()
        outcome = await self._db.call(lambda s: s.upsert_contacts([contact.raw], fetched))
        result.reread.append(contact_id)
        result.new_optouts.extend(outcome.new_optouts)
        return True


async def find_unseen_deletes(db: DatabaseThread, client: CCClient,
                              clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> tuple[int, list[str]]:
    """Deletions no `updated_after` read showed (see the module docstring): one request for the service's count
    of deleted contacts; only when it differs from the cache's are they listed (pages of 500) and the ones the
    cache holds as alive stored from the page. Returns (requests sent, contacts found deleted)."""
    requests = 1
    service = await client.count_contacts(status="deleted")
    cached = await db.call(lambda s: s.deleted_ids())
    found: list[str] = []
    if service is not None and service == len(cached):
        return requests, found
    async for page in client.iter_contact_pages(status="deleted", include=INCLUDE, limit=PAGE_SIZE):
        requests += 1
        missed = [c.raw for c in page.contacts if c.contact_id not in cached and c.is_deleted]
        if missed:
            await db.call(functools.partial(DeskDatabase.upsert_contacts, contacts=missed, fetched_at=clock()))
            found.extend(c["contact_id"] for c in missed)
            cached |= {c["contact_id"] for c in missed}
    if found:
        log.info("%d contacts were deleted without updated_after showing it", len(found))
    return requests, found
