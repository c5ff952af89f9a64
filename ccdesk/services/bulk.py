"""Bulk work from a file: preview what would happen to every address, then queue it, then report.

Nothing is sent before the preview is confirmed. Unsubscribes go through the outbox (one durable entry per
contact, sent at the service's rate); removals from lists go through remove_list_memberships activities of
at most 500 contacts. Running the same file again sends nothing twice: contacts already unsubscribed (or no
longer on the list) are reported as such and skipped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ccdesk.store.database import DeskDatabase
from ccdesk.store.rows import ContactRow, OutboxState
from ccdesk.wording import moment

from .actions import AskedBy as AskedBy  # re-exported: the window and the CLI name them bulk.*
from .actions import Queued as Queued
from .address_file import AddressFile, AddressRow
from .cache_pull import COMPLETED_AT
from .csv_writer import neutralise, write_csv
from .desk import Desk
from .validation import MAX_REASON_LENGTH, clean_reason, validate_reason


@dataclass
class Preview:
    """Each address in exactly one group."""

    to_change: list[tuple[AddressRow, ContactRow]] = field(default_factory=list)
    already: list[tuple[AddressRow, ContactRow]] = field(default_factory=list)  # unsubscribed / not on the lists
    # Deleted from the account (and not unsubscribed): cannot be mailed, and an unsubscribe would restore them.
    deleted: list[tuple[AddressRow, ContactRow]] = field(default_factory=list)
    unknown: list[AddressRow] = field(default_factory=list)
    invalid: list[tuple[int, str]] = field(default_factory=list)
    duplicates: int = 0
    looked_up: int = 0
    repeats: list[tuple[int, str]] = field(default_factory=list)  # (line, address) rows repeating an address

    def reasons_shortened(self) -> list[int]:
        """Lines whose own reason (a file from another system) is longer than Constant Contact keeps: sent
        shortened (see `reason_from_file`)."""
        return [row.line for row, _ in self.to_change if row.reason and reason_from_file(row.reason, "")[1]]

    def counts(self) -> dict[str, int]:
        return {"rows": len(self.to_change) + len(self.already) + len(self.deleted) + len(self.unknown)
                + len(self.invalid) + self.duplicates, "to_change": len(self.to_change), "already": len(self.already),
                "deleted": len(self.deleted),
                "unknown": len(self.unknown), "invalid": len(self.invalid), "duplicates": self.duplicates}


@dataclass
class Matched:
    """The file's addresses, found (in the cache or by exact lookup on the server) or not."""

    file: AddressFile
    found: list[tuple[AddressRow, ContactRow]]
    unknown: list[AddressRow]
    looked_up: int = 0


async def match(desk: Desk, file: AddressFile, on_progress: Callable[[int, int], None] | None = None) -> Matched:
    """Find each address in the cache; if the cache is not complete yet, ask the server for the missing ones."""
    cache_complete = await desk.db.call(lambda s: s.get_state(COMPLETED_AT)) is not None
    found: list[tuple[AddressRow, ContactRow]] = []
    missing: list[AddressRow] = []
    emails = [r.email for r in file.rows]
    rows_by_email = await desk.db.call(lambda s: s.get_contacts_by_emails(emails))  # one query, not one each
    for row in file.rows:
        contact = rows_by_email.get(row.email)
        if contact is not None:
            found.append((row, contact))
        else:
            missing.append(row)
    looked_up = 0
    unknown: list[AddressRow] = []
    if cache_complete:
        unknown = missing
    else:
        for i, row in enumerate(missing):
            contact = await desk.lookup_email(row.email)
            looked_up += 1
            if contact is None:
                unknown.append(row)
            else:
                found.append((row, contact))
            if on_progress:
                on_progress(i + 1, len(missing))
    return Matched(file, found, unknown, looked_up)


def _preview(matched: Matched) -> Preview:
    return Preview(unknown=list(matched.unknown), invalid=list(matched.file.invalid),
                   duplicates=matched.file.duplicates, looked_up=matched.looked_up, repeats=list(matched.file.repeats))


