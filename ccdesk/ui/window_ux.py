"""How the main window behaves for keyboard and screen-reader users and on small or wide screens.

Kept apart from the parts that build the widgets so that these behaviours are in one place: Tab leaves the
table, Down from the search box selects the first contact, a column that cannot be sorted does not pretend to
be, the columns fit the table's width (column_fit.py), the details pane scrolls instead of clipping on a 1024x640
screen, and demo mode says so inside the window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QScrollArea, QSplitter, QTableView, QWidget

from .column_fit import fit_columns
from .contact_table import COLUMNS

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


class _SearchKeys(QObject):
    """Down in the search box moves to the table and selects the first contact; Enter searches again (an
    address not found in Constant Contact a moment ago is looked up again)."""

    def __init__(self, edit: QLineEdit, table: QTableView, on_enter: Callable[[], None]) -> None:
        super().__init__(edit)
        self.table, self.on_enter = table, on_enter

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        model = self.table.model()
        if event.key() == Qt.Key.Key_Down and model is not None and model.rowCount():
            self.table.setFocus(Qt.FocusReason.TabFocusReason)
            select_current_or_first(self.table)
            return True
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.on_enter()
            return True
        return False


def select_current_or_first(table: QTableView) -> None:
    model = table.model()
    if model is None or not model.rowCount() or table.selectionModel().hasSelection():
        return
    current = table.currentIndex()
    table.selectRow(current.row() if current.isValid() else 0)


def install_table_ux(table: QTableView, search_edit: QLineEdit, on_enter: Callable[[], None]) -> None:
    """Keyboard and width behaviour of the contact table and its search box."""
    table.setTabKeyNavigation(False)  # Tab goes on to the details and their buttons, not cell to cell
    table.installEventFilter(_TableKeys(table))
    search_edit.installEventFilter(_SearchKeys(search_edit, table, on_enter))
    _guard_unsortable_columns(table)
    fit_columns(table)


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


def scroll_in_place(split: QSplitter, details: QWidget) -> QScrollArea:
    """Put the details pane (already in `split`) in an area that scrolls vertically on a short screen and keeps
    the width its buttons need."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes straight to the buttons inside
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    split.replaceWidget(split.indexOf(details), area)
    area.setWidget(details)
    area.setMinimumWidth(details.minimumSizeHint().width()
                         + area.style().pixelMetric(area.style().PixelMetric.PM_ScrollBarExtent))
    return area


def demo_marker() -> QLabel:
    """Demo mode says so inside the window (in the top bar: status-bar messages would hide it)."""
    label = QLabel(DEMO_TEXT)
    label.setObjectName("demoMarker")
    label.setStyleSheet("QLabel#demoMarker { background:#fff3cd; color:#5d4037; border:1px solid #ffb74d; "
                        "border-radius:3px; padding:1px 6px; font-weight:bold; }")
    label.setToolTip(DEMO_TIP)
    label.setAccessibleDescription(DEMO_TIP)
    return label
