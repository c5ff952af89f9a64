"""What staff do to the selected contacts: open the dialog, queue its request (one submit path), bulk work from
a file, and the exports.

A part of the window (see README, Architecture): it is given the selection (`set_selection`), reads through
`desk.reads`, and says what happened with signals (`queued`, `bulk_queued`, `changed`, `message`); it imports
no other part. Dialogs open with open(), never exec(): a nested event loop inside a coroutine would re-enter
the asyncio loop. The accepted request is then queued by an async slot.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QProgressDialog, QWidget
from qasync import asyncSlot

from ccdesk.files import UnwritableTarget
from ccdesk.services.actions import Queued
from ccdesk.services.add_back import queue_add_back
from ccdesk.services.csv_writer import ExportCancelled
from ccdesk.services.desk import Desk
from ccdesk.services.export import OptOutExporter
from ccdesk.services.validation import InvalidInput
from ccdesk.store.errors import StoreUnavailableError
from ccdesk.store.rows import ContactRow, OutboxKind
from ccdesk.wording import plural

from .action_rules import add_back_lists, add_back_state
from .bulk_modes import TITLES, BulkMode
from .dialogs import (
    ActionDialog,
    AddBackDialog,
    ContactChoice,
    RemoveFromListsDialog,
    ResubscribeDialog,
    UnsubscribeDialog,
)
from .export_choice import choose_export_path
from .messages import inform, warn

if TYPE_CHECKING:
    from .bulk_file_dialog import BulkFileDialog


class ActionsPart(QObject):
    queued = Signal(list, str)  # outbox ids and the "Queued …; sending…" message about them
    bulk_queued = Signal(list)  # outbox ids of a bulk run from a file: its report shows their failures
    changed = Signal()  # something was queued or a bulk dialog closed: re-read what is shown
    message = Signal(str, int)  # a status-bar message and how long it stays (ms, 0: until replaced)

    def __init__(self, desk: Desk, host: QWidget) -> None:
        super().__init__(host)
        self.desk, self.host = desk, host
        self._rows: list[ContactRow] = []

    def set_selection(self, rows: Sequence[ContactRow]) -> None:
        self._rows = list(rows)

    def selected_rows(self) -> list[ContactRow]:
        return list(self._rows)

    def choices(self, rows: Sequence[ContactRow]) -> list[ContactChoice]:
        names = self.desk.reads.list_names()
        return [ContactChoice(contact_id=r.contact_id, email=r.email or "", name=r.display_name,
                              lists=tuple((lid, names.get(lid, lid)) for lid in r.list_ids), status=str(r.status),
                              opt_out_source=r.opt_out_source)
                for r in rows]

    def _lists(self, only: Collection[str] | None = None) -> list[tuple[str, str]]:
        """(id, name) of the account's lists, or of those in `only`."""
        return [(lst.list_id, lst.name) for lst in self.desk.reads.lists() if only is None or lst.list_id in only]

    # --- one contact or a selection ------------------------------------------------------------------
    def unsubscribe_dialog(self, rows: Sequence[ContactRow]) -> UnsubscribeDialog:
        return UnsubscribeDialog(self.choices(rows), self.host)

    def unsubscribe_selected(self) -> QDialog | None:
        if not self._rows:
            return None
        return self._open(self.unsubscribe_dialog(self._rows), lambda r: self.desk.actions.unsubscribe(
            r.contact_ids, r.reason, r.asked_by, r.received_on), "unsubscribe")

    def resubscribe_selected(self) -> QDialog | None:
        if len(self._rows) != 1:
            return None
        row = self._rows[0]
        requested = row.resubscribe_requested_at.date() if row.resubscribe_requested_at else None
        dialog = ResubscribeDialog(self.choices([row])[0], self._lists(), requested, self.host)
        return self._open(dialog, lambda r: self.desk.actions.request_resubscribe(r.contact_id, r.list_ids),
                          "resubscribe request")

    def remove_selected(self) -> QDialog | None:
        if not self._rows:
            return None
        dialog = RemoveFromListsDialog(self.choices(self._rows), self._lists(), self.host)
        return self._open(dialog, lambda r: self.desk.actions.remove_from_lists(r.contact_ids, r.list_ids),
                          "removal from lists")

    def add_back_selected(self) -> QDialog | None:
        """Add back to lists (the details button and the Contact menu): the rules of the greyed button
        (action_rules.add_back_state); the Contact menu's way in says why in the status bar."""
        if len(self._rows) != 1:
            return None
        row = self._rows[0]
        names = self.desk.reads.list_names()
        removed_here = self.desk.reads.removed_here(row.contact_id)
        waiting = any(item.kind == OutboxKind.UNSUBSCRIBE for item in self.desk.reads.pending(row.contact_id))
        allowed, why = add_back_state(row, names, waiting, lambda: removed_here)
        if not allowed:
            self.message.emit(f"Not added back: {why}.", 10000)
            return None
        dialog = AddBackDialog(self.choices([row])[0], self._lists(only=set(add_back_lists(row, names, removed_here))),
                               self.host, ticked=removed_here)
        return self._open(dialog, lambda list_ids: queue_add_back(self.desk, row.contact_id, list_ids),
                          "add back", quiet=True)

    def _open(self, dialog: ActionDialog, queue: Callable[[Any], Awaitable[Queued]], what: str, *,
              quiet: bool = False) -> QDialog:
        """Show the dialog; when accepted, hand its request (read now: the dialog is deleted on close) on."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._submit(dialog.result_request(), queue, what, quiet))
        dialog.open()
        return dialog

    @asyncSlot()
    async def _submit(self, request: object, queue: Callable[[Any], Awaitable[Queued]], what: str,
                      quiet: bool) -> None:
        """The one submit path: queue the request, say what was queued (or why nothing was)."""
        if request is None:
            return
        try:
            queued = await queue(request)
        except InvalidInput as exc:
            if quiet:
                self.message.emit(f"Nothing was sent: {exc.message}", 10000)
            else:
                warn(self.host, "Nothing was sent", exc.message)
            return
        except StoreUnavailableError as exc:
            warn(self.host, "Nothing was queued", exc.message)
            return
        if quiet:
            self.message.emit("Adding back to the lists; sending to Constant Contact…" if queued.outbox_ids else
                              "Already waiting to be added back to lists.", 8000)
        else:
            self.queued.emit(queued.outbox_ids, queued_text(queued, what))
        self.changed.emit()

    # --- bulk work from a file -------------------------------------------------------------------------
    def open_bulk_file(self, mode: BulkMode, path: Path | None = None) -> BulkFileDialog | None:
        """Pick a file of addresses (unless given) and walk through preview, sending and report."""
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self.host, TITLES[mode], "",
                                                    "Address files (*.csv *.txt *.tsv);;All files (*)")
            if not chosen:
                return None
            path = Path(chosen)
        from .bulk_file_dialog import BulkFileDialog  # with the file reader and bulk services: not at start-up

        dialog = BulkFileDialog(self.desk, mode, path, self._lists(), self.host,
                                on_queued=lambda ids: self.bulk_queued.emit(list(ids)))
        dialog.finished.connect(lambda _result: self.changed.emit())
        dialog.open()
        dialog.start()
        return dialog

    # --- exports ---------------------------------------------------------------------------------------
    def export_do_not_mail(self, *, only_new: bool) -> None:
        path = choose_export_path(self.host, only_new=only_new)  # a feed never replaces a full list
        if path is not None:
            self._run_export(path, only_new)

    @asyncSlot()
    async def _run_export(self, path: Path, only_new: bool) -> None:
        cancel = threading.Event()
        progress = QProgressDialog("Writing opt-outs…", "Cancel", 0, 0, self.host)
        progress.setWindowTitle("Export")
        progress.setMinimumDuration(300)
        progress.canceled.connect(cancel.set)
        try:
            stale = await self._check_first(progress)
            if cancel.is_set():
                raise ExportCancelled()
            result = await OptOutExporter(self.desk.db).export_do_not_mail(
                path, only_new=only_new, cancel=cancel,
                on_progress=lambda n: progress.setLabelText(f"Writing opt-outs… {n:,} so far"))
        except ExportCancelled:
            self.message.emit("Export cancelled; no file was written.", 8000)
            return
        except (UnwritableTarget, InvalidInput) as exc:  # InvalidInput: a feed would replace a full list
            warn(self.host, "Export failed", str(exc))
            return
        finally:
            progress.close()
        note = " ".join(n for n in (result.marked_note(), stale) if n)
        inform(self.host, "Export finished", export_finished_text(result.rows, path.name, only_new, note,
                                                                  kept=result.kept, carried=result.carried,
                                                                  first=result.first))

    async def _check_first(self, progress: QProgressDialog) -> str:
        """Sync before an export, as the command does: an opt-out made since the last check belongs in the
        file. "" when it synced; else what the file is as of (a sync that cannot run must not stop the export)."""
        progress.setLabelText("Checking Constant Contact for new opt-outs first…")
        progress.canceled.connect(self.desk.sync.cancel)  # while it checks: Cancel stops the sync too
        try:
            await self.desk.sync.run()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # this export itself is being stopped (the window closes)
            return ""  # Cancel pressed (it cancelled the sync): the export's own cancel flag ends it
        except Exception as exc:  # offline, signed out, the file busy: export what is known, and say so
            why = getattr(exc, "message", "") or type(exc).__name__
            return (f"Constant Contact could not be checked first ({why.rstrip('.')}); the file holds what ccdesk "
                    "knew at its last check.")
        finally:
            progress.canceled.disconnect(self.desk.sync.cancel)
        progress.setLabelText("Writing opt-outs…")
        return ""

    def export_evidence(self) -> None:
        if len(self._rows) != 1:
            inform(self.host, "Evidence", "Select one contact first.")
            return
        row = self._rows[0]
        name = f"evidence-{(row.email or row.contact_id).replace('@', '_at_')}.csv"
        path, _ = QFileDialog.getSaveFileName(self.host, "Export evidence", name, "CSV files (*.csv)")
        if path:
            self._write_evidence(Path(path), row.contact_id)

    @asyncSlot()
    async def _write_evidence(self, path: Path, contact_id: str) -> None:
        try:
            n = await self.desk.reads.export_evidence(path, contact_id)
        except (UnwritableTarget, InvalidInput) as exc:  # InvalidInput: a feed would replace a full list
            warn(self.host, "Export failed", str(exc))
            return
        if n is not None:
            entries = plural(n - 1, "journal entry", "journal entries")
            self.message.emit(f"Saved the opt-out record and {entries} to {path}.", 10000)


def export_finished_text(rows: int, name: str, only_new: bool, note: str = "", *, kept: bool = False,
                         carried: int = 0, first: bool = False) -> str:
    """ "Saved 12 opt-outs to dnm.csv." - a feed says which ones (the first export to a file has them all, and
    one whose last file was not collected has that file's too)."""
    if kept:
        return f"No new opt-outs since the last export to {name}; the file was left as it was."
    text = f"Saved {plural(rows, 'opt-out')} to {name}."
    if only_new and first:
        text = (f"Saved {plural(rows, 'opt-out')} to {name}: every opt-out, as this is the first export to that "
                "file; the next ones hold only what is new.")
    elif only_new and carried:
        text = (f"Saved {plural(rows, 'opt-out')} to {name}: {plural(rows - carried, 'new one')} since the last "
                f"export, and the {carried:,} of the last export again: that file was still there, not yet "
                "collected by the receiving system, so nothing it had is lost.")
    elif only_new:
        text = f"Saved {plural(rows, 'new opt-out')} to {name}: the ones since the last export to that file."
    return f"{text} {note}".strip()


def queued_text(queued: Queued, what: str) -> str:
    n = len(queued.outbox_ids)
    text = f"Queued {plural(n, what)}; sending to Constant Contact…" if n else \
        f"Nothing to send: the selected contacts need no {what}."
    if queued.skipped:
        text += f" {len(queued.skipped)} skipped (already done or already queued)."
    return text
