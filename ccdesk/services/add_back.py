"""Add a contact back to lists it was removed from. Never for an unsubscribed contact: only they can opt in.

Removing from lists is reversible; this is the way back. The PUT carries `update_source: Account` (the
account manages its own lists) and the contact's other data unchanged. The contact is read first: one that is
unsubscribed (or deleted, which a PUT would restore) is refused, whatever the local copy said when queued.
"""

from __future__ import annotations

from collections.abc import Sequence

from ccdesk.api import CCClient, Contact, ValidationError, build_put_body
from ccdesk.store.database import DeskDatabase
from ccdesk.store.rows import OutboxKind

from .actions import Queued
from .desk import Desk
from .validation import InvalidInput

NOT_FOR_UNSUBSCRIBED = ("This contact is unsubscribed. Only the contact can opt back in (by signing up again or "
                        "through a resubscribe email); ccdesk does not add them to lists.")


async def add_to_lists(client: CCClient, contact_id: str, list_ids: Sequence[str]) -> Contact:
    contact = await client.get_contact(contact_id)
    if contact.is_unsubscribed:
        raise ValidationError(NOT_FOR_UNSUBSCRIBED)
    if contact.is_deleted:
        raise ValidationError("This contact was deleted in Constant Contact; adding it to lists would bring it "
                              "back, so nothing was changed.")
    wanted = [*contact.list_memberships, *(lid for lid in list_ids if lid not in contact.list_memberships)]
    if len(wanted) == len(contact.list_memberships):
        return contact
    return await client.put_contact(contact_id, build_put_body(contact, "Account", list_memberships=wanted))


async def queue_add_back(desk: Desk, contact_id: str, list_ids: Sequence[str]) -> Queued:
    if not list_ids:
        raise InvalidInput("Choose at least one list to add the contact back to.")

    def enqueue(s: DeskDatabase) -> Queued:
        with s.transaction():
            row = s.get_contact(contact_id)
            if row is None or str(row.status) in ("unsubscribed", "deleted"):
                raise InvalidInput(NOT_FOR_UNSUBSCRIBED if row is not None and str(row.status) == "unsubscribed"
                                   else "This contact cannot be added to lists (deleted or unknown).")
            if s.pending(contact_id, OutboxKind.ADD_TO_LISTS):
                return Queued([], [contact_id])
            return Queued([s.enqueue(OutboxKind.ADD_TO_LISTS, contact_id, {"list_ids": list(list_ids)})], [])

    queued = await desk.db.call(enqueue)
    if queued.outbox_ids:
        desk.worker.queue_changed.emit()
        desk.worker.wake()
    return queued
