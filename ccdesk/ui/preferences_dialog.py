"""Settings: the organisation's Constant Contact API key, the sign-in redirect address, sync interval, how this
desk is named in the journal, sign-out. Settings IT fixed for the machine are shown greyed, with why."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ccdesk.preferences import Preferences, redirect_problem
from ccdesk.ui.team_settings import TeamSettingsBox
from ccdesk.wording import where_sign_in_is_kept

LOCKED_TIP = "Set for this computer by your organisation (IT); ask them to change it."
# The text settings, in order: (preference field, label, placeholder, note under it). One line per setting.
TEXT_FIELDS = (
    ("client_id", "&API key:", "The API key of your organisation's Constant Contact app", ""),
    ("device_client_id", "API key for sign-in with a &code:",
     "Optional: the API key of your app set up for the device flow", ""),
    ("redirect_uri", "&Redirect address:", "",
     "Register this exact address for the app in Constant Contact's developer portal."),
    ("desk_name", "&Desk name:", "For example: Front desk", "Recorded with every change made here, in the journal."),
    ("cc_user", "Constant Contact &user:", "The user who signs in here, e.g. events@example.org",
     "Recorded in the journal and shown in the account menu."),
)


class PreferencesDialog(QDialog):
    sign_out_requested = Signal()

    def __init__(self, prefs: Preferences, *, signed_in_as: str | None = None, keyring_backend: str = "",
                 team_status: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("ccdesk settings")
        self._prefs = prefs
        self._result: Preferences | None = None
        self.team_password: str | None = None  # for the keyring (the caller saves it), never for the settings file
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.edits: dict[str, QLineEdit] = {}
        for name, label, placeholder, note in TEXT_FIELDS:
            edit = QLineEdit(str(getattr(prefs, name)))
            edit.setPlaceholderText(placeholder)
            edit.setAccessibleName(label.replace("&", "").rstrip(":"))
            self._lock(edit, name)
            self.edits[name] = edit
            form.addRow(label, edit)
            if note:  # one line, never wrapped: a wrapped label in a form row is given one line's height and
                form.addRow("", QLabel(note))  # cut in half when the dialog opens (its width sets the dialog's)
        self.client_id, self.redirect = self.edits["client_id"], self.edits["redirect_uri"]
        self.device_client_id = self.edits["device_client_id"]
        self.client_id.setAccessibleName("API key (client id)")
        self.device_client_id.setAccessibleName("API key for signing in with a code (device flow)")
        self.redirect.setAccessibleName("Redirect address")
        self.redirect.textChanged.connect(self._validate)
        self.interval = QSpinBox()
        self.interval.setRange(5, 24 * 60)
        self.interval.setSuffix(" minutes")
        self.interval.setValue(prefs.sync_interval_min)
        self.interval.setAccessibleName("Check for new opt-outs every")
        self._lock(self.interval, "sync_interval_min")
        form.addRow("Check for opt-outs &every:", self.interval)
        layout.addLayout(form)
        self.team = TeamSettingsBox(prefs, status=team_status)
        self.team.dsn.textChanged.connect(self._validate)
        layout.addWidget(self.team)
        if prefs.locked:
            managed = QLabel("Greyed settings are managed by your organisation.")
            managed.setWordWrap(True)
            layout.addWidget(managed)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828;")
        layout.addWidget(self.problem)

        account = QLabel(f"Signed in. {where_sign_in_is_kept(keyring_backend)}" if signed_in_as else "Not signed in.")
        account.setWordWrap(True)
        layout.addWidget(account)
        self.sign_out_button = QPushButton("Sign &out")
        self.sign_out_button.setEnabled(bool(signed_in_as))
        self.sign_out_button.setToolTip("Removes the sign-in from the keyring. The local copy of the account stays; "
                                        "nothing is sent until someone signs in again.")
        self.sign_out_button.clicked.connect(self._sign_out)
        layout.addWidget(self.sign_out_button)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._validate()

    def _lock(self, widget: QWidget, name: str) -> None:
        if name in self._prefs.locked:
            widget.setEnabled(False)
            widget.setToolTip(LOCKED_TIP)

    def _validate(self) -> None:
        problem = redirect_problem(self.redirect.text().strip())
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))
        team_problem = self.team.check()
        self.team.show_problem(team_problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(problem is None and team_problem is None)

    def _sign_out(self) -> None:
        self.sign_out_requested.emit()
        self.sign_out_button.setEnabled(False)

    def accept(self) -> None:
        if redirect_problem(self.redirect.text().strip()) or self.team.check():
            return
        texts: dict[str, Any] = {name: edit.text().strip() for name, edit in self.edits.items()
                                 if name not in self._prefs.locked}
        if "team_dsn" not in self._prefs.locked:
            texts["team_dsn"], self.team_password = self.team.chosen()
        self._result = replace(self._prefs, **texts, sync_interval_min=self.interval.value())
        super().accept()

    def result_preferences(self) -> Preferences | None:
        return self._result
