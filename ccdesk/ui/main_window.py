"""The main window: search, filters, the contact table, the details pane, the Activity tab, the status bar."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from ccdesk import __version__
from ccdesk.api import ApiError
from ccdesk.files import UnwritableTarget
from ccdesk.services.csv_writer import ExportCancelled
from ccdesk.services.desk import Desk
from ccdesk.services.export import OptOutExporter, export_evidence
from ccdesk.services.outbox import ItemOutcome
from ccdesk.services.sync import SyncProgress, SyncResult
from ccdesk.services.validation import InvalidInput, is_valid_email
from ccdesk.store.database import DeskDatabase
from ccdesk.store.errors import StoreUnavailableError
from ccdesk.store.name_order import NameOrder
from ccdesk.store.rows import ContactRow
from ccdesk.wording import clock, is_are, noun, plural

from .activity_tab import ActivityTab
from .bulk_file_dialog import TITLES, BulkFileDialog, BulkMode
from .contact_table import ContactQuery, ContactTableModel
from .details_pane import DetailsPane
from .dialogs import (
    ContactChoice,
    RemoveFromListsDialog,
    RemoveFromListsRequest,
    ResubscribeDialog,
    ResubscribeRequest,
    UnsubscribeDialog,
    UnsubscribeRequest,
)
from .export_choice import choose_export_path
from .messages import inform, warn
from .notice_bar import NoticeBar
from .optouts_tab import install_optouts
from .status_bar import ActionMessages
from .window_ux import install_window_ux

log = logging.getLogger(__name__)

AnyActionDialog = UnsubscribeDialog | ResubscribeDialog | RemoveFromListsDialog

STAGE_WORDS = {"full pull": "Reading all contacts", "opt-outs": "Reading opt-outs", "changes": "Reading changes"}
STATUS_FILTERS = (("", "All statuses"), ("mailable", "Can be mailed"), ("unsubscribed", "Unsubscribed"),
                  ("removed", "Removed from all lists"), ("deleted", "Deleted"), ("pending", "Not confirmed"))


class MainWindow(QMainWindow):
    new_optouts = Signal(list)  # contact ids seen unsubscribed for the first time by a sync
    def __init__(self, desk: Desk, reader: DeskDatabase, *, account: str = "", demo: bool = False) -> None:
        super().__init__()
        self.desk = desk
        self.reader = reader
        self.demo = demo
        self.pull_finished = False
        self._last_progress_refresh = 0.0
        self._last_checked: str | None = None
        self._count_tasks: set[asyncio.Future[None]] = set()
        self.confirm_quit_with_pending = True
        self._lookup_done: set[str] = set()
        self._bulk_items: set[int] = set()  # outbox ids of bulk runs from a file: their report shows failures
        self._store_notice = ""  # the notice shown for a locked file / full disk, taken down when it is over
        self.setWindowTitle(f"ccdesk — {account}" if account else "ccdesk")
        self.resize(1200, 760)

        self.model = ContactTableModel(self._search_rows, self._count_rows, self)
        self._build()
        self._debounce = QTimer(self, singleShot=True, interval=150)
        self._debounce.timeout.connect(self.apply_query)
        self.search_edit.textChanged.connect(lambda _t: self._debounce.start())
        self.status_filter.currentIndexChanged.connect(lambda _i: self.apply_query())
        self.list_filter.currentIndexChanged.connect(lambda _i: self.apply_query())

        self._connect_sync()
        desk.worker.item_finished.connect(self._on_item_finished)
        desk.worker.queue_changed.connect(self._refresh_pending)
        desk.worker.sign_in_required.connect(self._on_sign_in_required)
        desk.worker.store_problem.connect(self._on_store_problem)
        desk.sender.problem.connect(lambda message: self.show_notice(
            f"{message} Nothing queued is lost; changes waiting are sent now."))
        self.reload_lists()
        self.apply_query()
        self._refresh_pending()
        # Ranks for ordering text matches by name: built once the window is up, not on the first keystroke.
        self._warm_search = QTimer(self, singleShot=True, interval=300)
        self._warm_search.timeout.connect(self._prepare_search)
        self._warm_search.start()

    # --- layout ------------------------------------------------------------------------------------------
    def _build(self) -> None:
        central = QWidget()
        outer = QVBoxLayout(central)
        bar = QHBoxLayout()
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search by name, company or email (Ctrl+F)")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName("Search contacts")
        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Filter by status")
        self.status_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.list_filter = QComboBox()
        self.list_filter.setAccessibleName("Filter by list")
        self.list_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.refresh_button = QPushButton("Sync now")
        self.refresh_button.setToolTip("Read new opt-outs and other changes from Constant Contact (F5)")
        self.refresh_button.clicked.connect(self.start_pull)
        bar.addWidget(self.search_edit, 3)
        bar.addWidget(self.status_filter, 1)
        bar.addWidget(self.list_filter, 1)
        bar.addWidget(self.refresh_button)
        outer.addLayout(bar)

        self.notice = NoticeBar()
        outer.addWidget(self.notice)

        self.tabs = QTabWidget()
        contacts_tab = self.contacts_split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Contacts")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((150, 210, 100, 150)):
            self.table.setColumnWidth(col, width)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.result_label = QLabel()
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.result_label)
        contacts_tab.addWidget(left)
        self.details = DetailsPane()
        self.details.unsubscribe_requested.connect(self.unsubscribe_selected)
        self.details.resubscribe_requested.connect(self.resubscribe_selected)
        self.details.remove_requested.connect(self.remove_selected)
        contacts_tab.addWidget(self.details)
        contacts_tab.setStretchFactor(0, 3)
        contacts_tab.setStretchFactor(1, 2)
        contacts_tab.setSizes([740, 440])
        self.tabs.addTab(contacts_tab, "Co&ntacts")  # Alt+C is the Contact menu
        self.activity = ActivityTab(self.reader, self.desk.db, on_changed=self._wake_sender)
        self.tabs.addTab(self.activity, "Ac&tivity")
        self.optouts = install_optouts(self)
        outer.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.progress = QProgressBar()
        self.progress.setMaximumWidth(420)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel_pull)
        self.pending_label = QLabel()
        self.last_sync_label = QLabel()
        self.quota_label = QLabel()
        self.statusBar().addPermanentWidget(self.quota_label)
        self.statusBar().addPermanentWidget(self.last_sync_label)
        self.statusBar().addPermanentWidget(self.pending_label)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_button)
        self.action_messages = ActionMessages(self.statusBar())

        find = QAction("Find", self, shortcut=QKeySequence.StandardKey.Find)
        find.triggered.connect(lambda: (self.search_edit.setFocus(), self.search_edit.selectAll()))
        self.addAction(find)
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction("Export &Do Not Mail list…", lambda: self.export_do_not_mail(only_new=False))
        file_menu.addAction("Export &new opt-outs since the last export…",
                            lambda: self.export_do_not_mail(only_new=True))
        file_menu.addAction("Export &evidence for this contact…", self.export_evidence)
        file_menu.addSeparator()
        file_menu.addAction("&Unsubscribe from file…", lambda: self.open_bulk_file(BulkMode.UNSUBSCRIBE))
        file_menu.addAction("&Remove from lists by file…", lambda: self.open_bulk_file(BulkMode.REMOVE))
        file_menu.addAction("&Import a Do Not Mail list…", lambda: self.open_bulk_file(BulkMode.IMPORT))
        file_menu.addSeparator()
        file_menu.addAction("&Quit", self.close, QKeySequence.StandardKey.Quit)
        menu = self.menuBar().addMenu("&Contact")
        for text, slot, keys in (("&Unsubscribe…", self.unsubscribe_selected, "Ctrl+U"),
                                 ("Request &resubscribe…", self.resubscribe_selected, "Ctrl+R"),
                                 ("Remove from &lists…", self.remove_selected, "Ctrl+L"),
                                 ("&Sync now", self.start_pull, "F5"),
                                 ("Re-read the &whole account", self.start_full_resync, None)):
            action = menu.addAction(text)
            action.triggered.connect(slot)
            if keys:
                action.setShortcut(QKeySequence(keys))
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("Show &log", self.show_log)
        help_menu.addAction("&About ccdesk", self.show_about)
        install_window_ux(self)

    # --- the store, read on the GUI thread (short queries on a WAL reader) ------------------------------
    def _search_rows(self, q: ContactQuery, offset: int, limit: int) -> list[ContactRow]:
        return self.reader.search(q.text, q.status, q.list_id, q.sort, q.descending, offset, limit)

    def _count_rows(self, q: ContactQuery, cap: int) -> int:
        return self.reader.count(q.text, q.status, q.list_id, cap=cap)

    def list_names(self) -> dict[str, str]:
        return {lst.list_id: lst.name for lst in self.reader.lists()}

    def reload_lists(self) -> None:
        current = self.list_filter.currentData()
        self.list_filter.blockSignals(True)
        self.list_filter.clear()
        self.list_filter.addItem("All lists", None)
        for lst in self.reader.lists():
            self.list_filter.addItem(lst.name, lst.list_id)
        index = self.list_filter.findData(current)
        self.list_filter.setCurrentIndex(max(0, index))
        self.list_filter.blockSignals(False)

    def current_query(self) -> ContactQuery:
        q = self.model.query
        return ContactQuery(self.search_edit.text().strip(), self.status_filter.currentData() or None,
                     self.list_filter.currentData() or None, q.sort, q.descending)

    def apply_query(self) -> None:
        self._debounce.stop()  # a search typed a moment ago is this one: no second reset (it would drop the selection)
        query = self.current_query()
        self.model.set_query(query)
        self._update_filter_counts(query)
        self._update_result_label()
        if self.model.total == 0 and is_valid_email(query.text) and query.text.lower() not in self._lookup_done:
            self._lookup_done.add(query.text.lower())
            self.lookup_on_server(query.text)
        self._on_selection()

    def _update_result_label(self) -> None:
        total = self.model.total
        more = "+" if self.model.capped else ""
        self.result_label.setText(f"{total:,}{more} {'contacts' if more else noun(total, 'contact')}")

    def _update_filter_counts(self, query: ContactQuery) -> None:
        """Counts per status and per list for the filter boxes. With search text they count every match, which
        can take a moment in a large account, so they are computed on the store thread and filled in when
        ready (if the query is still the same); without text they come from a small summary table."""
        if query.text:
            with contextlib.suppress(RuntimeError):  # no running loop (e.g. a synchronous test): count here
                asyncio.get_running_loop()
                self._count_tasks.add(task := asyncio.ensure_future(self._filter_counts_later(query)))
                task.add_done_callback(self._count_tasks.discard)
                return
        self._apply_filter_counts(self.reader.status_counts(query.text, query.list_id),
                                  self.reader.list_counts(query.text, query.status))

    async def _filter_counts_later(self, query: ContactQuery) -> None:
        counts = await self.desk.db.call(
            lambda s: (s.status_counts(query.text, query.list_id), s.list_counts(query.text, query.status)))
        if self.current_query() == query:
            self._apply_filter_counts(*counts)

    def _apply_filter_counts(self, counts: dict[str, int], per_list: dict[str, int]) -> None:
        current = self.status_filter.currentData()
        self.status_filter.blockSignals(True)
        self.status_filter.clear()
        for key, label in STATUS_FILTERS:
            n = sum(counts.values()) if not key else counts.get(key, 0)
            self.status_filter.addItem(f"{label} ({n:,})", key)
        self.status_filter.setCurrentIndex(max(0, self.status_filter.findData(current)))
        self.status_filter.blockSignals(False)
        for i in range(1, self.list_filter.count()):
            lid = self.list_filter.itemData(i)
            name = self.list_filter.itemText(i).rsplit(" (", 1)[0]
            self.list_filter.setItemText(i, f"{name} ({per_list.get(lid, 0):,})")

    # --- selection and details ----------------------------------------------------------------------------
    def selected_rows(self) -> list[ContactRow]:
        rows = []
        for index in self.table.selectionModel().selectedRows():
            row = self.model.row(index.row())
            if row is not None:
                rows.append(row)
        return rows

    def _on_selection(self, *_: QItemSelection) -> None:
        rows = self.selected_rows()
        if len(rows) != 1:
            self.details.show_contact(None)
            if rows:
                self.details.show_many(len(rows))
            return
        self.show_details(rows[0].contact_id)

    def show_details(self, contact_id: str) -> None:
        row = self.reader.get_contact(contact_id)
        if row is None:
            self.details.show_contact(None)
            return
        self.details.show_contact(row, list_names=self.list_names(), history=self.reader.journal(contact_id, limit=200),
                                  pending=self.reader.pending(contact_id))

    def select_contact(self, contact_id: str) -> None:
        index = self.model.row_of(contact_id)
        if index >= 0:
            self.table.selectRow(index)

    def _choices(self, rows: Sequence[ContactRow]) -> list[ContactChoice]:
        names = self.list_names()
        return [ContactChoice(contact_id=r.contact_id, email=r.email or "", name=r.display_name,
                              lists=tuple((lid, names.get(lid, lid)) for lid in r.list_ids), status=str(r.status),
                              opt_out_source=r.opt_out_source)
                for r in rows]

    # --- actions -------------------------------------------------------------------------------------------
    # Dialogs are opened window-modal with open(), never exec(): a nested event loop inside a coroutine would
    # re-enter the asyncio loop. The accepted request is then queued by an async slot.
    def unsubscribe_dialog(self, rows: Sequence[ContactRow]) -> UnsubscribeDialog:
        return UnsubscribeDialog(self._choices(rows), self)

    def unsubscribe_selected(self) -> QDialog | None:
        rows = self.selected_rows()
        if not rows:
            return None
        dialog = self.unsubscribe_dialog(rows)
        return self._open(dialog, self._submit_unsubscribe)

    def resubscribe_selected(self) -> QDialog | None:
        rows = self.selected_rows()
        if len(rows) != 1:
            return None
        row = rows[0]
        requested = row.resubscribe_requested_at.date() if row.resubscribe_requested_at else None
        lists = [(lst.list_id, lst.name) for lst in self.reader.lists()]
        dialog = ResubscribeDialog(self._choices([row])[0], lists, requested, self)
        return self._open(dialog, self._submit_resubscribe)

    def remove_selected(self) -> QDialog | None:
        rows = self.selected_rows()
        if not rows:
            return None
        lists = [(lst.list_id, lst.name) for lst in self.reader.lists()]
        dialog = RemoveFromListsDialog(self._choices(rows), lists, self)
        return self._open(dialog, self._submit_remove)

    def _open(self, dialog: AnyActionDialog, submit: Callable[[Any], object]) -> QDialog:
        """Show the dialog; when accepted, hand its request (read now: the dialog is deleted on close) on."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: submit(dialog.result_request()))
        dialog.open()
        return dialog

    @asyncSlot()
    async def _submit_unsubscribe(self, request: UnsubscribeRequest | None) -> None:
        if request is None:
            return
        await self._queue(self.desk.actions.unsubscribe(request.contact_ids, request.reason, request.asked_by,
                                                        request.received_on), "unsubscribe")

    @asyncSlot()
    async def _submit_resubscribe(self, request: ResubscribeRequest | None) -> None:
        if request is None:
            return
        await self._queue(self.desk.actions.request_resubscribe(request.contact_id, request.list_ids),
                          "resubscribe request")

    @asyncSlot()
    async def _submit_remove(self, request: RemoveFromListsRequest | None) -> None:
        if request is None:
            return
        await self._queue(self.desk.actions.remove_from_lists(request.contact_ids, request.list_ids),
                          "removal from lists")

    async def _queue(self, work: object, what: str) -> None:
        try:
            queued = await work  # type: ignore[misc]
        except InvalidInput as exc:
            warn(self, "Nothing was sent", exc.message)
            return
        except StoreUnavailableError as exc:
            warn(self, "Nothing was queued", exc.message)
            return
        n = len(queued.outbox_ids)
        text = f"Queued {plural(n, what)}; sending to Constant Contact…" if n else \
            f"Nothing to send: the selected contacts need no {what}."
        if queued.skipped:
            text += f" {len(queued.skipped)} skipped (already done or already queued)."
        self.action_messages.queued(queued.outbox_ids, text)
        self._after_change()

    def open_bulk_file(self, mode: BulkMode, path: Path | None = None) -> BulkFileDialog | None:
        """Pick a file of addresses (unless given) and walk through preview, sending and report."""
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, TITLES[mode], "",
                                                    "Address files (*.csv *.txt *.tsv);;All files (*)")
            if not chosen:
                return None
            path = Path(chosen)
        lists = [(lst.list_id, lst.name) for lst in self.reader.lists()]
        dialog = BulkFileDialog(self.desk, mode, path, lists, self, on_queued=self._bulk_items.update)
        dialog.finished.connect(lambda _result: self._after_change())
        dialog.open()
        dialog.start()
        return dialog

    def _on_item_finished(self, outcome: ItemOutcome) -> None:
        if outcome.final and not outcome.ok and outcome.item_id in self._bulk_items:
            self.statusBar().showMessage(f"Failed: {outcome.message} (see the report)", 0)
        else:
            self.action_messages.finished(outcome)
        if outcome.final and not outcome.ok and outcome.item_id not in self._bulk_items:
            warn(self, "Constant Contact refused a change", f"{outcome.message}\n\nThe change was not made; it is "
                 "listed as failed in the Activity tab.")
        self._after_change()

    def _after_change(self) -> None:
        selected = [r.contact_id for r in self.selected_rows()]
        self.model.refresh()
        self._update_filter_counts(self.model.query)
        self._update_result_label()
        if len(selected) == 1:
            self.select_contact(selected[0])
            self.show_details(selected[0])
        self.activity.refresh()
        self._refresh_pending()

    def _wake_sender(self) -> None:
        self.desk.worker.wake()
        self._after_change()

    def _refresh_pending(self) -> None:
        pending = self.reader.pending()
        self.model.unsubscribe_waiting = frozenset(i.contact_id for i in pending
                                                   if i.kind == "unsubscribe" and i.contact_id)
        self.table.viewport().update()
        n = len(pending)
        self.pending_label.setText(f"{plural(n, 'change')} waiting to send" if n else "All changes sent")

    def _on_store_problem(self, message: str) -> None:
        text = f"{message} Queued changes are kept and sent once the file can be written again."
        if message:
            self.show_notice(text)
            self._store_notice = text
        elif self._store_notice and self.notice.label.text() == self._store_notice:
            self.notice.show_message("")  # the problem is over: take its notice down (and only its)

    def _on_sign_in_required(self, message: str) -> None:
        self.show_notice(f"{message} Your queued changes are kept and will be sent after you sign in.")

    def show_notice(self, text: str) -> None:
        self.notice.show_message(text, kind="warning")

    def show_new_optouts(self, contact_ids: list[str], since: str) -> None:
        """ "3 new opt-outs since 10:15", with a button that lists the newest opt-outs first."""
        n = len(contact_ids)
        rows = [r for r in (self.reader.get_contact(cid) for cid in contact_ids[:3]) if r is not None]
        names = ", ".join(r.email or r.display_name for r in rows)
        more = f" and {n - len(rows)} more" if n > len(rows) else ""
        self.notice.show_message(f"{plural(n, 'new opt-out')} since {since}: {names}{more}.",
                                 kind="info", action="Show them", on_action=self.show_recent_optouts)

    def show_recent_optouts(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.search_edit.clear()
        self.status_filter.setCurrentIndex(max(0, self.status_filter.findData("unsubscribed")))
        self.apply_query()
        self.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)

    # --- server lookup and full pull -------------------------------------------------------------------------
    @asyncSlot(str)
    async def lookup_on_server(self, email: str) -> None:
        self.statusBar().showMessage(f"Not in the local copy; looking up {email} in Constant Contact…")
        try:
            row = await self.desk.lookup_email(email)
        except ApiError as exc:
            self._lookup_done.discard(email.lower())
            self.statusBar().showMessage(f"Lookup failed: {exc.message}", 10000)
            return
        if row is None:
            self._lookup_done.discard(email.lower())  # asked again next time: the contact may be added meanwhile
            self.statusBar().showMessage(f"No contact with the address {email} in Constant Contact.", 10000)
            return
        self.statusBar().showMessage(f"Found {email} in Constant Contact and added it to the local copy.", 8000)
        if self.search_edit.text().strip().lower() == email.lower():
            self.apply_query()
            self.select_contact(row.contact_id)

    # --- sync: background runs and "Sync now" both go through desk.sync; the window listens to it ----------
    def _connect_sync(self) -> None:
        sync = self.desk.sync
        sync.started.connect(self._on_sync_started)
        sync.progress.connect(self._on_pull_progress)
        sync.finished.connect(self._on_sync_finished)
        sync.stopped.connect(self._on_sync_stopped)
        self.desk.scheduler.failed.connect(self.show_notice)
        self.desk.scheduler.quota.connect(
            lambda q: self.quota_label.setText(f"Constant Contact allowance used today: {q.used:,} of {q.limit:,}"))
        # Every ccdesk process of this desk spends the API key's quota: show the shared count as it moves.
        self._quota_timer = QTimer(self, interval=5000)
        self._quota_timer.timeout.connect(self._show_desk_quota)
        self._quota_timer.start()
        self._show_desk_quota()

    def _show_desk_quota(self) -> None:
        q = self.desk.quota.peek()
        if q is not None:
            self.quota_label.setText(f"Constant Contact allowance used today: {q.used:,} of {q.limit:,}")
            self.quota_label.setToolTip("Requests every ccdesk on this computer sent today with this API key "
                                        "(the window and scheduled commands); the allowance resets at 00:00 UTC.")

    @asyncSlot()
    async def start_pull(self) -> None:
        """Sync now (F5)."""
        if self.desk.sync.running:
            return
        with contextlib.suppress(asyncio.CancelledError, ApiError):  # reported by _on_sync_stopped
            await self.desk.sync.run()

    @asyncSlot()
    async def start_full_resync(self) -> None:
        """Read everything again and drop contacts the account no longer has (slow on big accounts)."""
        if self.desk.sync.running:
            return
        with contextlib.suppress(asyncio.CancelledError, ApiError):
            await self.desk.sync.full_resync()

    def _on_sync_started(self) -> None:
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.cancel_button.setVisible(True)
        self.refresh_button.setEnabled(False)
        self.statusBar().showMessage("Reading changes from Constant Contact…")

    def _sync_ended(self) -> None:
        self.pull_finished = True
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.refresh_button.setEnabled(True)
        self.reload_lists()
        self._after_change()

    def _on_sync_finished(self, result: SyncResult) -> None:
        self._sync_ended()
        self.on_sync_result(result)

    def _on_sync_stopped(self, exc: BaseException) -> None:
        self._sync_ended()
        if isinstance(exc, asyncio.CancelledError):
            self.statusBar().showMessage("Sync cancelled; what was read so far is kept and the next sync "
                                         "continues from there.", 10000)
        elif isinstance(exc, ApiError):
            self.show_notice(f"Sync stopped: {exc.message} What was read so far is kept.")
        else:
            log.error("sync failed", exc_info=exc)
            self.show_notice("Sync stopped because of an unexpected problem (see Help → Show log). What was "
                             "read so far is kept.")

    def on_sync_result(self, result: SyncResult) -> None:
        if result.full_pull:
            text = f"Local copy up to date: {result.contacts_read:,} contacts read."
        else:
            n = len(result.new_optouts)
            text = f"Up to date. {plural(n, 'new opt-out')} since the last check." if n else \
                "Up to date. No new opt-outs since the last check."
            if n:
                self.show_new_optouts(list(result.new_optouts), self._last_checked or "the last check")
                self.new_optouts.emit(list(result.new_optouts))
        self.statusBar().showMessage(text, 15000)
        self._last_checked = clock(datetime.now().astimezone())
        self.last_sync_label.setText(f"Last checked {self._last_checked}")

    def _on_pull_progress(self, progress: SyncProgress) -> None:
        if progress.stage.startswith("waiting"):  # a scheduled command is syncing this cache; its result is reused
            self.statusBar().showMessage(f"{progress.stage[0].upper()}{progress.stage[1:]}…")
        if progress.total:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(min(progress.done, progress.total))
            stage = STAGE_WORDS.get(progress.stage, progress.stage)
            self.progress.setFormat(f"{stage}: {progress.done:,} of {progress.total:,}")
            self.progress.setMinimumWidth(self.progress.fontMetrics().horizontalAdvance(
                f"{stage}: {progress.total:,} of {progress.total:,}") + 40)
        # Show the first page at once, then refresh the table at most every 2 s: each refresh is a query on
        # the GUI thread, and the window must stay responsive while thousands of contacts arrive.
        now = time.monotonic()
        if progress.done <= 500 or now - self._last_progress_refresh >= 2.0:
            self._last_progress_refresh = now
            if progress.done <= 500:
                self.reload_lists()
            self.model.refresh()
            self._update_filter_counts(self.model.query)  # "All statuses (N)" agrees with the rows shown
            self._update_result_label()

    def cancel_pull(self) -> None:
        self.desk.sync.cancel()

    # --- exports -----------------------------------------------------------------------------------------------
    def export_do_not_mail(self, *, only_new: bool) -> None:
        path = choose_export_path(self, only_new=only_new)  # a feed never replaces a full list
        if path is not None:
            self._run_export(path, only_new)

    @asyncSlot()
    async def _run_export(self, path: Path, only_new: bool) -> None:
        cancel = threading.Event()
        progress = QProgressDialog("Writing opt-outs…", "Cancel", 0, 0, self)
        progress.setWindowTitle("Export")
        progress.setMinimumDuration(300)
        progress.canceled.connect(cancel.set)
        try:
            result = await OptOutExporter(self.desk.db).export_do_not_mail(
                path, only_new=only_new, cancel=cancel,
                on_progress=lambda n: progress.setLabelText(f"Writing opt-outs… {n:,} so far"))
        except ExportCancelled:
            self.statusBar().showMessage("Export cancelled; no file was written.", 8000)
            return
        except UnwritableTarget as exc:
            warn(self, "Export failed", str(exc))
            return
        finally:
            progress.close()
        what = "new opt-outs since the last export to this file" if only_new else "opt-outs"
        inform(self, "Export finished", f"Saved {result.rows:,} {what} to {path.name}. {result.marked_note()}".strip())

    def export_evidence(self) -> None:
        rows = self.selected_rows()
        if len(rows) != 1:
            inform(self, "Evidence", "Select one contact first.")
            return
        row = self.reader.get_contact(rows[0].contact_id)
        if row is None:
            return
        name = f"evidence-{(row.email or row.contact_id).replace('@', '_at_')}.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export evidence", name, "CSV files (*.csv)")
        if not path:
            return
        try:
            n = export_evidence(Path(path), row, self.reader.journal(row.contact_id, limit=None))
        except UnwritableTarget as exc:
            warn(self, "Export failed", str(exc))
            return
        entries = plural(n - 1, "journal entry", "journal entries")
        self.statusBar().showMessage(f"Saved the opt-out record and {entries} to {path}.", 10000)

    # --- desktop citizenship: help, remembered layout -------------------------------------------------------
    def show_log(self) -> None:
        from ccdesk.logsetup import log_dir

        path = log_dir() / "ccdesk.log"
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            inform(self, "Log file", f"The log is in:\n{path}\n\nTokens and email addresses are "
                                    "left out of it, so it is safe to send to your IT team.")

    def show_about(self) -> None:
        QMessageBox.about(self, "About ccdesk",
                          f"<b>ccdesk {__version__}</b><p>Manage opt-outs in a Constant Contact account: find a "
                          "contact, see whether they may be mailed, unsubscribe with a reason, keep other systems "
                          "in step with the Do Not Mail list.</p><p>Only a contact can opt back in: ccdesk never "
                          "resubscribes anybody by itself (CAN-SPAM, CASL).</p>")

    def save_layout(self) -> None:
        settings = QSettings("ccdesk", "ccdesk")
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/splitter", self.contacts_split.saveState())
        settings.setValue("window/tab", self.tabs.currentIndex())

    def restore_layout(self) -> None:
        settings = QSettings("ccdesk", "ccdesk")
        if (geometry := settings.value("window/geometry")) is not None:
            self.restoreGeometry(geometry)
        if (split := settings.value("window/splitter")) is not None:
            self.contacts_split.restoreState(split)
        tab = settings.value("window/tab")
        if tab is not None and 0 <= int(tab) < self.tabs.count():
            self.tabs.setCurrentIndex(int(tab))

    def bring_to_front(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def _prepare_search(self) -> None:
        """Build the name ranks on a worker thread (a read of every contact: 0.3 s at 1M); tracked with the
        other background reads so shutdown() cancels it."""
        with contextlib.suppress(RuntimeError):  # no running loop (a synchronous test): the first search builds
            asyncio.get_running_loop()
            self._count_tasks.add(task := asyncio.ensure_future(self._adopt_ranks()))
            task.add_done_callback(self._count_tasks.discard)

    async def _adopt_ranks(self) -> None:
        try:
            order = await asyncio.to_thread(NameOrder.built_from, str(self.reader.path))
        except sqlite3.Error as exc:
            log.info("search ranks not prepared: %s", exc)
            return
        with contextlib.suppress(sqlite3.ProgrammingError):  # the window closed meanwhile
            self.reader.adopt_name_order(order)

    def shutdown(self) -> None:
        """Stop everything that could still read the store; called before the store closes."""
        self._debounce.stop()
        self._warm_search.stop()
        self._quota_timer.stop()
        for task in list(self._count_tasks):
            task.cancel()
        self.cancel_pull()
        self.table.setModel(None)  # type: ignore[arg-type]
        self.hide()

    def closeEvent(self, event: QCloseEvent) -> None:
        waiting = len(self.reader.pending())
        if waiting and self.confirm_quit_with_pending:
            answer = QMessageBox.question(
                self, "Changes still waiting",
                f"{plural(waiting, 'change')} {is_are(waiting)} still waiting to be sent to Constant "
                "Contact. They are kept and sent the next time you start ccdesk.\n\nQuit now?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.cancel_pull()
        self.save_layout()
        super().closeEvent(event)
