"""`ccdesk sync` while another process syncs the same cache: it says whom it waits for (not "0 contacts") and
then reports what that process's sync did. The other process is real and holds the real lock."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from ccdesk.cli.other_process import describe_process
from ccdesk.cli.output import Output
from ccdesk.store.database import DeskDatabase

from .conftest import Cli

# The other process: named like the installed `ccdesk` script (its command line shows `.../ccdesk sync`), it
# holds the cache's sync lock until told to finish, then stores its sync's result as a real sync does.
HOLDER = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime
    from ccdesk.services.sync import SyncResult
    from ccdesk.services.sync_once import LAST_RESULT, encode
    from ccdesk.store.database import DeskDatabase
    from ccdesk.store.process_lock import ProcessLock

    db, victim = sys.argv[2], sys.argv[3]
    lock = ProcessLock(db + ".sync-lock")
    assert lock.try_acquire()
    print("held", flush=True)
    sys.stdin.readline()
    with DeskDatabase(db) as s:
        s.set_state(LAST_RESULT, encode(SyncResult(contacts_read=7, new_optouts=[victim],
                                                   finished_at=datetime.now(UTC))))
    lock.release()
""")


def _lines(stream, into: queue.Queue[str]) -> None:  # type: ignore[no-untyped-def]
    for line in stream:
        into.put(line)


def test_sync_names_the_process_it_waits_for_and_reports_its_sync(signed_in_cli: Cli, tmp_path: Path) -> None:
    cli = signed_in_cli
    assert cli.run("sync").returncode == 0
    with DeskDatabase(cli.db) as s:
        victim = next(r.contact_id for r in s.search("", status="unsubscribed", limit=5))
    script = tmp_path / "bin" / "ccdesk"
    script.parent.mkdir()
    script.write_text(HOLDER)
    holder = subprocess.Popen([sys.executable, str(script), "sync", str(cli.db), victim], env=cli.env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    waiter = None
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        waiter = subprocess.Popen([sys.executable, "-m", "ccdesk", "sync"], env=cli.env, cwd=cli.home,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        err: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_lines, args=(waiter.stderr, err), daemon=True).start()
        said: list[str] = []
        deadline = time.monotonic() + 60
        while not any("Waiting for" in line for line in said):
            assert time.monotonic() < deadline and waiter.poll() is None, said
            with contextlib.suppress(queue.Empty):
                said.append(err.get(timeout=1))
        line = next(line for line in said if "Waiting for" in line)
        assert f"Waiting for `ccdesk sync` (process {holder.pid}) to finish syncing this cache" in line
        assert "0 contacts" not in "".join(said)
        assert holder.stdin is not None
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert holder.wait(30) == 0
        out, _ = waiter.communicate(timeout=120)
        assert waiter.returncode == 0, "".join(said)
        assert (f"Waited for `ccdesk sync` (process {holder.pid}), which synced this cache meanwhile: it found "
                "7 contacts changed and 1 new opt-out.") in out
    finally:
        for proc in (holder, waiter):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)


def test_a_process_is_named_by_its_command() -> None:
    assert describe_process(41, ["/usr/bin/python3", "/opt/venv/bin/ccdesk", "sync", "--json"]) == \
        "`ccdesk sync` (process 41)"
    assert describe_process(42, ["python", "-m", "ccdesk", "--demo"]) == "the ccdesk window (process 42)"
    assert describe_process(43, ["C:\\ccdesk\\ccdesk.exe"]) == "the ccdesk window (process 43)"
    assert describe_process(44, []) == "another ccdesk process (process 44)"
    assert describe_process(None) == "another ccdesk process"
    assert describe_process(os.getpid()).endswith(f"(process {os.getpid()})")  # this process, read from the OS


def test_a_note_is_one_line_without_figures() -> None:
    class Err:
        def __init__(self) -> None:
            self.text = ""

        def write(self, s: str) -> None:
            self.text += s

        def flush(self) -> None:
            pass

    err = Err()
    out = Output(err=err)  # type: ignore[arg-type]
    out.note("Waiting for the ccdesk window (process 9) to finish syncing this cache")
    out.note("Waiting for the ccdesk window (process 9) to finish syncing this cache")  # said once
    assert err.text.count("Waiting for") == 1 and ": 0" not in err.text
