"""Sends queued actions to Constant Contact, one at a time, surviving failures and restarts.

Every action is written to the outbox (SQLite) before anything is sent, so a crash, a lost connection or
an expired sign-in never loses it. The worker claims the next due item, carries it out through the API
client, stores the contact as the server returned it, and marks the item done. Temporary failures are
retried later with growing pauses; a refusal by the server (400/403/404/409) fails the item with the
server's message, which the Activity tab and the audit journal show.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ccdesk.api import (
    ApiError,
    CCClient,
    Contact,
    Forbidden,
    QuotaExceeded,
    SignInRequired,
    Unauthorized,
    ValidationError,
)
from ccdesk.api.contact_writes import DeletedContactRefused
from ccdesk.api.models import Activity
from ccdesk.events import Event
from ccdesk.store.database import DeskDatabase
from ccdesk.store.errors import InvalidStateError, StoreUnavailableError
from ccdesk.store.rows import OutboxItem, OutboxKind
from ccdesk.wording import plural

from .database_thread import DatabaseThread
from .fresh_cache import FreshCache

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=15)
STORE_RETRY_S = 5.0  # how soon to look again when the local file was locked or the disk full
# The sender counts as stopped when its heartbeat is older than this past its idle poll (waiting), or older than
# BUSY_LIMIT while it sends (the client's timeouts and retries end a request well before that).
STALL_GRACE_S = 15.0
BUSY_LIMIT_S = 600.0
READ_BACK = ("list_memberships",)  # what a re-read needs for the cache (the status depends on the lists)
ALREADY_SENT = "A confirmation email was already sent; only the contact can finish it (by clicking its link)."
TAKEN_OVER = "Another ccdesk process on this computer is sending this now; its result is the one recorded."
ACCOUNT_OPTOUT_KEPT = ("Already unsubscribed by our team (source Account); Constant Contact kept that record, so "
                       "the contact's own request is in this desk's journal only. An Account opt-out can be undone "
                       "by the account; one recorded as the contact's cannot.")


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Pause before the next try of an item that has failed `attempts` times: 10 s, 20 s, ... up to 15 min."""
    base = min(MAX_BACKOFF.total_seconds(), 10 * 2 ** max(0, attempts - 1))
    return timedelta(seconds=(rng or random).uniform(base * 0.75, base))


@dataclass(frozen=True)
class ItemOutcome:
    item_id: int
    kind: str
    contact_id: str | None
    ok: bool
    message: str
    final: bool  # False while this process will try it again
    why: str = ""  # when not ok: "sign_in", "quota", "temporary" (will be retried), "not_allowed" (403: kept,
    # sending paused), "refused", "bug", or "elsewhere" (another ccdesk process took the item over)


NOT_ALLOWED = ("{said} Sending is paused and nothing was lost: the changes wait here. Once the right is given (or "
               "after signing in as a user who has it), choose Retry in the Activity tab.")


