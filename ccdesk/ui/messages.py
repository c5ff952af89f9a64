"""Message boxes that never block: opened with open(), so no nested event loop runs inside a coroutine.

`QMessageBox.information()` and friends run a modal loop of their own. Called inside a coroutine (or inside a
callback the outbox sender runs), every other asyncio task is stuck until the box is closed and one of them
dies with "Cannot enter into task ... while another task ... is being executed". Use these instead.
"""

from __future__ import annotations

from collections.abc import Callable

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


def confirm(parent: QWidget | None, title: str, text: str, action: str, on_yes: Callable[[], object]) -> QMessageBox:
    """Ask before a step that cannot be undone, without blocking: `on_yes()` runs if the `action` button is
    chosen; Cancel (the default) does nothing."""
    box = QMessageBox(Icon.Question, title, text, QMessageBox.StandardButton.Cancel, parent)
    yes = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.buttonClicked.connect(lambda button: on_yes() if button is yes else None)
    box.open()
    return box