def classify_unsubscribe(matched: Matched) -> Preview:
    preview = _preview(matched)
    for row, contact in matched.found:
        # A deleted contact cannot be mailed, and any PUT would restore it: nothing to do (see CCClient.unsubscribe).
        # It is called deleted, not "already unsubscribed", whatever its permission still says.
        status = str(contact.status)
        group = {"unsubscribed": preview.already, "deleted": preview.deleted}.get(status, preview.to_change)
        group.append((row, contact))
    return preview


def classify_remove(matched: Matched, list_ids: Sequence[str]) -> Preview:
    wanted = set(list_ids)
    preview = _preview(matched)
    for row, contact in matched.found:
        on_list = not contact.lists_known or bool(wanted & set(contact.list_ids))
        (preview.to_change if on_list else preview.already).append((row, contact))
    return preview


async def preview_unsubscribe(desk: Desk, file: AddressFile,
                              on_progress: Callable[[int, int], None] | None = None) -> Preview:
    return classify_unsubscribe(await match(desk, file, on_progress))


async def preview_remove(desk: Desk, file: AddressFile, list_ids: Sequence[str],
                         on_progress: Callable[[int, int], None] | None = None) -> Preview:
    return classify_remove(await match(desk, file, on_progress), list_ids)


async def queue_import(desk: Desk, preview: Preview, default_reason: str, asked_by: AskedBy, *,
                       received_on: date | None = None) -> Queued:
    """Unsubscribe what the preview found, each row with its own reason and date when the file has them
    (a Do Not Mail list from another system), else `default_reason` and `received_on` (default today).
    Only ever adds opt-outs."""
    default = validate_reason(default_reason)
    groups: dict[tuple[str, date | None], list[str]] = {}
    for row, contact in preview.to_change:
        reason = reason_from_file(row.reason, default)[0] if row.reason else default
        received = row.received.date() if row.received is not None else received_on
        groups.setdefault((reason, received), []).append(contact.contact_id)
    ids: list[int] = []
    skipped: list[str] = []
    for (reason, received), contact_ids in groups.items():
        queued = await desk.actions.unsubscribe(contact_ids, reason, asked_by, received_on=received, bulk=True)
        ids += queued.outbox_ids
        skipped += queued.skipped
    return Queued(ids, skipped)


def reason_from_file(text: str, default: str) -> tuple[str, bool]:
    """A row's own reason as it can be sent, and whether it had to be shortened. The requester's words are the
    evidence, so a reason over Constant Contact's 255 characters is cut (ending in "…") rather than replaced, and
    invisible control characters become spaces; `default` only for a reason that is empty once cleaned."""
    cleaned = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in clean_reason(text)).strip()
    if not cleaned:
        return default, False
    if len(cleaned) <= MAX_REASON_LENGTH:
        return cleaned, False
    return cleaned[:MAX_REASON_LENGTH - 1].rstrip() + "\u2026", True


async def queue_removals(desk: Desk, preview: Preview, list_ids: Sequence[str]) -> Queued:
    if not preview.to_change:
        return Queued([], [])
    return await desk.actions.remove_from_lists([c.contact_id for _, c in preview.to_change], list_ids)


async def with_earlier(desk: Desk, preview: Preview, queued: Queued, kinds: Sequence[str]) -> Queued:
    """`queued` plus the items still waiting in the outbox from an earlier run for the same contacts (an
    interrupted run, or one that left temporary failures queued), so this run sees them through and reports them."""
    contacts = {c.contact_id for _, c in preview.to_change}
    mine = set(queued.outbox_ids)

    def earlier(s: DeskDatabase) -> list[int]:
        found = []
        for item in s.pending():
            if item.id in mine or item.kind not in kinds:
                continue
            ids = {item.contact_id} if item.contact_id else set(item.payload.get("contact_ids") or [])
            if ids & contacts:
                found.append(item.id)
        return found

    return Queued(queued.outbox_ids + await desk.db.call(earlier), queued.skipped)


@dataclass(frozen=True)
class ReportLine:
    address: str
    outcome: str  # one of OUTCOME_ORDER
    message: str
    line: int = 0  # the row of the file; the report has one line per row, in the file's order


