"""The emails the real service would send on its own, recorded so tests can see them (`GET /_sandbox/emails`).

Two kinds: the resubscribe confirmation (`PUT /contacts/resubscribe/{id}`) and the confirmation Constant
Contact sends when the account puts an unsubscribed contact on a list (the unsubscribe/resubscribe guide:
"the contact is sent a confirmation message ... this will likely cause a negative user experience").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .timefmt import iso_z

RESUBSCRIBE = "resubscribe_confirmation"
LIST_ADD = "list_add_confirmation"


@dataclass(frozen=True)
class SentEmail:
    contact_id: str
    address: str
    kind: str
    lists: list[str]
    sent_ms: int

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["time"] = iso_z(out.pop("sent_ms"))
        return out


class EmailLog:
    """Every email sent, in order. Callers hold the sandbox lock."""

    def __init__(self) -> None:
        self.sent: list[SentEmail] = []

    def record(self, contact_id: str, address: str, kind: str, lists: list[str], now_ms: int) -> None:
        self.sent.append(SentEmail(contact_id, address, kind, list(lists), now_ms))

    def as_json(self) -> list[dict[str, Any]]:
        return [e.as_json() for e in self.sent]

    def clear(self) -> None:
        self.sent.clear()
