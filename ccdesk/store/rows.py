"""Row types returned by the store (plain frozen dataclasses, no SQLite objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Derived contact status (see ``derive.derive_status`` for the rules)."""

    MAILABLE = "mailable"
    UNSUBSCRIBED = "unsubscribed"
    REMOVED = "removed"
    DELETED = "deleted"
    PENDING = "pending"


class OutboxState(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FAILED = "failed"
    DISCARDED = "discarded"


class OutboxKind(StrEnum):
    """Known action kinds; the column is free text so services may add kinds without a migration."""

    UNSUBSCRIBE = "unsubscribe"
    RESUBSCRIBE_REQUEST = "resubscribe_request"
    REMOVE_FROM_LISTS = "remove_from_lists"
    # Many contacts off some lists at once: one remove_list_memberships activity per item (<= 500 ids).
    # Re-posting it after a lost answer is harmless: removing a membership twice has the same effect as once.
    BULK_REMOVE = "remove_from_lists_bulk"
    ADD_UNSUBSCRIBED = "add_unsubscribed"  # an address not in the account, added as unsubscribed
    ADD_TO_LISTS = "add_to_lists"  # back to lists it was removed from


# Both kinds that take contacts off lists (one contact, or a batch of up to 500).
LIST_REMOVALS = (OutboxKind.REMOVE_FROM_LISTS, OutboxKind.BULK_REMOVE)


class Outcome(StrEnum):
    """Audit outcomes written by the store itself; ``add_audit`` accepts any text."""

    QUEUED = "queued"
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    REQUEUED = "requeued"
    DISCARDED = "discarded"


@dataclass(frozen=True, slots=True)
class ContactRow:
    contact_id: str
    email: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    job_title: str | None
    status: Status
    permission_to_send: str | None
    opt_in_source: str | None
    opt_in_date: datetime | None
    opt_out_source: str | None
    opt_out_date: datetime | None
    opt_out_reason: str | None
    confirm_status: str | None
    created_at: datetime | None
    updated_at: datetime | None
    email_updated_at: datetime | None
    deleted_at: date | None
    fetched_at: datetime
    list_ids: tuple[str, ...]
    """Lists the contact belongs to, as last read (empty also when never read; see ``lists_known``)."""
    lists_known: bool
    """False when no page so far carried ``list_memberships`` for this contact."""
    resubscribe_requested_at: datetime | None
    raw: dict[str, Any] | None = field(default=None, compare=False)
    """The contact JSON exactly as last read; only filled by ``get_contact``/``get_contact_by_email``."""

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True, slots=True)
class ListRow:
    list_id: str
    name: str
    description: str | None
    favorite: bool
    created_at: datetime | None
    updated_at: datetime | None
    deleted_at: datetime | None
    membership_count: int | None
    """As reported by Constant Contact (only when it was requested)."""
    member_count: int
    """Contacts in the local cache that are on this list."""


@dataclass(frozen=True, slots=True)
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    """Rows skipped because the cache already holds a newer version of the contact."""
    new_optouts: list[str] = field(default_factory=list)
    """contact_ids whose unsubscribe is seen for the first time (or a newer opt-out than stored)."""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    kind: str
    contact_id: str | None
    payload: dict[str, Any]
    state: OutboxState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    contact_id: str | None
    email: str | None
    details: dict[str, Any]
    outcome: str
    message: str | None
