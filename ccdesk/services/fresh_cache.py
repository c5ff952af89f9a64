"""Bulk unsubscribes at one request per contact: each PUT is built from a cache kept fresh by batch reads.

An unsubscribe PUT must carry the contact's core fields (the service nulls the ones a PUT omits) and no
sub-resource (the ones it omits are kept). So a bulk run needs no GET per contact when the cache is current:
before each batch of at most `BATCH` contacts, one incremental read (`status=all&updated_after=...`, pages of
500: one request covers up to 500 changed contacts) stores every contact changed since the previous read, and
the batch's PUTs are built from the cache. **The window** between that read and a PUT built from it is at most
`WINDOW_S` seconds: `BATCH` PUTs at the API's 4 requests/s take about 6 s, and a read older than `WINDOW_S`
(a slow network, retries, other processes sharing the budget) is repeated before the next PUT. The bound is
checked again when the PUT's rate-limit slot is granted, before each attempt goes out: a PUT whose slot (or
retry) comes later is not sent but rebuilt from a new read.

A contact changed by someone else inside the window: an edit to a core field (name, company...) made after the
read and before the PUT is replaced by the values read, like any read-modify-write without a conditional PUT
(the API has none; a GET+PUT has the same window, a quarter of a second long). It is detected from the PUT's
answer: an unsubscribe changes only the email status, which does not move the contact-level `updated_at`, so
an answer whose `updated_at` differs from the one read means the contact changed inside the window. The item
then says so (journal + Activity tab) so staff can check the contact. Edits made before the read are in the
PUT (nothing lost); edits after the PUT are untouched (the service keeps them).

The other way round, a client that read the contact before the unsubscribe and writes it after (a web form left
open) sends back the permission it read. Where the service lets the account add back its own opt-out (the
default reading, docs/sandbox.md), that write makes the contact mailable again; the next batch read sees it
(the write moved `updated_at`) and the unsubscribe is sent again, built from that read, so the other client's
fields stay and the opt-out is restored (journal: `unsubscribe` / `restored`). Only a write by the account
(`update_source: Account`) is undone this way: a contact who signs up again is left subscribed. Under the
stricter reading the service refuses that write and there is nothing to restore.

Deletes: where a delete leaves `updated_at` as it was (a reading of the service, docs/sandbox.md), no batch read
shows it, and a PUT built from the cache would bring the contact back. So a run first counts the deleted
contacts (one request; they are listed only when the count differs from the cache's), and again every
`DELETES_CHECK_S`: a 2,000-address run spends one or two requests on it.

Reads use the service's own clock: the next `updated_after` is the newest `updated_at` seen minus a margin,
so clock skew between this PC and the service cannot skip a change. The first read of a run starts from the
sync's checkpoint (minus its overlap). Without a completed full pull the cache cannot be trusted and each
contact is read first (GET+PUT), as single-contact actions always are.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ccdesk.api import ApiError, CCClient, Contact, ReadTooOld
from ccdesk.api.models import UpdateSource
from ccdesk.store.database import DeskDatabase

from .cache_pull import COMPLETED_AT
from .database_thread import DatabaseThread
from .reconcile import find_unseen_deletes
from .sync import CHANGES, OVERLAP

log = logging.getLogger(__name__)

BATCH = 25  # contacts per incremental read: 1 + 1/25 = 1.04 requests per contact
BULK_REQUESTS_PER_CONTACT = 1 + 1 / BATCH  # what sending a bulk unsubscribe costs, read included
WINDOW_S = 8.0  # the longest a PUT is built from a read: checked when its rate-limit slot is granted
STALE_TRIES = 3  # reads for one PUT whose slot keeps coming too late; then it is read first (GET+PUT)
MARGIN = timedelta(seconds=2)  # below the newest updated_at seen (second-resolution filters, writes in flight)
PAGE_SIZE = 500
RESTORE_S = 600.0  # how long after its PUT an unsubscribe undone by a stale write is sent again
DELETES_CHECK_S = 600.0  # a bulk run looks for deletes no read shows at its start, then every 10 minutes
RESTORED = ("Unsubscribed again: another client saved this contact from a copy read before the unsubscribe, "
            "which made it mailable again; its other changes were kept.")
RESTORE_FAILED = ("Another client's save from an older copy made this contact mailable again, and unsubscribing it "
                  "again failed; unsubscribe it again from here.")
CHANGED_IN_WINDOW = ("Unsubscribed. Someone else edited this contact in Constant Contact while the run was sending "
                     "(within {window:.0f} s before the unsubscribe, which carried the name and company as read): "
                     "check its details.")


@dataclass
class FreshStats:
    reads: int = 0  # incremental-read requests (pages)
    puts: int = 0  # PUTs built from the cache
    read_first: int = 0  # contacts sent with a GET first (no usable cache)
    changed_in_window: int = 0
    too_old: int = 0  # PUTs rebuilt because their slot came after the window
    restored: int = 0  # unsubscribes a stale write by another client undid, sent again
    delete_checks: int = 0  # requests spent looking for deletes no read shows (a count; a listing if it differs)


class FreshCache:
    """The outbox worker's helper for bulk unsubscribes (one per worker; items are sent one at a time)."""

    def __init__(self, db: DatabaseThread, client: CCClient, *, batch: int = BATCH, window_s: float = WINDOW_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._db = db
        self._client = client
        self.batch = batch
        self.window_s = window_s
        self._monotonic = monotonic
        self._since: datetime | None = None  # the next read's updated_after, in the service's time
        self._read_at: float | None = None  # monotonic time of the last read's request
        self._left = 0  # PUTs the last read still covers
        self.stats = FreshStats()
        self._sent: dict[str, tuple[str | None, UpdateSource, float]] = {}  # recent PUTs: reason, source, when
        self._deletes_checked_at: float | None = None  # monotonic time of the last look for unseen deletes

    async def unsubscribe(self, contact_id: str, reason: str | None, source: UpdateSource) -> tuple[Contact, str]:
        """Unsubscribe one contact of a bulk run. Returns the contact as the service has it now and, when it
        was changed by someone else inside the window, a message that says so (else "")."""
        for _attempt in range(STALE_TRIES):
            if not await self._fresh():
                break
            row = await self._db.call(lambda s: s.get_contact(contact_id))
            if row is None or not row.raw:
                break
            read = Contact(row.raw)
            try:
                answer = await self._client.unsubscribe_as_read(read, reason, source, still_valid=self._in_window)
            except ReadTooOld:  # the slot (or a retry) came after the window: read again, rebuild, then send
                self.stats.too_old += 1
                self._left = 0
                continue
            return self._sent_as_read(contact_id, reason, source, read, answer)
        self.stats.read_first += 1
        return await self._client.unsubscribe(contact_id, reason, source), ""

    def _in_window(self) -> bool:
        """Asked when the PUT's rate-limit slot is granted: is the read it was built from still young enough?"""
        return self._read_at is not None and self._monotonic() - self._read_at <= self.window_s

    def _sent_as_read(self, contact_id: str, reason: str | None, source: UpdateSource, read: Contact,
                      answer: Contact) -> tuple[Contact, str]:
        if answer is read:
            return answer, ""  # nothing sent (already unsubscribed)
        self.stats.puts += 1
        self._left -= 1
        self._sent[contact_id] = (reason, source, self._monotonic())
        if answer.updated_at != read.updated_at:
            self.stats.changed_in_window += 1
            log.warning("contact %s changed inside the bulk window (updated_at %s -> %s)", contact_id,
                        read.raw.get("updated_at"), answer.raw.get("updated_at"))
            return answer, CHANGED_IN_WINDOW.format(window=self.window_s)
        return answer, ""

    async def _fresh(self) -> bool:
        """Read what changed since the last read when the batch is used up or the read too old. False when the
        cache cannot be trusted (no completed full pull)."""
        now = self._monotonic()
        if self._read_at is not None and self._left > 0 and now - self._read_at < self.window_s:
            return True
        since = await self._db.call(_start_point)
        if since is None:
            return False
        if self._deletes_checked_at is None or now - self._deletes_checked_at > DELETES_CHECK_S:
            # Where a delete leaves updated_at as it was, no read below would show it, and a PUT built from the
            # cache would bring the contact back: one count request (a listing only when it differs).
            requests, _found = await find_unseen_deletes(self._db, self._client)
            self.stats.delete_checks += requests
            self._deletes_checked_at = now
        if self._since is None or since > self._since:
            self._since = since
        started = self._monotonic()
        newest: datetime | None = None
        undone: list[Contact] = []
        async for page in self._client.iter_contact_pages(status="all", updated_after=self._since,
                                                          include=["list_memberships"], limit=PAGE_SIZE):
            self.stats.reads += 1
            raw = [c.raw for c in page.contacts]
            if raw:
                await self._db.call(functools.partial(DeskDatabase.upsert_contacts, contacts=raw,
                                                         fetched_at=datetime.now(UTC)))
            for c in page.contacts:
                if c.updated_at is not None and (newest is None or c.updated_at > newest):
                    newest = c.updated_at
                # Only the account's own write: a contact who signs up again (update_source Contact) is not undone.
                if (c.contact_id in self._sent and not c.is_unsubscribed and not c.is_deleted
                        and c.raw.get("update_source") == "Account"):
                    undone.append(c)
        if newest is not None:
            # The read took a while: a page read early may miss a change a later page's clock already passed.
            self._since = max(self._since, newest - MARGIN - timedelta(seconds=self._monotonic() - started))
        self._read_at, self._left = started, self.batch
        for contact in undone:
            await self._restore(contact)
        horizon = self._monotonic() - RESTORE_S
        self._sent = {cid: v for cid, v in self._sent.items() if v[2] >= horizon}
        return True

    async def _restore(self, contact: Contact) -> None:
        """Send again an unsubscribe another client's stale write undid (see the module docstring)."""
        reason, source, _at = self._sent.pop(contact.contact_id)
        try:
            answer = await self._client.unsubscribe_as_read(contact, reason, source)
        except ApiError as exc:  # not this item's failure: said in the journal, the run goes on
            text = f"{RESTORE_FAILED} {exc.message}"
            log.warning("could not unsubscribe %s again: %s", contact.contact_id, exc.message)
            await self._db.call(lambda s: s.add_audit("unsubscribe", "restore failed", contact_id=contact.contact_id,
                                                      message=text))
            return
        self.stats.restored += 1
        log.warning("contact %s was made mailable again by a write based on an older read; unsubscribed again",
                    contact.contact_id)
        raw = answer.raw
        await self._db.call(lambda s: (s.upsert_contacts([raw], datetime.now(UTC)), s.add_audit(
            "unsubscribe", "restored", contact_id=contact.contact_id, details={"reason": reason, "source": source},
            message=RESTORED)))


def _start_point(s: DeskDatabase) -> datetime | None:
    if s.get_state(COMPLETED_AT) is None:
        return None
    checkpoint = s.get_state(CHANGES.checkpoint)  # the sync's own `updated_after` bookmark
    stamp = datetime.fromisoformat(checkpoint) if checkpoint else datetime.fromisoformat(s.get_state(COMPLETED_AT)
                                                                                          or "")
    return stamp - OVERLAP
