"""First start without an administrator: IT's machine-wide settings are read at start, and a user's own
setting wins only where IT allows it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccdesk.preferences import Preferences
from ccdesk.ui.account_gate import AccountGate
from ccdesk.ui.preferences_dialog import PreferencesDialog


@pytest.fixture
def machine(tmp_path: Path, monkeypatch) -> Path:
    """The Linux machine-wide folder (platformdirs' site_config_dir follows XDG_CONFIG_DIRS, /etc/xdg by default)."""
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc-xdg"))
    path = tmp_path / "etc-xdg" / "ccdesk" / "preferences.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"client_id": "org-key", "redirect_uri": "http://127.0.0.1:31000/callback",
                                "desk_name": "Front desk", "sync_interval_min": 30,
                                "user_may_change": ["sync_interval_min", "desk_name"]}), encoding="utf-8")
    return path


def test_machine_settings_are_read_and_only_allowed_ones_overridden(machine: Path, tmp_path: Path) -> None:
    user = tmp_path / "user.json"
    user.write_text(json.dumps({"client_id": "my-own-key", "sync_interval_min": 60}), encoding="utf-8")
    prefs = Preferences.load(user)
    assert (prefs.client_id, prefs.redirect_uri) == ("org-key", "http://127.0.0.1:31000/callback")
    assert (prefs.sync_interval_min, prefs.desk_name) == (60, "Front desk")
    assert prefs.locked == {"client_id", "redirect_uri"}
    prefs.sync_interval_min = 20
    prefs.save(user)
    saved = json.loads(user.read_text(encoding="utf-8"))
    assert "client_id" not in saved and "redirect_uri" not in saved and saved["sync_interval_min"] == 20


async def test_a_fresh_install_can_sign_in_with_the_organisation_key(machine: Path) -> None:
    gate = AccountGate(Preferences.load())  # no user file at all: the first start on this PC
    await gate._build_session()
    assert gate.config is not None and gate.config.client_id == "org-key"
    await gate.session.aclose()


def test_settings_grey_out_what_it_fixed(machine: Path, qtbot) -> None:
    dialog = PreferencesDialog(Preferences.load())
    qtbot.addWidget(dialog)
    assert not dialog.client_id.isEnabled() and "organisation" in dialog.client_id.toolTip()
    assert dialog.edits["desk_name"].isEnabled() and dialog.interval.isEnabled()
    dialog.edits["desk_name"].setText("Events team")
    dialog.accept()
    result = dialog.result_preferences()
    assert result is not None and result.desk_name == "Events team" and result.client_id == "org-key"


def test_an_unreadable_machine_file_is_ignored(machine: Path) -> None:
    machine.write_text("{not json", encoding="utf-8")
    assert Preferences.load().client_id == ""


def test_this_runs_api_and_auth_hosts_are_never_saved(tmp_path: Path) -> None:
    """`ccdesk --api-base ... --auth-base ...` is for that run: saving Settings during it (say the API key) keeps
    the hosts the file had, or later plain runs would all go to the test host."""
    import argparse
    from dataclasses import replace

    from ccdesk.bootstrap.account import load_settings

    user = tmp_path / "preferences.json"
    args = argparse.Namespace(api_base="http://127.0.0.1:8910/v3", auth_base="http://127.0.0.1:8910")
    prefs = load_settings(args)
    assert (prefs.api_base, prefs.auth_base) == ("http://127.0.0.1:8910/v3", "http://127.0.0.1:8910")
    changed = replace(prefs, client_id="new-key")  # what Settings gives back
    changed.save(user)
    saved = json.loads(user.read_text(encoding="utf-8"))
    fresh = Preferences()
    assert saved["client_id"] == "new-key"
    assert (saved["api_base"], saved["auth_base"]) == (fresh.api_base, fresh.auth_base)
