"""Unsubscribe one or many contacts: a reason, who asked, and when the request reached us."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import date
from typing import Literal

from PySide6.QtCore import QDate, QLocale, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ccdesk.services.compliance import OPT_OUT_BUSINESS_DAYS, business_days_left, compliance_due_date
from ccdesk.services.validation import MAX_REASON_LENGTH, InvalidInput, clean_reason, validate_reason
from ccdesk.wording import is_are, plural

from .base import ActionDialog
from .requests import ContactChoice, UnsubscribeRequest
from .widgets import (
    Notice,
    bold,
    contact_list,
    error_color,
    format_day,
    heading,
    isolate,
    join_and,
    muted_color,
    set_text_color,
    wrapped,
)

PRESET_REASONS: tuple[str, ...] = (
    "Asked by phone",
    "Asked by email",
    "Asked by letter",
    "Asked in person",
    "No longer a customer",
    "Complained",
)

SKIPPED_STATUSES: dict[str, str] = {"unsubscribed": "already unsubscribed", "deleted": "deleted"}
CONTACT_REQUEST_TEXT = ("Our team unsubscribed them earlier. Record their own request too: then only "
                        "they can undo the opt-out, not the account.")

WARNING_TEXT = "Only the contact can undo this. ccdesk cannot opt them back in."


def apply_preset(current: str, preset: str, presets: Sequence[str] = PRESET_REASONS) -> str:
    """The reason after clicking a preset button.

    An empty box, or one holding just another preset, becomes the preset; text the user typed is kept after
    it (``"Asked by phone: wants fewer emails"``), replacing a preset already in front.
    """
    text = current.strip()
    if not text or text in presets:
        return preset
    for other in presets:
        if text.startswith(other + ": "):
            text = text[len(other) + 2 :].lstrip()
            break
    return f"{preset}: {text}" if text else preset


def due_text(received: date, today: date) -> tuple[str, bool]:
    """The compliance clock for a request received on `received`: (sentence, overdue)."""
    due = compliance_due_date(received)
    left = business_days_left(due, today)
    span = f"{OPT_OUT_BUSINESS_DAYS} business days after it was received"
    if today > due:
        return f"Overdue: this had to take effect by {format_day(due)} ({span}). Unsubscribe now.", True
    if left == 0:
        return f"Must take effect today, {format_day(due)} \u2014 {span} (CAN-SPAM, CASL).", False
    text = f"Must take effect by {format_day(due)} \u2014 {span} (CAN-SPAM, CASL)."
    if received != today:
        text += f" {plural(left, 'business day')} left."
    return text, False


class ReasonEdit(QPlainTextEdit):
    """A wrapping, single-paragraph text box. Enter inserts nothing (a reason is one line) and presses
    nothing (unsubscribing cannot be undone); Ctrl+Enter asks to submit; Tab moves on."""

    submit_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                self.submit_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def sizeHint(self) -> QSize:
        """Five lines: 255 characters fit without scrolling at the dialog's usual width."""
        hint = super().sizeHint()
        margins = self.contentsMargins()
        lines = 5 * self.fontMetrics().lineSpacing() + 2 * round(self.document().documentMargin())
        return QSize(hint.width(), lines + margins.top() + margins.bottom() + 2 * self.frameWidth())

    def minimumSizeHint(self) -> QSize:
        lines = 2 * self.fontMetrics().lineSpacing() + 2 * round(self.document().documentMargin())
        return QSize(super().minimumSizeHint().width(), lines + 2 * self.frameWidth())


