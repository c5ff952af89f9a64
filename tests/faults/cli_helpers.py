"""Small helpers for the command-line tests of tests/faults/test_bad_input_2.py."""

from __future__ import annotations

import csv
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from ccdesk.sandbox.server import SandboxServer
from tests.auth.conftest import SecretService, secret_service  # noqa: F401 - the fixture, shared
from tests.cli.conftest import CLIENT_ID, Cli
from tests.desk_home import signed_in, user_env
from tests.sandboxes import sandboxes


def mailable(cli: Cli, n: int) -> list[str]:
    sb = cli.server.sandbox
    ids = [c for c in sb.contact_ids(status="active")
           if sb.contact_json(c)["email_address"]["permission_to_send"] != "unsubscribed"]
    return ids[:n]


def address_file_for(cli: Cli, path: Path, n: int) -> tuple[Path, list[str]]:
    """A text file of n mailable contacts' addresses, after a first sync."""
    ids = mailable(cli, n)
    path.write_text("\n".join(cli.server.sandbox.contact_json(c)["email_address"]["address"] for c in ids) + "\n",
                    encoding="utf-8")
    assert cli.run("sync").returncode == 0
    return path, ids


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _cached(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM contacts").fetchone()[0])
    except sqlite3.Error:
        return 0


def interrupted_then_resumed(tmp_path: Path, keyring: SecretService, contacts: int = 2_000) -> tuple[int, str]:
    """A first `ccdesk sync` stopped with Ctrl+C after its first pages, then run again to the end: returns the
    account's contact count and what the second run printed."""
    home = tmp_path / "home"
    env = user_env(home, keyring.bus_address)
    with sandboxes() as start:
        server = start(contacts=contacts, seed=5, auto_approve=True, activity_seconds=0.2)
        with signed_in(server, home, CLIENT_ID):
            return _interrupt_then_resume(server, home, env, contacts)


def _interrupt_then_resume(server: SandboxServer, home: Path, env: dict[str, str], contacts: int) -> tuple[int, str]:
    db = home / "data" / "ccdesk" / "ccdesk.sqlite3"
    proc = subprocess.Popen([sys.executable, "-m", "ccdesk", "sync"], env=env, cwd=home,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while _cached(db) == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, "the first sync was meant to be interrupted part-way"
    assert 0 < _cached(db) < contacts
    again = subprocess.run([sys.executable, "-m", "ccdesk", "sync"], env=env, cwd=home, capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    return len(server.sandbox.contact_ids("all")), again.stdout
