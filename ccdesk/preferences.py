"""What the user chose in Settings, kept in a small JSON file (owner-only). Never tokens: those live only in
the OS keyring (ccdesk.auth.token_store)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from ccdesk.api.client import DEFAULT_BASE_URL
from ccdesk.auth.config import DEFAULT_AUTH_BASE, DEFAULT_REDIRECT_URI, LOOPBACK_HOSTS, AuthConfig
from ccdesk.files import write_atomically

log = logging.getLogger(__name__)

FORBIDDEN_KEYS = ("token", "secret", "password", "code_verifier", "refresh")


def preferences_path() -> Path:
    return Path(platformdirs.user_config_dir("ccdesk", appauthor=False)) / "preferences.json"


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
    client_id: str = ""
    redirect_uri: str = DEFAULT_REDIRECT_URI
    auth_base: str = DEFAULT_AUTH_BASE
    api_base: str = DEFAULT_BASE_URL
    sync_interval_min: int = 15
    device_client_id: str = ""  # the API key of the app registered for the device flow ("Sign in with a code")

    @classmethod
    def load(cls, path: Path | None = None) -> Preferences:
        """The saved preferences, or defaults if there are none or the file is unreadable (never raises)."""
        path = path or preferences_path()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("Ignoring unreadable preferences file %s (%s)", path, type(exc).__name__)
            return cls()
        known = {f.name: f.type for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known and isinstance(v, type(getattr(cls(), k)))}
        return cls(**values)

    def save(self, path: Path | None = None) -> Path:
        path = path or preferences_path()
        data = asdict(self)
        if any(bad in key for key in data for bad in FORBIDDEN_KEYS):
            raise ValueError("preferences must never hold credentials")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Whole or not at all, never through a link planted at a temporary name (ccdesk/files.py).
        write_atomically(path, lambda out: json.dump(data, out, indent=2), newline=None, new_mode=0o600)
        return path

    def auth_config(self, client_id: str | None = None) -> AuthConfig:
        return AuthConfig(client_id=client_id or self.client_id, auth_base=self.auth_base,
                          redirect_uri=self.redirect_uri)
