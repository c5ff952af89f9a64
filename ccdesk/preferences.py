"""What the user chose in Settings, kept in a small JSON file (owner-only), on top of what IT deployed for the
whole machine. Never tokens: those live only in the OS keyring (ccdesk.auth.token_store).

Layers, later wins: built-in defaults < the machine-wide file (IT: the organisation's API key, redirect port,
team settings) < the user's file, but the user's file only for the settings IT lets users change. The machine
file lives in the OS's machine-wide config folder (platformdirs' site_config_dir: /etc/xdg/ccdesk on Linux,
C:\\ProgramData\\ccdesk on Windows, /Library/Application Support/ccdesk on macOS); see packaging/README.md.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from ccdesk.api.client import DEFAULT_BASE_URL
from ccdesk.auth.config import DEFAULT_AUTH_BASE, DEFAULT_REDIRECT_URI, LOOPBACK_HOSTS, AuthConfig
from ccdesk.files import write_atomically

log = logging.getLogger(__name__)

FORBIDDEN_KEYS = ("token", "secret", "password", "code_verifier", "refresh")


MACHINE_FILE = "preferences.json"
USER_MAY_CHANGE = "user_may_change"  # in the machine file: the settings a user may still set for themselves
MACHINE_ENV = "CCDESK_MACHINE_CONFIG"  # a machine file elsewhere (tests, or IT tools that keep it elsewhere)


def preferences_path() -> Path:
    return Path(platformdirs.user_config_dir("ccdesk", appauthor=False)) / "preferences.json"


def machine_paths() -> list[Path]:
    """Where IT's machine-wide file may be, the first found wins (XDG_CONFIG_DIRS may list several)."""
    if override := os.environ.get(MACHINE_ENV):
        return [Path(override)]
    dirs = platformdirs.site_config_dir("ccdesk", appauthor=False, multipath=True)
    return [Path(d) / MACHINE_FILE for d in dirs.split(os.pathsep) if d]


def _read_json(path: Path) -> dict[str, Any] | None:
    """The file's object, None if there is none; an unreadable file is logged and counts as none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("Ignoring unreadable settings file %s (%s)", path, type(exc).__name__)
        return None
    if not isinstance(data, dict):
        log.warning("Ignoring settings file %s: not a JSON object", path)
        return None
    return data


def redirect_problem(uri: str) -> str | None:
    """Why a redirect URI cannot work for the loopback listener, or None."""
    parts = urlsplit(uri)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS:
        return "It must start with http://127.0.0.1 or http://localhost: ccdesk listens on this computer only."
    try:
        port = parts.port
    except ValueError:
        return "The port number is not valid."
    if not port or not 1024 <= port <= 65535:
        return "Give a fixed port between 1024 and 65535, e.g. http://127.0.0.1:28461/callback."
    if parts.query or parts.fragment:
        return "Leave out '?' and '#' parts."
    return None


@dataclass
class Preferences:
    # One line per setting: the machine file, the user file and Settings all follow this list.
    client_id: str = ""
    redirect_uri: str = DEFAULT_REDIRECT_URI
    auth_base: str = DEFAULT_AUTH_BASE
    api_base: str = DEFAULT_BASE_URL
    sync_interval_min: int = 15
    device_client_id: str = ""  # the API key of the app registered for the device flow ("Sign in with a code")
    desk_name: str = ""        # how this desk is named in the journal ("Front desk", "Events team")
    cc_user: str = ""          # the Constant Contact user who signs in here, for the journal and the account menu
    account_name: str = ""     # the organisation's Constant Contact account, as the account menu shows it
    team_dsn: str = ""         # team mode: the team's PostgreSQL, without its password (docs/team.md)
    # Settings IT fixed in the machine file: the user's file cannot change them (not saved, greyed in Settings).
    locked: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    # Settings given for this run only (--api-base, --auth-base) -> the value saved before: saving keeps that.
    this_run: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name not in ("locked", "this_run")]

    def for_this_run(self, name: str, value: Any) -> None:
        """Use `value` for `name` in this run without ever saving it (a command-line option)."""
        self.this_run.setdefault(name, getattr(self, name))
        setattr(self, name, value)

    @classmethod
    def _values(cls, data: dict[str, Any], where: Path) -> dict[str, Any]:
        defaults = cls()
        good = {}
        for key, value in data.items():
            if key in cls.names() and isinstance(value, type(getattr(defaults, key))) and not isinstance(value, bool):
                good[key] = value
            elif key != USER_MAY_CHANGE:
                log.warning("Ignoring setting %r in %s (unknown, or of the wrong type)", key, where)
        return good

    @classmethod
    def load(cls, path: Path | None = None, machine: Path | list[Path] | None = None) -> Preferences:
        """Defaults, then the machine file, then the user's file where allowed (never raises)."""
        values: dict[str, Any] = {}
        locked: set[str] = set()
        for candidate in ([machine] if isinstance(machine, Path) else machine or machine_paths()):
            data = _read_json(candidate)
            if data is None:
                continue
            values = cls._values(data, candidate)
            allowed = data.get(USER_MAY_CHANGE, [])
            allowed = set(allowed) if isinstance(allowed, list) else set()
            locked = {key for key in values if key not in allowed}
            log.info("Organisation settings read from %s (%d fixed by IT)", candidate, len(locked))
            break
        user_path = path or preferences_path()
        user = _read_json(user_path) or {}
        values.update({k: v for k, v in cls._values(user, user_path).items() if k not in locked})
        return cls(**values, locked=frozenset(locked))

    def save(self, path: Path | None = None) -> Path:
        path = path or preferences_path()
        data = {k: self.this_run.get(k, v) for k, v in asdict(self).items()
                if k in self.names() and k not in self.locked}
        if any(bad in key for key in data for bad in FORBIDDEN_KEYS):
            raise ValueError("preferences must never hold credentials")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Whole or not at all, never through a link planted at a temporary name (ccdesk/files.py).
        write_atomically(path, lambda out: json.dump(data, out, indent=2), newline=None, new_mode=0o600)
        return path

    def auth_config(self, client_id: str | None = None) -> AuthConfig:
        return AuthConfig(client_id=client_id or self.client_id, auth_base=self.auth_base,
                          redirect_uri=self.redirect_uri)
