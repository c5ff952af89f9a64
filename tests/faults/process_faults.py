"""Faults outside the network: the app killed (SIGKILL) in the middle of an action and of a sync page, the
SQLite file locked by another program, and the disk full while an export is written. Same checks and table
as harness.py."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ccdesk.api import CCClient, RateLimiter, RetryPolicy, StaticTokenProvider
from ccdesk.files import UnwritableTarget
from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.services.export import OptOutExporter
from ccdesk.store import sqlite_file as store_db
from ccdesk.store.errors import StoreUnavailableError

from .harness import REASON, TOKEN, Expected, RunResult, cache_mismatches, check, queue_actions, settle

ROOT = Path(__file__).resolve().parents[2]


def _server(contacts: int, seed: int) -> SandboxServer:
    return SandboxServer(SandboxConfig(contacts=contacts, seed=seed, rate_limit=0, tokens=[TOKEN],
                                       activity_seconds=0.05)).start()


def _desk(server: SandboxServer, db: Path) -> Desk:
    return Desk(CCClient(StaticTokenProvider(TOKEN), base_url=server.api_base, rate_limiter=RateLimiter(0),
                         retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)), db)


def _child(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.faults.child", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()
    if first not in ("ready", "locked"):
        proc.kill()
        raise RuntimeError(f"child did not start: {first} {proc.stderr.read() if proc.stderr else ''}")
    return proc


def _kill_when(proc: subprocess.Popen[str], ready: Callable[[], bool], timeout: float = 60) -> bool:
    """SIGKILL the child as soon as `ready()`; False if it finished first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
            return True
        time.sleep(0.01)
    proc.communicate(timeout=30)
    return False


async def killed_mid_action(seed: int, workdir: Path) -> RunResult:
    server = _server(400, seed)
    sb = server.sandbox
    db = workdir / f"killed-action-{seed}.sqlite3"
    try:
        desk = _desk(server, db)
        try:
            await desk.sync.run()
            expected = await queue_actions(desk, sb, random.Random(seed))
        finally:
            await desk.close()
        sb.faults.update({"latency_ms": 60})
        stop_after = 2 + seed % 5  # vary where the kill lands
        child = _child("send", str(db), server.api_base)
        killed = _kill_when(child, lambda: sum(n for k, n in sb.applied_writes.items() if k.startswith("PUT"))
                            >= stop_after)
        sb.faults.reset()
        desk = _desk(server, db)  # opening the file requeues what the killed process was sending
        try:
            requeued = [a for a in await desk.db.call(lambda s: s.audit(limit=50)) if a.outcome == "requeued"]
            await settle(desk)
            result = await check("killed mid action (SIGKILL)", sb, desk, expected,
                                 [requeued[0].message if requeued else
                                  "nothing: it was killed between two changes, so none needed repeating"])
        finally:
            await desk.close()
        if not killed:
            result.note = (result.note + "; " if result.note else "") + "the child finished before the kill"
        return result
    finally:
        server.stop()


async def killed_mid_sync_page(seed: int, workdir: Path) -> RunResult:
    server = _server(2_600, seed)  # six pages of 500
    sb = server.sandbox
    db = workdir / f"killed-sync-{seed}.sqlite3"
    try:
        sb.faults.update({"latency_ms": 120, "only": "^GET /v3/contacts$"})
        child = _child("sync", str(db), server.api_base)
        pages_before_kill = 2 + seed % 3
        killed = _kill_when(child, lambda: sb.requests_matching("GET", "/v3/contacts") > pages_before_kill)
        sb.faults.reset()
        sb.reset_request_counts()
        desk = _desk(server, db)
        try:
            await desk.sync.run()
            mismatches = await cache_mismatches(desk, sb)
            pages_after = sb.requests_matching("GET", "/v3/contacts")
        finally:
            await desk.close()
        problems = []
        if mismatches:
            problems.append(f"{mismatches} cached contact(s) differ from the sandbox")
        if pages_after > 6 - pages_before_kill + 2:
            problems.append(f"the resumed pull read {pages_after} pages: it started over")
        if not killed:
            problems.append("the child finished before the kill")
        return RunResult("killed mid sync page (SIGKILL)", not problems, 0, 0, mismatches,
                         f"the next sync resumed at the page being read ({pages_after} of 6 pages read again)",
                         "; ".join(problems))
    finally:
        server.stop()


