"""The contact table's columns share the table's width, so a 1024x640 screen needs no sideways scrolling.

Status and Opted out get what their values and titles need (a status is a few words, a day a fixed width); Name, Email
and Company share the rest: each has a comfortable width, a wider table shares what is left beyond (Email
getting half), a narrower one takes the shortfall mostly from Company and least from Email, down to a floor.
Long text is cut - an address in the middle, so its domain stays in view - and shown whole in the tooltip and
the details. Sizes are set when the table's width changes; a column the user drags keeps its width until then.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QTableView

from ccdesk.wording import STATUS_LABELS

from .contact_table import COLUMNS, WAITING_LABEL
from .elide import elide_in_the_middle

NAME, EMAIL, COMPANY, STATUS, OPTED_OUT = (next(i for i, c in enumerate(COLUMNS) if c.title == t)
                                           for t in ("Name", "Email", "Company", "Status", "Opted out"))
COMFORT = {NAME: 21, EMAIL: 34, COMPANY: 21}  # average characters each shows on a table wide enough
SHARE = {NAME: 3, EMAIL: 5, COMPANY: 2}  # how width beyond the comfortable one is shared
GIVE = {NAME: 3, EMAIL: 2, COMPANY: 5}  # how a narrow table's shortfall is taken: Company first, Email last
FLOOR = {NAME: 9, EMAIL: 14, COMPANY: 6}  # fewest average characters a shrunk column keeps
PADDING = 16  # a cell's margins and the header's sort arrow


def column_widths(available: int, char: int, status: int, date: int) -> dict[int, int]:
    """Widths for a viewport `available` pixels wide; `char` is the font's average character width, `status`
    and `date` the pixels the widest status label and a date need."""
    widths = {STATUS: status + PADDING, OPTED_OUT: date + PADDING}
    rest = available - widths[STATUS] - widths[OPTED_OUT]
    comfort = {col: n * char for col, n in COMFORT.items()}
    spare = rest - sum(comfort.values())
    if spare >= 0:
        widths.update({col: w + spare * SHARE[col] // sum(SHARE.values()) for col, w in comfort.items()})
        return _exact(widths, available, char)
    # Narrow: take the shortfall by GIVE; a column at its floor gives no more, the others give its part.
    shrinking, short = dict(comfort), -spare
    while shrinking and short > 0:
        weight = sum(GIVE[col] for col in shrinking)
        take = {col: short * GIVE[col] // weight or 1 for col in shrinking}
        floored = [col for col in shrinking if shrinking[col] - take[col] <= FLOOR[col] * char]
        for col in floored or list(shrinking):
            given = min(take[col], shrinking[col] - FLOOR[col] * char)
            widths[col], short = shrinking.pop(col) - given, short - given
    widths.update(shrinking)
    return _exact(widths, available, char)


def _exact(widths: dict[int, int], available: int, char: int) -> dict[int, int]:
    """The pixels rounding left over (or took too many) go to Email, unless that would cut it below its floor."""
    left = available - sum(widths.values())
    if widths[EMAIL] + left >= FLOOR[EMAIL] * char:
        widths[EMAIL] += left
    return widths


class _FitColumns(QObject):
    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def fit(self) -> None:
        metrics = self.table.fontMetrics()
        statuses = (*STATUS_LABELS.values(), WAITING_LABEL, COLUMNS[STATUS].title)
        days = ("2026-12-31", COLUMNS[OPTED_OUT].title)
        header = self.table.horizontalHeader()
        widths = column_widths(self.table.viewport().width(), metrics.averageCharWidth(),
                               max(map(metrics.horizontalAdvance, statuses)), max(map(metrics.horizontalAdvance, days)))
        for col, width in widths.items():
            header.resizeSection(col, width)


def fit_columns(table: QTableView) -> None:
    """Keep the contact table's columns within its width (see the module's docstring)."""
    table.horizontalHeader().setStretchLastSection(False)
    elide_in_the_middle(table, EMAIL)
    fitter = _FitColumns(table)
    table.viewport().installEventFilter(fitter)
    fitter.fit()
