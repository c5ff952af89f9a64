"""Message boxes that never block: opened with open(), so no nested event loop runs inside a coroutine.

`QMessageBox.information()` and friends run a modal loop of their own. Called inside a coroutine (or inside a
callback the outbox sender runs), every other asyncio task is stuck until the box is closed and one of them
dies with "Cannot enter into task ... while another task ... is being executed". Use these instead.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

Icon = QMessageBox.Icon


def show_message(parent: QWidget | None, title: str, text: str, icon: Icon = Icon.Information) -> QMessageBox:
    """Show a window-modal message with an OK button and return at once; the box deletes itself on close."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def inform(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    return show_message(parent, title, text, Icon.Information)


def warn(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    return show_message(parent, title, text, Icon.Warning)