class OutboxWorker:
    """Runs queued actions. `run()` loops until cancelled; `drain()` sends what is due now (tests, CLI)."""

    def __init__(self, db: DatabaseThread, client: CCClient, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), idle_poll_s: float = 30.0) -> None:
        self._db = db
        self._client = client
        self._clock = clock
        self._idle_poll_s = idle_poll_s
        self._wake = asyncio.Event()
        self.paused_reason: str | None = None
        self.paused_why = ""               # "not_allowed" when a 403 paused it (a Retry resumes), else sign-in
        self.item_finished = Event()      # (ItemOutcome)
        self.contact_changed = Event()    # (contact_id)
        self.sign_in_required = Event()   # (message)
        self.not_allowed = Event()        # (message) 403: this user may not change contacts; sending paused
        self.queue_changed = Event()      # ()
        self.progress = Event()           # (item_id, percent_done) while a bulk activity runs
        self.store_problem = Event()      # (message) the local file is locked or the disk full; ("") it is over
        self.beat = time.monotonic()      # last sign of life of run(), for the supervisor
        self.busy = False                 # True while run() is sending (a request may take a while)
        self._release_claims = False      # set when a stopped run() is replaced: it may have left a claim
        self.fresh = FreshCache(db, client)  # bulk unsubscribes: one request per contact

    def wake(self) -> None:
        """Something was queued, or we are signed in again: look at the queue now."""
        self._wake.set()

    def pause(self, reason: str, *, why: str = "sign_in") -> None:
        self.paused_reason, self.paused_why = reason, why

    def resume(self) -> None:
        self.paused_reason, self.paused_why = None, ""
        self.wake()

    def stalled(self) -> bool:
        """True when run() has shown no sign of life for longer than it ever should (see Supervisor)."""
        limit = BUSY_LIMIT_S if self.busy else self._idle_poll_s + STALL_GRACE_S
        return time.monotonic() - self.beat > limit

    def replaced(self) -> None:
        """The supervisor dropped a stopped run(): the next one first puts back what that one had claimed."""
        self._release_claims = True
        self.busy = False
        self.beat = time.monotonic()

    async def run(self) -> None:
        store_failed, self._release_claims = self._release_claims, False
        while True:
            # Cleared before the work, not after: a wake() that arrives meanwhile must not be lost.
            self._wake.clear()
            timeout = self._idle_poll_s
            self.beat, self.busy = time.monotonic(), True
            try:
                if store_failed:  # an item may have been left claimed when its result could not be written
                    await self._db.call(lambda s: s.release_own_claims())
                    store_failed = False
                    self.store_problem.emit("")
                if self.paused_reason is None:
                    await self.drain()
                    nxt = await self._db.call(lambda s: s.next_attempt_at())
                    if nxt is not None:
                        timeout = max(0.05, min(timeout, (nxt - self._clock()).total_seconds()))
            except StoreUnavailableError as exc:
                # Nothing is lost: the queue is in the file. Say so, and look again shortly.
                log.warning("outbox: %s", exc.message)
                store_failed = True
                self.store_problem.emit(exc.message)
                timeout = STORE_RETRY_S
            self.beat, self.busy = time.monotonic(), False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def drain(self) -> list[ItemOutcome]:
        """Send every item that is due now; stops early if sign-in is needed."""
        outcomes: list[ItemOutcome] = []
        while (outcome := await self.send_next()) is not None:
            outcomes.append(outcome)
        return outcomes

    async def send_next(self) -> ItemOutcome | None:
        """Send the oldest due item; None when nothing is due (or sending is paused)."""
        if self.paused_reason is not None:
            return None
        item = await self._db.call(functools.partial(DeskDatabase.next_due, now=self._clock()))
        if item is None:
            return None
        try:
            return await self._run_item(item)
        except InvalidStateError as exc:
            # Our claim was put back and taken by another ccdesk process sharing the file (it took this one for
            # stopped): its result is the one recorded. Nothing to record here, and the sender goes on.
            log.warning("outbox item %s: %s", item.id, exc)
            return self._finish(item, False, TAKEN_OVER, final=True, why="elsewhere")

    async def _retry_later(self, item: OutboxItem, message: str, when: datetime) -> None:
        await self._db.call(lambda s: s.mark_retry(item.id, message, when))

    async def _fail(self, item: OutboxItem, message: str) -> None:
        await self._db.call(lambda s: s.mark_failed(item.id, message))

    async def _run_item(self, item: OutboxItem) -> ItemOutcome:
        self.beat = time.monotonic()
        try:
            message, contact = await self._perform(item)
        except asyncio.CancelledError:
            # Shutting down mid-request: the item goes back to the queue untouched (the PUT is idempotent).
            with contextlib.suppress(InvalidStateError):  # unless another process has it now
                await asyncio.shield(self._retry_later(item, "interrupted", self._clock()))
            raise
        except (SignInRequired, Unauthorized) as exc:
            await self._retry_later(item, exc.message, self._clock())
            self.pause(exc.message)
            self.sign_in_required.emit(exc.message)
            return self._finish(item, False, exc.message, final=False, why="sign_in")
        except QuotaExceeded as exc:
            await self._retry_later(item, exc.message, exc.resets_at)
            return self._finish(item, False, exc.message, final=False, why="quota")
        except Forbidden as exc:
            # The user (or the app) may not change contacts: every item after this one would be refused too,
            # each costing a request of the day's quota. The item waits; sending pauses until a Retry or a
            # sign-in as someone who may.
            text = NOT_ALLOWED.format(said=exc.message)
            await self._retry_later(item, text, self._clock())
            self.pause(text, why="not_allowed")
            self.not_allowed.emit(text)
            return self._finish(item, False, text, final=False, why="not_allowed")
        except ApiError as exc:
            if isinstance(exc, DeletedContactRefused):  # the cache may still show it as it was: not any more
                await self._store_contact(exc.contact)
            if exc.retryable:
                await self._retry_later(item, exc.message, self._clock() + backoff(item.attempts + 1))
                return self._finish(item, False, exc.message, final=False, why="temporary")
            await self._fail(item, exc.message)
            return self._finish(item, False, exc.message, final=True, why="refused")
        except StoreUnavailableError:
            raise  # the local file, not the action: the item stays claimed and is released when the file is back
        except Exception as exc:  # a bug must not wedge the queue: fail the item, keep the record
            log.exception("outbox item %s (%s) failed unexpectedly", item.id, item.kind)
            text = f"ccdesk could not carry this out ({type(exc).__name__}); see the log."
            await self._fail(item, text)
            return self._finish(item, False, text, final=True, why="bug")
        fetched = self._clock()

        def store_result(s: DeskDatabase) -> None:
            with s.transaction():
                if contact is not None:
                    s.upsert_contacts([contact.raw], fetched)
                s.mark_done(item.id, message)

        try:
            await self._db.call(store_result)
        except (StoreUnavailableError, InvalidStateError):
            raise
        except Exception:  # the change was made: a contact the cache cannot take must not send it again
            log.exception("outbox item %s: done, but the contact it answered with could not be cached", item.id)
            await self._db.call(lambda s: s.mark_done(item.id, message))
        if item.contact_id:
            self.contact_changed.emit(item.contact_id)
        return self._finish(item, True, message, final=True)

    async def _store_contact(self, contact: Contact) -> None:
        fetched = self._clock()
        await self._db.call(lambda s: s.upsert_contacts([contact.raw], fetched))
        self.contact_changed.emit(contact.contact_id)

    def _finish(self, item: OutboxItem, ok: bool, message: str, *, final: bool, why: str = "") -> ItemOutcome:
        outcome = ItemOutcome(item.id, item.kind, item.contact_id, ok, message, final, why)
        self.item_finished.emit(outcome)
        self.queue_changed.emit()
        return outcome

    async def _perform(self, item: OutboxItem) -> tuple[str, Contact | None]:
        payload = item.payload
        cid = item.contact_id or ""
        if item.kind == OutboxKind.UNSUBSCRIBE:
            source = payload.get("update_source", "Account")
            note = ""
            if payload.get("bulk"):  # built from the cache, read fresh once per batch (fresh_cache.py)
                contact, note = await self.fresh.unsubscribe(cid, payload.get("reason") or None, source)
            else:
                contact = await self._client.unsubscribe(cid, payload.get("reason") or None, source)
            email = contact.email_address
            if source == "Contact" and email is not None and email.opt_out_source == "Account":
                return ACCOUNT_OPTOUT_KEPT, contact
            return note or "Unsubscribed in Constant Contact", contact
        if item.kind == OutboxKind.REMOVE_FROM_LISTS:  # one contact: an activity too (no read-modify-write PUT)
            await self._remove(item, [cid], payload["list_ids"])
            return f"Removed from {await self._lists_named(payload['list_ids'])}", await self._read_back(cid)
        if item.kind == OutboxKind.RESUBSCRIBE_REQUEST:
            return await self._resubscribe(item, cid)
        if item.kind == OutboxKind.BULK_REMOVE:
            contact_ids, list_ids = payload["contact_ids"], payload["list_ids"]
            await self._remove(item, contact_ids, list_ids)
            return f"Removed {plural(contact_ids, 'contact')} from {await self._lists_named(list_ids)}", None
        if item.kind == OutboxKind.ADD_UNSUBSCRIBED:  # an address not in the account, suppressed
            from .add_unsubscribed import add_unsubscribed  # (imports actions, which imports this module)

            contact = await add_unsubscribed(self._client, payload["email"], payload.get("reason") or None,
                                             payload.get("update_source", "Account"))
            return "Added to the account as unsubscribed", contact
        if item.kind == OutboxKind.ADD_TO_LISTS:  # back to lists it was removed from; never for the unsubscribed
            from .add_back import add_to_lists

            contact = await add_to_lists(self._client, cid, payload["list_ids"])
            return f"Added back to {await self._lists_named(payload['list_ids'])}", contact
        raise ValueError(f"unknown outbox action {item.kind!r}")

    async def _lists_named(self, list_ids: list[str]) -> str:
        """ "2 lists: Newsletter, VIP" for the journal (evidence says which lists, not only how many); an id the
        cache does not know is shown as it is."""
        known = await self._db.call(lambda s: {row.list_id: row.name for row in s.lists(include_deleted=True)})
        return f"{plural(list_ids, 'list')}: " + ", ".join(known.get(lid) or lid for lid in list_ids)

    async def _resubscribe(self, item: OutboxItem, cid: str) -> tuple[str, Contact | None]:
        """The one resubscribe email, never sent blindly twice: the contact is read first, and a request
        already pending (an earlier attempt whose answer was lost, or one sent from Constant Contact's web
        UI) ends the item with ALREADY_SENT instead of a failure a Retry could never fix. A 400 answer is
        checked the same way. The HTTP layer does not repeat the PUT; a later attempt of this item after a
        connection failure reads the contact again before sending."""
        message = "Resubscribe email sent; waiting for the contact to confirm"
        contact = await self._client.get_contact(cid, include=READ_BACK)
        if contact.awaiting_confirmation:
            message = ALREADY_SENT
        else:
            try:
                await self._client.request_resubscribe(cid, item.payload["list_ids"])
            except ValidationError as exc:
                contact = await self._client.get_contact(cid, include=READ_BACK)
                if not contact.awaiting_confirmation:
                    raise ValidationError(f"{exc.message} Constant Contact sends one resubscribe email per "
                                          "contact, ever; they can still rejoin through a sign-up form.",
                                          status=exc.status, error_key=exc.error_key) from None
                message = ALREADY_SENT
                log.info("resubscribe for %s was already pending", cid)
            except ApiError as exc:
                if not exc.retryable:
                    raise
                # The answer may have been lost after the service acted: look before anything is sent again.
                contact = await self._client.get_contact(cid, include=READ_BACK)
                if not contact.awaiting_confirmation:
                    raise exc from None
        at = self._clock()
        await self._db.call(lambda s: s.record_resubscribe_request(cid, at, item.payload["list_ids"],
                                                                       item.created_by))
        return message, await self._read_back(cid)

    async def _read_back(self, cid: str) -> Contact | None:
        """The contact as the service has it after an action that does not answer with it, so the window shows
        what is true now (say it unsubscribed itself meanwhile), not only what the action changed. Only to
        refresh the cache: the next sync would bring it too, so a failure here changes nothing."""
        try:
            return await self._client.get_contact(cid, include=READ_BACK)
        except ApiError as exc:
            log.info("could not re-read %s after the change: %s", cid, exc)
            return None

    async def _remove(self, item: OutboxItem, contact_ids: list[str], list_ids: list[str]) -> None:
        """One remove_list_memberships activity, waited for, and its effect applied to the cached copies."""
        self.progress.emit(item.id, 0)

        def progressed(a: Activity) -> None:
            self.beat = time.monotonic()  # a long activity is progress, not a stall
            self.progress.emit(item.id, a.percent_done)

        await self._client.remove_from_lists(contact_ids, list_ids, on_progress=progressed)
        drop = set(list_ids)
        fetched = self._clock()

        def patch_cache(s: DeskDatabase) -> None:
            # The activity's effect, applied to the cached copies; the next sync brings the server's own.
            changed = []
            for cid in contact_ids:
                row = s.get_contact(cid)
                if row is not None and row.raw is not None and "list_memberships" in row.raw:
                    raw = dict(row.raw)
                    raw["list_memberships"] = [lid for lid in raw["list_memberships"] if lid not in drop]
                    changed.append(raw)
            if changed:
                s.upsert_contacts(changed, fetched)

        await self._db.call(patch_cache)
        for cid in contact_ids:
            self.contact_changed.emit(cid)
