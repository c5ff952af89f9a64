"""The Activity tab: what is waiting to be sent or failed (with Retry / Discard), and the audit journal."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from ccdesk.files import UnwritableTarget
from ccdesk.services.desk import Desk
from ccdesk.store.errors import InvalidStateError, StoreUnavailableError
from ccdesk.store.rows import OutboxItem
from ccdesk.wording import moment, plural

from .messages import confirm, inform, warn

QUEUE_COLUMNS = ("Queued", "Action", "Contact", "State", "Tries", "Last error")
JOURNAL_COLUMNS = ("When", "Who", "Action", "Contact", "Outcome", "Reason, who asked, received", "Message")
STATE_LABELS = {"pending": "Waiting", "in_progress": "Sending", "failed": "Failed"}
# Sentences, not values: a column of them sized to its longest line pushed the journal past a 1024-pixel window.
# The first takes the width the others leave, any other gets a fixed one; they are cut with "…" and whole in
# the cell's tooltip.
LONG_TEXT = ("Last error", "Reason, who asked, received", "Message")
LONG_TEXT_CHARS = 30


def _table(columns: tuple[str, ...], name: str) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.setAccessibleName(name)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(False)
    table.setTabKeyNavigation(False)  # Tab leaves the table (a keyboard user was trapped in it, cell to cell)
    header = table.horizontalHeader()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    long_text = [j for j, title in enumerate(columns) if title in LONG_TEXT]
    for j in long_text[1:]:
        header.setSectionResizeMode(j, QHeaderView.ResizeMode.Interactive)
        table.setColumnWidth(j, LONG_TEXT_CHARS * table.fontMetrics().averageCharWidth())
    header.setSectionResizeMode(long_text[0], QHeaderView.ResizeMode.Stretch)
    return table


def _cell(value: str) -> QTableWidgetItem:
    """A cell whose text is also its tooltip: a sentence cut to its column's width can be read whole."""
    cell = QTableWidgetItem(value)
    cell.setToolTip(value)
    return cell


