"""Settings → Team: which team database this desk shares its work through (team mode, docs/team.md).

The address is saved without its password (the password goes to the OS keyring). IT can set `team_dsn` in the
organisation's machine-wide settings; it is then shown greyed. A change takes effect when ccdesk next starts, and
the box says so in bold as soon as the address differs from the one in use.
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QLineEdit, QWidget

from ccdesk.preferences import Preferences

log = logging.getLogger(__name__)
LOCKED_TIP = "Set for this computer by your organisation (IT); ask them to change it."


class TeamSettingsBox(QGroupBox):
    """The team database's address and password, and how the team is doing right now."""

    def __init__(self, prefs: Preferences, *, status: str = "", parent: QWidget | None = None) -> None:
        super().__init__("Team", parent)
        self._prefs = prefs
        form = QFormLayout(self)
        self.dsn = QLineEdit(prefs.team_dsn)
        self.dsn.setPlaceholderText("postgresql://desk@db.example.org:5432/ccdesk?sslmode=verify-full")
        self.dsn.setAccessibleName("Team database address")
        self.dsn.setCursorPosition(0)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("kept in the OS keyring; leave empty to keep the saved one")
        self.password.setAccessibleName("Team database password")
        if "team_dsn" in prefs.locked:
            self.dsn.setEnabled(False)
            self.dsn.setToolTip(LOCKED_TIP)
        form.addRow("Team &database:", self.dsn)
        form.addRow("Pass&word:", self.password)
        note = QLabel("Desks in a team share one copy of the account, one outbox, one journal and one request "
                      "budget. Leave the address empty to work on this desk alone.")
        note.setWordWrap(True)
        form.addRow("", note)
        # Joining, leaving or changing the team rebuilds the desk's sender and sync: it applies at the next start,
        # and says so as soon as the address differs from the one in use (not only in a note read once).
        self.restart_note = QLabel()
        self.restart_note.setWordWrap(True)
        self.restart_note.setStyleSheet("font-weight: bold;")
        self.restart_note.setAccessibleName("When the team change applies")
        self.restart_note.setVisible(False)
        form.addRow("", self.restart_note)
        self.dsn.textChanged.connect(self._note_restart)
        self.status = QLabel(status or ("Not in a team." if not prefs.team_dsn else ""))
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Team status")
        form.addRow("", self.status)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.setVisible(False)
        form.addRow("", self.problem)

    def _note_restart(self) -> None:
        self.restart_note.setText(restart_note(self._prefs.team_dsn, self.dsn.text()))
        self.restart_note.setVisible(bool(self.restart_note.text()))
        window = self.window()
        if window is not self and window.isVisible() and window.height() < window.sizeHint().height():
            window.resize(window.width(), window.sizeHint().height())  # room for the note: nothing clipped

    def check(self) -> str | None:
        """Why the address cannot be used, or None (an empty one means: no team)."""
        text = self.dsn.text().strip()
        if not text:
            return None
        from ccdesk.team.dsn import parse
        from ccdesk.team.errors import TeamError

        try:
            parse(text)
        except TeamError as exc:
            return exc.message
        return None

    def show_problem(self, text: str | None) -> None:
        self.problem.setText(text or "")
        self.problem.setVisible(bool(text))

    def chosen(self) -> tuple[str, str | None]:
        """(the address to save, without a password; the password for the keyring, if one was given)."""
        text = self.dsn.text().strip()
        if not text:
            return "", None
        from ccdesk.team.dsn import without_password

        saved, in_address = without_password(text)
        return saved, self.password.text() or in_address


def restart_note(in_use: str, typed: str) -> str:
    """What saving `typed` does to the team this window works with (`in_use`): "" when nothing changes."""
    from ccdesk.team.dsn import parse
    from ccdesk.team.errors import TeamError

    def params(dsn: str) -> dict[str, object]:
        return {k: v for k, v in parse(dsn).items() if k != "password"} if dsn.strip() else {}

    typed = typed.strip()
    try:
        changed = params(typed) != params(in_use)
    except TeamError:
        return ""  # the problem line says what is wrong with it
    if not changed:
        return ""
    if not typed:
        return ("Applies when ccdesk next starts: until you quit and start ccdesk again, this window keeps working "
                "with the team.")
    now = "with its current team" if in_use.strip() else "on its own"
    return f"Applies when ccdesk next starts: until you quit and start ccdesk again, this window keeps working {now}."


def save_team_password(dsn: str, password: str) -> None:
    """The team database's password into the OS keyring; a keyring that refuses is logged (libpq's ~/.pgpass
    still works) rather than failing the settings that were saved."""
    from ccdesk.team.dsn import save_password
    from ccdesk.team.errors import TeamError

    try:
        save_password(dsn, password)
    except TeamError as exc:
        log.warning("team database password not saved: %s", exc.message)


def team_status_text(online: bool, problem: str, holds_lease: bool, desk_name: str) -> str:
    """One sentence for Settings and the status bar."""
    if problem:
        return f"Team database unreachable: {problem}"
    if not online:
        return "Connecting to the team database…"
    role = "reads Constant Contact for the team" if holds_lease else "gets its copy from the team"
    return f"In the team as {desk_name}; this desk {role}."
