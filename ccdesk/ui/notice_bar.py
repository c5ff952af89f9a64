"""A slim bar above the table for things staff should notice: new opt-outs, a paused sync, sign-in trouble."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

STYLES = {
    "info": "QFrame#notice { background:#e3f2fd; border:1px solid #64b5f6; border-radius:4px; } "
            "QFrame#notice QLabel { color:#0d47a1; }",
    "warning": "QFrame#notice { background:#fff8e1; border:1px solid #ffb74d; border-radius:4px; } "
               "QFrame#notice QLabel { color:#5d4037; }",
}


class NoticeBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notice")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.action_button = QPushButton()
        self.action_button.setVisible(False)
        self.close_button = QPushButton("Dismiss")
        self.close_button.setAccessibleName("Dismiss this notice")
        self.close_button.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(self.close_button)
        self._action: Callable[[], object] | None = None
        self.action_button.clicked.connect(self._run_action)
        self.hide()

    def show_message(self, text: str, *, kind: str = "warning", action: str | None = None,
                     on_action: Callable[[], object] | None = None) -> None:
        self.setStyleSheet(STYLES.get(kind, STYLES["warning"]))
        self.label.setText(text)
        self.setAccessibleName(text)
        self._action = on_action
        self.action_button.setText(action or "")
        self.action_button.setVisible(bool(action and on_action))
        self.setVisible(bool(text))

    def _run_action(self) -> None:
        if self._action is not None:
            self._action()
        self.hide()
