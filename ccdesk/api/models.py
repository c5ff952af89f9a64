"""Typed views over Constant Contact v3 JSON.

Each model wraps the JSON dict exactly as the server sent it (`raw`) and exposes typed properties. Keeping the
raw dict as the source of truth is what guarantees that fields we do not know about (or do not use yet) survive
a round trip: nothing is ever rebuilt from a partial picture of the record.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

JSON = dict[str, Any]

UpdateSource = Literal["Contact", "Account"]
PERMISSIONS = ("explicit", "implicit", "not_set", "pending_confirmation", "temp_hold", "unsubscribed")
STATUS_FILTERS = ("all", "active", "deleted", "not_set", "pending_confirmation", "temp_hold", "unsubscribed")
INCLUDES = ("custom_fields", "list_memberships", "phone_numbers", "street_addresses", "taggings", "notes")
MAX_REASON_LENGTH = 255
MAX_IDS_PER_ACTIVITY = 500

# Read-only fields of a ContactResource that a PUT must not echo back.
READ_ONLY = ("contact_id", "created_at", "updated_at", "deleted_at", "create_source", "update_source")
# Sub-resources whose read shape equals their write shape: sent back exactly as read.
SUBRESOURCES_SENT_AS_READ = ("list_memberships", "custom_fields", "taggings", "notes")
# Sub-resources whose write shape drops server-assigned ids (phone_number_id, street_address_id,
# sms_channel_id...). The service keeps sub-resources omitted from a PUT, so leaving these out is lossless,
# while converting them would not be.
SUBRESOURCES_KEPT_BY_OMISSION = ("phone_numbers", "street_addresses", "sms_channel")
EMAIL_READ_ONLY = ("created_at", "updated_at", "opt_in_source", "opt_in_date", "opt_out_source",
                   "opt_out_date", "confirm_status")


def parse_datetime(value: Any) -> datetime | None:
    """ISO-8601 with `Z` or an offset (both appear in the service's answers); None for anything else."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _items(value: Any, kind: type) -> list[Any]:
    """The entries of a JSON array that are of `kind`; a value that is not an array has none (a string would
    otherwise be read a character at a time)."""
    return [v for v in value if isinstance(v, kind)] if isinstance(value, list) else []


@dataclass(frozen=True)
class EmailAddress:
    raw: JSON

    @property
    def address(self) -> str:
        return str(self.raw.get("address") or "")

    @property
    def permission_to_send(self) -> str | None:
        return self.raw.get("permission_to_send")

    @property
    def opt_in_source(self) -> str | None:
        return self.raw.get("opt_in_source")

    @property
    def opt_in_date(self) -> datetime | None:
        return parse_datetime(self.raw.get("opt_in_date"))

    @property
    def opt_out_source(self) -> str | None:
        return self.raw.get("opt_out_source")

    @property
    def opt_out_date(self) -> datetime | None:
        return parse_datetime(self.raw.get("opt_out_date"))

    @property
    def opt_out_reason(self) -> str | None:
        return self.raw.get("opt_out_reason")

    @property
    def confirm_status(self) -> str | None:
        return self.raw.get("confirm_status")

    @property
    def updated_at(self) -> datetime | None:
        return parse_datetime(self.raw.get("updated_at"))


@dataclass(frozen=True)
class Contact:
    """A ContactResource. `raw` is the server's JSON, unknown fields included."""

    raw: JSON

    @property
    def contact_id(self) -> str:
        return str(self.raw["contact_id"])

    @property
    def email_address(self) -> EmailAddress | None:
        email = self.raw.get("email_address")
        return EmailAddress(email) if isinstance(email, dict) else None

    @property
    def email(self) -> str:
        return self.email_address.address if self.email_address else ""

    @property
    def permission_to_send(self) -> str | None:
        return self.email_address.permission_to_send if self.email_address else None

    @property
    def is_unsubscribed(self) -> bool:
        return self.permission_to_send == "unsubscribed"

    @property
    def awaiting_confirmation(self) -> bool:
        """A resubscribe email was sent and the contact has not confirmed yet, in either reading of the
        state (permission `pending_confirmation`, or still `unsubscribed` with `confirm_status: pending`)."""
        email = self.email_address
        return (email is not None and email.confirm_status == "pending"
                and email.permission_to_send in ("pending_confirmation", "unsubscribed"))

    @property
    def is_deleted(self) -> bool:
        return bool(self.raw.get("deleted_at"))

    @property
    def first_name(self) -> str | None:
        return self.raw.get("first_name")

    @property
    def last_name(self) -> str | None:
        return self.raw.get("last_name")

    @property
    def company_name(self) -> str | None:
        return self.raw.get("company_name")

    @property
    def list_memberships(self) -> list[str]:
        return _items(self.raw.get("list_memberships"), str)

    @property
    def custom_fields(self) -> list[JSON]:
        return _items(self.raw.get("custom_fields"), dict)

    @property
    def phone_numbers(self) -> list[JSON]:
        return _items(self.raw.get("phone_numbers"), dict)

    @property
    def street_addresses(self) -> list[JSON]:
        return _items(self.raw.get("street_addresses"), dict)

    @property
    def taggings(self) -> list[str]:
        return _items(self.raw.get("taggings"), str)

    @property
    def notes(self) -> list[JSON]:
        return _items(self.raw.get("notes"), dict)

    @property
    def sms_channel(self) -> JSON | None:
        return self.raw.get("sms_channel")

    @property
    def created_at(self) -> datetime | None:
        return parse_datetime(self.raw.get("created_at"))

    @property
    def updated_at(self) -> datetime | None:
        return parse_datetime(self.raw.get("updated_at"))

    def to_json(self) -> JSON:
        return copy.deepcopy(self.raw)


def build_put_body(contact: Contact, update_source: UpdateSource, *, email_changes: JSON | None = None,
                   list_memberships: list[str] | None = None, sub_resources: bool = True) -> JSON:
    """The body of a PUT that changes only what the caller names and keeps everything else as read.

    Core fields are always sent because the service nulls core fields a PUT omits. Sub-resources the contact
    was read without are simply omitted, which the service treats as "keep"; `sub_resources=False` omits them
    all (the unsubscribe: core fields, `email_address` and `update_source` only). Otherwise read with every
    `include` so the ones sent back are the whole current set.
    Unknown top-level fields are passed through: if the service grows a new writable core field, leaving it
    out would erase it.
    """
    raw = contact.raw
    body: JSON = {}
    skip = set(READ_ONLY) | set(SUBRESOURCES_KEPT_BY_OMISSION) | {"email_address", "_links"}
    if not sub_resources:
        skip |= set(SUBRESOURCES_SENT_AS_READ)
    for key, value in raw.items():
        if key in skip or value is None:
            continue
        body[key] = copy.deepcopy(value)
    email = raw.get("email_address")
    if isinstance(email, dict):
        put_email = {k: copy.deepcopy(v) for k, v in email.items()
                     if k not in EMAIL_READ_ONLY and v is not None}
        put_email.update(email_changes or {})  # a change may be an explicit null (opt_out_reason)
        body["email_address"] = put_email
    elif email_changes:
        raise ValueError("this contact has no email address to change")
    if list_memberships is not None:
        body["list_memberships"] = list(list_memberships)
    body["update_source"] = update_source
    return body


@dataclass(frozen=True)
class ContactPage:
    contacts: list[Contact]
    next_href: str | None
    contacts_count: int | None = None


@dataclass(frozen=True)
class ContactList:
    raw: JSON

    @property
    def list_id(self) -> str:
        return str(self.raw["list_id"])

    @property
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @property
    def description(self) -> str | None:
        return self.raw.get("description")

    @property
    def favorite(self) -> bool:
        return bool(self.raw.get("favorite"))

    @property
    def membership_count(self) -> int | None:
        return self.raw.get("membership_count")

    @property
    def is_deleted(self) -> bool:
        return bool(self.raw.get("deleted_at"))


ACTIVITY_DONE_STATES = ("completed", "cancelled", "failed", "timed_out")


@dataclass(frozen=True)
class Activity:
    raw: JSON

    @property
    def activity_id(self) -> str:
        return str(self.raw["activity_id"])

    @property
    def state(self) -> str:
        return str(self.raw.get("state") or "")

    @property
    def done(self) -> bool:
        return self.state in ACTIVITY_DONE_STATES

    @property
    def succeeded(self) -> bool:
        return self.state == "completed"

    @property
    def percent_done(self) -> int:
        """0-100; 0 when the answer says something else ("50%", null)."""
        value = self.raw.get("percent_done")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            return 0
        return int(value)

    @property
    def errors(self) -> list[str]:
        """The activity's error lines (a single string counts as one line, not as one per character)."""
        found = self.raw.get("activity_errors")
        if isinstance(found, str):
            return [found] if found else []
        return [str(e) for e in found if e not in (None, "")] if isinstance(found, list) else []

    @property
    def results_href(self) -> str | None:
        links = self.raw.get("_links")
        results = links.get("results") if isinstance(links, dict) else None
        href = results.get("href") if isinstance(results, dict) else None
        return href if isinstance(href, str) and href else None


@dataclass(frozen=True)
class ContactCounts:
    total: int = 0
    explicit: int = 0
    implicit: int = 0
    pending: int = 0
    unsubscribed: int = 0
    new_subscriber: int | None = None
    raw: JSON = field(default_factory=dict)
