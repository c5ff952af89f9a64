"""One desk, many processes: a sandbox with rotating refresh tokens (and its token endpoint's real limit of about
one request a second), a real Secret Service keyring holding one sign-in, and `ccdesk sync` started N times at once
after the access token expired. Shared by the test and the benchmark (no pytest here)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ccdesk.sandbox.server import SandboxServer
from tests.desk_home import ROOT, signed_in, user_env
from tests.sandboxes import sandboxes

CLIENT_ID = "ccdesk-multiprocess"


@dataclass
class Round:
    exit_codes: list[int]
    stderr: list[str]

    @property
    def signed_out(self) -> int:
        return sum(1 for c in self.exit_codes if c == 3)


@dataclass
class SharedDesk:
    server: SandboxServer
    home: Path
    env: dict[str, str]
    rounds: list[Round] = field(default_factory=list)

    def expire_access_tokens(self) -> None:
        httpx.post(f"{self.server.base_url}/_sandbox/tokens/expire", timeout=10).raise_for_status()

    def sync_at_once(self, n: int, timeout: float = 180, expire_after: float | None = None) -> Round:
        """n `ccdesk sync` processes started together, each with its own cache file (the sign-in is what they
        share here; sharing one cache is the sync lock's business). `expire_after` seconds after the start the
        access token expires under them (they are then mid-sync)."""
        procs = [subprocess.Popen([sys.executable, "-m", "ccdesk", "sync", "--quiet", "--db",
                                   str(self.home / f"cache-{i}.sqlite3")], env=self.env, cwd=self.home,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for i in range(n)]
        if expire_after is not None:
            time.sleep(expire_after)
            self.expire_access_tokens()
        errs = [p.communicate(timeout=timeout)[1] for p in procs]
        result = Round([p.returncode for p in procs], errs)
        self.rounds.append(result)
        return result

    def start_window_like(self, seconds: float) -> subprocess.Popen[str]:
        """A process that holds the sign-in all along and syncs every half second, as the open window does."""
        return subprocess.Popen([sys.executable, "-m", "tests.auth.window_like_child", "--db",
                                 str(self.home / "window.sqlite3"), "--seconds", str(seconds)], env=self.env,
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def status(self) -> int:
        return subprocess.run([sys.executable, "-m", "ccdesk", "status"], env=self.env, cwd=self.home,
                              capture_output=True, text=True, timeout=60).returncode

    def refreshes(self) -> int:
        return int(self.server.sandbox.tokens.oauth.token_requests["refresh_token"])


@contextmanager
def shared_desk(home: Path, bus_address: str, *, contacts: int = 30, token_rate_limit: float = 1.0,
                new_sign_in_expires_old: bool = True, refresh_reuse_revokes: bool = False) -> Iterator[SharedDesk]:
    """A signed-in desk (the sign-in saved in the Secret Service at `bus_address`) on a fresh sandbox."""
    with sandboxes() as start:
        server = start(contacts=contacts, seed=21, auto_approve=True, refresh_tokens="rotating",
                       token_rate_limit=token_rate_limit, new_sign_in_expires_old=new_sign_in_expires_old,
                       refresh_reuse_revokes=refresh_reuse_revokes)
        with signed_in(server, home, CLIENT_ID):
            yield SharedDesk(server, home, user_env(home, bus_address))
