"""The journal as people read it: one entry per action with its outcome, plus each failed attempt.

The audit table keeps every transition (queued, retry, sent, failed, ...) append-only. For the details'
history, the journal CSV and the evidence CSV those rows are folded by outbox item: the entry keeps who asked
(OS login, desk name, Constant Contact user), when, and the evidence typed into the dialog (reason, who asked
for it, date received), and ends with the action's latest outcome. Temporary failures stay visible as rows of
their own ("attempt failed").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from ccdesk.store.rows import AuditRow, Outcome
from ccdesk.wording import day

ASKED_BY_WORDS = {"Contact": "the contact", "Account": "our team"}
OUTCOME_WORDS: dict[str, str] = {Outcome.QUEUED: "waiting to send", Outcome.SENT: "sent", Outcome.FAILED: "failed",
                 Outcome.DISCARDED: "discarded", Outcome.REQUEUED: "waiting to send", Outcome.RETRY: "attempt failed"}
FINAL = {Outcome.SENT, Outcome.FAILED, Outcome.DISCARDED, Outcome.REQUEUED, Outcome.QUEUED}


@dataclass(frozen=True)
class JournalEntry:
    id: int                       # the audit id of the entry's first row (for paging)
    at: datetime                  # when it was asked for
    actor: str                    # OS login
    desk: str                     # the desk's display name (Settings), "" if none
    cc_user: str                  # the Constant Contact user signed in on that desk, "" if unknown
    action: str
    contact_id: str | None
    email: str | None
    reason: str
    asked_by: str                 # "Contact" / "Account" / ""
    received_on: str              # ISO date the request was received, "" if not given
    outcome: str                  # one of OUTCOME_WORDS' values, or the audit outcome for other rows
    outcome_at: datetime
    message: str

    @property
    def who(self) -> str:
        """"alice (Front desk, signed in as events@example.org)"."""
        extra = ", ".join(x for x in (self.desk, f"signed in as {self.cc_user}" if self.cc_user else "") if x)
        return f"{self.actor} ({extra})" if extra else self.actor

    @property
    def evidence(self) -> str:
        """"Reason: Asked by phone; asked by the contact; received 30 Nov 2026" (empty when nothing was given)."""
        parts = [f"Reason: {self.reason}"] if self.reason else []
        if self.asked_by:
            parts.append(f"asked by {ASKED_BY_WORDS.get(self.asked_by, self.asked_by)}")
        if self.received_on:
            try:
                parts.append(f"received {day(datetime.fromisoformat(self.received_on))}")
            except ValueError:
                parts.append(f"received {self.received_on}")
        return "; ".join(parts)


def _entry(row: AuditRow) -> JournalEntry:
    payload = row.details.get("payload") or {}
    who = row.details.get("who") or {}
    return JournalEntry(
        id=row.id, at=row.at, actor=row.actor, desk=str(who.get("desk") or ""), cc_user=str(who.get("cc_user") or ""),
        action=row.action, contact_id=row.contact_id, email=row.email, reason=str(payload.get("reason") or ""),
        asked_by=str(payload.get("update_source") or ""), received_on=str(payload.get("received_on") or ""),
        outcome=OUTCOME_WORDS.get(row.outcome, row.outcome), outcome_at=row.at, message=row.message or "")


def fold(rows: Iterable[AuditRow]) -> list[JournalEntry]:
    """Audit rows (any order) folded into journal entries, newest first."""
    by_item: dict[int, JournalEntry] = {}
    loose: list[JournalEntry] = []
    for row in sorted(rows, key=lambda r: r.id):
        item = row.details.get("outbox_id")
        if not isinstance(item, int):
            loose.append(_entry(row))
            continue
        first = by_item.get(item)
        if first is None:  # the queued row (or, when paging cut it off, the first row we have of it)
            by_item[item] = _entry(row)
        elif row.outcome == Outcome.RETRY:
            loose.append(replace(_entry(row), reason=first.reason, asked_by=first.asked_by,
                                 received_on=first.received_on, desk=first.desk, cc_user=first.cc_user))
        elif row.outcome in FINAL:
            by_item[item] = replace(first, outcome=OUTCOME_WORDS.get(row.outcome, row.outcome), outcome_at=row.at,
                                    message=row.message or first.message)
    return sorted([*by_item.values(), *loose], key=lambda e: (e.at, e.id), reverse=True)


def iter_all(pages: Iterator[list[AuditRow]]) -> list[JournalEntry]:
    """Every entry from pages of audit rows (newest page first), folded at once so no action is split."""
    return fold(row for page in pages for row in page)
