"""A desk user's home for ccdesk run as a child process (the commands, the window, several desks at once): its
environment, and a real sign-in saved where ccdesk looks for it."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ccdesk.auth.token_store import KeyringTokenStore
from ccdesk.bootstrap.demo import signed_in_to_sandbox
from ccdesk.preferences import Preferences
from ccdesk.sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[1]
SECRET_SERVICE = "keyring.backends.SecretService.Keyring"


def user_env(home: Path, bus_address: str | None = None, **extra: str) -> dict[str, str]:
    """This process's environment as a user whose HOME and XDG folders are under `home`, without a display (the
    commands must not need Qt) nor this session's ccdesk or keyring settings. With `bus_address`: the Secret
    Service keyring on that D-Bus. `extra` comes last."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PYTHON_KEYRING", "CCDESK_"))}
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
                "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache"),
                "PYTHONPATH": str(ROOT)})
    if bus_address is not None:
        env.update({"PYTHON_KEYRING_BACKEND": SECRET_SERVICE, "DBUS_SESSION_BUS_ADDRESS": bus_address})
    env.update(extra)
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(var, None)
    return env


@contextlib.contextmanager
def signed_in(server: SandboxServer, home: Path, client_id: str) -> Iterator[KeyringTokenStore]:
    """A real sign-in to `server` (PKCE, approved by the sandbox), ccdesk's preferences under `home` pointing at
    it, and the tokens in the Secret Service keyring of this process's D-Bus; the keyring entry is removed after."""
    from keyring.backends import SecretService as secret_service_backend

    _config, tokens = asyncio.run(signed_in_to_sandbox(server, client_id))
    Preferences(client_id=client_id, auth_base=server.base_url, api_base=server.api_base).save(
        home / "config" / "ccdesk" / "preferences.json")
    store = KeyringTokenStore(client_id, backend=secret_service_backend.Keyring())
    store.save(tokens)
    try:
        yield store
    finally:
        with contextlib.suppress(Exception):
            store.clear()
