"""One desk with real processes: a sandbox at the real limits, a sign-in kept in a real Secret Service keyring
(gnome-keyring on a private D-Bus), and the user directories the window and the commands share. Used by the
multi-process tests and by tests/benchmarks/bench_multiprocess_budget.py."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ccdesk.auth.token_store import KeyringTokenStore
from ccdesk.preferences import Preferences
from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.demo import signed_in_to_sandbox

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "ccdesk-multiprocess-test"
KEYRING = "keyring.backends.SecretService.Keyring"


class NoKeyring(RuntimeError):
    """dbus-daemon or gnome-keyring-daemon is missing or did not start."""


@contextlib.contextmanager
def keyring_bus() -> Iterator[str]:
    """A private session bus with an unlocked gnome-keyring; yields its address (also set in os.environ)."""
    missing = [tool for tool in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(tool) is None]
    if missing:
        raise NoKeyring(f"needs {' and '.join(missing)}")
    home = tempfile.mkdtemp(prefix="ccdesk-mp-keyring-")
    env = {**os.environ, "HOME": home, "XDG_DATA_HOME": os.path.join(home, ".local", "share")}
    for var in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "GNOME_KEYRING_CONTROL"):
        env.pop(var, None)
    procs: list[subprocess.Popen[str]] = []
    saved = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    try:
        bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--nosyslog", "--print-address=1"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        procs.append(bus)
        address = bus.stdout.readline().strip() if bus.stdout else ""
        if not address:
            raise NoKeyring("dbus-daemon did not start")
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        daemon = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  env=env, text=True)
        procs.append(daemon)
        assert daemon.stdin is not None and daemon.stdout is not None
        daemon.stdin.write("test-keyring-password")
        daemon.stdin.close()
        if "GNOME_KEYRING_CONTROL" not in daemon.stdout.readline():
            raise NoKeyring("gnome-keyring-daemon did not start")
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
        yield address
    finally:
        if saved is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = saved
        for proc in reversed(procs):
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
        shutil.rmtree(home, ignore_errors=True)


@dataclass
class World:
    server: SandboxServer
    home: Path
    env: dict[str, str]

    @property
    def db(self) -> Path:
        return self.home / "data" / "ccdesk" / "ccdesk.sqlite3"

    @property
    def budget(self) -> Path:
        return self.home / "state" / "ccdesk" / "request-budget.sqlite3"

    def start(self, *args: str) -> subprocess.Popen[str]:
        """`python -m ARGS` as this desk's user (a command: `"ccdesk", "sync"`; the window: `tests...desk_child`)."""
        return subprocess.Popen([sys.executable, "-m", *args], env=self.env, cwd=self.home, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def start_as_other_desk(self, budget_dir: Path, *args: str) -> subprocess.Popen[str]:
        """Like start(), but with a budget file of its own: another desk using the same API key."""
        budget_dir.mkdir(parents=True, exist_ok=True)
        return subprocess.Popen([sys.executable, "-m", *args], env={**self.env, "CCDESK_BUDGET_DIR": str(budget_dir)},
                                cwd=self.home, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)

    def addresses(self, n: int) -> list[str]:
        sb = self.server.sandbox
        found = []
        for cid in sb.contact_ids(status="active"):
            email = sb.contact_json(cid)["email_address"]
            if email.get("permission_to_send") != "unsubscribed":
                found.append(email["address"])
            if len(found) == n:
                break
        return found


def user_env(home: Path, bus_address: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PYTHON_KEYRING", "CCDESK_"))}
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
                "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache"),
                "PYTHONPATH": str(ROOT), "PYTHON_KEYRING_BACKEND": KEYRING, "DBUS_SESSION_BUS_ADDRESS": bus_address})
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(var, None)
    return env


@contextlib.contextmanager
def desk_world(home: Path, bus_address: str, *, contacts: int, rate_limit: float = 4.0) -> Iterator[World]:
    """A sandbox at `rate_limit` per API key and a desk user signed in to it (the keyring holds the tokens)."""
    from keyring.backends import SecretService

    server = SandboxServer(SandboxConfig(contacts=contacts, seed=11, auto_approve=True, activity_seconds=0.2,
                                         rate_limit=rate_limit, daily_quota=0)).start()
    store = KeyringTokenStore(CLIENT_ID, backend=SecretService.Keyring())
    try:
        _config, tokens = asyncio.run(signed_in_to_sandbox(server, CLIENT_ID))
        Preferences(client_id=CLIENT_ID, auth_base=server.base_url, api_base=server.api_base).save(
            home / "config" / "ccdesk" / "preferences.json")
        store.save(tokens)
        yield World(server, home, user_env(home, bus_address))
    finally:
        with contextlib.suppress(Exception):
            store.clear()
        server.stop()
