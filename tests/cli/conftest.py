"""The commands run as a user would run them: `python -m ccdesk <command>` in a subprocess, against a sandbox over
loopback, reading the sign-in a real PKCE sign-in stored in a real Secret Service keyring (gnome-keyring on a
private D-Bus), with their own config/data/log directories."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ccdesk.sandbox.server import SandboxServer
from tests.auth.conftest import SecretService, secret_service  # noqa: F401 - the fixture, shared
from tests.desk_home import signed_in, user_env

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


@pytest.fixture
def signed_in_cli(tmp_path: Path, secret_service: SecretService,  # noqa: F811
                  start_sandbox: Callable[..., SandboxServer]) -> Iterator[Cli]:
    """A sandbox (300 contacts, real rate limit), the window's preferences, and a sign-in in the keyring."""
    server = start_sandbox(contacts=300, seed=11, auto_approve=True, activity_seconds=0.2)
    home = tmp_path / "home"
    with signed_in(server, home, CLIENT_ID):
        yield Cli(server, home, user_env(home, secret_service.bus_address), home / "data" / "ccdesk" / "ccdesk.sqlite3")
