"""What an action dialog is given (ContactChoice) and what it gives back (a frozen request dataclass)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

STATUS_LABELS: dict[str, str] = {
    "mailable": "can be mailed",
    "unsubscribed": "unsubscribed",
    "removed": "removed from all lists",
    "deleted": "deleted",
    "pending": "cannot be mailed yet (awaiting confirmation or no permission)",
}


@dataclass(frozen=True)
class ContactChoice:
    """What a dialog needs to know about one contact (taken from the local cache by the caller)."""

    contact_id: str
    email: str
    name: str
    lists: tuple[tuple[str, str], ...]
    """(list_id, list name) of the lists the contact is on."""
    status: str
    """"mailable", "unsubscribed", "removed", "deleted" or "pending" (ccdesk.store.rows.Status values)."""
    opt_out_source: str | None = None
    """Who made the opt-out on record ("Contact" or "Account"), for an unsubscribed contact."""

    @property
    def team_opt_out(self) -> bool:
        """Unsubscribed by our team: the contact's own request can still be recorded (and is then final)."""
        return self.status == "unsubscribed" and self.opt_out_source == "Account"

    @property
    def label(self) -> str:
        """``Name <email>``, or just the email when there is no name (the name direction-isolated, for display)."""
        name = " ".join(self.name.split())
        return f"\u2068{name}\u2069 <{self.email}>" if name else self.email

    @property
    def short_name(self) -> str:
        """The name, or the email when there is no name."""
        return " ".join(self.name.split()) or self.email


@dataclass(frozen=True)
class UnsubscribeRequest:
    contact_ids: tuple[str, ...]
    reason: str
    """Cleaned by ``validate_reason``: one line, 1-255 characters."""
    asked_by: Literal["Contact", "Account"]
    """The v3 ``update_source``: "Contact" only when the contact asked."""
    received_on: date
    """When the request reached us; the 10-business-day clock starts here."""


@dataclass(frozen=True)
class ResubscribeRequest:
    contact_id: str
    list_ids: tuple[str, ...]


@dataclass(frozen=True)
class RemoveFromListsRequest:
    contact_ids: tuple[str, ...]
    list_ids: tuple[str, ...]
    all_lists: bool = False
    """True when the user chose "Remove from all lists" (``list_ids`` then holds every list concerned)."""
