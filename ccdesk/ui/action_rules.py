"""Which actions a contact allows just now, and the words that say why one does not (a greyed button or menu
entry always has a reason in its tooltip)."""

from __future__ import annotations

from collections.abc import Callable, Collection

from ccdesk.store.rows import ContactRow
from ccdesk.wording import plural

UNSUBSCRIBE_WAITING = ("An unsubscribe of this contact is waiting to send: they are not added back to lists "
                       "(see the Activity tab)")
NOTHING_TO_ADD_BACK = ("Nothing to add back: this desk has not taken this contact off any list they are still off "
                       "(to put them on a new list, use Constant Contact)")


def add_back_lists(row: ContactRow, list_names: dict[str, str], removed_here: Collection[str]) -> list[str]:
    """The lists "Add back to lists" offers. A contact in the "removed" state (on no list: Constant Contact's
    reversible state) may go back on any list; a contact still on lists only on the ones this desk took them
    off - adding them to lists they were never on is not an undo."""
    if str(row.status) == "removed":
        return [lid for lid in list_names if lid not in row.list_ids]
    return [lid for lid in list_names if lid in removed_here and lid not in row.list_ids]


def add_back_state(row: ContactRow, list_names: dict[str, str], unsubscribe_queued: bool,
                   removed_here: Callable[[], Collection[str]] = frozenset) -> tuple[bool, str]:
    """Whether "Add back to lists" may be used, and the tooltip that says why (not) - the way back from
    "Remove from lists", only for a contact who may be mailed (never the unsubscribed, nor one being
    unsubscribed) and who was taken off lists: in the "removed" state, or off lists this desk removed them
    from. `removed_here` reads those lists; it is called only for a mailable contact (it reads the sent
    removals, which a desk with large bulk removals holds many of: not on every click)."""
    if unsubscribe_queued:
        return False, UNSUBSCRIBE_WAITING
    if str(row.status) == "unsubscribed":
        return False, "This contact is unsubscribed: only they can opt back in"
    if str(row.status) not in ("mailable", "removed"):
        return False, "Only for a contact who may be mailed and was taken off lists"
    offered = add_back_lists(row, list_names, () if str(row.status) == "removed" else removed_here())
    if str(row.status) == "removed":
        if not offered:
            return False, "There is no list in this account to add them back to"
        return True, "This contact is on no list: put them back on lists"
    if not offered:
        return False, NOTHING_TO_ADD_BACK
    names = sorted(list_names[lid] for lid in offered)
    shown = ", ".join(names[:3]) + (f" and {plural(len(names) - 3, 'other list')}" if len(names) > 3 else "")
    return True, f"Put the contact back on lists this desk took them off: {shown}"
