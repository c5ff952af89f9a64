"""The right-hand pane: who the contact is, whether they may be mailed, what can be done, and history."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ccdesk.store.journal import JournalEntry
from ccdesk.store.rows import ContactRow, OutboxItem, OutboxKind
from ccdesk.wording import Badge, Tone, clock, describe, moment

from .action_rules import add_back_state

TONE_STYLE = {
    Tone.OK: "background:#e8f5e9; color:#1b5e20; border:1px solid #81c784;",
    Tone.STOP: "background:#ffebee; color:#b71c1c; border:1px solid #e57373;",
    Tone.WAIT: "background:#fff8e1; color:#7a4f01; border:1px solid #ffb74d;",
    Tone.NEUTRAL: "background:#eceff1; color:#37474f; border:1px solid #b0bec5;",
}


def text_direction(text: str) -> str:
    """ "rtl" when the first letter with a direction is Arabic, Hebrew, ..., else "ltr"."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"
def queued_badge(row: ContactRow, pending: Sequence[OutboxItem]) -> Badge | None:
    """A queued unsubscribe outranks the cached status: the contact must not be mailed from the moment it is
    asked for, even though Constant Contact has not heard of it yet."""
    if str(row.status) == "unsubscribed":
        return None
    for item in pending:
        if item.kind == OutboxKind.UNSUBSCRIBE:
            detail = (f"Asked for on {moment(item.created_at)}. Do not mail this contact; "
                      "ccdesk sends the unsubscribe to Constant Contact as soon as it can (see the Activity tab).")
            if item.last_error:
                detail += f" Last try: {item.last_error}"
            return Badge("Unsubscribe waiting to send", Tone.WAIT, detail)
    return None


def history_line(entry: JournalEntry) -> str:
    """Three short lines: "01 Dec 2026 10:15  unsubscribe — sent 10:16" / "by alice (Front desk)" / the
    evidence (reason, who asked, date received) and the server's message."""
    done = f" {clock(entry.outcome_at)}" if entry.outcome_at != entry.at else ""
    lines = [f"{moment(entry.at)}  {entry.action.replace('_', ' ')} — {entry.outcome}{done}",
             f"by {entry.who}"]
    lines += [x for x in (entry.evidence, entry.message) if x]
    return "\n".join(lines)


def by_whom(source: str | None) -> str:
    """Constant Contact's update source in staff words: "Contact" is the contact, "Account" is our team."""
    return {"Contact": "the contact", "Account": "our team"}.get(source or "", source or "someone unknown")


