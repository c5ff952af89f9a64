"""An item another ccdesk process took over is neither recorded twice nor the end of the sender, and a process's
liveness is asked the way each system answers it (on Windows, `os.kill(pid, 0)` sends a Ctrl+C instead)."""

from __future__ import annotations

import ctypes
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ccdesk.services.database_thread import DatabaseThread
from ccdesk.services.desk import Desk
from ccdesk.services.outbox import TAKEN_OVER
from ccdesk.store import DeskDatabase, InvalidStateError, OutboxState
from ccdesk.store.outbox import claim_is_live
from ccdesk.store.process_alive import (
    ERROR_ACCESS_DENIED,
    STILL_ACTIVE,
    process_exists,
    process_started,
    windows_process_exists,
    windows_process_started,
)
from ccdesk.team import outbox as team_outbox
from ccdesk.team.wiring import TeamOutboxWorker

OTHER = "4000000:another-process-session"


def _take_over(path: Path | str, item_id: int) -> None:
    """What another process's recovery does when it takes this one for stopped: put back, then claim."""
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE outbox SET claimed_by = ? WHERE id = ?", (OTHER, item_id))


def test_a_transition_of_an_item_another_process_claimed_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3"
    with DeskDatabase(path) as s:
        item_id = s.enqueue("unsubscribe", None, {}, actor="a")
        assert s.next_due() is not None
        _take_over(path, item_id)
        with pytest.raises(InvalidStateError, match="another ccdesk process"):
            s.mark_done(item_id)
        item = s.get_outbox_item(item_id)
        assert item is not None and item.state is OutboxState.IN_PROGRESS
        assert [r.outcome for r in s.audit()] == ["queued"]  # nothing recorded for it by this process


async def test_the_sender_goes_on_after_an_item_was_taken_over(desk: Desk) -> None:
    first, second = await _two_mailable(desk)
    real_unsubscribe = desk.client.unsubscribe
    taken: list[int] = []

    async def unsubscribe(contact_id: str, *args, **kw):  # type: ignore[no-untyped-def]
        if contact_id == first:  # while its PUT is out, another process takes the item over
            item = next(i for i in await desk.db.call(lambda s: s.outbox_items()) if i.contact_id == first)
            _take_over(desk.db.path, item.id)
            taken.append(item.id)
        return await real_unsubscribe(contact_id, *args, **kw)

    desk.client.unsubscribe = unsubscribe  # type: ignore[method-assign]
    await desk.actions.unsubscribe([first], "asked by phone", "Contact")
    await desk.actions.unsubscribe([second], "asked by phone", "Contact")
    outcomes = await desk.worker.drain()
    assert [(o.contact_id, o.ok, o.why) for o in outcomes] == [(first, False, "elsewhere"), (second, True, "")]
    assert outcomes[0].final  # this process will not try it again
    assert outcomes[0].message == TAKEN_OVER
    items = {i.contact_id: i for i in await desk.db.call(lambda s: s.outbox_items())}
    assert items[first].state is OutboxState.IN_PROGRESS  # the other process records it
    assert items[second].state is OutboxState.DONE


async def _two_mailable(desk: Desk) -> list[str]:
    await desk.sync.run()
    rows = await desk.db.call(lambda s: s.search("", status="mailable", limit=2))
    return [r.contact_id for r in rows]


class _TeamTakenOverMeanwhile:
    """A team link whose claim (a round trip to PostgreSQL) lasts long enough for another process of this desk to
    take the item over."""

    desk_id = "desk-a"

    def __init__(self, path: Path, verdict: str) -> None:
        self.path, self.verdict = path, verdict

    async def heartbeat(self) -> None:
        return None

    async def claim(self, item_id: int, *args: object) -> team_outbox.Claim:
        _take_over(self.path, item_id)
        return team_outbox.Claim(self.verdict, "another desk is sending it", "desk-b")

    def kick(self) -> None:
        return None


