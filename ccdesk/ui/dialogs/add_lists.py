"""Add a contact back to lists (the way back from "Remove from lists"); never offered for the unsubscribed."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from PySide6.QtWidgets import QDialogButtonBox, QVBoxLayout, QWidget

from .base import ActionDialog
from .requests import ContactChoice
from .widgets import Notice, checkable_list, checked_ids, heading, isolate, wrapped


class AddBackDialog(ActionDialog):
    """Tick lists the contact is not on (the ones this desk removed start ticked); ``result_request()`` gives
    the ticked list ids."""

    def __init__(self, contact: ContactChoice, lists: Sequence[tuple[str, str]],
                 parent: QWidget | None = None, *, ticked: Collection[str] = ()) -> None:
        super().__init__("Add back to lists", parent)
        self.contact = contact
        layout = QVBoxLayout(self)
        layout.addWidget(heading(f"Add {isolate(contact.short_name)} back to lists"))
        layout.addWidget(wrapped("They can be mailed again through the lists you tick. Use this only for someone "
                                 "who was taken off lists by mistake or who asked to be on them again."))
        self.lists_widget = checkable_list([(lid, name, lid in ticked) for lid, name in lists],
                                           "Lists to add back to")
        self.lists_widget.itemChanged.connect(lambda _item: self._refresh())
        layout.addWidget(self.lists_widget, 1)
        layout.addWidget(Notice("info", "Not for unsubscribed contacts: only they can opt back in."))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Add back")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._refresh()

    def _refresh(self) -> None:
        self.ok_button.setEnabled(bool(self.chosen_ids()))

    def chosen_ids(self) -> tuple[str, ...]:
        return checked_ids(self.lists_widget)

    def build_request(self) -> tuple[str, ...] | None:
        return self.chosen_ids() or None
