"""The reason part of an unsubscribe from a file: presets, who asked, the date received and the compliance clock,
as in the single unsubscribe dialog."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ccdesk.ui.dialogs.unsubscribe import (
    PRESET_REASONS,
    add_received_row,
    apply_preset,
    due_text,
)
from ccdesk.ui.dialogs.widgets import Notice, bold, error_color, set_text_color
from ccdesk.wording import plural

IMPORT_REASON = "Imported from another system's Do Not Mail list"


class BulkReasonForm(QWidget):
    changed = Signal()

    def __init__(self, *, importing: bool, today: date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._today = today or date.today()
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        label = bold("&Reason" + (" (for rows that do not have their own)" if importing else ""))
        presets = QGridLayout()
        self.preset_buttons: list[QPushButton] = []
        for i, preset in enumerate(PRESET_REASONS):
            button = QPushButton(preset)
            button.setAutoDefault(False)
            button.setAccessibleName(f"Reason: {preset}")
            button.clicked.connect(lambda _checked=False, p=preset: self._use_preset(p))
            presets.addWidget(button, i // 3, i % 3)
            self.preset_buttons.append(button)
        self.reason_edit = QLineEdit(IMPORT_REASON if importing else "")
        self.reason_edit.setPlaceholderText("Pick a reason above or type your own")
        self.reason_edit.setAccessibleName("Reason")
        label.setBuddy(self.reason_edit)
        self.reason_counter = QLabel()
        self.reason_counter.setAccessibleDescription("Reason length")
        self.reason_counter.setMinimumWidth(self.fontMetrics().horizontalAdvance("9999/255") + 4)
        row = QHBoxLayout()
        row.addWidget(self.reason_edit, 1)
        row.addWidget(self.reason_counter)
        v.addWidget(label)
        v.addLayout(presets)
        v.addLayout(row)
        v.addWidget(bold("Who asked for this?"))
        self.contact_radio = QRadioButton("The &contacts asked (for example, on another system's unsubscribe page)")
        self.account_radio = QRadioButton("Our &team decided")
        self.who_group = QButtonGroup(self)
        for radio in (self.contact_radio, self.account_radio):
            self.who_group.addButton(radio)
            v.addWidget(radio)
        if importing:
            self.contact_radio.setChecked(True)
        self._build_received(v, importing)
        v.addWidget(Notice("warning", "Only a contact can undo an unsubscribe (by signing up again); ccdesk cannot."
                           + (" This import only adds opt-outs: it never re-subscribes anyone." if importing else "")))
        self.reason_edit.textChanged.connect(lambda _text: self.changed.emit())
        self.who_group.buttonToggled.connect(lambda *_: self.changed.emit())
        self._refresh_due()

    def _build_received(self, v: QVBoxLayout, importing: bool) -> None:
        text = "Requests received &on:" if not importing else "Received on (rows without a date):"
        self.received_edit, self.due_label = add_received_row(v, self._today, text, "Date the requests were received",
                                                              self._refresh_due)

    def received_on(self) -> date:
        picked = self.received_edit.date()
        return date(picked.year(), picked.month(), picked.day())

    def _use_preset(self, preset: str) -> None:
        self.reason_edit.setText(apply_preset(self.reason_edit.text(), preset))
        self.reason_edit.setFocus()

    def _refresh_due(self) -> None:
        text, overdue = due_text(self.received_on(), self._today)
        set_text_color(self.due_label, error_color(self.palette()) if overdue else None)
        self.due_label.setText(text)


class AddUnknownBox(QWidget):
    """The addresses not in the account, offered separately: add them to the account as unsubscribed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        self.check = QCheckBox()
        self.check.setAccessibleDescription("Addresses not in the account")
        self.note = Notice("info", "They are added to the Constant Contact account as new contacts that are "
                                   "unsubscribed and on no list, so no campaign can ever reach them. Only the "
                                   "person can opt in later, by signing up.")
        v.addWidget(self.check)
        v.addWidget(self.note)
        self.check.toggled.connect(self.note.setVisible)
        self.note.hide()

    def set_count(self, n: int) -> None:
        self.check.setText(f"Also add the {plural(n, 'address', 'addresses')} not in the account, as "
                           "&unsubscribed contacts")
        self.setVisible(n > 0)
        if not n:
            self.check.setChecked(False)

    def wanted(self) -> bool:
        return self.check.isVisibleTo(self.window()) and self.check.isChecked()
