"""Ask Constant Contact to send an unsubscribed contact its one-time resubscribe (confirmation) email."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from .base import ActionDialog
from .requests import STATUS_LABELS, ContactChoice, ResubscribeRequest
from .widgets import (
    Notice,
    bold,
    checkable_list,
    checked_ids,
    format_day,
    heading,
    isolate,
    join_and,
    muted_color,
    set_text_color,
    wrapped,
)

ONCE_TEXT = ("This email can be sent only once per contact, ever. If it gets lost, the contact can rejoin only "
             "through one of your sign-up forms.")
LAW_TEXT = ("Neither ccdesk nor anyone on your account may opt a contact back in directly: that is against the law "
            "(CAN-SPAM, CASL) and Constant Contact's rules.")


class ResubscribeDialog(ActionDialog):
    """Pick the lists an unsubscribed contact rejoins if they confirm; ``result_request()`` gives a
    :class:`ResubscribeRequest`. Refuses (OK disabled, reason shown) when the contact is not unsubscribed or a
    resubscribe email was already sent (``already_requested_on``)."""

    def __init__(self, contact: ContactChoice, lists: Sequence[tuple[str, str]], already_requested_on: date | None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Send a resubscribe email", parent)
        self._contact = contact
        self._already = already_requested_on
        self._blocked = already_requested_on is not None or contact.status != "unsubscribed"
        self._lists = self._merge_lists(lists)
        self._build()
        self._refresh()

    def _merge_lists(self, lists: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        """The account's lists, plus any list the contact was on that the caller did not pass."""
        known = dict(lists)
        extra = [(list_id, name) for list_id, name in self._contact.lists if list_id not in known]
        return (*tuple(lists), *extra)

    def _build(self) -> None:
        contact = self._contact
        layout = QVBoxLayout(self)
        layout.addWidget(heading(f"Ask {isolate(contact.short_name)} to resubscribe"))
        if contact.name.strip():
            layout.addWidget(wrapped(contact.email, selectable=True))
        layout.addSpacing(self.fontMetrics().height() // 2)

        self.already_notice: Notice | None = None
        if self._already is not None:
            self.already_notice = Notice(
                "info",
                f"A resubscribe email was already sent on {format_day(self._already)}; Constant Contact allows "
                f"only one. If it did not arrive, {isolate(contact.short_name)} can rejoin only through one of your "
                "sign-up forms.",
            )
            layout.addWidget(self.already_notice)
        elif contact.status != "unsubscribed":
            status = STATUS_LABELS.get(contact.status, contact.status)
            layout.addWidget(Notice(
                "info",
                f"{isolate(contact.email)} is not unsubscribed ({status}), so there is nothing to resubscribe. "
                "A resubscribe email is only for contacts who unsubscribed.",
            ))

        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(wrapped(
            f"Constant Contact will email {isolate(contact.email)} a link to confirm. They are resubscribed only if "
            "they click it; until then they stay unsubscribed and get nothing from you."
        ))
        self.once_notice = Notice("warning", ONCE_TEXT)
        body.addWidget(self.once_notice)
        body.addWidget(wrapped(LAW_TEXT))

        body.addSpacing(self.fontMetrics().height() // 2)
        lists_label = bold("&Lists they will rejoin when they confirm")
        body.addWidget(lists_label)
        on = {list_id for list_id, _ in contact.lists}
        self.lists_widget = checkable_list([(i, n, i in on) for i, n in self._lists],
                                           "Lists they will rejoin when they confirm")
        self.lists_widget.itemChanged.connect(self._refresh)
        lists_label.setBuddy(self.lists_widget)
        body.addWidget(self.lists_widget, 1)
        if contact.lists:
            note = QLabel("The lists they were on are ticked.")
            note.setWordWrap(True)
            body.addWidget(note)
            self._note = note
        else:
            self._note = None

        self.permission_check = QCheckBox("The contact has &asked to get our emails again")
        self.permission_check.setAccessibleName("The contact has asked to get our emails again")
        self.permission_check.toggled.connect(self._refresh)
        body.addWidget(self.permission_check)
        self._add_body_and_buttons(layout, self.body, shown=not self._blocked, ok_text="&Send resubscribe email")
        if self._blocked:
            self.cancel_button.setFocus()
        else:
            self.lists_widget.setFocus()

    def _missing(self) -> list[str]:
        missing = []
        if not checked_ids(self.lists_widget):
            missing.append("tick at least one list" if self._lists else "create a list first (your account has "
                                                                           "none)")
        if not self.permission_check.isChecked():
            missing.append("confirm that the contact asked")
        return missing

    def _refresh(self) -> None:
        if not hasattr(self, "hint_label"):
            return
        muted = muted_color(self.palette())
        set_text_color(self.hint_label, muted)
        if self._note is not None:
            set_text_color(self._note, muted)
        if self._blocked:  # the notice at the top says why
            self.hint_label.setText("")
            self.ok_button.setEnabled(False)
            return
        missing = self._missing()
        self.hint_label.setText("To continue, " + join_and(missing) + "." if missing else "")
        self.ok_button.setEnabled(not missing)


    def build_request(self) -> ResubscribeRequest | None:
        if self._blocked or self._missing():
            return None
        return ResubscribeRequest(contact_id=self._contact.contact_id, list_ids=checked_ids(self.lists_widget))