async def sqlite_locked(seed: int, workdir: Path) -> RunResult:
    """Another program holds the file longer than SQLite's busy timeout (shortened for the run)."""
    server = _server(300, seed)
    sb = server.sandbox
    db = workdir / f"locked-{seed}.sqlite3"
    saved = store_db.BUSY_TIMEOUT_MS
    store_db.BUSY_TIMEOUT_MS = 800
    messages: list[str] = []
    try:
        desk = _desk(server, db)
        worker = asyncio.ensure_future(desk.worker.run())
        desk.worker.store_problem.connect(lambda m: messages.append(m) if m else None)
        try:
            await desk.sync.run()
            target = next(c for c in sb.contact_ids(status="active")
                          if sb.contact_json(c)["email_address"]["permission_to_send"] != "unsubscribed")
            holder = _child("lock", str(db), "2.5")
            try:
                await desk.actions.unsubscribe([target], REASON, "Account")
                problem = "queueing did not notice the locked file"
            except StoreUnavailableError as exc:
                messages.insert(0, exc.message)
                problem = ""
            await asyncio.to_thread(holder.communicate, timeout=30)
            await desk.actions.unsubscribe([target], REASON, "Account")  # the user tries again: it works
            for _ in range(200):
                if sb.contact_json(target)["email_address"]["permission_to_send"] == "unsubscribed":
                    break
                await asyncio.sleep(0.05)
            expected = Expected(unsubscribed={target: REASON})
            result = await check("SQLite file locked by another program", sb, desk, expected, messages)
            if worker.done():
                problem = "the outbox sender stopped"
            if problem:
                result.survived = False
                result.note = problem
            return result
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            await desk.close()
    finally:
        store_db.BUSY_TIMEOUT_MS = saved
        server.stop()


@contextlib.contextmanager
def _full_folder(folder: Path, prepare: Callable[[], object]):  # type: ignore[no-untyped-def]
    """`folder` on a really full disk: a 64 KB tmpfs filled up (as root); elsewhere every fsync of ccdesk's file
    writer answers ENOSPC, as a disk that fills while the file is flushed. (This used to plant a link to
    /dev/full at the export's temporary name, which only worked while the writer followed links.)"""
    import errno

    import ccdesk.files as files

    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                      capture_output=True).returncode == 0:
        try:
            prepare()
            with open(folder / "filler", "wb", buffering=0) as f, contextlib.suppress(OSError):
                while True:
                    f.write(b"x" * 4096)
            yield
        finally:
            subprocess.run(["umount", str(folder)], check=False)
        return

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    prepare()
    real, files.os.fsync = files.os.fsync, full  # type: ignore[attr-defined]
    try:
        yield
    finally:
        files.os.fsync = real  # type: ignore[attr-defined]


async def disk_full_export(seed: int, workdir: Path) -> RunResult:
    """The export is written to a full disk: it fails in words and the previous export stays whole."""
    server = _server(300, seed)
    db = workdir / f"export-{seed}.sqlite3"
    folder = workdir / f"exports-{seed}"
    folder.mkdir()
    target = folder / "do-not-mail.csv"
    try:
        desk = _desk(server, db)
        try:
            await desk.sync.run()
            with _full_folder(folder, lambda: target.write_bytes(b"the previous export\r\n")):
                try:
                    await OptOutExporter(desk.db).export_do_not_mail(target)
                    seen, problem = "", "the export reported success on a full disk"
                except UnwritableTarget as exc:
                    seen, problem = str(exc), ""
                if target.read_bytes() != b"the previous export\r\n":
                    problem = "the previous export was damaged"
                leftovers = [p.name for p in folder.iterdir() if p.name not in (target.name, "filler")]
                if leftovers:
                    problem = f"left behind: {leftovers}"
        finally:
            await desk.close()
        if "space" not in seen.lower():
            problem = problem or f"the message does not say the disk is full: {seen!r}"
        return RunResult("disk full while exporting", not problem, 0, 0, 0, seen, problem)
    finally:
        server.stop()


PROCESS_KINDS = {
    "killed mid action (SIGKILL)": killed_mid_action,
    "killed mid sync page (SIGKILL)": killed_mid_sync_page,
    "SQLite file locked by another program": sqlite_locked,
    "disk full while exporting": disk_full_export,
}
