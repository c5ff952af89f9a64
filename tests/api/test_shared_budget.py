"""The desk-wide request budget: several limiters on one file behave as one (as several processes do), a 429
slows every one of them down, Retry-After is honoured, and the day's requests are counted once per API key.
Real processes sharing the budget are in tests/multiprocess/."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from ccdesk.api import CCClient, RateLimiter, RetryPolicy, StaticTokenProvider, Throttled
from ccdesk.api.ratelimit import MAX_PAUSE_S
from ccdesk.api.shared_budget import SharedBudget, budget_path, requests_used_today
from ccdesk.sandbox.server import SandboxServer


async def acquire(limiter: RateLimiter) -> float:
    """Take one slot (as a request does) and return how long it waited."""
    async with limiter.slot() as waited:
        return waited


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def budget(path: Path, clock: Clock, key: str = "key-1") -> SharedBudget:
    return SharedBudget(key, path, rate=4, window=1.0, clock=clock, sleep=clock.sleep)


async def test_two_processes_share_one_window(tmp_path: Path) -> None:
    clock = Clock()
    window, cli = budget(tmp_path / "b.sqlite3", clock), budget(tmp_path / "b.sqlite3", clock)
    for limiter in (window, cli, window, cli):
        assert await acquire(limiter) == 0
    assert await acquire(cli) == pytest.approx(1.0)  # the fifth waits for the window, whoever asks
    assert requests_used_today("key-1", tmp_path / "b.sqlite3", clock.now) == 5


async def test_other_keys_and_files_are_separate(tmp_path: Path) -> None:
    clock = Clock()
    one, other_key = budget(tmp_path / "b.sqlite3", clock), budget(tmp_path / "b.sqlite3", clock, key="key-2")
    other_file = budget(tmp_path / "c.sqlite3", clock)
    for _ in range(4):
        await acquire(one)
    assert await acquire(other_key) == 0
    assert await acquire(other_file) == 0
    assert requests_used_today("key-2", tmp_path / "b.sqlite3", clock.now) == 1


async def test_a_429_pauses_and_slows_every_process_then_recovers(tmp_path: Path) -> None:
    clock = Clock()
    window, cli = budget(tmp_path / "b.sqlite3", clock), budget(tmp_path / "b.sqlite3", clock)
    await acquire(window)
    await acquire(cli)
    window.throttled(None)   # another desk's burst
    cli.throttled(None)      # the same burst seen by the other process: halves once, not twice
    assert cli.current_rate() == pytest.approx(2.0)
    assert await acquire(cli) == pytest.approx(1.0)  # paused a second, in the other process too
    assert requests_used_today("key-1", tmp_path / "b.sqlite3", clock.now) == 1  # the two refused do not count
    clock.now += 10
    assert window.current_rate() == pytest.approx(4.0)


async def test_retry_after_sets_the_pause(tmp_path: Path) -> None:
    clock = Clock()
    limiter = budget(tmp_path / "b.sqlite3", clock)
    limiter.throttled(7.0)
    assert await acquire(limiter) == pytest.approx(7.0)


async def test_a_pause_lasts_at_most_max_pause_s(tmp_path: Path) -> None:
    """A Retry-After too long to wait for is not waited for by every process, and a stored pause left far ahead
    (the wall clock jumped back after it was written) does not stop them for the jump."""
    clock = Clock()
    path = tmp_path / "b.sqlite3"
    window, cli = budget(path, clock), budget(path, clock)
    window.throttled(3600.0)
    assert await acquire(cli) == pytest.approx(MAX_PAUSE_S)
    window.throttled(30.0)
    clock.now -= 3600  # the clock jumps back an hour: the pause written just now lies an hour ahead
    assert await acquire(cli) <= MAX_PAUSE_S  # and no second 429 comes to write a bounded one


async def test_a_moment_of_lock_contention_does_not_leave_the_shared_budget(tmp_path: Path) -> None:
    """The file held locked past the busy timeout (a process stopped mid-write) paces that one request alone;
    the next ones share the window and the day's count again."""
    clock = Clock()
    path = tmp_path / "b.sqlite3"
    window, cli = budget(path, clock), budget(path, clock)
    assert await acquire(window) == 0
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert await acquire(cli) == 0  # waited for the lock (2 s), then paced by this process alone
    finally:
        other.execute("COMMIT")
        other.close()
    started = time.monotonic()
    assert await acquire(cli) == 0  # for a while it paces itself, without waiting for the lock at every request
    assert time.monotonic() - started < 1
    cli._busy_until = 0  # (the while is BUSY_BACKOFF_S of the real clock)
    waits = [await acquire(window) for _ in range(2)] + [await acquire(cli) for _ in range(2)]
    assert waits[:3] == [0, 0, 0] and waits[3] > 0  # the fifth within the second waits: shared again
    assert requests_used_today("key-1", path, clock.now) == 5  # all but the two paced alone


