"""The commands run as a user would run them: `python -m ccdesk <command>` in a subprocess, against a sandbox over
loopback, reading the sign-in a real PKCE sign-in stored in a real Secret Service keyring (gnome-keyring on a
private D-Bus), with their own config/data/log directories."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ccdesk.auth.token_store import KeyringTokenStore
from ccdesk.bootstrap.demo import signed_in_to_sandbox
from ccdesk.preferences import Preferences
from ccdesk.sandbox.server import SandboxServer
from tests.auth.conftest import SecretService, secret_service  # noqa: F401 - the fixture, shared

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "ccdesk-cli-test"


@dataclass
class Cli:
    server: SandboxServer
    home: Path
    env: dict[str, str]
    db: Path
    runs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)

    def run(self, *args: str, timeout: float = 180, check_json: bool = False) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([sys.executable, "-m", "ccdesk", *args], env=self.env, cwd=self.home,
                              capture_output=True, text=True, timeout=timeout)
        self.runs.append(proc)
        return proc

    def run_json(self, *args: str, timeout: float = 180) -> tuple[int, dict[str, Any]]:
        proc = self.run(*args, "--json", timeout=timeout)
        try:
            return proc.returncode, json.loads(proc.stdout)
        except ValueError:
            raise AssertionError(f"not JSON (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}") from None


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PYTHON_KEYRING"))}
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
                "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache"),
                "PYTHONPATH": str(ROOT), **extra})
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)  # the commands must not need Qt at all
    return env


@pytest.fixture
def signed_in_cli(tmp_path: Path, secret_service: SecretService,  # noqa: F811
                  start_sandbox: Callable[..., SandboxServer]) -> Iterator[Cli]:
    """A sandbox (300 contacts, real rate limit), the window's preferences, and a sign-in in the keyring."""
    from keyring.backends import SecretService as secret_service_backend

    server = start_sandbox(contacts=300, seed=11, auto_approve=True, activity_seconds=0.2)
    _config, tokens = asyncio.run(signed_in_to_sandbox(server, CLIENT_ID))
    home = tmp_path / "home"
    env = cli_env(home, PYTHON_KEYRING_BACKEND="keyring.backends.SecretService.Keyring",
                  DBUS_SESSION_BUS_ADDRESS=secret_service.bus_address)
    Preferences(client_id=CLIENT_ID, auth_base=server.base_url, api_base=server.api_base).save(
        home / "config" / "ccdesk" / "preferences.json")
    store = KeyringTokenStore(CLIENT_ID, backend=secret_service_backend.Keyring())
    store.save(tokens)
    yield Cli(server, home, env, home / "data" / "ccdesk" / "ccdesk.sqlite3")
    store.clear()