def received_date_edit(today: date, accessible_name: str) -> QDateEdit:
    """The "received on" date of a request: a calendar from 2000 to today, starting at today."""
    edit = QDateEdit()
    edit.setLocale(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    edit.setDisplayFormat("ddd d MMM yyyy")
    edit.setCalendarPopup(True)
    edit.setMinimumDate(QDate(2000, 1, 1))
    qtoday = QDate(today.year, today.month, today.day)
    edit.setMaximumDate(qtoday)
    edit.setDate(qtoday)
    edit.setAccessibleName(accessible_name)
    return edit


def add_received_row(v: QVBoxLayout, today: date, text: str, accessible_name: str,
                     on_change: Callable[[], None]) -> tuple[QDateEdit, QLabel]:
    """A "received on" label and date box on one row, with the compliance clock below; returns both widgets."""
    row = QHBoxLayout()
    label = QLabel(text)
    edit = received_date_edit(today, accessible_name)
    edit.dateChanged.connect(lambda _d: on_change())
    label.setBuddy(edit)
    row.addWidget(label)
    row.addWidget(edit)
    row.addStretch(1)
    v.addLayout(row)
    due = due_date_label()
    v.addWidget(due)
    return edit, due


def due_date_label() -> QLabel:
    """The compliance clock's label (its text comes from due_text)."""
    label = wrapped()
    label.setAccessibleDescription("Compliance due date")
    label.setToolTip("Counted Monday to Friday. Public holidays are not skipped, so the legal deadline can be a "
                     "day or two later than shown, never earlier.")
    return label


class UnsubscribeDialog(ActionDialog):
    """Ask for what an unsubscribe needs; ``result_request()`` gives an :class:`UnsubscribeRequest`.

    Contacts already unsubscribed or deleted are listed as skipped and left out of the request.
    """

    def __init__(self, contacts: Sequence[ContactChoice], parent: QWidget | None = None,
                 today: date | None = None) -> None:
        super().__init__("Unsubscribe", parent)
        self._today = today or date.today()
        self._contacts = tuple(contacts)
        self._bulk = len(self._contacts) > 1
        # One contact our team opted out: the contact's own request can still be recorded (it is then final).
        self._contact_request = not self._bulk and bool(self._contacts) and self._contacts[0].team_opt_out
        self._targets = tuple(c for c in self._contacts
                              if c.status not in SKIPPED_STATUSES or self._contact_request)
        self._skipped = tuple(c for c in self._contacts if c not in self._targets)
        self._build()
        self._refresh()
        if self._targets:
            self.reason_edit.setFocus()

    # ------------------------------------------------------------------------------------------------ layout

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self._title()))
        if not self._bulk and self._contacts and self._contacts[0].name.strip():
            sub = wrapped(self._contacts[0].email, selectable=True)
            layout.addWidget(sub)
        if self._bulk and self._targets:
            self.targets_list = contact_list(self._targets, "Contacts to unsubscribe")
            layout.addWidget(self.targets_list, 1 if len(self._targets) > 5 else 0)
        self._build_skipped(layout)
        layout.addSpacing(self.fontMetrics().height() // 2)

        self.form = QWidget()
        form = QVBoxLayout(self.form)
        form.setContentsMargins(0, 0, 0, 0)
        who = "They" if self._bulk else isolate(self._contacts[0].short_name) if self._contacts else "They"
        form.addWidget(wrapped(CONTACT_REQUEST_TEXT if self._contact_request else
            f"{who} will get no more email from this account, from any list. To take someone off some lists "
            "only, use Remove from lists instead."
        ))
        self.warning = Notice("warning", WARNING_TEXT)
        form.addWidget(self.warning)
        self._build_reason(form)
        self._build_who(form)
        self._build_received(form)
        n = len(self._targets)
        self._add_body_and_buttons(layout, self.form, shown=bool(self._targets),
                                   ok_text=f"&Unsubscribe {plural(n, 'contact')}" if self._bulk else
                                   "Record the&ir request" if self._contact_request else "&Unsubscribe")
        # Tab follows the page: presets, reason (where focus starts; Shift+Tab reaches the presets), who asked,
        # the date, then Unsubscribe and Cancel last.
        chain = [*self.preset_buttons, self.reason_edit, self.contact_radio, self.account_radio,
                 self.received_edit, self.ok_button, self.cancel_button]
        for first, then in itertools.pairwise(chain):
            QWidget.setTabOrder(first, then)

    def _title(self) -> str:
        if self._contact_request:
            return f"{isolate(self._contacts[0].short_name)} asked to unsubscribe"
        if not self._bulk:
            return f"Unsubscribe {isolate(self._contacts[0].short_name)}" if self._contacts else "Nothing to do"
        if not self._targets:
            return "Nothing to unsubscribe"
        return f"Unsubscribe {plural(len(self._targets), 'contact')}"

    def _build_skipped(self, layout: QVBoxLayout) -> None:
        self.skipped_list = None
        if not self._skipped:
            return
        if not self._bulk:
            contact = self._skipped[0]
            text = (f"{isolate(contact.email)} is already unsubscribed. There is nothing to do."
                    if contact.status == "unsubscribed" else
                    f"{isolate(contact.email)} was deleted in Constant Contact, so it is not mailed. ccdesk does not "
                    "unsubscribe deleted contacts (that would bring them back).")
            layout.addWidget(Notice("info", text))
            return
        verb = is_are(self._skipped)
        layout.addWidget(bold(f"{plural(len(self._skipped), 'contact')} {verb} skipped: already unsubscribed "
                              "or deleted"))
        notes = [SKIPPED_STATUSES[c.status] for c in self._skipped]
        self.skipped_list = contact_list(self._skipped, "Skipped contacts", notes=notes)
        layout.addWidget(self.skipped_list)

    def _build_reason(self, form: QVBoxLayout) -> None:
        label = bold("&Reason")
        form.addSpacing(self.fontMetrics().height() // 2)
        form.addWidget(label)
        presets = QGridLayout()
        presets.setSpacing(self.style().pixelMetric(self.style().PixelMetric.PM_LayoutHorizontalSpacing))
        self.preset_buttons: list[QPushButton] = []
        for i, preset in enumerate(PRESET_REASONS):
            button = QPushButton(preset)
            button.setAutoDefault(False)
            button.setAccessibleName(f"Reason: {preset}")
            button.setToolTip(f"Use \u201c{preset}\u201d as the reason; you can add details after it.")
            button.clicked.connect(lambda _checked=False, p=preset: self._use_preset(p))
            presets.addWidget(button, i // 3, i % 3)
            self.preset_buttons.append(button)
        form.addLayout(presets)
        self.reason_edit = ReasonEdit()
        self.reason_edit.setPlaceholderText("Pick a reason above or type your own. Add details if you have them.")
        self.reason_edit.setAccessibleName("Reason")
        self.reason_edit.setAccessibleDescription(f"One line, up to {MAX_REASON_LENGTH} characters. "
                                                  "Saved in Constant Contact with the opt-out.")
        self.reason_edit.textChanged.connect(self._refresh)
        self.reason_edit.submit_requested.connect(self._submit_from_keyboard)
        label.setBuddy(self.reason_edit)
        form.addWidget(self.reason_edit, 1)  # the only thing that grows: spare height goes to the reason
        row = QHBoxLayout()
        self.reason_error = wrapped()
        self.reason_error.setAccessibleDescription("Problem with the reason")
        self.counter_label = QLabel()
        self.counter_label.setAccessibleDescription("Reason length")
        self.counter_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.counter_label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        row.addWidget(self.reason_error, 1)
        row.addWidget(self.counter_label, 0, Qt.AlignmentFlag.AlignTop)
        form.addLayout(row)

    def _build_who(self, form: QVBoxLayout) -> None:
        form.addSpacing(self.fontMetrics().height() // 2)
        form.addWidget(bold("Who asked for this?"))
        self.contact_radio = QRadioButton("The contact &asked (by phone, email, letter or in person)")
        self.account_radio = QRadioButton("Our &team decided (for example, no longer a customer)")
        self.contact_radio.setAccessibleName("The contact asked")
        self.account_radio.setAccessibleName("Our team decided")
        self.who_group = QButtonGroup(self)
        self.who_group.addButton(self.contact_radio)
        self.who_group.addButton(self.account_radio)
        self.who_group.buttonToggled.connect(self._refresh)
        form.addWidget(self.contact_radio)
        form.addWidget(self.account_radio)
        if self._contact_request:  # the team's opt-out is on record already: only the contact's request is new
            self.contact_radio.setChecked(True)
            self.account_radio.setEnabled(False)
            self.account_radio.setToolTip("Our team's opt-out is already on record.")
        self.who_note = wrapped("Choose \u201cThe contact asked\u201d only when the person asked you themselves: "
                                "Constant Contact records who made the change.")
        form.addWidget(self.who_note)
        form.addSpacing(self.fontMetrics().height() // 2)

    def _build_received(self, form: QVBoxLayout) -> None:
        form.addWidget(bold("When did the request reach you?"))
        self.received_edit, self.due_label = add_received_row(form, self._today, "Received &on:",
                                                              "Date the request was received", self._refresh)

    # ------------------------------------------------------------------------------------------------- state

    def received_on(self) -> date:
        d = self.received_edit.date()
        return date(d.year(), d.month(), d.day())

    def asked_by(self) -> Literal["Contact", "Account"] | None:
        if self.contact_radio.isChecked():
            return "Contact"
        if self.account_radio.isChecked():
            return "Account"
        return None

    def _use_preset(self, preset: str) -> None:
        self.reason_edit.setPlainText(apply_preset(self.reason_edit.toPlainText(), preset))
        self.reason_edit.moveCursor(self.reason_edit.textCursor().MoveOperation.End)
        self.reason_edit.setFocus()

    def _submit_from_keyboard(self) -> None:
        if self.ok_button.isEnabled():
            self.ok_button.click()

    def _refresh(self) -> None:
        """Recompute the counter, messages, due date and whether OK is enabled."""
        if not hasattr(self, "hint_label"):
            return
        missing: list[str] = []
        if self._targets:
            missing += self._refresh_reason()
            if self.asked_by() is None:
                missing.append("choose who asked")
            self._refresh_due()
        set_text_color(self.hint_label, muted_color(self.palette()))
        if not self._targets:  # one contact: the notice at the top already says why
            self.hint_label.setText("There is nobody to unsubscribe." if self._bulk else "")
        elif missing:
            self.hint_label.setText("To continue, " + join_and(missing) + ".")
        else:
            self.hint_label.setText("")
        self.ok_button.setEnabled(bool(self._targets) and not missing)

    def _refresh_reason(self) -> list[str]:
        raw = self.reason_edit.toPlainText()
        length = len(clean_reason(raw))  # code points, as the API counts
        over = length - MAX_REASON_LENGTH
        font = self.counter_label.font()
        font.setBold(over > 0)
        self.counter_label.setFont(font)
        if over > 0:
            self.counter_label.setText(f"{length} / {MAX_REASON_LENGTH} \u2014 {over} too many")
            set_text_color(self.counter_label, error_color(self.palette()))
        else:
            self.counter_label.setText(f"{length} / {MAX_REASON_LENGTH}")
            set_text_color(self.counter_label, muted_color(self.palette()))
        if not raw.strip():
            self.reason_error.setText("")
            return ["give a reason"]
        try:
            validate_reason(raw)
        except InvalidInput as exc:
            self.reason_error.setText(exc.message)
            set_text_color(self.reason_error, error_color(self.palette()))
            return ["fix the reason"]
        self.reason_error.setText("")
        return []

    def _refresh_due(self) -> None:
        text, overdue = due_text(self.received_on(), self._today)
        set_text_color(self.due_label, error_color(self.palette()) if overdue else None)
        self.due_label.setText(text)


    # ------------------------------------------------------------------------------------------------ result

    def build_request(self) -> UnsubscribeRequest | None:
        asked_by = self.asked_by()
        if not self._targets or asked_by is None or self.received_on() > self._today:
            return None
        try:
            reason = validate_reason(self.reason_edit.toPlainText())
        except InvalidInput:
            return None
        return UnsubscribeRequest(contact_ids=tuple(c.contact_id for c in self._targets), reason=reason,
                                  asked_by=asked_by, received_on=self.received_on())