@pytest.mark.parametrize("verdict", [team_outbox.BUSY, team_outbox.FINISHED])
async def test_a_team_desk_sender_goes_on_after_an_item_was_taken_over(tmp_path: Path, verdict: str) -> None:
    path = tmp_path / "desk.sqlite3"
    db = DatabaseThread(path)
    try:
        await db.call(lambda s: s.enqueue("unsubscribe", "c-1", {"reason": "asked"}, actor="a"))
        worker = TeamOutboxWorker(db, None, _TeamTakenOverMeanwhile(path, verdict))  # type: ignore[arg-type]
        outcome = await worker.send_next()
        assert outcome is not None and outcome.why == "elsewhere" and outcome.final
    finally:
        db.close()


# ---- whether a process exists ----------------------------------------------------------------------------------

def test_a_running_process_exists_and_an_ended_one_does_not() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.readline()"], stdin=subprocess.PIPE)
    try:
        assert process_exists(child.pid)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(30)
    assert not process_exists(child.pid)
    assert process_exists(os.getpid())


def test_a_claim_by_a_process_whose_pid_went_to_another_is_not_live() -> None:
    """Windows hands pids out again soon after a process ends: a claim left by a crashed ccdesk must not look live
    for as long as some unrelated program holds its pid (it would block that contact's later changes)."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.readline()"], stdin=subprocess.PIPE)
    try:
        started = process_started(child.pid)
        assert started is not None and started == process_started(child.pid)
        assert claim_is_live(f"{child.pid}:abc:{started}")
        assert not claim_is_live(f"{child.pid}:abc:{int(started) - 1}")  # that pid, an earlier process
        assert claim_is_live(f"{child.pid}:abc")  # a claim from before the stamp: the pid alone decides
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(30)
    assert not claim_is_live(f"{child.pid}:abc:{started}")


class Kernel32:
    """A stand-in for Windows' kernel32 (CI has no Windows): OpenProcess fails with ERROR_INVALID_PARAMETER for
    an unknown pid and ERROR_ACCESS_DENIED for another user's; GetExitCodeProcess says STILL_ACTIVE until the
    process ends."""

    def __init__(self, exit_codes: dict[int, int], denied: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        self.exit_codes, self.denied, self.open_handles = exit_codes, denied, set()
        self.error = 0

    def last_error(self) -> int:
        return self.error

    def OpenProcess(self, access: int, inherit: bool, pid: int) -> int:
        if pid in self.denied or pid not in self.exit_codes:
            self.error = ERROR_ACCESS_DENIED if pid in self.denied else 87
            return 0
        self.open_handles.add(pid + 1000)
        return pid + 1000

    def GetExitCodeProcess(self, handle: int, code: ctypes._CArgObject) -> bool:
        code._obj.value = self.exit_codes[handle - 1000]  # type: ignore[attr-defined]
        return True

    def GetProcessTimes(self, handle: int, *times: ctypes._CArgObject) -> bool:
        times[0]._obj.dwHighDateTime, times[0]._obj.dwLowDateTime = 1, handle  # type: ignore[attr-defined]
        return True

    def CloseHandle(self, handle: int) -> bool:
        self.open_handles.remove(handle)
        return True


def test_windows_start_stamp_comes_from_the_creation_time() -> None:
    kernel32 = Kernel32({10: STILL_ACTIVE})
    assert windows_process_started(10, kernel32) == str(1 << 32 | 1010)
    assert windows_process_started(12, kernel32) is None and not kernel32.open_handles


@pytest.mark.parametrize(("pid", "alive"), [(10, True), (11, False), (12, False), (13, True)])
def test_windows_liveness_asks_the_process_instead_of_signalling_it(pid: int, alive: bool) -> None:
    kernel32 = Kernel32({10: STILL_ACTIVE, 11: 0}, denied={13})  # 12: no such process; 13: another user's
    assert windows_process_exists(pid, kernel32, kernel32.last_error) is alive
    assert not kernel32.open_handles
