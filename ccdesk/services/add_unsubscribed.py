"""Suppress an address that is not in the account yet: add it as a contact that is already unsubscribed.

Constant Contact's own "import unsubscribed addresses" does this; its v3 API has no single call for it, and
POST /contacts refuses `permission_to_send: unsubscribed`. So one outbox item does two steps: create the
contact with `not_set` permission and no list (nothing can mail it), then opt it out with the usual PUT.
A retry after either step finishes the job: a 409 on the create means the address exists (made by the earlier
attempt, or added meanwhile), so it is looked up and opted out; an address already unsubscribed is left as is.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from ccdesk.api import CCClient, Conflict, Contact, ValidationError
from ccdesk.store.database import DeskDatabase
from ccdesk.store.rows import OutboxKind

from .actions import AskedBy, Queued
from .address_file import AddressRow
from .desk import Desk
from .validation import InvalidInput, validate_reason

log = logging.getLogger(__name__)



async def add_unsubscribed(client: CCClient, email: str, reason: str | None, source: AskedBy) -> Contact:
    """Create `email` as a contact on no list, then opt it out. Safe to repeat."""
    try:
        created = await client.create_contact({
            "email_address": {"address": email, "permission_to_send": "not_set"}, "create_source": "Account"})
        contact_id = created.contact_id
    except Conflict:
        existing = await client.find_contact_by_email(email)
        if existing is None:
            raise
        log.info("address already in the account (an earlier attempt, or added meanwhile); opting it out")
        contact_id = existing.contact_id
        if existing.is_deleted:
            raise ValidationError("This address belongs to a contact deleted in Constant Contact, which is not "
                                  "mailed. Unsubscribing it would bring it back, so it was left as it is.") from None
    return await client.unsubscribe(contact_id, reason, source)


async def queue_add_unsubscribed(desk: Desk, rows: Sequence[AddressRow], default_reason: str, asked_by: AskedBy,
                                 received_on: date | None = None) -> Queued:
    """One outbox item per address (each row's own reason and date when the file has them)."""
    default = validate_reason(default_reason)
    if not rows:
        return Queued([], [])

    def enqueue(s: DeskDatabase) -> Queued:
        ids, skipped = [], []
        waiting = {str(item.payload.get("email")) for item in s.pending(kind=OutboxKind.ADD_UNSUBSCRIBED)}
        with s.transaction():
            for row in rows:
                if row.email in waiting:
                    skipped.append(row.email)
                    continue
                try:
                    reason = validate_reason(row.reason) if row.reason else default
                except InvalidInput:
                    reason = default  # an unusable reason in the file: ours instead
                received = row.received.date() if row.received is not None else (received_on or date.today())
                ids.append(s.enqueue(OutboxKind.ADD_UNSUBSCRIBED, None, {
                    "email": row.email, "reason": reason, "update_source": asked_by,
                    "received_on": received.isoformat()}))
        return Queued(ids, skipped)

    queued = await desk.db.call(enqueue)
    if queued.outbox_ids:
        desk.worker.queue_changed.emit()
        desk.worker.wake()
    return queued
