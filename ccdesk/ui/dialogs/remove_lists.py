"""Take contacts off some (or all) lists without opting them out."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

from ccdesk.wording import is_are, plural

from .base import ActionDialog
from .requests import ContactChoice, RemoveFromListsRequest
from .widgets import (
    Notice,
    bold,
    checkable_list,
    checked_ids,
    contact_list,
    heading,
    isolate,
    muted_color,
    set_text_color,
    wrapped,
)


def membership_counts(contacts: Sequence[ContactChoice]) -> dict[str, int]:
    """How many of ``contacts`` are on each list id."""
    counts: dict[str, int] = {}
    for contact in contacts:
        for list_id in {list_id for list_id, _ in contact.lists}:
            counts[list_id] = counts.get(list_id, 0) + 1
    return counts


def _count_text(count: int, total: int) -> str:
    if count == 0:
        return f"none of the {total} contacts"
    if count == total:
        return f"all {total} contacts" if total > 2 else "both contacts" if total == 2 else "the contact"
    return f"{count} of the {total} contacts"


class RemoveFromListsDialog(ActionDialog):
    """Pick lists to take contacts off; ``result_request()`` gives a :class:`RemoveFromListsRequest`.

    One contact: its own lists are offered. Several: all lists, each with how many of them are on it. Deleted
    contacts are on no list, so they are skipped.
    """

    def __init__(self, contacts: Sequence[ContactChoice], lists: Sequence[tuple[str, str]],
                 parent: QWidget | None = None) -> None:
        super().__init__("Remove from lists", parent)
        self._contacts = tuple(contacts)
        self._targets = tuple(c for c in self._contacts if c.status != "deleted")
        self._skipped = tuple(c for c in self._contacts if c.status == "deleted")
        self._bulk = len(self._contacts) > 1
        self._saved_checks: tuple[str, ...] = ()
        self._rows = self._list_rows(lists)
        self._build()
        self._refresh()

    def _list_rows(self, lists: Sequence[tuple[str, str]]) -> list[tuple[str, str, bool]]:
        if not self._targets:
            return []
        if not self._bulk:
            return [(list_id, name, False) for list_id, name in self._targets[0].lists]
        names = dict(lists)
        for contact in self._targets:  # lists the contacts are on that the caller did not pass
            for list_id, name in contact.lists:
                names.setdefault(list_id, name)
        counts = membership_counts(self._targets)
        total = len(self._targets)
        return [(list_id, f"{isolate(name)} ({_count_text(counts.get(list_id, 0), total)})", False)
                for list_id, name in names.items()]

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        if self._bulk:
            title = f"Remove {plural(len(self._targets), 'contact')} from lists"
        elif self._contacts:
            title = f"Remove {isolate(self._contacts[0].short_name)} from lists"
        else:
            title = "Remove from lists"
        layout.addWidget(heading(title))
        if not self._bulk and self._contacts and self._contacts[0].name.strip():
            layout.addWidget(wrapped(self._contacts[0].email, selectable=True))
        if self._bulk and self._targets:
            layout.addWidget(contact_list(self._targets, "Contacts to remove from lists"))
        if self._skipped and self._bulk:
            verb = is_are(self._skipped)
            layout.addWidget(bold(f"{plural(len(self._skipped), 'deleted contact')} {verb} skipped "
                                  "(deleted contacts are on no list)"))
            layout.addWidget(contact_list(self._skipped, "Skipped contacts"))

        layout.addSpacing(self.fontMetrics().height() // 2)
        nothing = self._nothing_to_do()
        if nothing:
            layout.addWidget(Notice("info", nothing))

        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        if self._bulk or not self._targets:
            who, verbs = "They", ("stay", "stop")
        else:
            who, verbs = isolate(self._targets[0].short_name), ("stays", "stops")
        body.addWidget(wrapped(
            f"This is not an unsubscribe. {who} {verbs[0]} subscribed, {verbs[1]} getting the emails you send to "
            "the lists you tick, and can be added back to them any time (Add back to lists). To stop all email "
            "from this account, "
            "use Unsubscribe instead: that one only the contact can undo."
        ))
        body.addSpacing(self.fontMetrics().height() // 2)
        lists_label = bold("&Lists to remove them from" if self._bulk else "&Lists to remove them from (the "
                           "lists they are on)")
        body.addWidget(lists_label)
        self.lists_widget = checkable_list(self._rows, "Lists to remove them from")
        self.lists_widget.itemChanged.connect(self._refresh)
        lists_label.setBuddy(self.lists_widget)
        body.addWidget(self.lists_widget, 1)
        self.all_check = QCheckBox("Remove from &all lists")
        self.all_check.setAccessibleName("Remove from all lists")
        self.all_check.toggled.connect(self._toggle_all)
        body.addWidget(self.all_check)
        self.all_note = Notice("info", self._all_lists_text())
        body.addWidget(self.all_note)
        self._add_body_and_buttons(layout, self.body, shown=not nothing)
        (self.cancel_button if nothing else self.lists_widget).setFocus()

    def _nothing_to_do(self) -> str:
        if not self._targets:
            if self._bulk:
                return "All the selected contacts are deleted, so they are on no list. There is nothing to remove."
            if self._contacts:
                return (f"{isolate(self._contacts[0].email)} was deleted, so it is on no list. "
                        "There is nothing to remove.")
            return "No contact is selected."
        if not self._rows:
            if self._bulk:
                return "Your account has no lists."
            return f"{isolate(self._targets[0].short_name)} is not on any list. There is nothing to remove."
        return ""

    def _all_lists_text(self) -> str:
        subject = "These contacts" if self._bulk else (isolate(self._targets[0].short_name) if self._targets else "")
        return (f"{subject} will be on no list. Constant Contact then shows "
                f"{'them' if self._bulk else 'the contact'} as \u201cRemoved\u201d: still subscribed, but getting "
                "no list emails until someone adds them to a list again.")

    def _toggle_all(self, on: bool) -> None:
        widget = self.lists_widget
        widget.blockSignals(True)
        if on:
            self._saved_checks = checked_ids(widget)
        for i in range(widget.count()):
            item = widget.item(i)
            keep = str(item.data(Qt.ItemDataRole.UserRole)) in self._saved_checks
            item.setCheckState(Qt.CheckState.Checked if on or keep else Qt.CheckState.Unchecked)
        widget.blockSignals(False)
        widget.setEnabled(not on)
        self._refresh()

    def _all_checked(self) -> bool:
        return bool(self._rows) and len(checked_ids(self.lists_widget)) == self.lists_widget.count()

    def _refresh(self) -> None:
        if not hasattr(self, "hint_label"):
            return
        set_text_color(self.hint_label, muted_color(self.palette()))
        chosen = len(checked_ids(self.lists_widget))
        lists_text = plural(chosen, "list") if chosen else "lists"
        if self._bulk:
            self.ok_button.setText(f"&Remove {plural(len(self._targets), 'contact')} from {lists_text}")
        else:
            self.ok_button.setText(f"&Remove from {lists_text}")
        self.all_note.setVisible(self._all_checked())
        if self._nothing_to_do():
            self.hint_label.setText("")
            self.ok_button.setEnabled(False)
        elif not chosen:
            self.hint_label.setText("To continue, tick at least one list.")
            self.ok_button.setEnabled(False)
        else:
            self.hint_label.setText("")
            self.ok_button.setEnabled(True)


    def build_request(self) -> RemoveFromListsRequest | None:
        list_ids = checked_ids(self.lists_widget)
        if self._nothing_to_do() or not list_ids:
            return None
        return RemoveFromListsRequest(contact_ids=tuple(c.contact_id for c in self._targets), list_ids=list_ids,
                                      all_lists=self._all_checked())
