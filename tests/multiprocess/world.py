"""One desk with real processes: a sandbox at the real limits, a sign-in kept in a real Secret Service keyring
(gnome-keyring on a private D-Bus), and the user directories the window and the commands share. Used by the
multi-process tests and by tests/benchmarks/bench_multiprocess_budget.py."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ccdesk.sandbox.server import SandboxServer
from tests.auth.keyring_service import KeyringUnavailable, private_secret_service
from tests.desk_home import signed_in, user_env
from tests.sandboxes import sandboxes

CLIENT_ID = "ccdesk-multiprocess-test"


NoKeyring = KeyringUnavailable  # dbus-daemon or gnome-keyring-daemon is missing or did not start


@contextlib.contextmanager
def keyring_bus() -> Iterator[str]:
    """A private session bus with an unlocked gnome-keyring; yields its address (also set in os.environ)."""
    with private_secret_service() as service:
        yield service.bus_address


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


@contextlib.contextmanager
def desk_world(home: Path, bus_address: str, *, contacts: int, rate_limit: float = 4.0) -> Iterator[World]:
    """A sandbox at `rate_limit` per API key and a desk user signed in to it (the keyring holds the tokens)."""
    with sandboxes() as start:
        server = start(contacts=contacts, seed=11, auto_approve=True, activity_seconds=0.2, rate_limit=rate_limit,
                       daily_quota=0)
        with signed_in(server, home, CLIENT_ID):
            yield World(server, home, user_env(home, bus_address))
