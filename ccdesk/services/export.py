"""CSV exports of opt-outs: the Do Not Mail list, any view, "only new since last time", and evidence files.

Files are written the way spreadsheets and other systems expect: UTF-8 with a BOM (so Excel detects the
encoding), RFC 4180 quoting with CRLF line ends, ISO 8601 dates in whole seconds with their UTC offset
(``2026-05-01T09:30:00+00:00``).

Two variants. *Exact* (the command line's default: files for another system, such as a suppression feed)
writes every value as it is. *Spreadsheet-safe* (the window's exports, ``--spreadsheet-safe``) prefixes a cell
that starts with = + - @ TAB or CR with an apostrophe so no spreadsheet runs it as a formula (OWASP CSV
injection guidance), except an email address: ``+alice@example.com`` is a valid address, and a system
matching on ``'+alice@example.com`` would not suppress it. :attr:`ExportResult.marked` says how many cells
were marked. Rows stream from SQLite to disk (never the whole list in memory) through ccdesk/files.py: a
full disk, a cancel or a second writer never leaves half a file under the chosen name.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ccdesk.store.database import DeskDatabase
from ccdesk.store.journal import JournalEntry
from ccdesk.store.rows import ContactRow
from ccdesk.wording import plural

from .csv_writer import iso_seconds, neutralise, write_csv
from .database_thread import DatabaseThread
from .validation import InvalidInput

COLUMNS = ("email", "first_name", "last_name", "company", "opt_out_date", "opt_out_source", "opt_out_reason",
           "lists", "status")


def contact_cells(row: ContactRow, list_names: dict[str, str], *, spreadsheet_safe: bool = True) -> list[str]:
    lists = "; ".join(sorted(list_names.get(lid, lid) for lid in row.list_ids))
    source = {"Contact": "Contact", "Account": "Account"}.get(row.opt_out_source or "", row.opt_out_source or "")
    values = [row.first_name or "", row.last_name or "", row.company or "",
              iso_seconds(row.opt_out_date), source, row.opt_out_reason or "", lists, str(row.status)]
    return [row.email or "", *(neutralise(v) for v in values)] if spreadsheet_safe else [row.email or "", *values]


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    newest_opt_out: datetime | None
    marked: int = 0  # cells prefixed with an apostrophe (spreadsheet-safe variant; never an address)
    saved_ns: int = 0  # when the file was put in place (time.time_ns())
    kept: bool = False  # "only new" found none: the file of the last export was left as it was
    carried: int = 0  # "only new": rows of the last export's file, still there uncollected, written again
    first: bool = False  # "only new" to a file never exported to before: every opt-out

    def carried_note(self) -> str:
        """Why a feed's file holds rows it had before, in words ("" when it does not)."""
        if not self.carried:
            return ""
        return (f"The last export's file was still there, not yet collected by the receiving system, so this one "
                f"holds its {plural(self.carried, 'opt-out')} again with {plural(self.rows - self.carried, 'new one')}"
                "; nothing it had is lost.")

    def marked_note(self) -> str:
        """What the spreadsheet-safe variant changed, in words ("" when it changed nothing)."""
        if not self.marked:
            return ""
        return (f"{plural(self.marked, 'cell')} starting with = + - or @ got a leading apostrophe so a spreadsheet "
                "does not run them; the email column is never changed.")


def export_key(path: Path) -> str:
    """The state key that remembers "exported up to" for one export target."""
    return f"export.{_digest(path)}.newest_opt_out"


def file_key(path: Path) -> str:
    """The state key that remembers the feed file as the last export wrote it (see _as_written)."""
    return f"export.{_digest(path)}.file"


def _digest(path: Path) -> str:
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]


def _as_written(path: Path, start: datetime | None, *, full: bool) -> str | None:
    """The file just written, as JSON: a full list or a feed, the opt-out date its rows start after (null: the
    whole list) and its size, modification time and inode, which change when another system moves, deletes or
    rewrites it."""
    try:
        st = path.stat()
    except OSError:
        return None
    return json.dumps({"full": full, "after": start.isoformat() if start else None, "size": st.st_size,
                       "mtime_ns": st.st_mtime_ns, "inode": st.st_ino})


def _remembered(written: str | None) -> dict[str, Any]:
    """The last export's file as `_as_written` recorded it ({} when nothing, or nothing readable, was)."""
    try:
        was = json.loads(written) if written else None
    except ValueError:
        return {}
    return was if isinstance(was, dict) else {}


