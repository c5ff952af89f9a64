"""The Recent opt-outs tab: who opted out in a period, by whom and why, a weekly chart, and export."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from ccdesk.files import UnwritableTarget
from ccdesk.services.desk import Desk
from ccdesk.services.optout_stats import OptOutStats
from ccdesk.services.reads import SHOWN_MAX, Period, RecentOptOuts
from ccdesk.services.sync import SyncResult
from ccdesk.store.rows import ContactRow
from ccdesk.wording import clock, day, moment, plural

from .elide import elide_in_the_middle

log = logging.getLogger(__name__)

PRESETS = (("since_last", "Since last check"), ("7", "Last 7 days"), ("30", "Last 30 days"),
           ("365", "Last 12 months"), ("custom", "Custom dates"))
SOURCES = (("", "By anyone"), ("Contact", "By the contact"), ("Account", "By our team"))
# No "Lists" column: Constant Contact takes an unsubscribed contact off every list, so the lists they are on
# now are always none, and the lists they were on before are known neither to the cache nor to the journal.
COLUMNS = ("Opted out", "Email", "Name", "Who", "Reason")
Index = QModelIndex | QPersistentModelIndex


class OptOutModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[ContactRow] = []

    def set_rows(self, rows: list[ContactRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        r = self.rows[index.row()]
        when = moment(r.opt_out_date)
        who = {"Contact": "The contact", "Account": "Our team"}.get(r.opt_out_source or "", "—")
        return (when, r.email or "", r.display_name, who, r.opt_out_reason or "")[index.column()]

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None


class OptOutsTab(QWidget):
    contact_requested = Signal(str)  # a row was opened (double-click or Enter): show that contact

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.reads = desk, desk.reads
        self.last_check: datetime | None = None
        self.previous_check: datetime | None = None
        # What the latest check that found anything found new: exactly the opt-outs its "N new opt-outs" notice
        # announced (a later check that finds none keeps them: the notice may still be up), when that check ran
        # and the check before it.
        self.found_by_check: list[str] | None = None
        self.found_at: datetime | None = None
        self.found_since: datetime | None = None
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.preset = QComboBox()
        self.preset.setAccessibleName("Period")
        for key, label in PRESETS:
            self.preset.addItem(label, key)
        self.preset.setCurrentIndex(2)
        self.from_edit, self.to_edit = QDateEdit(), QDateEdit()
        for edit, name in ((self.from_edit, "From"), (self.to_edit, "To")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(name)
        today = QDate.currentDate()
        self.from_edit.setDate(today.addDays(-30))
        self.to_edit.setDate(today)
        self.source = QComboBox()
        self.source.setAccessibleName("Who opted out")
        for key, label in SOURCES:
            self.source.addItem(label, key)
        self.reason = QComboBox()
        self.reason.setAccessibleName("Reason")
        self.reason.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.export_button = QPushButton("&Export this view…")
        self.export_button.clicked.connect(self.export_view)
        for w in (QLabel("Period:"), self.preset, self.from_edit, QLabel("to"), self.to_edit, self.source,
                  self.reason):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        layout.addLayout(bar)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        split = self.split = QSplitter(Qt.Orientation.Vertical)
        # The chart (pyqtgraph + numpy, half a second to import) is built the first time the tab is shown,
        # so the app starts as fast without it.
        self.chart: Any = None
        split.addWidget(QWidget())
        self.model = OptOutModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Opt-outs in the period")
        self.table.setToolTip("Double-click or press Enter to open the contact")
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.activated.connect(self._open_row)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        elide_in_the_middle(self.table, COLUMNS.index("Email"))  # a long address keeps its domain in view
        self.table.horizontalHeader().setStretchLastSection(True)  # the reason takes the room that is left
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((150, 240, 150, 100)):
            self.table.setColumnWidth(col, width)
        split.addWidget(self.table)
        split.setSizes([260, 340])
        layout.addWidget(split, 1)
        self.stats = OptOutStats()
        self._reading: asyncio.Future[RecentOptOuts] | None = None
        self.preset.currentIndexChanged.connect(lambda _i: self.refresh())
        self.source.currentIndexChanged.connect(lambda _i: self.refresh())
        self.reason.activated.connect(lambda _i: self.refresh())
        self.from_edit.dateChanged.connect(lambda _d: self._custom_changed())
        self.to_edit.dateChanged.connect(lambda _d: self._custom_changed())
        self._update_custom()

    # --- the period ----------------------------------------------------------------------------------------
    def _update_custom(self, p: Period | None = None) -> None:
        """The date boxes are editable for custom dates only; otherwise they show the preset's own range."""
        custom = self.preset.currentData() == "custom"
        self.from_edit.setEnabled(custom)
        self.to_edit.setEnabled(custom)
        if not custom and p is not None:
            for edit, when in ((self.from_edit, p.since), (self.to_edit, p.until)):
                edit.blockSignals(True)
                edit.setDate(QDate(when.year, when.month, when.day))
                edit.blockSignals(False)

    def _custom_changed(self) -> None:
        if self.preset.currentData() == "custom":
            self.refresh()

    def period(self) -> Period:
        now = datetime.now().astimezone()
        key = self.preset.currentData()
        if key == "custom":  # typed the other way round (or while typing a year): the days between them
            days: list[date] = sorted((self.from_edit.date().toPython(), self.to_edit.date().toPython()))
            first, last = days
            start = datetime.combine(first, time.min).astimezone()
            end = datetime.combine(last, time.max).astimezone()
        elif key == "since_last" and self.found_by_check is not None:
            found = [r.opt_out_date for r in self.reads.found_optouts(self.found_by_check)
                     if r.opt_out_date is not None]
            start = min([*found, self.found_since or self.found_at or now]).astimezone()
            end = max([*found, self.found_at or now]).astimezone()
        elif key == "since_last":
            start, end = (self.last_check or now - timedelta(days=1)), now
        else:  # from the start of the day the date box shows, as custom dates count
            start, end = datetime.combine((now - timedelta(days=int(key))).date(), time.min).astimezone(), now
        return Period(start, end, self.source.currentData() or None, self.reason.currentData() or None)

    # --- data ----------------------------------------------------------------------------------------------
    def _from_check(self) -> bool:
        return self.preset.currentData() == "since_last" and self.found_by_check is not None

    def refresh(self) -> None:
        """Read the period again: on the database thread when the loop runs (a whole period can be many rows),
        at once otherwise (a synchronous test)."""
        p = self.period()
        self._update_custom(p)
        found = self.found_by_check if self._from_check() else None
        if self._reading is not None:
            self._reading.cancel()  # an older period's figures are not wanted any more
            self._reading = None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._show_view(self.reads.recent_optouts(p, found), p)
            return
        self._reading = reading = self.reads.recent_optouts_later(p, found)
        reading.add_done_callback(lambda f: self._view_ready(f, p))

    def _view_ready(self, future: asyncio.Future[RecentOptOuts], p: Period) -> None:
        if future is self._reading:
            self._reading = None
        if future.cancelled():
            return
        if (exc := future.exception()) is not None:
            log.warning("recent opt-outs not read: %s", type(exc).__name__)
            why = getattr(exc, "message", None) or "an unexpected problem (see Help → Show log)."
            self.summary.setText(f"The opt-outs could not be read just now: {why} They are read again after the "
                                 "next check.")
            return
        self._show_view(future.result(), p)

    def _show_view(self, view: RecentOptOuts, p: Period) -> None:
        self.stats = view.stats
        self.model.set_rows(view.shown)
        self._fill_reasons(p)
        if self.chart is not None:
            self.chart.show_stats(self.stats)
        total = view.total
        span = f"from {day(p.since)} to {day(p.until)}"
        if self._from_check() and self.found_at is not None:
            at, since = self.found_at, self.found_since
            same_minute = since is not None and clock(since) == clock(at)  # "at 20:25 (new since 20:25)" reads oddly
            when = (lambda t: t.astimezone().strftime("%H:%M:%S")) if same_minute else clock
            span = f"found by the check at {when(at)}" + (f" (new since {when(since)})" if since else "")
        self.summary.setText(
            f"{plural(total, 'opt-out')} {span}: "
            f"{self.stats.contact_total:,} by the contact, {self.stats.account_total:,} by our team."
            + (f" The table shows the newest {SHOWN_MAX:,}; export for all of them." if view.more_than_shown else ""))

    def _fill_reasons(self, p: Period) -> None:
        current = self.reason.currentData()
        self.reason.blockSignals(True)
        self.reason.clear()
        self.reason.addItem("Any reason", "")
        for reason, n in self.stats.reasons:
            self.reason.addItem(f"{reason[:40]} ({n:,})", reason)
        if current and self.reason.findData(current) < 0:
            self.reason.addItem(current[:40], current)
        self.reason.setCurrentIndex(max(0, self.reason.findData(current or "")))
        self.reason.blockSignals(False)

    def ensure_chart(self) -> None:
        if self.chart is None:
            from .optouts_chart import OptOutChart

            self.chart = OptOutChart()
            self.split.replaceWidget(0, self.chart)
            self.chart.show_stats(self.stats)

    def showEvent(self, event: Any) -> None:
        self.ensure_chart()
        super().showEvent(event)

    def on_sync_finished(self, result: SyncResult | None = None, *_: object) -> None:
        """After every check: "Since last check" lists what the latest check that found any found new, as its
        notice says (the notice stays up after a check that finds none, and so does its list)."""
        self.previous_check, self.last_check = self.last_check, datetime.now().astimezone()
        if isinstance(result, SyncResult) and (result.full_pull or result.new_optouts or self.found_by_check is None):
            # the first full read finds nothing "new" yet; a check that finds none keeps the last finding
            self.found_by_check = [] if result.full_pull else list(result.new_optouts)
            self.found_at, self.found_since = self.last_check, self.previous_check
        self.refresh()

    def show_found_by_last_check(self) -> None:
        """What the new-opt-outs notice announced: "Since last check", by anyone, for any reason."""
        for combo, key in ((self.source, ""), (self.reason, ""), (self.preset, "since_last")):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(key)))
            combo.blockSignals(False)
        self.refresh()

    def shutdown(self) -> None:
        if self._reading is not None:
            self._reading.cancel()

    def _open_row(self, index: QModelIndex) -> None:
        if 0 <= index.row() < len(self.model.rows):
            self.contact_requested.emit(self.model.rows[index.row()].contact_id)

    # --- export --------------------------------------------------------------------------------------------
    def export_view(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export these opt-outs", "opt-outs.csv", "CSV files (*.csv)")
        if path:
            self._export(Path(path), self.period())

    @asyncSlot()
    async def _export(self, path: Path, p: Period) -> None:
        try:
            result = await self.reads.export_optouts(path, p)
        except UnwritableTarget as exc:
            self._tell(QMessageBox.Icon.Warning, "Export failed", str(exc))
            return
        self._tell(QMessageBox.Icon.Information, "Export finished",
                   f"Saved {plural(result.rows, 'opt-out')} to {path.name}. {result.marked_note()}".strip())

    def _tell(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        """A message box opened with open(), not exec(): a modal loop inside this coroutine would block the
        asyncio loop (and with it the sender) for as long as the box stays open."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.message_box = box
