"""Which actions a contact allows just now, and the words that say why one does not (a greyed button or menu
entry always has a reason in its tooltip)."""

from __future__ import annotations

from ccdesk.store.rows import ContactRow

UNSUBSCRIBE_WAITING = ("An unsubscribe of this contact is waiting to send: they are not added back to lists "
                       "(see the Activity tab)")


def add_back_state(row: ContactRow, list_names: dict[str, str], unsubscribe_queued: bool) -> tuple[bool, str]:
    """Whether "Add back to lists" may be used, and the tooltip that says why (not) - the way back from
    "Remove from lists", only for a contact who may be mailed (never the unsubscribed, nor one being
    unsubscribed)."""
    if unsubscribe_queued:
        return False, UNSUBSCRIBE_WAITING
    if str(row.status) == "unsubscribed":
        return False, "This contact is unsubscribed: only they can opt back in"
    if str(row.status) not in ("mailable", "removed"):
        return False, "Only for a contact who may be mailed and was taken off lists"
    if not set(list_names) - set(row.list_ids):
        return False, "This contact is already on every list"
    return True, "Put the contact back on lists they were taken off"
