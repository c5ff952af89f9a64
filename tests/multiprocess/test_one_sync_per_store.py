"""Three processes that want to sync one cache at once: one reads the account, the others wait and reuse its
result (never three full reads in parallel). The processes are real; the lock is an OS file lock."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer
from ccdesk.store.database import DeskDatabase
from ccdesk.store.process_lock import ProcessLock

ROOT = Path(__file__).resolve().parents[2]


def test_three_processes_one_full_read(tmp_path: Path) -> None:
    server = SandboxServer(SandboxConfig(contacts=3000, seed=5, tokens=["fault-token"], rate_limit=0)).start()
    try:
        sb = server.sandbox
        sb.faults.update({"latency_ms": 250})  # a sync that lasts a few seconds, so the three overlap
        db = tmp_path / "cache.sqlite3"
        DeskDatabase(db).close()
        procs = [subprocess.Popen([sys.executable, "-m", "tests.faults.child", "sync", str(db), server.api_base],
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(3)]
        for proc in procs:
            _out, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, err[-2000:]
        pages = sb.requests_matching("GET", "/v3/contacts") - sb.requests_matching("GET", "/v3/contacts/")
        # One full pull is 6 pages of 500; a process that started after it ended adds an incremental sync (two
        # small reads). Two full pulls would be 12.
        assert 6 <= pages <= 6 + 2 * 2
        with DeskDatabase(db) as store:
            assert store.count() == 3000
    finally:
        server.stop()


def test_the_lock_is_let_go_when_its_holder_dies(tmp_path: Path) -> None:
    lock_file = tmp_path / "cache.sqlite3.sync-lock"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from ccdesk.store.process_lock import "
                               "ProcessLock; assert ProcessLock(sys.argv[1]).try_acquire(); print('held', "
                               "flush=True); time.sleep(60)", str(lock_file)],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        mine = ProcessLock(lock_file)
        assert not mine.try_acquire()
        assert mine.holder_pid() == holder.pid
        holder.kill()
        holder.wait(10)
        assert mine.try_acquire()
        mine.release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)


@pytest.mark.parametrize("full", [False, True])
async def test_a_waiting_sync_reuses_a_finished_result_but_a_full_reread_runs(tmp_path: Path, full: bool) -> None:
    from ccdesk.api import CCClient, RateLimiter, StaticTokenProvider
    from ccdesk.services.desk import Desk
    from ccdesk.services.sync import SyncResult
    from ccdesk.services.sync_once import LAST_RESULT, encode, lock_path

    server = SandboxServer(SandboxConfig(contacts=600, seed=5, tokens=["t"], rate_limit=0)).start()
    desk = Desk(CCClient(StaticTokenProvider("t"), base_url=server.api_base, rate_limiter=RateLimiter(0)),
                tmp_path / "c.sqlite3")
    try:
        await desk.sync.run()
        other = ProcessLock(lock_path(desk.db))  # "another process" is syncing
        assert other.try_acquire()
        waiting = asyncio.ensure_future(desk.sync.run(full=full))
        await asyncio.sleep(0.5)
        assert not waiting.done()
        server.sandbox.reset_request_counts()
        # The other process finishes its sync, records its result and lets go.
        theirs = encode(SyncResult(contacts_read=7, new_optouts=["c-1"], finished_at=datetime.now(UTC)))
        await desk.db.call(lambda s: s.set_state(LAST_RESULT, theirs))
        other.release()
        result = await asyncio.wait_for(waiting, 60)
        assert result.reused is (not full)
        assert (result.new_optouts == ["c-1"]) is (not full)  # what the other process found is reported here
        assert (server.sandbox.requests_matching("GET", "/v3/contacts") > 0) is full
    finally:
        await desk.close()
        server.stop()
