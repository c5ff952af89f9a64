"""How the main window behaves for keyboard and screen-reader users and on small or wide screens.

Kept apart from main_window.py (which builds the widgets) so that these behaviours are in one place:
Tab leaves the table, Down from the search box selects the first contact, the search bar shows only where it
works, a column that cannot be sorted does not pretend to be, spare width goes to the email addresses, the
details pane scrolls instead of clipping on a 1024x640 screen, and demo mode says so inside the window.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QBoxLayout, QFrame, QLabel, QScrollArea, QSizePolicy, QTableView
from qasync import asyncSlot

from ccdesk.services.add_back import queue_add_back
from ccdesk.services.validation import InvalidInput
from ccdesk.store.rows import LIST_REMOVALS, OutboxState

from .contact_table import COLUMNS
from .dialogs.add_lists import AddBackDialog

EMAIL_COLUMN = 1
KEYBOARD = (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason, Qt.FocusReason.ShortcutFocusReason)
DEMO_TEXT = "Demo: made-up data"
DEMO_TIP = "Started with --demo: made-up contacts in a local sandbox; nothing is sent to Constant Contact."


class _TableKeys(QObject):
    """Focus entering the table selects its current row, so the details show what the keyboard is on."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn and isinstance(event, QFocusEvent) and event.reason() in KEYBOARD:
            select_current_or_first(self.table)
        return False


class _SpareWidthToEmail(QObject):
    """The table's spare width goes to the Email column (never below a readable width), not to "Opted out"."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            header = self.table.horizontalHeader()
            others = sum(header.sectionSize(i) for i in range(header.count()) if i != EMAIL_COLUMN)
            least = self.table.fontMetrics().averageCharWidth() * 30
            header.resizeSection(EMAIL_COLUMN, max(least, self.table.viewport().width() - others))
        return False


class _SearchKeys(QObject):
    """Down in the search box moves to the table and selects the first contact; Enter searches again (an
    address not found in Constant Contact a moment ago is looked up again)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if event.key() == Qt.Key.Key_Down and self.window.model.rowCount():
            self.window.table.setFocus(Qt.FocusReason.TabFocusReason)
            select_current_or_first(self.window.table)
            return True
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.window._debounce.stop()
            self.window.apply_query()
            return True
        return False


def select_current_or_first(table: QTableView) -> None:
    model = table.model()
    if model is None or not model.rowCount() or table.selectionModel().hasSelection():
        return
    current = table.currentIndex()
    table.selectRow(current.row() if current.isValid() else 0)


def install_window_ux(window: Any) -> None:
    """Called once by MainWindow after its widgets exist."""
    table: QTableView = window.table
    table.setTabKeyNavigation(False)  # Tab goes on to the details and their buttons, not cell to cell
    table.installEventFilter(_TableKeys(table))
    window.search_edit.installEventFilter(_SearchKeys(window))
    _guard_unsortable_columns(table)
    table.horizontalHeader().setStretchLastSection(False)
    table.viewport().installEventFilter(_SpareWidthToEmail(table))
    _scroll_details(window)
    _search_bar(window).insertStretch(0, 0)  # with the search hidden, Sync now keeps its size on the right
    window.refresh_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
    window.tabs.currentChanged.connect(lambda _i: _show_search_bar(window))
    for action in window.actions():
        if action.text() == "Find":
            action.triggered.connect(lambda: _find(window))
    _show_search_bar(window)
    if window.demo:
        _demo_marker(window)
    window.add_back = AddBack(window)


def _guard_unsortable_columns(table: QTableView) -> None:
    """Clicking a header the store cannot sort by (Company) keeps the arrow where the sort really is."""
    header = table.horizontalHeader()
    state: dict[str, Any] = {"column": header.sortIndicatorSection(), "order": header.sortIndicatorOrder()}

    def changed(column: int, order: Qt.SortOrder) -> None:
        if 0 <= column < len(COLUMNS) and COLUMNS[column].sort_key is None:
            header.blockSignals(True)
            header.setSortIndicator(state["column"], state["order"])
            header.blockSignals(False)
            return
        state["column"], state["order"] = column, order

    header.sortIndicatorChanged.connect(changed)