async def report(desk: Desk, preview: Preview, queued: Queued, *, done_word: str) -> list[ReportLine]:
    """One line per address, with the outbox's final word for the ones that were sent."""
    items = await desk.db.call(lambda s: [s.get_outbox_item(i) for i in queued.outbox_ids])
    by_contact: dict[str, tuple[str, str]] = {}
    by_email: dict[str, tuple[str, str]] = {}
    for item in items:
        if item is None:
            continue
        state = {OutboxState.DONE: done_word, OutboxState.FAILED: "failed",
                 OutboxState.DISCARDED: "cancelled"}.get(item.state, "waiting")
        message = {done_word: f"sent {moment(item.updated_at, utc=True)}",
                   "cancelled": "stopped before it was sent; nothing was changed",
                   "waiting": f"queued; will be sent when possible{': ' if item.last_error else ''}"
                              f"{item.last_error or ''}"}.get(state, item.last_error or "")
        if item.payload.get("email") and not item.contact_id:  # an address added as unsubscribed
            word = "added as unsubscribed" if state == done_word else state
            by_email[str(item.payload["email"])] = (word, message)
            continue
        for cid in item.payload.get("contact_ids") or [item.contact_id]:
            by_contact[str(cid)] = (state, message)
    lines = []
    for row, contact in preview.to_change:
        state, message = by_contact.get(contact.contact_id, ("already", "already queued earlier"))
        lines.append(ReportLine(row.email, state, message, row.line))
    unchanged = [ReportLine(line.address, *by_email[line.address], line.line)
                 if line.outcome == "unknown" and line.address in by_email else line
                 for line in _unchanged_lines(preview)]  # addresses added as unsubscribed say so
    return with_repeats(lines + unchanged, preview.repeats)


def with_repeats(lines: list[ReportLine], repeats: Sequence[tuple[int, str]]) -> list[ReportLine]:
    """One line per row of the file: a repeated address is a "duplicate" line that says what its first row got."""
    first = {line.address: line for line in lines}
    for number, address in repeats:
        earlier = first.get(address)
        if earlier is not None:
            said = f"{earlier.outcome}: {earlier.message}" if earlier.message else earlier.outcome
            lines.append(ReportLine(address, "duplicate", f"same address as line {earlier.line} ({said})", number))
    return sorted(lines, key=lambda line: line.line)


OUTCOME_ORDER = ("unsubscribed", "removed", "added as unsubscribed", "already", "deleted", "waiting", "failed",
                 "cancelled", "unknown", "invalid", "duplicate")


def tally(lines: Sequence[ReportLine]) -> list[tuple[str, int]]:
    """(outcome, how many) in a fixed order: what was done first, what was not possible last."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.outcome] = counts.get(line.outcome, 0) + 1
    rank = {word: i for i, word in enumerate(OUTCOME_ORDER)}
    return sorted(counts.items(), key=lambda kv: rank.get(kv[0], len(rank)))


def tally_text(lines: Sequence[ReportLine]) -> str:
    return ", ".join(f"{n:,} {word}" for word, n in tally(lines))


def _unchanged_lines(preview: Preview) -> list[ReportLine]:
    lines = [ReportLine(r.email, "already", "nothing to do", r.line) for r, _ in preview.already]
    lines += [ReportLine(r.email, "deleted", "deleted from the account: cannot be mailed; nothing to do", r.line)
              for r, _ in preview.deleted]
    lines += [ReportLine(r.email, "unknown", "no contact with this address", r.line) for r in preview.unknown]
    lines += [ReportLine(text, "invalid", f"line {line}: not an email address", line) for line, text in preview.invalid]
    return lines


def preview_lines(preview: Preview, *, change_word: str) -> list[ReportLine]:
    """The report of a dry run: what would happen to each address (nothing was sent)."""
    lines = [ReportLine(r.email, change_word, "dry run: not sent", r.line) for r, _ in preview.to_change]
    return with_repeats(lines + _unchanged_lines(preview), preview.repeats)


def save_report(path: Path, lines: Sequence[ReportLine]) -> None:
    """Written whole or not at all (csv_writer.py); raises files.UnwritableTarget with a plain message.
    Addresses are never altered; other text that a spreadsheet would run as a formula is marked."""
    write_csv(path, ("address", "outcome", "message"),
              ([neutralise(line.address), line.outcome, neutralise(line.message)] for line in lines))