def _fmt(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return moment(value)
    return str(value)


class DetailsPane(QWidget):
    unsubscribe_requested = Signal()
    resubscribe_requested = Signal()
    remove_requested = Signal()
    add_back_requested = Signal()
    buttons_changed = Signal()  # the buttons' enabled state or tooltips changed (the Contact menu follows them)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(320)
        layout = QVBoxLayout(self)
        self.title = QLabel("No contact selected")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)

        self.badge = QLabel()
        self.badge.setWordWrap(True)
        self.badge.setAccessibleDescription("Mailing status")  # the name stays the text, so the value is heard
        self.badge_detail = QLabel()
        self.badge_detail.setWordWrap(True)
        layout.addWidget(self.badge)
        layout.addWidget(self.badge_detail)

        buttons = QGridLayout()  # two by two: whole at 1024 px
        self.unsubscribe_button = QPushButton("&Unsubscribe…")
        self.resubscribe_button = QPushButton("Request &resubscribe…")
        self.remove_button = QPushButton("Remove from &lists…")
        self.add_back_button = QPushButton("Add &back to lists…")
        for i, (button, signal) in enumerate(((self.unsubscribe_button, self.unsubscribe_requested),
                                              (self.resubscribe_button, self.resubscribe_requested),
                                              (self.remove_button, self.remove_requested),
                                              (self.add_back_button, self.add_back_requested))):
            button.clicked.connect(signal.emit)
            buttons.addWidget(button, i // 2, i % 2)
        buttons.setColumnStretch(2, 1)
        layout.addLayout(buttons)

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        layout.addWidget(line)

        self.form = QFormLayout()
        # A value too long to sit beside its label (a long address in a narrow pane) goes under it, whole.
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.fields: dict[str, QLabel] = {}
        for key, label in (("email", "Email"), ("company", "Company"), ("opt_in", "Opted in"),
                           ("opt_out", "Opted out"), ("reason", "Reason"), ("lists", "Lists"),
                           ("pending", "Waiting to send")):
            value = QLabel("—")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleDescription(label)  # not the name: that would replace the value
            self.fields[key] = value
            self.form.addRow(label + ":", value)
        layout.addLayout(self.form)

        layout.addWidget(QLabel("History (this desk):"))
        self.history = QListWidget()
        self.history.setAccessibleName("History of this contact")
        self.history.setWordWrap(True)
        self.history.setAlternatingRowColors(True)
        layout.addWidget(self.history, 1)
        self.show_contact(None)

    def show_contact(self, row: ContactRow | None, *, list_names: dict[str, str] | None = None,
                     history: Sequence[JournalEntry] = (), pending: Sequence[OutboxItem] = (),
                     resubscribe_requested: bool = False,
                     removed_here: Callable[[], Collection[str]] = frozenset) -> None:
        """`removed_here` reads the lists this desk took the contact off (Add back to lists offers only those
        to a contact still on lists); it is called only when needed."""
        self._show_contact(row, list_names or {}, history, pending, resubscribe_requested, removed_here)
        self.buttons_changed.emit()

    def _show_contact(self, row: ContactRow | None, names: dict[str, str], history: Sequence[JournalEntry],
                      pending: Sequence[OutboxItem], resubscribe_requested: bool,
                      removed_here: Callable[[], Collection[str]] = frozenset) -> None:
        enabled = row is not None
        for w in (self.unsubscribe_button, self.remove_button, self.resubscribe_button, self.add_back_button):
            w.setEnabled(enabled)
        self.history.clear()
        if row is None:
            self.title.setText("No contact selected")
            self._set_badge(Badge("Search for a contact, then pick one from the table.", Tone.NEUTRAL))
            for value in self.fields.values():
                value.setText("—")
            return
        self.title.setText(row.display_name or row.email or row.contact_id)
        facts = {"permission": row.permission_to_send, "opt_out_date": row.opt_out_date,
                 "opt_out_source": row.opt_out_source, "resubscribe_requested_at": row.resubscribe_requested_at,
                 "deleted": row.deleted_at is not None, "confirm_status": row.confirm_status}
        badge = describe(str(row.status), **facts)  # type: ignore[arg-type]
        with_reason = describe(str(row.status), opt_out_reason=row.opt_out_reason, **facts)  # type: ignore[arg-type]
        queued = queued_badge(row, pending)  # a queued unsubscribe outranks the cached status
        self._set_badge(queued or badge, reason=row.opt_out_reason if not queued and with_reason.label != badge.label
                        else None)
        unsubscribed = str(row.status) == "unsubscribed"
        unsubscribe_queued = any(item.kind == OutboxKind.UNSUBSCRIBE for item in pending)
        team_opt_out = unsubscribed and row.opt_out_source == "Account"  # the contact's own request is still news
        self.unsubscribe_button.setEnabled((not unsubscribed or team_opt_out) and not unsubscribe_queued
                                           and str(row.status) != "deleted")
        self.unsubscribe_button.setToolTip(
            "An unsubscribe is already waiting to send" if unsubscribe_queued else
            "Unsubscribed by our team: record that the contact asked too (then only they can undo it)"
            if team_opt_out else "Already unsubscribed by the contact" if unsubscribed else "")
        can_resub = (unsubscribed and row.resubscribe_requested_at is None and not resubscribe_requested
                     and row.confirm_status != "pending")  # one may have been sent from the web UI
        self.resubscribe_button.setEnabled(can_resub)
        self.resubscribe_button.setToolTip(
            "Only for unsubscribed contacts, and only once per contact" if not can_resub else
            "Constant Contact emails the contact; they are resubscribed only if they confirm")
        self.remove_button.setEnabled(bool(row.list_ids))
        self.remove_button.setToolTip("" if row.list_ids else "This contact is not on any list")
        enabled, why = add_back_state(row, names, unsubscribe_queued, removed_here)
        self.add_back_button.setEnabled(enabled)
        self.add_back_button.setToolTip(why)
        self.fields["email"].setText(row.email or "—")
        self.fields["company"].setText(row.company or "—")
        self.fields["opt_in"].setText(f"{_fmt(row.opt_in_date)} by {by_whom(row.opt_in_source)}"
                                      if row.opt_in_date else "—")
        self.fields["opt_out"].setText(f"{_fmt(row.opt_out_date)} by {by_whom(row.opt_out_source)}"
                                       if row.opt_out_date else "—")
        self.fields["reason"].setText(row.opt_out_reason or "—")
        self.fields["lists"].setText(", ".join(sorted(names.get(lid, lid) for lid in row.list_ids))
                                     or ("none" if row.lists_known else "not loaded yet"))
        self.fields["pending"].setText("; ".join(
            f"{item.kind.replace('_', ' ')} ({'sending' if str(item.state) == 'in_progress' else 'waiting to send'})"
            for item in pending) or "nothing")
        for entry in history:
            self.history.addItem(history_line(entry))
        if not history:
            self.history.addItem("No actions from this desk yet.")

    def show_many(self, n: int) -> None:
        """Several contacts selected: say what the buttons will do to them (not "search for a contact")."""
        self.show_contact(None)
        self.title.setText(f"{n} contacts selected")
        self._set_badge(Badge(f"Unsubscribe or Remove from lists acts on all {n} of them.", Tone.NEUTRAL))
        self.unsubscribe_button.setEnabled(True)
        self.remove_button.setEnabled(True)
        self.buttons_changed.emit()

    def action_buttons(self) -> dict[str, QPushButton]:
        return {"unsubscribe": self.unsubscribe_button, "resubscribe": self.resubscribe_button,
                "remove": self.remove_button, "add_back": self.add_back_button}

    def _set_badge(self, badge: Badge, reason: str | None = None) -> None:
        """The reason is a paragraph of its own, laid out in its own direction: an Arabic or Hebrew reason
        wraps right to left instead of being reordered inside the English sentence."""
        if reason:
            self.badge.setTextFormat(Qt.TextFormat.RichText)
            self.badge.setText(f"<p>{escape(badge.label)}:</p><p dir=\"{text_direction(reason)}\">{escape(reason)}</p>")
        else:
            self.badge.setTextFormat(Qt.TextFormat.PlainText)
            self.badge.setText(badge.label)
        self.badge.setStyleSheet(f"QLabel {{ {TONE_STYLE[badge.tone]} padding:8px; border-radius:6px; "
                                 "font-weight:bold; }")
        self.badge_detail.setText(badge.detail)
        self.badge_detail.setVisible(bool(badge.detail))