def _scroll_details(window: Any) -> None:
    """The details pane scrolls vertically on a short screen and keeps the width its buttons need."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes straight to the buttons inside
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    index = window.contacts_split.indexOf(window.details)
    window.contacts_split.replaceWidget(index, area)
    area.setWidget(window.details)
    area.setMinimumWidth(window.details.minimumSizeHint().width()
                         + area.style().pixelMetric(area.style().PixelMetric.PM_ScrollBarExtent))
    window.details_area = area


def _search_bar(window: Any) -> QBoxLayout:
    return window.centralWidget().layout().itemAt(0).layout()  # type: ignore[no-any-return]


def _show_search_bar(window: Any) -> None:
    """The search box and the filters act on the Contacts tab only: elsewhere they are hidden, not dead."""
    on_contacts = window.tabs.currentWidget() is window.contacts_split
    for widget in (window.search_edit, window.status_filter, window.list_filter):
        widget.setVisible(on_contacts)


def _find(window: Any) -> None:
    """Ctrl+F from any tab: back to Contacts, into the search box."""
    window.tabs.setCurrentWidget(window.contacts_split)
    QTimer.singleShot(0, lambda: (window.search_edit.setFocus(), window.search_edit.selectAll()))


def _demo_marker(window: Any) -> None:
    label = QLabel(DEMO_TEXT)
    label.setObjectName("demoMarker")
    label.setStyleSheet("QLabel#demoMarker { background:#fff3cd; color:#5d4037; border:1px solid #ffb74d; "
                        "border-radius:3px; padding:1px 6px; font-weight:bold; }")
    label.setToolTip(DEMO_TIP)
    label.setAccessibleDescription(DEMO_TIP)
    _search_bar(window).insertWidget(0, label)  # the top bar: status-bar messages would hide it
    window.demo_marker = label


def open_contact(window: Any, contact_id: str) -> None:
    """Show one contact on the Contacts tab, selected, whatever the search and filters were."""
    row = window.reader.get_contact(contact_id)
    if row is None:
        return
    window.tabs.setCurrentWidget(window.contacts_split)
    for combo in (window.status_filter, window.list_filter):
        combo.blockSignals(True)
        combo.setCurrentIndex(0)
        combo.blockSignals(False)
    window.search_edit.blockSignals(True)
    window.search_edit.setText(row.email or row.display_name)
    window.search_edit.blockSignals(False)
    window.apply_query()
    window.select_contact(contact_id)
    window.table.setFocus()


class AddBack(QObject):
    """"Add back to lists" for the selected contact (the details button and the Contact menu)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        window.details.add_back_requested.connect(self.open)
        menu = next((a.menu() for a in window.menuBar().actions() if a.text() == "&Contact"), None)
        if menu is not None:
            after = next((a for a in menu.actions() if a.text().startswith("Remove from")), None)
            action = QAction("Add &back to lists…", menu)
            action.triggered.connect(self.open)
            index = menu.actions().index(after) + 1 if after is not None else 0
            menu.insertAction(menu.actions()[index] if index < len(menu.actions()) else None, action)

    def open(self) -> AddBackDialog | None:
        rows = self.window.selected_rows()
        if len(rows) != 1 or str(rows[0].status) not in ("mailable", "removed"):
            return None
        row = rows[0]
        lists = [(lst.list_id, lst.name) for lst in self.window.reader.lists() if lst.list_id not in row.list_ids]
        dialog = AddBackDialog(self.window._choices([row])[0], lists, self.window,
                               ticked=self._removed_here(row.contact_id))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.submit(row.contact_id, dialog.chosen_ids()))
        dialog.open()
        return dialog

    def _removed_here(self, contact_id: str) -> set[str]:
        """Lists this desk took the contact off (the recent removals sent from here), ticked to start with."""
        removed: set[str] = set()
        for item in self.window.reader.outbox_items(str(OutboxState.DONE), limit=2000):
            if item.kind in LIST_REMOVALS and (
                    item.contact_id == contact_id or contact_id in (item.payload.get("contact_ids") or [])):
                removed.update(item.payload.get("list_ids") or [])
        return removed

    @asyncSlot()
    async def submit(self, contact_id: str, list_ids: tuple[str, ...]) -> None:
        try:
            queued = await queue_add_back(self.window.desk, contact_id, list_ids)
        except InvalidInput as exc:
            self.window.statusBar().showMessage(f"Nothing was sent: {exc.message}", 10000)
            return
        text = "Adding back to the lists; sending to Constant Contact…" if queued.outbox_ids else \
            "Already waiting to be added back to lists."
        self.window.statusBar().showMessage(text, 8000)
        self.window._after_change()
