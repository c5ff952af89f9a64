"""Bulk work from a file in the window: read it, preview every address, send, and report.

One dialog walks through four pages: reading (with progress and Cancel), the preview (groups with their rows,
the reason and who asked for unsubscribes, the target lists for removals), sending (progress, time left at the
API's pace, Stop) and the report (each address with its outcome, savable as CSV). Sending is done by the
window's outbox worker; the dialog only queues and watches, so closing it early loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QSize, QStringListModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLayout,
    QListView,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from ccdesk.services import bulk
from ccdesk.services.actions import Queued
from ccdesk.services.add_unsubscribed import queue_add_unsubscribed
from ccdesk.services.address_file import AddressFileError, read_address_file, unread_dates_note
from ccdesk.services.bulk_send import SendProgress, SendSummary, cancel_rest, see_through
from ccdesk.services.desk import Desk
from ccdesk.services.fresh_cache import BULK_REQUESTS_PER_CONTACT
from ccdesk.services.validation import MAX_REASON_LENGTH, InvalidInput, validate_reason
from ccdesk.store.rows import LIST_REMOVALS, OutboxKind
from ccdesk.wording import line_numbers, plural

from .bulk_modes import TITLES, BulkMode
from .bulk_reason import IMPORT_REASON, AddUnknownBox, BulkReasonForm
from .dialogs.widgets import Notice, bold, checkable_list, checked_ids, heading, wrapped

__all__ = ["IMPORT_REASON", "TITLES", "BulkFileDialog", "BulkMode"]


SHOWN_ROWS_MAX = 100_000


def duration_text(seconds: float) -> str:
    minutes = round(seconds / 60)
    if seconds < 90:
        return "under 2 minutes" if seconds > 50 else "under a minute"
    if minutes < 90:
        return f"about {minutes} minutes"
    return f"about {minutes / 60:.1f} hours"


class BulkFileDialog(QDialog):
    """Window-modal; open() it, then call ``start()``. ``stage`` is "reading", "preview", "sending" or "report"."""

    stage_changed = Signal(str)

    def __init__(self, desk: Desk, mode: BulkMode, path: Path, lists: Sequence[tuple[str, str]],
                 parent: QWidget | None = None, *, on_queued: Callable[[list[int]], None] | None = None) -> None:
        super().__init__(parent)
        self.desk, self.mode, self.path = desk, mode, path
        self.lists = list(lists)
        self.on_queued = on_queued
        self.stage = "reading"
        self.matched: bulk.Matched | None = None
        self.preview: bulk.Preview | None = None
        self.queued: bulk.Queued | None = None
        self.summary: SendSummary | None = None
        self.report_lines: list[bulk.ReportLine] = []
        self.error: str | None = None
        self._watch_end = asyncio.Event()  # Stop pressed, or the dialog closed
        self._stop_requested = False
        self._closed = False
        self._task: asyncio.Future[None] | None = None
        self._stop_reading = threading.Event()  # set when the dialog closes: the worker thread stops reading
        self.setWindowTitle(TITLES[mode])
        self.pages = QStackedWidget()
        layout = QVBoxLayout(self)
        # Never smaller than what the pages need (an explicit minimum width would switch that off, and the
        # tabs, preset buttons and notes were squeezed).
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.addWidget(heading(f"{TITLES[mode]}: {path.name}"))
        layout.addWidget(self.pages, 1)
        self._build_reading()
        self._build_preview()
        self._build_sending()
        self._build_report()
        self.resize(max(self.sizeHint().width(), self.fontMetrics().averageCharWidth() * 100),
                    max(self.minimumSizeHint().height(), min(self.sizeHint().height(), self._room().height())))

    # ------------------------------------------------------------------------------------------------- pages

    def _buttons(self, *buttons: QPushButton) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addStretch(1)
        for b in buttons:
            b.setAutoDefault(False)
            row.addWidget(b)
        return row

    def _add_page(self, widgets: Sequence[QWidget], buttons: Sequence[QPushButton],
                  grow: QWidget | None = None) -> None:
        """A page of `widgets` above a row of `buttons` on the right; `grow` takes the spare height (else a
        stretch below the widgets does)."""
        page = QWidget()
        v = QVBoxLayout(page)
        for w in widgets:
            v.addWidget(w, 1 if w is grow else 0)
        if grow is None:
            v.addStretch(1)
        v.addLayout(self._buttons(*buttons))
        self.pages.addWidget(page)

    def _build_reading(self) -> None:
        self.reading_label = wrapped(f"Reading {self.path.name}…")
        self.reading_bar = QProgressBar()
        self.reading_bar.setRange(0, 0)
        self.reading_bar.setAccessibleName("Reading progress")
        self.reading_cancel = QPushButton("Cancel")
        self.reading_cancel.clicked.connect(self.reject)
        self.reading_error = Notice("error", "")
        self.reading_error.hide()
        self._add_page([self.reading_label, self.reading_bar, self.reading_error], [self.reading_cancel])

    def _build_preview(self) -> None:
        page = QWidget()
        v = QVBoxLayout(page)
        self.file_label = wrapped(selectable=True)
        v.addWidget(self.file_label)
        if self.mode is BulkMode.REMOVE:
            v.addWidget(bold("Remove the contacts from these lists"))
            self.lists_widget = checkable_list([(lid, name, False) for lid, name in self.lists], "Lists")
            self.lists_widget.itemChanged.connect(self._reclassify)
            v.addWidget(self.lists_widget)
            v.addWidget(Notice("info", "This is not an opt-out: the contacts can still be mailed through their "
                                       "other lists and can be added back to these ones later."))
        self.summary_label = bold("")
        self.summary_label.setAccessibleDescription("Preview summary")
        v.addWidget(self.summary_label)
        self.groups = QTabWidget()
        self.groups.setAccessibleName("Addresses by group")
        # Every group's title whole: the tab bar asks for its full width and the dialog opens that wide.
        self.groups.tabBar().setElideMode(Qt.TextElideMode.ElideNone)
        self.groups.setUsesScrollButtons(False)
        self.group_models: dict[str, QStringListModel] = {}
        for key in ("to_change", "already", "deleted", "unknown", "invalid"):
            view = QListView()
            view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            view.setUniformItemSizes(True)  # fast with 100,000 rows
            model = QStringListModel(view)
            view.setModel(model)
            self.group_models[key] = model
            self.groups.addTab(view, key)
        v.addWidget(self.groups, 1)
        if self.mode is not BulkMode.REMOVE:
            self._build_reason(v)
            self.add_unknown = AddUnknownBox()  # clearly apart from the contacts found: it adds to the account
            self.add_unknown.check.toggled.connect(self._refresh)
            v.addWidget(self.add_unknown)
        self.estimate_label = wrapped()
        self.problem_label = wrapped()
        self.problem_label.setAccessibleDescription("What is missing")
        v.addWidget(self.estimate_label)
        v.addWidget(self.problem_label)
        self.send_button = QPushButton("Send")
        self.send_button.clicked.connect(self._send)
        self.preview_cancel = QPushButton("Cancel")
        self.preview_cancel.clicked.connect(self.reject)
        v.addLayout(self._buttons(self.send_button, self.preview_cancel))
        self.pages.addWidget(page)

    def _build_reason(self, v: QVBoxLayout) -> None:
        self.reason_form = form = BulkReasonForm(importing=self.mode is BulkMode.IMPORT)
        self.reason_edit, self.reason_counter = form.reason_edit, form.reason_counter
        self.contact_radio, self.account_radio, self.who_group = form.contact_radio, form.account_radio, form.who_group
        form.changed.connect(self._refresh)
        v.addWidget(form)

    def _build_sending(self) -> None:
        self.sending_label = wrapped()
        self.sending_label.setAccessibleDescription("Sending progress")
        self.sending_bar = QProgressBar()
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Changes not sent yet are cancelled; the ones already sent stay done.")
        self.stop_button.clicked.connect(self.stop)
        note = wrapped("You can keep working in the main window meanwhile. Closing this dialog does not stop the "
                       "sending: the changes stay queued and are listed in the Activity tab.")
        self._add_page([self.sending_label, self.sending_bar, note], [self.stop_button])

    def _build_report(self) -> None:
        self.report_label = bold("")
        self.report_label.setAccessibleDescription("Result")
        self.report_model = QStandardItemModel(0, 3, self)
        self.report_model.setHorizontalHeaderLabels(["Address", "Outcome", "Message"])
        self.report_view = QTableView()
        self.report_view.setModel(self.report_model)
        self.report_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Messages are shown whole (the table scrolls sideways if one is long), never cut at the dialog's edge.
        self.report_view.setWordWrap(False)
        self.report_view.horizontalHeader().setStretchLastSection(False)
        self.report_view.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.report_view.verticalHeader().setVisible(False)
        self.report_view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.report_view.setColumnWidth(0, self.fontMetrics().averageCharWidth() * 42)
        self.report_view.setColumnWidth(1, self.fontMetrics().horizontalAdvance("unsubscribed") + 24)
        self.save_button = QPushButton("&Save report…")
        self.save_button.clicked.connect(self._choose_report_file)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.accept)
        self._add_page([self.report_label, self.report_view], [self.save_button, self.close_button],
                       grow=self.report_view)

    def _show_stage(self, stage: str) -> None:
        self.stage = stage
        self.pages.setCurrentIndex(("reading", "preview", "sending", "report").index(stage))
        self.stage_changed.emit(stage)

    # ------------------------------------------------------------------------------------------------- flow

    def start(self) -> None:
        """Read and match the file (on the loop; file parsing on a worker thread)."""
        self._task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            file = await asyncio.to_thread(read_address_file, self.path, self._stop_reading)
            self.reading_label.setText(f"Matching {plural(file.total_lines, 'row')} with the account's contacts…")

            def progress(done: int, total: int) -> None:
                self.reading_bar.setRange(0, total)
                self.reading_bar.setValue(done)
                self.reading_label.setText(f"Looking up addresses not in the local copy yet: {done:,} of {total:,}")

            self.matched = await bulk.match(self.desk, file, progress)
        except AddressFileError as exc:
            self._read_failed(exc.message)
            return
        except Exception as exc:  # an API error during lookups, or a bug: say so, send nothing
            message = getattr(exc, "message", None) or f"ccdesk could not read the file ({type(exc).__name__})."
            self._read_failed(f"{message} Nothing was sent.")
            return
        encoding = {"utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16", "utf-16-le": "UTF-16",
                    "cp1252": "Windows-1252 / Latin-1", "utf-8": "UTF-8"}.get(file.encoding, file.encoding)
        own = sum(1 for r in file.rows if r.reason or r.received)
        extra = f" {plural(own, 'row')} bring their own reason or date." if self.mode is BulkMode.IMPORT and own else ""
        if file.unread_dates and self.mode is not BulkMode.REMOVE:
            extra += " " + unread_dates_note(file.unread_dates, "the date received given below")
        column = file.column if file.column.startswith("column ") else f"column \u201c{file.column}\u201d"
        self.file_label.setText(f"{plural(file.total_lines, 'row')} read from {self.path} ({encoding}, addresses from "
                                f"{column}).{extra}")
        self._reclassify()
        self._show_stage("preview")
        self._fit_width()

    def _fit_width(self) -> None:
        """Big enough for every group's tab title, the preset buttons and the texts, within the screen."""
        layout = self.layout()
        assert layout is not None  # set in __init__
        layout.activate()
        margins = layout.contentsMargins()
        width = max(self.groups.tabBar().sizeHint().width() + margins.left() + margins.right() + 24,
                    self.sizeHint().width(), self.width())
        room, height = self._room(), max(self.sizeHint().height(), self.height())
        self.resize(min(width, room.width()), max(self.minimumSizeHint().height(), min(height, room.height())))

    def _room(self) -> QSize:
        """The screen's free area less a title bar and frame: on a 1024x640 screen the Send button shows."""
        return self.screen().availableGeometry().size() - QSize(20, 60)

    def _read_failed(self, message: str) -> None:
        self.error = message
        self.reading_bar.hide()
        self.reading_label.hide()
        self.reading_error.setText(message)
        self.reading_error.show()
        self.reading_cancel.setText("Close")

    def target_lists(self) -> tuple[str, ...]:
        return checked_ids(self.lists_widget) if self.mode is BulkMode.REMOVE else ()

    def _reclassify(self, *_: object) -> None:
        if self.matched is None:
            return
        if self.mode is BulkMode.REMOVE:
            self.preview = bulk.classify_remove(self.matched, self.target_lists())
        else:
            self.preview = bulk.classify_unsubscribe(self.matched)
        p = self.preview
        change_word = "to remove" if self.mode is BulkMode.REMOVE else "to unsubscribe"
        already_word = "not on those lists" if self.mode is BulkMode.REMOVE else "already unsubscribed"
        groups = {
            "to_change": (f"{change_word.capitalize()} ({len(p.to_change):,})", [r.email for r, _ in p.to_change]),
            "already": (f"{already_word.capitalize()} ({len(p.already):,})", [r.email for r, _ in p.already]),
            "deleted": (f"Deleted ({len(p.deleted):,})", [r.email for r, _ in p.deleted]),
            "unknown": (f"Not in the account ({len(p.unknown):,})", [r.email for r in p.unknown]),
            "invalid": (f"Not valid ({len(p.invalid):,})", [f"line {n}: {text}" for n, text in p.invalid]),
        }
        for i, (key, (title, rows)) in enumerate(groups.items()):
            self.groups.setTabText(i, title)
            self.groups.setTabVisible(i, key != "deleted" or bool(rows))
            self.group_models[key].setStringList(rows[:SHOWN_ROWS_MAX])
        dup = f", {plural(p.duplicates, 'duplicate')} ignored" if p.duplicates else ""
        deleted = f"{len(p.deleted):,} deleted, " if p.deleted else ""
        shortened = p.reasons_shortened() if self.mode is not BulkMode.REMOVE else []
        cut = (f" {plural(shortened, 'reason')} from the file ({line_numbers(shortened, 5)}) will be shortened to "
               f"Constant Contact's {MAX_REASON_LENGTH} characters." if shortened else "")
        self.summary_label.setText(f"{len(p.to_change):,} {change_word}, {len(p.already):,} {already_word}, {deleted}"
                                   f"{len(p.unknown):,} not in the account, {len(p.invalid):,} not valid{dup}.{cut}")
        self._refresh()

    def _refresh(self, *_: object) -> None:
        if self.preview is None:
            return
        n = len(self.preview.to_change)
        problems: list[str] = []
        if self.mode is BulkMode.REMOVE:
            if not self.target_lists():
                problems.append("Choose at least one list.")
            verb = f"Remove {plural(n, 'contact')} from the lists"
            requests: float = 4 * -(-n // 500) if n > 1 else 2
        else:
            text = self.reason_edit.text()
            self.reason_counter.setText(f"{len(text.strip())}/{MAX_REASON_LENGTH}")
            try:
                validate_reason(text)
            except InvalidInput as exc:
                problems.append(exc.message)
            if self.who_group.checkedButton() is None:
                problems.append("Say who asked for this.")
            self.add_unknown.set_count(len(self.preview.unknown))
            added = len(self.preview.unknown) if self.add_unknown.wanted() else 0
            verb = f"Unsubscribe {plural(n, 'contact')}" + (f", add {added:,} as unsubscribed" if added else "")
            requests = BULK_REQUESTS_PER_CONTACT * n + 3 * added  # one PUT each + the batch reads
            n += added
        if n == 0:
            problems.insert(0, "Nothing to send: no address in the file needs this change.")
        self.send_button.setText(verb)
        self.send_button.setEnabled(not problems)
        self.problem_label.setText(" ".join(problems))
        rate = self.desk.client.rate_limiter.rate or 4.0
        self.estimate_label.setText(
            f"Sending takes {duration_text(requests / rate)} at Constant Contact's limit of "
            f"{rate:g} requests a second." if n else "")
        if self.stage == "preview":
            self._fit_width()  # a longer button text or a note just shown may need more room

    @asyncSlot()
    async def _send(self) -> None:
        if self.preview is None or not self.send_button.isEnabled():
            return
        self.send_button.setEnabled(False)
        try:
            if self.mode is BulkMode.REMOVE:
                queued = await bulk.queue_removals(self.desk, self.preview, self.target_lists())
                kinds = list(LIST_REMOVALS)
            else:
                asked_by: bulk.AskedBy = "Contact" if self.contact_radio.isChecked() else "Account"
                received = self.reason_form.received_on()
                queued = await bulk.queue_import(self.desk, self.preview, self.reason_edit.text(), asked_by,
                                                 received_on=received)
                if self.add_unknown.wanted():
                    added = await queue_add_unsubscribed(self.desk, self.preview.unknown, self.reason_edit.text(),
                                                         asked_by, received)
                    queued = Queued(queued.outbox_ids + added.outbox_ids, queued.skipped)
                kinds = [OutboxKind.UNSUBSCRIBE]
            self.queued = await bulk.with_earlier(self.desk, self.preview, queued, kinds)
        except InvalidInput as exc:
            self.problem_label.setText(exc.message)
            self.send_button.setEnabled(True)
            return
        if self.on_queued is not None:
            self.on_queued(self.queued.outbox_ids)
        self._show_stage("sending")
        self.summary = await see_through(self.desk, self.queued.outbox_ids, send=False, cancel=self._watch_end,
                                         on_progress=self._show_progress)
        if self._stop_requested:
            await cancel_rest(self.desk, self.summary.waiting)
        if not self._closed:
            await self._show_report()

    def stop(self) -> None:
        """Cancel the changes not sent yet (the one being sent, if any, finishes)."""
        self._stop_requested = True
        self.stop_button.setEnabled(False)
        self.sending_label.setText("Stopping…")
        self._watch_end.set()

    def _show_progress(self, p: SendProgress) -> None:
        self.sending_bar.setRange(0, max(1, p.total))
        self.sending_bar.setValue(p.finished)
        failed = f", {p.failed:,} failed" if p.failed else ""
        left = f"; {duration_text(p.seconds_left)} left" if p.finished < p.total else ""
        self.sending_label.setText(f"Sent {p.finished:,} of {p.total:,} changes{failed}{left}.")

    async def _show_report(self) -> None:
        assert self.preview is not None and self.queued is not None
        done_word = "removed" if self.mode is BulkMode.REMOVE else "unsubscribed"
        self.report_lines = await bulk.report(self.desk, self.preview, self.queued, done_word=done_word)
        self.report_model.setRowCount(0)
        for line in self.report_lines:
            items = [QStandardItem(line.address), QStandardItem(line.outcome), QStandardItem(line.message)]
            for item in items:
                item.setToolTip(f"Line {line.line}: {line.address} \u2014 {line.outcome}: {line.message}")
            self.report_model.appendRow(items)
        text = bulk.tally_text(self.report_lines)
        if self.summary is not None and self.summary.stopped_for == "cancelled":
            text += ". Stopped: changes not sent yet were cancelled"
        elif self.summary is not None and self.summary.stopped_for:
            text += f". Paused: {self.summary.message} The rest stays queued"
        self.report_label.setText(text + ".")
        self._show_stage("report")

    def _choose_report_file(self) -> None:
        name = f"{self.path.stem}-report.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Save the report", str(self.path.with_name(name)),
                                              "CSV files (*.csv)")
        if path:
            self._save_report(Path(path))

    @asyncSlot()
    async def _save_report(self, path: Path) -> None:
        await self.save_report(path)

    async def save_report(self, path: Path) -> None:
        """Write the report CSV on a worker thread (a long report is not written on the GUI thread)."""
        try:
            await asyncio.to_thread(bulk.save_report, path, list(self.report_lines))
        except OSError as exc:  # files.UnwritableTarget: its message says what and what to do
            self.report_label.setText(getattr(exc, "message", None) or f"Could not save the report to {path}: "
                                      f"{exc.strerror or exc}. Choose another folder.")
            return
        self.report_label.setText(f"Report saved to {path}.")

    def done(self, result: int) -> None:
        if self._task is not None and not self._task.done():
            self._stop_reading.set()
            self._task.cancel()  # reading or lookups: nothing was queued yet
        self._closed = True
        self._watch_end.set()  # stop watching; what is queued keeps being sent by the window
        with contextlib.suppress(RuntimeError):
            super().done(result)
