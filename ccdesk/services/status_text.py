"""What a contact's state means, in the words the details pane and the table show (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Tone(StrEnum):
    OK = "ok"            # may be mailed
    STOP = "stop"        # must not be mailed
    WAIT = "wait"        # not mailable for now, may change
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class Badge:
    label: str
    tone: Tone
    detail: str = ""


STATUS_LABELS = {
    "mailable": "Can be mailed",
    "unsubscribed": "Unsubscribed",
    "removed": "Removed from all lists",
    "deleted": "Deleted",
    "pending": "Not confirmed",
}


def _day(value: datetime | None) -> str:
    return value.astimezone().strftime("%d %b %Y") if value else "an unknown date"


def describe(status: str, *, permission: str | None = None, opt_out_date: datetime | None = None,
             opt_out_source: str | None = None, opt_out_reason: str | None = None,
             resubscribe_requested_at: datetime | None = None, deleted: bool = False,
             confirm_status: str | None = None) -> Badge:
    """The status badge for a contact, from the cached columns. A resubscribe email sent from here or from
    Constant Contact's web UI (`pending_confirmation`, or `confirm_status: pending`) is not mailable."""
    if status == "unsubscribed":
        when = _day(opt_out_date)
        if resubscribe_requested_at or permission == "pending_confirmation" or confirm_status == "pending":
            on = f" on {_day(resubscribe_requested_at)}" if resubscribe_requested_at else ""
            return Badge(f"Resubscribe requested{on}, waiting for the contact", Tone.WAIT,
                         "Do not mail: still opted out until they click the link in Constant Contact's email. "
                         "The confirmation email was already sent; only the contact can finish it.")
        if opt_out_source == "Contact":
            label = f"Unsubscribed on {when} by the contact"
            if opt_out_reason:
                label += f": {opt_out_reason}"
        elif opt_out_source == "Account":
            label = f"Unsubscribed by our team on {when}"
            if opt_out_reason:
                label += f": {opt_out_reason}"
        else:
            label = f"Unsubscribed on {when}"
        detail = "Do not mail. Only the contact can opt back in."
        if deleted:
            detail += " The contact was also deleted; the opt-out still stands."
        return Badge(label, Tone.STOP, detail)
    if status == "deleted":
        return Badge("Deleted", Tone.NEUTRAL, "Deleted from the account; not on any list.")
    if status == "removed":
        return Badge("Removed from all lists", Tone.WAIT,
                     "Still subscribed, but on no list, so no campaign reaches them. They can be added back.")
    if status == "pending":
        if permission in ("pending_confirmation", None):
            return Badge("Waiting for the contact to confirm", Tone.WAIT,
                         "Not mailable until they confirm their subscription.")
        return Badge("Not mailable", Tone.WAIT, f"Permission to send: {permission.replace('_', ' ')}.")
    return Badge("Can be mailed", Tone.OK)
