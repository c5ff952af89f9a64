"""A database held locked by another program (a real second process), and files that are not ccdesk's: the
store waits (bounded), then the window and the commands say in plain words what holds it and what to do; no
traceback, exit code 7. A bulk run stopped by the lock says how many changes were sent."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ccdesk.store import sqlite_file as store_db
from ccdesk.store.database import DeskDatabase
from ccdesk.store.errors import StoreUnavailableError
from tests.sandboxes import subscribed

from .world import desk_world

ROOT = Path(__file__).resolve().parents[2]


def hold_lock(db: Path, seconds: float) -> subprocess.Popen[str]:
    """Another program holding a write lock on the database (as a DB browser with unsaved changes does)."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.faults.child", "lock", str(db), str(seconds)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


@pytest.fixture
def locked_db(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    db = tmp_path / "cache.sqlite3"
    DeskDatabase(db).close()
    holder = hold_lock(db, 60)
    yield db, holder
    holder.kill()
    holder.wait(10)


@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 400)


def test_opening_waits_then_names_the_program(locked_db, short_wait) -> None:
    db, holder = locked_db
    with pytest.raises(StoreUnavailableError) as caught:
        DeskDatabase(db)
    message = caught.value.message
    assert f"process {holder.pid}" in message and "Close that program" in message and "Nothing was changed" in message


@pytest.mark.slow
def test_the_real_app_offscreen_reports_the_lock_without_a_traceback(locked_db) -> None:
    db, holder = locked_db
    proc = subprocess.run([sys.executable, "-m", "ccdesk", "--demo", "--db", str(db), "--smoke"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "OperationalError" not in proc.stderr
    assert f"process {holder.pid}" in proc.stderr


@pytest.mark.slow
def test_a_command_reports_the_lock_with_exit_7(tmp_path: Path, bus_address: str) -> None:
    with desk_world(tmp_path / "home", bus_address, contacts=50) as world:
        world.db.parent.mkdir(parents=True, exist_ok=True)
        DeskDatabase(world.db).close()
        holder = hold_lock(world.db, 60)
        try:
            proc = world.start("ccdesk", "sync")
            _out, err = proc.communicate(timeout=120)
        finally:
            holder.kill()
            holder.wait(10)
    assert proc.returncode == 7, err
    assert "locked" in err and f"process {holder.pid}" in err
    assert "Traceback" not in err and "OperationalError" not in err and "unexpected problem" not in err


def test_a_command_pointed_at_a_csv_says_what_it_is_and_leaves_it(tmp_path: Path, bus_address: str) -> None:
    notes = tmp_path / "notes.csv"
    notes.write_text("email\nalice@example.com\n", encoding="utf-8")
    notes.chmod(0o644)
    with desk_world(tmp_path / "home", bus_address, contacts=50) as world:
        proc = world.start("ccdesk", "sync", "--db", str(notes))
        _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 7, err
    assert "text file" in err and "not an SQLite database" in err and "DatabaseError" not in err
    assert notes.read_text(encoding="utf-8") == "email\nalice@example.com\n" and notes.stat().st_mode & 0o777 == 0o644


async def test_a_run_stopped_by_a_locked_database_tells_how_many_were_sent(tmp_path: Path, short_wait) -> None:
    from ccdesk.api import CCClient, RateLimiter, StaticTokenProvider
    from ccdesk.sandbox.app import SandboxConfig
    from ccdesk.sandbox.server import SandboxServer
    from ccdesk.services.bulk_send import see_through
    from ccdesk.services.desk import Desk

    server = SandboxServer(SandboxConfig(contacts=200, seed=3, tokens=["t"], rate_limit=0)).start()
    db = tmp_path / "c.sqlite3"
    desk = Desk(CCClient(StaticTokenProvider("t"), base_url=server.api_base, rate_limiter=RateLimiter(0)), db)
    holder: subprocess.Popen[str] | None = None
    try:
        await desk.sync.run()
        sb = server.sandbox
        targets = subscribed(sb)[:40]
        ids = [await desk.db.call(lambda s, c=c: s.enqueue("unsubscribe", c, {"reason": "phone",
                                                                                  "update_source": "Account"}))
               for c in targets]
        sent = 0

        def finished(outcome) -> None:
            nonlocal sent, holder
            sent += outcome.ok
            if sent == 8 and holder is None:
                holder = hold_lock(db, 30)  # another program locks the file after 8 of 40

        desk.worker.item_finished.connect(finished)
        summary = await see_through(desk, ids, send=True, wait_s=60)
        really_sent = sum(sb.contact_json(c)["email_address"]["permission_to_send"] == "unsubscribed"
                          for c in targets)
        assert summary.stopped_for == "local data"
        assert len(summary.done) == 8 and really_sent in (8, 9)  # the 9th may be sent, its result not saved
        assert len(summary.waiting) == 40 - 8
    finally:
        if holder is not None:
            holder.kill()
            holder.wait(10)
        await desk.close()
        server.stop()


@pytest.mark.slow
def test_a_command_stopped_by_a_locked_database_says_what_was_sent(tmp_path: Path, bus_address: str) -> None:
    """`ccdesk unsubscribe` of 40; after 8 are applied another program locks the file: exit 5 with the truth."""
    with desk_world(tmp_path / "home", bus_address, contacts=300) as world:
        sb = world.server.sandbox
        file = tmp_path / "forty.csv"
        file.write_text("email\n" + "".join(f"{a}\n" for a in world.addresses(40)), encoding="utf-8")
        proc = world.start("ccdesk", "unsubscribe", "--file", str(file), "--reason", "Asked by phone")
        holder = None
        try:
            deadline = time.monotonic() + 120
            while sb.requests_matching("PUT", "/v3/contacts/") < 8 and time.monotonic() < deadline:
                time.sleep(0.02)
            holder = hold_lock(world.db, 60)
            out, err = proc.communicate(timeout=180)
        finally:
            if holder is not None:
                holder.kill()
                holder.wait(10)
        sent = sum(n for key, n in sb.applied_writes.items() if key.startswith("PUT /v3/contacts/"))
    assert proc.returncode == 5, err[-3000:]
    assert "Nothing was changed" not in out + err and "Traceback" not in err
    assert f"{sent} of 40 changes w" in out or f"{sent - 1} of 40 changes w" in out, out  # was/were sent
