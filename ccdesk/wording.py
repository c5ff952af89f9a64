"""The words ccdesk says things in, for the window, the commands and the reports alike (no Qt): counts with
their plural, dates and times, what a contact's state means, and technical facts said for a person.

One place, so a count is never "1 changes" or "change(s)" in one spot and right in another, and a date reads
the same in the table, the details pane and the terminal.
"""

from __future__ import annotations

from collections.abc import Sized
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

# ---- counts ------------------------------------------------------------------------------------------------


def noun(n: int, one: str, many: str | None = None) -> str:
    """The noun that goes with `n`: ``contact`` for 1, ``contacts`` otherwise (``addresses`` when given)."""
    return one if n == 1 else (many or one + "s")


def plural(n: int | Sized, one: str, many: str | None = None) -> str:
    """``1 contact``, ``1,200 contacts``: a count (or anything with a length) with its noun."""
    count = n if isinstance(n, int) else len(n)
    return f"{count:,} {noun(count, one, many)}"


def line_numbers(lines: list[int], shown: int) -> str:
    """ "line 2", "lines 2, 4, 9", "lines 2, 4, ..." (at most `shown` of them)."""
    more = ", ..." if len(lines) > shown else ""
    return f"line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines[:shown]))}{more}"


def is_are(n: int | Sized) -> str:
    """The verb for a count: ``1 change is``, ``2 changes are``."""
    count = n if isinstance(n, int) else len(n)
    return "is" if count == 1 else "are"


def was_were(n: int | Sized) -> str:
    """The past verb for a count: ``1 line was``, ``2 lines were``."""
    return "was" if is_are(n) == "is" else "were"


# ---- dates and times (shown in the computer's time zone unless said otherwise) -----------------------------


def day(value: datetime | None, unknown: str = "an unknown date") -> str:
    """``01 May 2026``: a date in a sentence."""
    return value.astimezone().strftime("%d %b %Y") if value else unknown


def clock(value: datetime) -> str:
    """``09:30``: a time today, in a sentence."""
    return value.astimezone().strftime("%H:%M")


def moment(value: datetime | None, unknown: str = "", *, utc: bool = False, zone: bool = True) -> str:
    """``2026-05-01 09:30 CEST``: a date and time in a table, a list or the terminal (sorts as text).
    `utc=True` for a command's output, which a scheduled job reads on a server of unknown zone; `zone=False`
    for a narrow table column where every row is in the computer's zone."""
    if value is None:
        return unknown
    return (value.astimezone(UTC) if utc else value.astimezone()).strftime("%Y-%m-%d %H:%M %Z" if zone
                                                                           else "%Y-%m-%d %H:%M")


# ---- a contact's state -------------------------------------------------------------------------------------


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


def describe(status: str, *, permission: str | None = None, opt_out_date: datetime | None = None,
             opt_out_source: str | None = None, opt_out_reason: str | None = None,
             resubscribe_requested_at: datetime | None = None, deleted: bool = False,
             confirm_status: str | None = None) -> Badge:
    """The status badge for a contact, from the cached columns. A resubscribe email sent from here or from
    Constant Contact's web UI (`pending_confirmation`, or `confirm_status: pending`) is not mailable."""
    if status == "unsubscribed":
        when = day(opt_out_date)
        if resubscribe_requested_at or permission == "pending_confirmation" or confirm_status == "pending":
            on = f" on {day(resubscribe_requested_at)}" if resubscribe_requested_at else ""
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


# ---- technical facts, said for a person --------------------------------------------------------------------


def where_sign_in_is_kept(backend: str) -> str:
    """ "keyring.backends.SecretService.Keyring" or "memory (this session only)" said for a person."""
    if not backend or "memory" in backend or "fail" in backend.lower() or "null" in backend.lower():
        return "The sign-in is kept for this session only; you will sign in again next time."
    return "The sign-in is kept in this computer's password store."
