"""The things staff do to a contact, as durable outbox entries (nothing is sent from here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ccdesk.api.models import MAX_IDS_PER_ACTIVITY
from ccdesk.store.database import DeskDatabase
from ccdesk.store.rows import OutboxKind

from .database_thread import DatabaseThread
from .outbox import ALREADY_SENT, OutboxWorker
from .validation import InvalidInput, validate_reason

AskedBy = Literal["Contact", "Account"]


@dataclass(frozen=True)
class Queued:
    outbox_ids: list[int]
    skipped: list[str]  # contact ids left out, e.g. already unsubscribed


class ContactActions:
    """Validates a request, writes it to the outbox (with its audit row) and wakes the sender."""

    def __init__(self, db: DatabaseThread, worker: OutboxWorker | None = None) -> None:
        self._db = db
        self._worker = worker

    async def unsubscribe(self, contact_ids: Sequence[str], reason: str, asked_by: AskedBy,
                          received_on: date | None = None, *, bulk: bool = False) -> Queued:
        """`bulk`: sent by one PUT each, built from a cache read fresh per batch (fresh_cache.py); a contact
        on its own is read first (GET+PUT)."""
        clean = validate_reason(reason)
        if asked_by not in ("Contact", "Account"):
            raise InvalidInput("Say who asked for the unsubscribe: the contact or our team.")
        if not contact_ids:
            raise InvalidInput("No contact is selected.")
        payload: dict[str, str | bool] = {"reason": clean, "update_source": asked_by,
                                          "received_on": (received_on or date.today()).isoformat()}
        if bulk:
            payload["bulk"] = True

        def enqueue(s: DeskDatabase) -> Queued:
            ids, skipped = [], []
            with s.transaction():
                for cid in dict.fromkeys(contact_ids):
                    row = s.get_contact(cid)
                    already = row is not None and str(row.status) == "unsubscribed"
                    # The contact's own request on the team's opt-out is sent: the service may record it as
                    # the contact's (an Account opt-out can be undone by the account, a Contact one cannot).
                    if already and asked_by == "Contact" and row is not None and row.opt_out_source == "Account":
                        already = False
                    if already or s.pending(cid, OutboxKind.UNSUBSCRIBE):
                        skipped.append(cid)
                        continue
                    ids.append(s.enqueue(OutboxKind.UNSUBSCRIBE, cid, payload))
            return Queued(ids, skipped)

        return self._queued(await self._db.call(enqueue))

    async def request_resubscribe(self, contact_id: str, list_ids: Sequence[str]) -> Queued:
        if not list_ids:
            raise InvalidInput("Choose at least one list the contact will rejoin when they confirm.")

        def enqueue(s: DeskDatabase) -> Queued:
            with s.transaction():
                row = s.get_contact(contact_id)
                if row is None or str(row.status) != "unsubscribed":
                    raise InvalidInput("A resubscribe email can only be sent to an unsubscribed contact.")
                if row.confirm_status == "pending":  # sent from here or from Constant Contact's web UI
                    raise InvalidInput(ALREADY_SENT)
                if s.resubscribe_requested_at(contact_id) or s.pending(contact_id, OutboxKind.RESUBSCRIBE_REQUEST):
                    raise InvalidInput("A resubscribe email was already sent to this contact; Constant Contact "
                                       "allows only one. They can rejoin through a sign-up form.")
                return Queued([s.enqueue(OutboxKind.RESUBSCRIBE_REQUEST, contact_id,
                                         {"list_ids": list(list_ids)})], [])

        return self._queued(await self._db.call(enqueue))

    async def remove_from_lists(self, contact_ids: Sequence[str], list_ids: Sequence[str]) -> Queued:
        """remove_list_memberships activities (no read-modify-write PUT, so a list joined meanwhile stays):
        one outbox entry for one contact, else one per batch of at most 500."""
        if not contact_ids:
            raise InvalidInput("No contact is selected.")
        if not list_ids:
            raise InvalidInput("Choose at least one list.")
        wanted = set(list_ids)
        targets = sorted(wanted)

        def enqueue(s: DeskDatabase) -> Queued:
            ids, skipped, members = [], [], []
            with s.transaction():
                for cid in dict.fromkeys(contact_ids):
                    row = s.get_contact(cid)
                    if row is not None and row.lists_known and not wanted & set(row.list_ids):
                        skipped.append(cid)
                    else:
                        members.append(cid)
                if len(members) == 1:
                    ids.append(s.enqueue(OutboxKind.REMOVE_FROM_LISTS, members[0], {"list_ids": targets}))
                else:
                    for start in range(0, len(members), MAX_IDS_PER_ACTIVITY):
                        batch = members[start:start + MAX_IDS_PER_ACTIVITY]
                        ids.append(s.enqueue(OutboxKind.BULK_REMOVE, None, {"contact_ids": batch, "list_ids": targets}))
            return Queued(ids, skipped)

        return self._queued(await self._db.call(enqueue))

    async def retry_failed(self, item_id: int) -> None:
        """Send a failed change again (raises InvalidStateError if it is no longer failed)."""
        await self._db.call(lambda s: s.retry_failed(item_id))
        self._queued(Queued([item_id], []))

    async def discard_failed(self, item_id: int) -> None:
        """Give up on a failed change; it stays in the journal (raises InvalidStateError if no longer failed)."""
        await self._db.call(lambda s: s.discard_failed(item_id))

    async def send_waiting_now(self, item_id: int) -> None:
        """A change waiting out a pause after a temporary failure is tried now."""
        due = await self._db.call(lambda s: s.due_now([item_id]))
        if due or (self._worker is not None and self._worker.paused_why == "not_allowed"):
            self._queued(Queued([item_id], []))

    async def withdraw_waiting(self, item_id: int) -> bool:
        """Withdraw a change not sent yet (queued by mistake while Constant Contact was unreachable, say); it stays
        in the journal. False when it is being sent right now (it cannot be recalled halfway) or is gone."""
        withdrawn = await self._db.call(lambda s: s.cancel_pending([item_id]))
        if withdrawn and self._worker is not None:
            self._worker.queue_changed.emit()
        return bool(withdrawn)

    def _queued(self, queued: Queued) -> Queued:
        if self._worker is not None and queued.outbox_ids:
            if self._worker.paused_why == "not_allowed":  # asked to send again: perhaps the right was given
                self._worker.resume()
            self._worker.queue_changed.emit()
            self._worker.wake()
        return queued
