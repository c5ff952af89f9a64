"""The Activity tab: the audit journal of this desk, newest first, with what is still waiting to be sent."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from ccdesk.store.store import Store

COLUMNS = ("When", "Who", "Action", "Contact", "Outcome", "Message")


class ActivityTab(QWidget):
    def __init__(self, reader: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reader = reader
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Audit journal")
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        self.refresh()

    def refresh(self) -> None:
        rows = self.reader.audit(limit=500)
        pending = self.reader.pending()
        failed = self.reader.outbox_items("failed", limit=1000)
        self.summary.setText(f"{len(pending)} waiting to send · {len(failed)} failed · showing the latest "
                             f"{len(rows)} entries")
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            values = (f"{row.at.astimezone():%Y-%m-%d %H:%M:%S}", row.actor, row.action.replace("_", " "),
                      row.email or row.contact_id or "", row.outcome, row.message or "")
            for j, value in enumerate(values):
                self.table.setItem(i, j, QTableWidgetItem(value))