def _holds_full_list(path: Path, was: dict[str, Any]) -> bool:
    """The last export to `path` was the whole Do Not Mail list, and a file is still there."""
    return was.get("full") is True and path.exists()


class FeedWouldReplaceFullList(InvalidInput):
    """A feed ("only new") asked for a file that holds a full Do Not Mail list: it would replace the list."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path.name} holds the full Do Not Mail list (ccdesk's last export to it). The new "
                         "opt-outs are written to a file of their own, so that list is not replaced by the few new "
                         "ones: choose another name, for example do-not-mail-new-opt-outs.csv. Nothing was written.")


def _uncollected_since(path: Path, was: dict[str, Any]) -> tuple[datetime | None] | None:
    """(where the rows of the file still there start,) when the last export's file is there as it was
    written; None when it was collected (gone, moved, rewritten) or nothing was remembered."""
    try:
        st = path.stat()
    except OSError:
        return None
    if not was or (was.get("size"), was.get("mtime_ns"), was.get("inode")) != (st.st_size, st.st_mtime_ns,
                                                                                 st.st_ino):
        return None
    after = was.get("after")
    try:
        return (datetime.fromisoformat(after) if isinstance(after, str) else None,)
    except ValueError:
        return None


class OptOutExporter:
    """Runs exports on a worker thread with its own read connection, so syncs and sends carry on meanwhile."""

    def __init__(self, db: DatabaseThread) -> None:
        self._db = db

    async def export_do_not_mail(self, path: Path, *, only_new: bool = False,
                                 on_progress: Callable[[int], None] | None = None,
                                 cancel: threading.Event | None = None, spreadsheet_safe: bool = True) -> ExportResult:
        """Every unsubscribed contact (deleted ones included); with `only_new`, only those that opted out
        after the newest opt-out this target received last time (remembered per file).

        A feed's file is collected by another system (moved, deleted or replaced). While the file of the last
        export is still there as it was written, it was not collected: replacing it with the new rows only would
        lose its rows for that system, so the new file holds them too (:attr:`ExportResult.carried`). When there
        is nothing new the file is left as it is."""
        key = export_key(path)
        since_text, written = await self._db.call(lambda s: (s.get_state(key), s.get_state(file_key(path))))
        last_file = _remembered(written)
        if only_new and _holds_full_list(path, last_file):
            raise FeedWouldReplaceFullList(path)
        since = datetime.fromisoformat(since_text) if since_text and only_new else None
        if since is None:
            result = await self._write_and_remember(path, None, [], on_progress, cancel, spreadsheet_safe, only_new)
            return dataclasses.replace(result, first=only_new)

        fresh = await self._db.call(lambda s: [r for r in s.optouts(since=since)
                                               if r.opt_out_date and r.opt_out_date > since])
        if not fresh and path.exists():
            return ExportResult(path, 0, None, kept=True)
        left = _uncollected_since(path, last_file)
        if left is None:
            return await self._write_and_remember(path, since, fresh, on_progress, cancel, spreadsheet_safe, only_new)
        start = left[0]
        again = await self._db.call(lambda s: list(s.iter_do_not_mail()) if start is None else
                                    [r for r in s.optouts(since=start) if r.opt_out_date and r.opt_out_date > start])
        have = {r.contact_id for r in again}
        rows = again + [r for r in fresh if r.contact_id not in have]  # one a sync added since `fresh` was read
        fresh_ids = {r.contact_id for r in fresh}
        carried = sum(r.contact_id not in fresh_ids for r in rows)
        return await self._write_and_remember(path, start, rows, on_progress, cancel, spreadsheet_safe, only_new,
                                      carried=carried, mark=since)

    async def _write_and_remember(self, path: Path, start: datetime | None, rows: list[ContactRow],
                          on_progress: Callable[[int], None] | None, cancel: threading.Event | None,
                          spreadsheet_safe: bool, only_new: bool, *, carried: int = 0,
                          mark: datetime | None = None) -> ExportResult:
        """Write `rows` (the whole list when `start` is None), move the mark past them and remember the file as
        written (a full list or a feed, which rows it starts after, its size and time) to tell later whether it
        was collected, or is a full list a feed must not replace."""
        def source(s: DeskDatabase) -> Iterable[ContactRow]:
            return s.iter_do_not_mail() if start is None else rows

        result = await self._run(path, source, on_progress, cancel, spreadsheet_safe)
        newest = result.newest_opt_out
        moved = newest is not None and (mark is None or newest > mark)
        written = _as_written(path, start, full=not only_new)

        def remember(s: DeskDatabase) -> None:
            with s.transaction():
                if moved and newest is not None:
                    s.set_state(export_key(path), newest.isoformat())
                if written is not None:
                    s.set_state(file_key(path), written)

        await self._db.call(remember)
        return dataclasses.replace(result, carried=carried)

    async def export_rows(self, path: Path, rows: Callable[[DeskDatabase], Iterable[ContactRow]], *,
                          on_progress: Callable[[int], None] | None = None,
                          cancel: threading.Event | None = None, spreadsheet_safe: bool = True) -> ExportResult:
        """Any view: `rows` is called with a DeskDatabase on the export thread."""
        return await self._run(path, rows, on_progress, cancel, spreadsheet_safe)

    async def _run(self, path: Path, rows: Callable[[DeskDatabase], Iterable[ContactRow]],
                   on_progress: Callable[[int], None] | None, cancel: threading.Event | None,
                   spreadsheet_safe: bool) -> ExportResult:
        loop = asyncio.get_running_loop()

        def progress(n: int) -> None:
            if on_progress:
                loop.call_soon_threadsafe(on_progress, n)

        def work() -> ExportResult:
            with DeskDatabase(self._db.path, recover=False) as reader:
                names = {lst.list_id: lst.name for lst in reader.lists(include_deleted=True)}
                newest: list[datetime] = []
                marked = [0]

                source = iter(rows(reader))

                def cells() -> Iterator[list[str]]:
                    for row in source:
                        if row.opt_out_date and (not newest or row.opt_out_date > newest[0]):
                            newest[:] = [row.opt_out_date]
                        out = contact_cells(row, names, spreadsheet_safe=False)
                        if spreadsheet_safe:
                            safe = [neutralise(cell) for cell in out[1:]]  # never the address (column 0)
                            marked[0] += sum(a is not b for a, b in zip(safe, out[1:], strict=True))
                            out[1:] = safe
                        yield out

                try:
                    written = write_csv(path, COLUMNS, cells(), on_progress=progress, cancel=cancel)
                finally:
                    # Finish the SQLite cursor here, on its own thread, before the connection closes.
                    close = getattr(source, "close", None)
                    if close is not None:
                        close()
                return ExportResult(path, written.rows, newest[0] if newest else None, marked[0], written.saved_ns)

        return await asyncio.to_thread(work)


def evidence_rows(contact: ContactRow, journal: Iterable[JournalEntry]) -> Iterator[list[str]]:
    """One contact's opt-out record and every journal entry about it (with the reason, who asked and the date
    the request was received, as typed in ccdesk), for a complaint or an audit."""
    yield ["record", "opt-out", iso_seconds(contact.opt_out_date), contact.opt_out_source or "",
           neutralise(contact.opt_out_reason or ""), "", "", str(contact.status), "", neutralise(contact.email or "")]
    for e in journal:
        yield ["journal", e.action, iso_seconds(e.at), neutralise(e.who), neutralise(e.reason), e.asked_by,
               e.received_on, e.outcome, neutralise(e.message), neutralise(e.email or "")]


EVIDENCE_COLUMNS = ("kind", "what", "when", "who_or_source", "reason", "asked_by", "received_on",
                    "outcome_or_status", "message", "email")


def export_evidence(path: Path, contact: ContactRow, journal: Iterable[JournalEntry]) -> int:
    return write_csv(path, EVIDENCE_COLUMNS, evidence_rows(contact, journal)).rows


JOURNAL_COLUMNS = ("asked_at", "os_login", "desk", "cc_user", "action", "contact_id", "email", "reason", "asked_by",
                   "received_on", "outcome", "outcome_at", "message")


def export_journal(path: Path, journal: Iterable[JournalEntry]) -> int:
    """One row per action with its outcome (plus failed attempts), in the order given (newest first from the
    store), whole-second ISO dates, text a spreadsheet would run as a formula marked. Returns the rows."""
    rows = ([iso_seconds(e.at), neutralise(e.actor), neutralise(e.desk), neutralise(e.cc_user), e.action,
             neutralise(e.contact_id or ""), neutralise(e.email or ""), neutralise(e.reason), e.asked_by,
             e.received_on, e.outcome,
             iso_seconds(e.outcome_at), neutralise(e.message)] for e in journal)
    return write_csv(path, JOURNAL_COLUMNS, rows).rows
