"""Settings → Team: the address is saved without its password (which goes to the keyring), a wrong address keeps
Save disabled with a sentence, and an address IT deployed is greyed."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox

from ccdesk.preferences import Preferences
from ccdesk.ui.preferences_dialog import PreferencesDialog
from ccdesk.ui.team_settings import team_status_text


def test_address_without_password_and_password_for_the_keyring(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = PreferencesDialog(Preferences(client_id="key"), team_status="")
    qtbot.addWidget(dialog)
    dialog.team.dsn.setText("postgresql://desk:s3cret@db.example.org:5432/ccdesk?sslmode=verify-full")
    dialog.accept()
    result = dialog.result_preferences()
    assert result is not None and "s3cret" not in result.team_dsn
    assert "sslmode=verify-full" in result.team_dsn and "host=db.example.org" in result.team_dsn
    assert dialog.team_password == "s3cret"


def test_a_wrong_address_keeps_save_disabled(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = PreferencesDialog(Preferences(client_id="key"))
    qtbot.addWidget(dialog)
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    dialog.team.dsn.setText("host=db port=notanumber =")
    assert not save.isEnabled() and "not a PostgreSQL address" in dialog.team.problem.text()
    dialog.team.dsn.setText("")
    assert save.isEnabled()  # empty: no team
    dialog.accept()
    result = dialog.result_preferences()
    assert result is not None and result.team_dsn == ""


def test_it_deployed_team_is_greyed(qtbot) -> None:  # type: ignore[no-untyped-def]
    prefs = Preferences(client_id="key", team_dsn="host=db dbname=ccdesk", locked=frozenset({"team_dsn"}))
    dialog = PreferencesDialog(prefs, team_status=team_status_text(True, "", True, "Front desk"))
    qtbot.addWidget(dialog)
    assert not dialog.team.dsn.isEnabled() and "organisation" in dialog.team.dsn.toolTip()
    assert "reads Constant Contact for the team" in dialog.team.status.text()
    dialog.accept()
    result = dialog.result_preferences()
    assert result is not None and result.team_dsn == "host=db dbname=ccdesk"


def test_a_team_change_says_it_applies_at_the_next_start(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Joining, changing or leaving the team applies when ccdesk next starts: the box says so, plainly, as soon as
    the address differs from the one in use (and not when it is the same one, written with its password)."""
    in_use = "host=db.example.org port=5432 user=desk dbname=ccdesk"
    dialog = PreferencesDialog(Preferences(client_id="key", team_dsn=in_use))
    qtbot.addWidget(dialog)
    dialog.show()
    note = dialog.team.restart_note
    assert not note.isVisible()
    dialog.team.dsn.setText("postgresql://desk:pw@db.example.org:5432/ccdesk")  # the same team, password added
    assert not note.isVisible()
    dialog.team.dsn.setText("postgresql://desk@db2.example.org:5432/ccdesk")
    assert note.isVisible() and "next starts" in note.text() and "with its current team" in note.text()
    dialog.grab().save(str(tmp_path / "team-change.png"))
    dialog.team.dsn.setText("")
    assert note.isVisible() and "keeps working with the team" in note.text()
    alone = PreferencesDialog(Preferences(client_id="key"))
    qtbot.addWidget(alone)
    alone.show()
    alone.team.dsn.setText("postgresql://desk@db.example.org:5432/ccdesk")
    assert alone.team.restart_note.isVisible() and "on its own" in alone.team.restart_note.text()


def test_a_malformed_address_is_refused_without_showing_its_password(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = PreferencesDialog(Preferences(client_id="key"))
    qtbot.addWidget(dialog)
    dialog.team.dsn.setText("postgresql://desk:Hx9-team-secret@[::1/ccdesk")  # libpq quotes this one whole
    shown = dialog.team.problem.text()
    assert "not a PostgreSQL address" in shown and "Hx9-team-secret" not in shown and "Hx9" not in shown
