"""A throwaway PostgreSQL server from the Debian package, for tests and benchmarks (no pytest here).

initdb and pg_ctl refuse to run as root, so as root the data folder is given to the `postgres` user and both run
through `runuser -u postgres`. The server listens on 127.0.0.1 and a free port, with its socket in its own folder.
TCP logins use scram-sha-256 (the superuser's password is SUPERUSER_PASSWORD), so desks log in as real roles with
real passwords; the socket trusts the local superuser for setup.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "postgres"
SUPERUSER_PASSWORD = "team-test-superuser"


class PostgresUnavailable(RuntimeError):
    """The Debian postgresql package is not installed, or the server did not start."""


def pg_bin() -> Path:
    """The newest installed server's bin folder (/usr/lib/postgresql/<version>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise PostgresUnavailable("needs the PostgreSQL server (apt-get install postgresql)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    folder: Path
    port: int

    def dsn(self, user: str = SUPERUSER, password: str | None = SUPERUSER_PASSWORD, dbname: str = "postgres",
            **extra: str) -> str:
        parts = {"host": "127.0.0.1", "port": str(self.port), "user": user, "dbname": dbname, **extra}
        if password is not None:
            parts["password"] = password
        return " ".join(f"{k}={v}" for k, v in parts.items())

    def admin(self, sql: str, dbname: str = "postgres") -> None:
        """Run SQL as the superuser (setup: databases, roles)."""
        import psycopg

        with psycopg.connect(self.dsn(dbname=dbname), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self, name: str) -> str:
        """A fresh, empty database; returns its name."""
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin(f'CREATE DATABASE "{name}"')
        return name


def _as_postgres(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    cmd = ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)  # type: ignore[call-overload]


@contextlib.contextmanager
def postgres_server() -> Iterator[PgServer]:
    """initdb, start, yield, stop (fast shutdown) and remove the folder."""
    bindir = pg_bin()
    folder = Path(tempfile.mkdtemp(prefix="ccdesk-pg-"))
    data, sock = folder / "data", folder / "sock"
    sock.mkdir()
    pwfile = folder / "pw"
    pwfile.write_text(SUPERUSER_PASSWORD)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        for p in (sock, pwfile):
            shutil.chown(p, "postgres")
    folder.chmod(0o700)
    try:
        done = _as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--pwfile", str(pwfile),
                             "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"])
        if done.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {done.stderr.strip()[-500:]}")
        port = _free_port()
        opts = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sock} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        done = _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"),
                             "-o", opts, "-w", "-t", "60", "start"])
        if done.returncode != 0:
            log_text = (folder / "server.log").read_text(errors="replace") if (folder / "server.log").exists() else ""
            raise PostgresUnavailable(f"pg_ctl start failed: {done.stderr.strip()} {log_text[-500:]}")
        try:
            yield PgServer(folder, port)
        finally:
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
