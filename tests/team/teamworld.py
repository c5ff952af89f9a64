"""A team of desks as real processes: one sandbox, one PostgreSQL database, and per desk its own home folders, its
own Secret Service keyring (gnome-keyring on a private D-Bus) holding its own sign-in and its database password.
Used by the multi-process team tests and by tests/benchmarks/bench_team.py (no pytest here)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccdesk.auth.token_store import KeyringTokenStore
from ccdesk.bootstrap.demo import signed_in_to_sandbox
from ccdesk.preferences import Preferences
from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer
from tests.auth.keyring_service import private_secret_service
from tests.multiprocess.world import user_env

from .pgserver import PgServer

CLIENT_ID = "ccdesk-team-test"
DESK_ROLE_PASSWORD = "desk-role-password"


class Driver:
    """A running tests/team/desk_driver.py: ask() sends one line and reads the JSON answer."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        first = self.read()
        if not first.get("ready"):
            raise RuntimeError(f"the desk did not start: {first}")

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"the desk stopped: {err[-2000:]}")
        return dict(json.loads(line))

    def ask(self, line: str) -> dict[str, Any]:
        self.send(line)
        return self.read()

    def quit(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.send("quit")
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.close()


@dataclass
class TeamDesk:
    name: str
    home: Path
    env: dict[str, str]
    drivers: list[Driver] = field(default_factory=list)

    @property
    def db(self) -> Path:
        return self.home / "data" / "ccdesk" / "ccdesk.sqlite3"

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ccdesk", *args], env=self.env, cwd=self.home,
                              capture_output=True, text=True, timeout=timeout)

    def run_json(self, *args: str, timeout: float = 600) -> tuple[int, dict[str, Any]]:
        proc = self.run(*args, "--json", timeout=timeout)
        try:
            return proc.returncode, dict(json.loads(proc.stdout))
        except ValueError:
            raise AssertionError(f"not JSON (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}") from None

    def driver(self) -> Driver:
        proc = subprocess.Popen([sys.executable, "-m", "tests.team.desk_driver"], env=self.env, cwd=self.home,
                                text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        d = Driver(proc)
        self.drivers.append(d)
        return d


@dataclass
class TeamWorld:
    server: SandboxServer
    pg: PgServer
    dbname: str
    desks: list[TeamDesk]
    secrets: list[str] = field(default_factory=list)  # every desk's Constant Contact tokens (never in PostgreSQL)

    def desk_dsn(self, user: str, port: int | None = None) -> str:
        return (f"postgresql://{user}:{DESK_ROLE_PASSWORD}@127.0.0.1:{port or self.pg.port}/{self.dbname}"
                "?sslmode=disable")

    def owner_dsn(self) -> str:
        return self.pg.dsn(dbname=self.dbname)

    def database_text(self) -> str:
        """Every row of every table of the team schema, as text (what a database dump would hold)."""
        import psycopg

        with psycopg.connect(self.owner_dsn()) as conn:
            tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'ccdesk'")]
            return "\n".join(str(conn.execute(f"SELECT coalesce(string_agg(t::text, ' '), '') FROM ccdesk.{t} t"
                                               ).fetchone()[0]) for t in tables)

    def requests(self, method: str | None = None, prefix: str = "/v3/") -> int:
        return self.server.sandbox.requests_matching(method, prefix)


def ensure_roles(pg: PgServer, names: list[str]) -> None:
    """The desks' login roles, members of ccdesk_desk (the least-privilege role the schema grants to)."""
    import psycopg

    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'ccdesk_desk'").fetchone():
            conn.execute("CREATE ROLE ccdesk_desk NOLOGIN")
        for name in names:
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
                conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{DESK_ROLE_PASSWORD}' IN ROLE ccdesk_desk")


@contextlib.contextmanager
def team_world(root: Path, pg: PgServer, dbname: str, *, desks: int = 2, contacts: int = 1000,
               rate_limit: float = 4.0) -> Iterator[TeamWorld]:
    """A sandbox and `desks` signed-in desk users (not yet in the team: the tests join them)."""
    from keyring.backends import SecretService

    server = SandboxServer(SandboxConfig(contacts=contacts, seed=11, auto_approve=True, activity_seconds=0.2,
                                         rate_limit=rate_limit, daily_quota=0)).start()
    pg.new_database(dbname)
    ensure_roles(pg, [f"desk_{chr(97 + i)}" for i in range(desks)])
    team: list[TeamDesk] = []
    secrets: list[str] = []
    try:
        with contextlib.ExitStack() as stack:
            for i in range(desks):
                name = chr(65 + i)
                service = stack.enter_context(private_secret_service())  # retries a keyring that stays locked
                home = root / f"desk-{name}"
                home.mkdir(parents=True)
                _config, tokens = asyncio.run(signed_in_to_sandbox(server, CLIENT_ID))
                Preferences(client_id=CLIENT_ID, auth_base=server.base_url, api_base=server.api_base,
                            desk_name=f"Desk {name}").save(home / "config" / "ccdesk" / "preferences.json")
                KeyringTokenStore(CLIENT_ID, backend=SecretService.Keyring()).save(tokens)
                secrets += [t for t in (tokens.access_token, tokens.refresh_token, tokens.id_token) if t]
                team.append(TeamDesk(name, home, user_env(home, service.bus_address)))
            try:
                yield TeamWorld(server, pg, dbname, team, secrets)
            finally:
                for desk in team:
                    for d in desk.drivers:
                        d.quit()
    finally:
        server.stop()