async def test_an_unusable_file_falls_back_to_a_budget_of_its_own(tmp_path: Path) -> None:
    clock = Clock()
    (tmp_path / "dir").mkdir()
    limiter = budget(tmp_path / "dir", clock)  # a folder where the file should be
    for _ in range(4):
        assert await acquire(limiter) == 0
    assert await acquire(limiter) > 0


def test_budget_dir_can_be_shared(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CCDESK_BUDGET_DIR", str(tmp_path))
    assert budget_path().parent == tmp_path


# ---- the client against the sandbox over loopback ------------------------------------------------------------

@pytest.fixture
def sandbox_options() -> dict[str, Any]:
    return {"contacts": 5, "seed": 1, "tokens": ["t"], "rate_limit": 0}


def _client(server: SandboxServer, slept: list[float], **kw) -> CCClient:
    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return CCClient(StaticTokenProvider("t"), base_url=server.api_base, rate_limiter=RateLimiter(0), sleep=sleep,
                    **kw)


async def test_retry_after_is_honoured(server: SandboxServer) -> None:
    cid = server.sandbox.contact_ids()[0]
    server.sandbox.faults.update({"throttle_next": 1, "retry_after": 3})
    slept: list[float] = []
    async with _client(server, slept) as client:
        await client.get_contact(cid)
    assert slept == [3.0]


async def test_a_long_burst_elsewhere_costs_time_not_the_command(server: SandboxServer) -> None:
    """Ten 429s in a row (more than the five attempts other failures get) are waited out."""
    cid = server.sandbox.contact_ids()[0]
    server.sandbox.faults.update({"throttle_next": 10})
    slept: list[float] = []
    async with _client(server, slept, retry=RetryPolicy(attempts=5)) as client:
        contact = await client.get_contact(cid)
    assert contact.contact_id == cid and len(slept) == 10


async def test_throttling_that_never_ends_still_gives_up(server: SandboxServer) -> None:
    cid = server.sandbox.contact_ids()[0]
    server.sandbox.faults.update({"throttle_next": 1000})
    policy = RetryPolicy(attempts=2, base_delay=0.01, max_throttled_delay=0.02, throttled_patience_s=0.5)

    async with CCClient(StaticTokenProvider("t"), base_url=server.api_base, rate_limiter=RateLimiter(0),
                        retry=policy) as client:
        started = time.monotonic()
        with pytest.raises(Throttled):
            await client.get_contact(cid)
    assert time.monotonic() - started < 30


async def test_a_retry_after_beyond_patience_is_not_waited_for(server: SandboxServer) -> None:
    cid = server.sandbox.contact_ids()[0]
    server.sandbox.faults.update({"throttle_next": 1, "retry_after": 3600})
    slept: list[float] = []
    async with _client(server, slept) as client:
        with pytest.raises(Throttled):
            await client.get_contact(cid)
    assert slept == []


def test_concurrent_acquires_in_one_process_queue(tmp_path: Path) -> None:
    clock = Clock()
    limiter = budget(tmp_path / "b.sqlite3", clock)

    async def go() -> list[float]:
        return list(await asyncio.gather(*(acquire(limiter) for _ in range(8))))

    waits = asyncio.run(go())
    assert sorted(waits) == [0] * 7 + [pytest.approx(1.0)]  # 4 at once, the 5th a window later, 6-8 with it


async def test_the_count_is_read_from_a_folder_with_a_hash_given_relative(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Opened read-only the one way ccdesk does (ccdesk/sqlite_uri.py: a Windows drive path stays a path)."""
    clock = Clock()
    folder = tmp_path / "Team #2"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    await acquire(budget(Path("Team #2") / "b.sqlite3", clock))
    assert requests_used_today("key-1", Path("Team #2") / "b.sqlite3", clock.now) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Team #2"]
