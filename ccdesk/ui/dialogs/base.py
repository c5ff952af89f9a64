"""`ActionDialog`: what the action dialogs share: their width, a size that fits their wrapped text, colours
that follow a light/dark switch, an OK that re-checks everything before closing, and the request they give."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QSize, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from .widgets import wrapped


def fitted_size_hint(dialog: QWidget, hint: QSize) -> QSize:
    """A dialog's size hint: its minimum width (wider only if something cannot wrap, like a long email address),
    and the height its word-wrapped text needs at that width.

    Qt's default hint widens a dialog to suit its longest paragraph and computes heights at the labels' own
    preferred wrap width, which gives dialogs of random widths with gaps in them.
    """
    layout = dialog.layout()
    width = max(dialog.minimumWidth(), layout.minimumSize().width() if layout is not None else 0)
    if width <= 0:
        width = hint.width()
    height = layout.totalHeightForWidth(width) if layout is not None and layout.hasHeightForWidth() else -1
    return QSize(width, height if height > 0 else hint.height())


DIALOG_WIDTH_CHARS = 76
"""Every action dialog is this many average characters wide (so it scales with the font and DPI)."""


class ActionDialog(QDialog):
    """Subclasses build their widgets, keep `_refresh()` (what is missing, whether OK is enabled) and
    `build_request()` (the request, or None to stay open); `result_request()` gives the request once accepted."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._request: Any = None
        self.setWindowTitle(title)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * DIALOG_WIDTH_CHARS)

    def _add_body_and_buttons(self, layout: QVBoxLayout, body: QWidget, *, shown: bool,
                              ok_text: str | None = None) -> None:
        """The form (hidden when there is nothing to do: the spare height then goes below the text, not between
        its lines), the line that says what is still missing, and OK with Cancel (Close when nothing to do)."""
        layout.addWidget(body, 1)
        body.setVisible(shown)
        if not shown:
            layout.addStretch(1)
        layout.addSpacing(self.fontMetrics().height() // 2)
        self.hint_label = wrapped()
        self.hint_label.setAccessibleDescription("What is still needed")
        layout.addWidget(self.hint_label)
        buttons = QDialogButtonBox.StandardButton
        self.buttons = QDialogButtonBox(buttons.Ok | buttons.Cancel)
        self.ok_button = self.buttons.button(buttons.Ok)
        if ok_text is not None:
            self.ok_button.setText(ok_text)
        self.cancel_button = self.buttons.button(buttons.Cancel)
        self.cancel_button.setText("&Cancel" if shown else "&Close")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _refresh(self) -> None:
        """Recompute hints and whether OK is enabled (called on every change and on a palette change)."""

    def build_request(self) -> Any:
        """The request from what is entered, or None when something is missing (the dialog stays open)."""
        raise NotImplementedError

    def accept(self) -> None:
        """Check everything once more and build the request; stay open if something is wrong."""
        request = self.build_request()
        if request is None:
            self._refresh()
            return
        self._request = request
        super().accept()

    def result_request(self) -> Any:
        """The request if the user pressed OK, else None."""
        return self._request if self.result() == QDialog.DialogCode.Accepted else None

    def sizeHint(self) -> QSize:
        return fitted_size_hint(self, super().sizeHint())

    def showEvent(self, event: QShowEvent) -> None:
        """Open at the size the text needs. Qt opens a dialog at most two-thirds of the screen high: on a
        1366x768 screen that cut the unsubscribe dialog's warning in half."""
        super().showEvent(event)
        self.grow_to_fit()

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest and self.isVisible():
            QTimer.singleShot(0, self, self.grow_to_fit)  # a message appeared (a reason too long...): room for it
        return handled

    def grow_to_fit(self) -> None:
        """Grow (never shrink) to the size hint, within the screen's free area less a title bar and frame."""
        screen = self.screen()
        room = (screen.availableGeometry().size() if screen is not None else QSize(1024, 640)) - QSize(20, 60)
        hint = self.sizeHint()
        width = min(max(self.width(), hint.width()), room.width())
        height = min(max(self.height(), hint.height()), room.height())
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)

    def changeEvent(self, event: QEvent) -> None:
        """Re-pick the error and muted colours when the palette changes (light/dark switch)."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._refresh()
