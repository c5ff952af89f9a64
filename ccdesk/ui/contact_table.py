"""The contact table: a Qt model that reads rows from SQLite a page at a time, never the whole account."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ccdesk.services.reads import ContactQuery, DeskReads
from ccdesk.store.rows import ContactRow
from ccdesk.wording import STATUS_LABELS

# Rows read at a time. A search shows its first page at once, so the page is kept near what the view shows
# (about 30 rows): at 1M contacts 200 rows cost a search about 3 ms more than 100 (reading and converting rows).
BATCH = 100
# Counting every match of a short query in a million contacts takes far longer than finding the first page,
# so the count made at once stops here (the table still scrolls past it) and the label says "1,000+" until the
# counts per status, made off the GUI thread, give the exact number. Counting a common term's first 10,000
# matches cost 5-14 ms a keystroke at 1M; its first 1,000 a tenth of that.
COUNT_CAP = 1_000
MAX_PAGES = 60  # pages kept in memory (6,000 rows, a few MB), the most recently shown ones

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    title: str
    sort_key: str | None
    value: Callable[[ContactRow], str]


def _when(row: ContactRow) -> str:
    """The day only (the details and Recent opt-outs give the time): the column fits a 1024-pixel window."""
    return row.opt_out_date.astimezone().strftime("%Y-%m-%d") if row.opt_out_date else ""


COLUMNS = (
    Column("Name", "name", lambda r: r.display_name),
    Column("Email", "email", lambda r: r.email or ""),
    Column("Company", None, lambda r: r.company or ""),
    Column("Status", "status", lambda r: STATUS_LABELS.get(str(r.status), str(r.status))),
    Column("Opted out", "opt_out_date", _when),
)

WAITING_LABEL = "Unsubscribe waiting to send"  # the Status of a contact whose unsubscribe is queued
STATUS_COLOURS = {"unsubscribed": "#c62828", "mailable": "#2e7d32", "removed": "#b26a00", "pending": "#b26a00",
                  "deleted": "#757575"}


class ContactTableModel(QAbstractTableModel):
    """Rows come from `search(query, offset, limit)` a page at a time, and only the pages near what the view
    shows stay in memory (`MAX_PAGES`): scrolling a million contacts end to end never holds more than a few
    thousand rows (issue 17). Without search text the count is exact (a lookup in the facet counts), so the
    table has every row from the start and a page is read when it comes into view; with text the count stops at
    `COUNT_CAP` and the view pulls more as it scrolls past it (fetchMore)."""

    unsubscribe_waiting: frozenset[str] = frozenset()  # contact ids with an unsubscribe queued, set by the window

    def __init__(self, reads: DeskReads, parent: Any = None) -> None:
        super().__init__(parent)
        self._search = reads.search
        self._first_page = reads.first_page
        self._query = ContactQuery()
        self._pages: OrderedDict[int, list[ContactRow]] = OrderedDict()  # page number -> rows, most recent last
        self._rows = 0  # rows the table has (the view scrolls over these)
        self._total = 0
        self._exact = True
        self._recent: list[int] = []  # pages in view before the last refresh

    # --- the query -------------------------------------------------------------------------------------
    @property
    def query(self) -> ContactQuery:
        return self._query

    @property
    def total(self) -> int:
        return self._total

    @property
    def pages_in_memory(self) -> int:
        return len(self._pages)

    @property
    def capped(self) -> bool:
        """True when there are at least `total` matches, possibly more."""
        return not self._exact and self._total >= COUNT_CAP

    def set_query(self, query: ContactQuery) -> None:
        self._recent = []
        self.beginResetModel()
        self._query = query
        self._load_count(BATCH)
        self.endResetModel()

    def refresh(self) -> None:
        """Re-read after the cache changed, keeping the table as long as before."""
        recent = list(self._pages)[-3:]  # where the view was: a selection there is found again (row_of)
        self.beginResetModel()
        self._load_count(self._rows)
        self.endResetModel()
        self._recent = [n for n in recent if n * BATCH < self._rows]

    def _load_count(self, rows: int) -> None:
        self._pages.clear()
        self._exact = not self._query.text
        first, self._total = self._first_page(self._query, BATCH, None if self._exact else max(COUNT_CAP, rows))
        self._exact = self._exact or len(first) < BATCH  # a page that is not full holds every match
        self._rows = self._total if self._exact else min(max(rows, BATCH), self._total)
        if self._rows:
            self._pages[0] = first  # the window shows it at once

    def _page(self, number: int) -> list[ContactRow]:
        rows = self._pages.get(number)
        if rows is None:
            start = number * BATCH
            if self._exact and start > self._total // 2:
                # The far half is read from its own end, the order reversed: SQLite walks OFFSET rows one by one,
                # so the last page of a million costs what the 200th row does, not the millionth.
                end = min(start + BATCH, self._total)
                flipped = replace(self._query, descending=not self._query.descending)
                rows = self._search(flipped, self._total - end, end - start)[::-1]
            else:
                rows = self._search(self._query, start, BATCH)
            self._pages[number] = rows
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        return rows

    def row(self, index: int) -> ContactRow | None:
        if not 0 <= index < self._rows:
            return None
        rows = self._page(index // BATCH)
        offset = index % BATCH
        return rows[offset] if offset < len(rows) else None

    def row_of(self, contact_id: str) -> int:
        """The row of a contact among the pages in memory or shown just before a refresh; -1 if not there."""
        for number in [*self._pages, *(n for n in self._recent if n not in self._pages)]:
            for i, r in enumerate(self._page(number)):
                if r.contact_id == contact_id:
                    return number * BATCH + i
        return -1

    # --- Qt model API ----------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._rows < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        start = self._rows
        more = self._page(start // BATCH)[start % BATCH:] if start % BATCH else self._page(start // BATCH)
        if not more:
            self._total = start
            return
        if start + len(more) >= self._total and len(more) == BATCH - start % BATCH:
            self._total = start + len(more) + 1  # past the capped count: there may be more
        self.beginInsertRows(QModelIndex(), start, start + len(more) - 1)
        self._rows += len(more)
        self.endInsertRows()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.row(index.row())
        if row is None:  # the cache changed under a page read earlier: refresh() follows
            return None
        column = COLUMNS[index.column()]
        # A queued unsubscribe outranks the cached status: never "Can be mailed" once it is asked for.
        waiting = column.sort_key == "status" and row.contact_id in self.unsubscribe_waiting \
            and str(row.status) != "unsubscribed"
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return WAITING_LABEL if waiting else column.value(row)
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
