"""The contact table: a Qt model that reads rows from SQLite in batches, never the whole account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ccdesk.services.reads import ContactQuery, DeskReads
from ccdesk.store.rows import ContactRow
from ccdesk.wording import STATUS_LABELS, moment

BATCH = 200
# Counting every match of a short query in a million contacts takes far longer than finding the first page,
# so the count stops here; the table still scrolls past it, and the label says "10,000+".
COUNT_CAP = 10_000

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    title: str
    sort_key: str | None
    value: Callable[[ContactRow], str]


def _when(row: ContactRow) -> str:
    return moment(row.opt_out_date, zone=False)  # a narrow column


COLUMNS = (
    Column("Name", "name", lambda r: r.display_name),
    Column("Email", "email", lambda r: r.email or ""),
    Column("Company", None, lambda r: r.company or ""),
    Column("Status", "status", lambda r: STATUS_LABELS.get(str(r.status), str(r.status))),
    Column("Opted out", "opt_out_date", _when),
)

STATUS_COLOURS = {"unsubscribed": "#c62828", "mailable": "#2e7d32", "removed": "#b26a00", "pending": "#b26a00",
                  "deleted": "#757575"}


class ContactTableModel(QAbstractTableModel):
    """Rows come from the desk's reads a page at a time; the view pulls more as it scrolls (fetchMore)."""

    unsubscribe_waiting: frozenset[str] = frozenset()  # contact ids with an unsubscribe queued, set by the window

    def __init__(self, reads: DeskReads, parent: Any = None) -> None:
        super().__init__(parent)
        self._search = reads.search
        self._count = reads.count
        self._query = ContactQuery()
        self._rows: list[ContactRow] = []
        self._total = 0

    # --- the query -------------------------------------------------------------------------------------
    @property
    def query(self) -> ContactQuery:
        return self._query

    @property
    def total(self) -> int:
        return self._total

    @property
    def capped(self) -> bool:
        """True when there are at least `total` matches, possibly more."""
        return self._total >= COUNT_CAP

    def set_query(self, query: ContactQuery) -> None:
        self.beginResetModel()
        self._query = query
        self._total = self._count(query, COUNT_CAP)
        self._rows = self._search(query, 0, min(BATCH, self._total)) if self._total else []
        self.endResetModel()

    def refresh(self) -> None:
        """Re-read after the cache changed, keeping as many rows loaded as before."""
        loaded = max(len(self._rows), BATCH)
        self.beginResetModel()
        self._total = self._count(self._query, max(COUNT_CAP, loaded))
        self._rows = self._search(self._query, 0, min(loaded, self._total)) if self._total else []
        self.endResetModel()

    def row(self, index: int) -> ContactRow | None:
        return self._rows[index] if 0 <= index < len(self._rows) else None

    def row_of(self, contact_id: str) -> int:
        for i, r in enumerate(self._rows):
            if r.contact_id == contact_id:
                return i
        return -1

    # --- Qt model API ----------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        start = len(self._rows)
        more = self._search(self._query, start, BATCH)
        if not more:
            self._total = start
            return
        if start + len(more) >= self._total and len(more) == BATCH:
            self._total = start + len(more) + 1  # past the capped count: there may be more
        self.beginInsertRows(QModelIndex(), start, start + len(more) - 1)
        self._rows.extend(more)
        self.endInsertRows()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = COLUMNS[index.column()]
        # A queued unsubscribe outranks the cached status: never "Can be mailed" once it is asked for.
        waiting = column.sort_key == "status" and row.contact_id in self.unsubscribe_waiting \
            and str(row.status) != "unsubscribed"
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return "Unsubscribe waiting to send" if waiting else column.value(row)
        if role == Qt.ItemDataRole.ForegroundRole and column.sort_key == "status":
            return QBrush(QColor("#b26a00" if waiting else STATUS_COLOURS.get(str(row.status), "#757575")))
        if role == Qt.ItemDataRole.UserRole:
            return row.contact_id
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return None if COLUMNS[section].sort_key else "The table cannot be sorted by this column"
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column].sort_key
        if key is None:
            return
        q = self._query
        self.set_query(ContactQuery(q.text, q.status, q.list_id, key, order == Qt.SortOrder.DescendingOrder))