class ActivityTab(QWidget):
    changed = Signal()  # a failed or waiting change was retried or discarded

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self._items: list[OutboxItem] = []
        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Vertical)

        queue_box = QWidget()
        queue_layout = QVBoxLayout(queue_box)
        queue_layout.setContentsMargins(0, 0, 0, 0)
        self.queue_summary = QLabel()
        self.queue = _table(QUEUE_COLUMNS, "Changes waiting or failed")
        self.queue.itemSelectionChanged.connect(self._update_buttons)
        buttons = QHBoxLayout()
        self.retry_button = QPushButton("&Retry")
        self.retry_button.setToolTip("Try the selected failed or waiting change again now")
        self.discard_button = QPushButton("&Discard")
        self.discard_button.setToolTip("Give up on the selected failed change, or withdraw one not sent yet "
                                       "(it stays in the journal)")
        self.retry_button.clicked.connect(self.retry_selected)
        self.discard_button.clicked.connect(self.discard_selected)
        buttons.addWidget(self.queue_summary, 1)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.discard_button)
        queue_layout.addLayout(buttons)
        queue_layout.addWidget(self.queue)
        split.addWidget(queue_box)

        journal_box = QWidget()
        journal_layout = QVBoxLayout(journal_box)
        journal_layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        self.summary = QLabel()
        self.export_button = QPushButton("&Export journal…")
        self.export_button.clicked.connect(self.export_journal)
        head.addWidget(self.summary, 1)
        head.addWidget(self.export_button)
        journal_layout.addLayout(head)
        self.table = _table(JOURNAL_COLUMNS, "Audit journal")
        journal_layout.addWidget(self.table)
        split.addWidget(journal_box)
        split.setSizes([200, 400])
        layout.addWidget(split)
        self.refresh()

    def refresh(self) -> None:
        reads = self.desk.reads
        self._items = reads.waiting_and_failed()
        waiting = sum(1 for i in self._items if str(i.state) != "failed")
        failed = len(self._items) - waiting
        self.queue_summary.setText(f"{waiting} waiting to send · {failed} failed" if self._items
                                   else "Nothing waiting to send (the journal below says what became of each "
                                   "change).")
        self.queue.setRowCount(len(self._items))
        for i, item in enumerate(self._items):
            who = reads.contact(item.contact_id) if item.contact_id else None
            contact = (who.email if who else None) or item.contact_id or item.payload.get("email") or \
                plural(item.payload.get('contact_ids', []), 'contact')
            values: tuple[str, ...] = (moment(item.created_at), item.kind.replace("_", " "), str(contact),
                      STATE_LABELS.get(str(item.state), str(item.state)), str(item.attempts), item.last_error or "")
            for j, value in enumerate(values):
                cell = _cell(value)
                cell.setData(Qt.ItemDataRole.UserRole, item.id)
                self.queue.setItem(i, j, cell)
        rows = reads.journal(limit=500)
        self.summary.setText(f"Journal of this desk: the latest {plural(rows, 'entry', 'entries')}")
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            values = (f"{row.at.astimezone():%Y-%m-%d %H:%M:%S}", row.who, row.action.replace("_", " "),
                      row.email or row.contact_id or "", row.outcome, row.evidence, row.message)
            for j, value in enumerate(values):
                self.table.setItem(i, j, _cell(value))
        self._update_buttons()

    def selected_item(self) -> OutboxItem | None:
        """The one selected change that staff may act on: failed, or waiting to be sent (not being sent)."""
        rows = {index.row() for index in self.queue.selectionModel().selectedRows()}
        if len(rows) != 1:
            return None
        item = self._items[rows.pop()]
        return item if str(item.state) in ("failed", "pending") else None

    def _update_buttons(self) -> None:
        enabled = self.selected_item() is not None
        self.retry_button.setEnabled(enabled)
        self.discard_button.setEnabled(enabled)

    @asyncSlot()
    async def retry_selected(self) -> None:
        if (item := self.selected_item()) is None:
            return
        if str(item.state) == "failed":
            await self._staff_action(self.desk.actions.retry_failed(item.id))
        else:
            await self._staff_action(self.desk.actions.send_waiting_now(item.id))

    def discard_selected(self) -> QMessageBox | None:
        """Asks first: a discarded unsubscribe is an opt-out someone asked for that is not made."""
        if (item := self.selected_item()) is None:
            return None
        cell = self.queue.item(self._items.index(item), QUEUE_COLUMNS.index("Contact"))
        whom = cell.text() if cell is not None and cell.text() else "the contact"
        kinds = {"unsubscribe": f"the unsubscribe of {whom}", "resubscribe_request": f"the resubscribe email to {whom}"}
        what = kinds.get(str(item.kind), f"this change for {whom}")
        failed = str(item.state) == "failed"
        text = (f"Give up on {what}? It was not made in Constant Contact" if failed else
                f"Withdraw {what}? It has not been sent to Constant Contact yet")
        if str(item.kind) == "unsubscribe":
            text += "; if the person asked to be unsubscribed, the law still requires it"
        return confirm(self, "Discard this change?", text + ". The journal keeps a record of it.",
                       "Give up on it" if failed else "Withdraw it", lambda: self._discard(item))

    @asyncSlot()
    async def _discard(self, item: OutboxItem) -> None:
        if str(item.state) == "failed":
            await self._staff_action(self.desk.actions.discard_failed(item.id))
        else:
            await self._staff_action(self._withdraw(item.id))

    async def _withdraw(self, item_id: int) -> None:
        if not await self.desk.actions.withdraw_waiting(item_id):
            raise InvalidStateError("being sent")

    async def _staff_action(self, work: Awaitable[None]) -> None:
        try:
            await work
        except InvalidStateError:
            inform(self, "Already changed", "That change is being sent or was sent meanwhile; see its row now.")
        except StoreUnavailableError as exc:
            warn(self, "Nothing was changed", exc.message)
        self.refresh()
        self.changed.emit()

    def export_journal(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the journal", "ccdesk-journal.csv", "CSV files (*.csv)")
        if path:
            self._export_journal(Path(path))

    @asyncSlot()
    async def _export_journal(self, path: Path) -> None:
        try:
            n = await self.write_journal(path)
        except UnwritableTarget as exc:
            warn(self, "Export failed", exc.message)
            return
        inform(self, "Journal exported", f"Saved {plural(n, 'journal entry', 'journal entries')} to {path}.")

    async def write_journal(self, path: Path) -> int:
        """The whole journal as CSV (services/export.py), written off the GUI thread; raises
        files.UnwritableTarget with a plain message."""
        return await self.desk.reads.export_journal(path)
