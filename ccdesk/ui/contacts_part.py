"""The Contacts tab: search box and filters (with their counts), the contact table, the details pane, and the
exact lookup on the server of an address the local copy does not have.

A part of the window (see README, Architecture): it reads through `desk.reads` only, says what happened with
signals (`selection_changed`, `message`) and is told what to do with methods; it imports no other part.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from ccdesk.api import ApiError
from ccdesk.services.desk import Desk
from ccdesk.services.reads import ContactQuery
from ccdesk.services.sync import SyncProgress
from ccdesk.services.validation import is_valid_email
from ccdesk.store.rows import ContactRow
from ccdesk.wording import noun

from .contact_table import ContactTableModel
from .details_pane import DetailsPane
from .window_ux import install_table_ux, scroll_in_place

log = logging.getLogger(__name__)

STATUS_FILTERS = (("", "All statuses"), ("mailable", "Can be mailed"), ("unsubscribed", "Unsubscribed"),
                  ("removed", "Removed from all lists"), ("deleted", "Deleted"), ("pending", "Not confirmed"))


class ContactsPart(QSplitter):
    """The table and the details side by side; the search box and filters (`search_widgets`) are placed by the
    window in its top bar."""

    selection_changed = Signal(list)  # the selected ContactRows
    message = Signal(str, int)  # a status-bar message and how long it stays (ms, 0: until replaced)

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.reads = desk.reads
        self._lookup_email = desk.lookup_email
        self._lookup_done: set[str] = set()
        self._pending: set[asyncio.Future[Any]] = set()  # counts and ranks being made on other threads
        self._last_progress_refresh = 0.0
        self.model = ContactTableModel(self.reads, self)
        self._build_search()
        self._build_table()
        self.details = DetailsPane()
        self.addWidget(self.details)
        self.details_area = scroll_in_place(self, self.details)
        # A third of the width for the details (set on the scroll area that holds them): at 1024 px the table's
        # five columns fit without scrolling sideways (column_fit.py).
        self.setStretchFactor(0, 2)
        self.setStretchFactor(1, 1)
        self.setSizes([660, 330])
        install_table_ux(self.table, self.search_edit, self.apply_query)
        self._debounce = QTimer(self, singleShot=True, interval=150)
        self._debounce.timeout.connect(self.apply_query)
        self.search_edit.textChanged.connect(lambda _t: self._debounce.start())
        self.status_filter.currentIndexChanged.connect(lambda _i: self.apply_query())
        self.list_filter.currentIndexChanged.connect(lambda _i: self.apply_query())
        self.reload_lists()
        self.apply_query()
        # Ranks for ordering text matches by name: built once the window is up, not on the first keystroke.
        self._warm_search = QTimer(self, singleShot=True, interval=300)
        self._warm_search.timeout.connect(self._start_ranks)
        self._warm_search.start()

    def _build_search(self) -> None:
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search by name, company or email (Ctrl+F)")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName("Search contacts")
        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Filter by status")
        self.list_filter = QComboBox()
        self.list_filter.setAccessibleName("Filter by list")
        for combo in (self.status_filter, self.list_filter):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

    def focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def search_widgets(self) -> list[tuple[QWidget, int]]:
        """The search box and the filters with their stretch, for the window's top bar."""
        return [(self.search_edit, 3), (self.status_filter, 1), (self.list_filter, 1)]

    def _build_table(self) -> None:
        left = QWidget()
        layout = QVBoxLayout(left)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = table = QTableView()
        table.setModel(self.model)
        table.setAccessibleName("Contacts")
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setSortingEnabled(True)
        table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        table.verticalHeader().setVisible(False)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((150, 210, 100, 150)):
            table.setColumnWidth(col, width)
        table.selectionModel().selectionChanged.connect(self._on_selection)
        self.result_label = QLabel()
        layout.addWidget(table, 1)
        layout.addWidget(self.result_label)
        self.addWidget(left)

    # --- the query ---------------------------------------------------------------------------------------
    def reload_lists(self) -> None:
        current = self.list_filter.currentData()
        self.list_filter.blockSignals(True)
        self.list_filter.clear()
        self.list_filter.addItem("All lists", None)
        for lst in self.reads.lists():
            self.list_filter.addItem(lst.name, lst.list_id)
        self.list_filter.setCurrentIndex(max(0, self.list_filter.findData(current)))
        self.list_filter.blockSignals(False)

    def current_query(self) -> ContactQuery:
        q = self.model.query
        return ContactQuery(self.search_edit.text().strip(), self.status_filter.currentData() or None,
                            self.list_filter.currentData() or None, q.sort, q.descending)

    def apply_query(self) -> None:
        self._debounce.stop()  # a search typed a moment ago is this one: no second reset (it would drop the selection)
        query = self.current_query()
        self.model.set_query(query)
        self._update_counts(query)
        if self.model.total == 0 and is_valid_email(query.text) and query.text.lower() not in self._lookup_done:
            self._lookup_done.add(query.text.lower())
            self.lookup_on_server(query.text)
        self._on_selection()

    def _update_counts(self, query: ContactQuery) -> None:
        """The result count, and the counts per status and per list in the filter boxes. With search text the
        latter count every match, which can take a moment in a large account, so they are computed off the
        GUI thread and filled in when ready (if the query is still the same); without text they come from a
        small summary table."""
        self._show_total(self.model.total, self.model.capped)
        if query.text and self._has_loop():
            future = self.reads.filter_counts(query)
            self._pending.add(future)
            future.add_done_callback(lambda f: self._counts_ready(f, query))
        else:
            self._apply_filter_counts(*self.reads.filter_counts_now(query))

    def _counts_ready(self, future: asyncio.Future[tuple[dict[str, int], dict[str, int]]],
                      query: ContactQuery) -> None:
        self._pending.discard(future)
        if future.cancelled():
            return
        if (exc := future.exception()) is not None:
            log.info("filter counts not shown: %s", exc)  # a locked file: the next search counts again
        elif _counted_alike(self.current_query(), query):  # a new sort order counts the same contacts
            self._apply_filter_counts(*future.result())

    def _show_total(self, total: int, at_least: bool) -> None:
        more = "+" if at_least else ""
        self.result_label.setText(f"{total:,}{more} {'contacts' if more else noun(total, 'contact')}")

    def _apply_filter_counts(self, counts: dict[str, int], per_list: dict[str, int]) -> None:
        if self.model.capped:  # the table counted to its cap at once; these counted every match
            status = self.model.query.status
            self._show_total(counts.get(status, 0) if status else sum(counts.values()), False)
        current = self.status_filter.currentData()
        self.status_filter.blockSignals(True)
        self.status_filter.clear()
        for key, label in STATUS_FILTERS:
            n = sum(counts.values()) if not key else counts.get(key, 0)
            self.status_filter.addItem(f"{label} ({n:,})", key)
        self.status_filter.setCurrentIndex(max(0, self.status_filter.findData(current)))
        self.status_filter.blockSignals(False)
        for i in range(1, self.list_filter.count()):
            name = self.list_filter.itemText(i).rsplit(" (", 1)[0]
            self.list_filter.setItemText(i, f"{name} ({per_list.get(self.list_filter.itemData(i), 0):,})")

    @staticmethod
    def _has_loop() -> bool:
        """False in a synchronous test (no running loop): the counts are then made at once."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    # --- selection and details ---------------------------------------------------------------------------
    def selected_rows(self) -> list[ContactRow]:
        rows = (self.model.row(index.row()) for index in self.table.selectionModel().selectedRows())
        return [row for row in rows if row is not None]

    def _on_selection(self, *_: QItemSelection) -> None:
        rows = self.selected_rows()
        if len(rows) == 1:
            self.show_details(rows[0].contact_id)
        else:
            self.details.show_contact(None)
            if rows:
                self.details.show_many(len(rows))
        self.selection_changed.emit(rows)

    def show_details(self, contact_id: str) -> None:
        found = self.reads.details(contact_id)
        if found is None:
            self.details.show_contact(None)
            return
        self.details.show_contact(found.row, list_names=found.list_names, history=found.history,
                                  pending=found.pending, removed_here=lambda: self.reads.removed_here(contact_id))

    def select_contact(self, contact_id: str) -> None:
        index = self.model.row_of(contact_id)
        if index >= 0:
            self.table.selectRow(index)

    def open_contact(self, contact_id: str) -> None:
        """Show one contact, selected, whatever the search and filters were."""
        row = self.reads.contact(contact_id)
        if row is None:
            return
        for combo in (self.status_filter, self.list_filter):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.search_edit.blockSignals(True)
        self.search_edit.setText(row.email or row.display_name)
        self.search_edit.blockSignals(False)
        self.apply_query()
        self.select_contact(contact_id)
        self.table.setFocus()

    # --- after changes -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read after the cache changed, keeping the one selected contact selected and its details current."""
        selected = [r.contact_id for r in self.selected_rows()]
        self.model.refresh()
        self._update_counts(self.model.query)
        if len(selected) == 1:
            self.select_contact(selected[0])
            self.show_details(selected[0])

    def set_unsubscribe_waiting(self, contact_ids: frozenset[str]) -> None:
        self.model.unsubscribe_waiting = contact_ids
        self.table.viewport().update()

    def on_sync_progress(self, progress: SyncProgress) -> None:
        """Show the first page at once, then refresh the table at most every 2 s: each refresh is a query on the
        GUI thread, and the window must stay responsive while thousands of contacts arrive."""
        now = time.monotonic()
        if progress.done <= 500 or now - self._last_progress_refresh >= 2.0:
            self._last_progress_refresh = now
            if progress.done <= 500:
                self.reload_lists()
            self.model.refresh()
            self._update_counts(self.model.query)  # "All statuses (N)" agrees with the rows shown

    # --- an address the local copy does not have -------------------------------------------------------
    @asyncSlot(str)
    async def lookup_on_server(self, email: str) -> None:
        self.message.emit(f"Not in the local copy; looking up {email} in Constant Contact…", 0)
        try:
            row = await self._lookup_email(email)
        except ApiError as exc:
            self._lookup_done.discard(email.lower())
            self.message.emit(f"Lookup failed: {exc.message}", 10000)
            return
        if row is None:
            self._lookup_done.discard(email.lower())  # asked again next time: the contact may be added meanwhile
            self.message.emit(f"No contact with the address {email} in Constant Contact.", 10000)
            return
        self.message.emit(f"Found {email} in Constant Contact and added it to the local copy.", 8000)
        if self.search_edit.text().strip().lower() == email.lower():
            self.apply_query()
            self.select_contact(row.contact_id)

    def _start_ranks(self) -> None:
        if (future := self.reads.warm_search()) is not None:
            self._pending.add(future)
            future.add_done_callback(self._pending.discard)

    def shutdown(self) -> None:
        """Stop everything that could still read: timers, background counts and ranks, the table's model."""
        self._debounce.stop()
        self._warm_search.stop()
        for future in list(self._pending):
            future.cancel()
        self.table.setModel(None)


def _counted_alike(a: ContactQuery, b: ContactQuery) -> bool:
    return (a.text, a.status, a.list_id) == (b.text, b.status, b.list_id)
