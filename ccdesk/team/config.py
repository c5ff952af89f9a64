"""Which team this desk is in: the DSN (without its password) in the settings, so IT can deploy it in the
machine-wide file (`team_dsn`), and this desk's own id in a small file beside the user's settings."""

from __future__ import annotations

import getpass
import json
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from ccdesk.files import write_atomically
from ccdesk.preferences import Preferences, preferences_path

DESK_FILE = "team-desk.json"


@dataclass(frozen=True)
class TeamSettings:
    dsn: str       # never with a password (the keyring has it)
    desk_id: str
    desk_name: str
    os_user: str


def desk_file() -> Path:
    return preferences_path().parent / DESK_FILE


def desk_id(create: bool = True) -> str | None:
    """This desk's id in the team (made once, kept across joins so its actions keep their ids)."""
    path = desk_file()
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("desk_id")
        if isinstance(value, str) and value:
            return value
    except (OSError, ValueError, AttributeError):
        pass
    if not create:
        return None
    value = uuid.uuid4().hex[:12]
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomically(path, lambda out: json.dump({"desk_id": value}, out), newline=None, new_mode=0o600)
    return value


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no USER and no passwd entry (some containers)
        return "unknown"


def current(prefs: Preferences | None = None) -> TeamSettings | None:
    """The team this desk is in, or None (single desk)."""
    prefs = prefs or Preferences.load()
    if not prefs.team_dsn.strip():
        return None
    ident = desk_id()
    assert ident is not None
    name = prefs.desk_name.strip() or f"{os_user()}@{socket.gethostname()}"
    return TeamSettings(prefs.team_dsn.strip(), ident, name, os_user())
