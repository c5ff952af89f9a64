"""One request budget per API key for every ccdesk process on this desk: the window and scheduled commands.

Constant Contact limits requests per API key (4 a second, 10,000 a UTC day), whichever process or desk sends
them. The processes of one desk share a small SQLite file (not the cache: `--db` may point several commands at
different caches, yet they use one key), so together they stay under the per-second limit and count the day's
requests once. Each request takes a slot in one short write transaction (well under a millisecond; see
`tests/benchmarks/bench_multiprocess_budget.py`); waiting happens outside it, in the process's event loop.

Other desks that use the same key are not visible here. A `throttled` 429 from the service (or its Retry-After)
therefore pauses every process of this desk and halves the shared rate, which then grows back by
`RECOVERY_PER_S` requests a second per second while no 429 arrives: a burst from another desk costs seconds.

The file lives in the user's state directory; set `CCDESK_BUDGET_DIR` to a folder several users can write to
if scheduled jobs run as another user on the same desk. If the file cannot be used, the process falls back to a
budget of its own (logged) rather than failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import platformdirs

from ccdesk.sqlite_uri import read_only_uri

from .ratelimit import MAX_PAUSE_S, RateLimiter, pause_after_429

log = logging.getLogger(__name__)
T = TypeVar("T")

BUDGET_FILENAME = "request-budget.sqlite3"
MIN_RATE = 0.5            # the slowest the desk goes after repeated 429s (requests per second)
RECOVERY_PER_S = 0.2      # how fast the rate grows back after a 429 (requests/s per second): 2 → 4 in 10 s
KEEP_DAYS = 8
BUSY_BACKOFF_S = 30.0     # how long a process paces itself after the file stayed locked past the busy timeout
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sends (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sends_key_at ON sends (key, at);
CREATE TABLE IF NOT EXISTS pace (key TEXT PRIMARY KEY, rate REAL NOT NULL, reduced_at REAL NOT NULL,
                                 paused_until REAL NOT NULL, throttled INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS days (key TEXT NOT NULL, day TEXT NOT NULL, used INTEGER NOT NULL,
                                 PRIMARY KEY (key, day));
"""


def budget_path() -> Path:
    """Where the desk's budget file is: `$CCDESK_BUDGET_DIR` or the user's state directory."""
    folder = os.environ.get("CCDESK_BUDGET_DIR") or platformdirs.user_state_dir("ccdesk", appauthor=False)
    return Path(folder) / BUDGET_FILENAME


def _utc_day(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")


def _open(path: Path) -> sqlite3.Connection:
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=2.0, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # a count lost to a power cut costs nothing
        conn.executescript(_SCHEMA)
    except BaseException:
        conn.close()
        raise
    return conn


def requests_used_today(api_key: str, path: Path | None = None, now: float | None = None) -> int:
    """Requests every ccdesk process of this desk sent today (UTC day) with this API key. 0 if none or no file."""
    p = path or budget_path()
    if not p.exists():
        return 0
    try:
        conn = sqlite3.connect(read_only_uri(p), uri=True, timeout=2.0)
        try:
            row = conn.execute("SELECT used FROM days WHERE key = ? AND day = ?",
                               (api_key, _utc_day(time.time() if now is None else now))).fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.warning("could not read the request budget file %s: %s", p, exc)
        return 0
    return int(row[0]) if row else 0


def _busy(exc: sqlite3.Error) -> bool:
    """Another connection held the file's lock for longer than the busy timeout (SQLITE_BUSY, SQLITE_LOCKED)."""
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF in (5, 6)


@dataclass(frozen=True)
class _Shared:
    rowid: int



def pace_now(row: tuple[float, float, float] | None, full_rate: float, now: float) -> tuple[float, float, float]:
    """(rate now, when it was last reduced, paused until) from a stored pace row: a halved rate grows back by
    RECOVERY_PER_S a second up to the full rate; a pause no further ahead than MAX_PAUSE_S (times are wall-clock,
    and a clock that jumped back must not stop every process for the jump). The desk's file and the team's table
    keep the same row."""
    if row is None:
        return full_rate, 0.0, 0.0
    rate, reduced_at, paused_until = row
    reduced_at = min(reduced_at, now)  # a clock that jumped back must not hold the rate down for the jump either
    return (min(full_rate, rate + (now - reduced_at) * RECOVERY_PER_S), reduced_at,
            min(paused_until, now + MAX_PAUSE_S))


def slot_windows(base_window: float, full_rate: float, rate: float) -> tuple[float, float]:
    """(the window `limit` sends fit in at the current rate, the longest window any rate can need)."""
    return base_window * full_rate / rate, base_window * full_rate / MIN_RATE


def wait_for_slot(recent: list[float], limit: int, window: float, now: float) -> float:
    """0 if a send may go now, given the sorted send times of the last `window` seconds; else how long to wait."""
    if len(recent) < limit:
        return 0.0
    return max(0.001, recent[len(recent) - limit] + window - now)


async def wait_for_shared_slot(limiter: RateLimiter, take: Callable[[], Awaitable[tuple[float, int | None] | None]]
                               ) -> tuple[float, int | None]:
    """Ask `take` for a slot in a shared table until it gives one: (seconds waited, its row id), or (seconds
    waited, None) when the table is out of reach and the caller falls back to a budget of its own."""
    waited = 0.0
    async with limiter._lock:
        while (taken := await take()) is not None:
            delay, rowid = taken
            if rowid is not None:
                limiter.waited_s += waited
                return waited, rowid
            waited += delay
            await limiter._sleep(delay)
    return waited, None

class SharedBudget(RateLimiter):
    """A RateLimiter whose sliding window, pauses and daily count live in the desk's budget file.

    `rate`, `window` and `slot()` mean what they mean in RateLimiter; the window is shared by every process
    using the same `api_key` and file. Times are wall-clock (`time.time`), the only clock processes share.
    """

    def __init__(self, api_key: str, path: Path | None = None, rate: float = 4.0, window: float = 1.02,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        super().__init__(rate, window, clock=clock, sleep=sleep)
        self.api_key = api_key
        self.path = path or budget_path()
        self._conn: sqlite3.Connection | None = None
        self._broken = False
        self._busy_until = 0.0  # after the file stayed locked past the busy timeout: our own window until then
        self._db_lock = threading.Lock()

    # ---- the file ----------------------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection | None:
        if self._conn is None and not self._broken:
            try:
                self._conn = _open(self.path)
            except (OSError, sqlite3.Error) as exc:
                self._give_up(exc)
        return self._conn

    def _give_up(self, exc: BaseException) -> None:
        log.warning("the shared request budget %s cannot be used (%s); this process keeps its own", self.path, exc)
        self._broken = True
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None

    def _write(self, fn: Callable[[sqlite3.Connection, float], T]) -> T | None:
        """Run fn(conn, now) in one immediate transaction; None when the file is unusable."""
        with self._db_lock:
            if time.monotonic() < self._busy_until:
                return None
            conn = self._connection()
            if conn is None:
                return None
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(conn, self._clock())
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                return result
            except sqlite3.Error as exc:
                if _busy(exc):  # held past the busy timeout (a process stopped mid-write): for a while, not for good
                    # (each wait blocks the caller's thread, the window's in the window: not one per request)
                    self._busy_until = time.monotonic() + BUSY_BACKOFF_S
                    log.info("the shared request budget %s stayed locked; this process paces itself alone for "
                             "%.0f s", self.path, BUSY_BACKOFF_S)
                    return None
                self._give_up(exc)
                return None

    def close(self) -> None:
        with self._db_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # ---- pace ---------------------------------------------------------------------------------------------

    def _pace(self, conn: sqlite3.Connection, now: float) -> tuple[float, float, float]:
        """(current rate, when it was last reduced, paused until) for our key."""
        row = conn.execute("SELECT rate, reduced_at, paused_until FROM pace WHERE key = ?",
                           (self.api_key,)).fetchone()
        return pace_now(row, self.rate, now)

    def _take(self, conn: sqlite3.Connection, now: float) -> tuple[float, int | None]:
        """Take a slot: (0, its row id), or (how long to wait before asking again, None)."""
        rate, reduced_at, paused_until = self._pace(conn, now)
        if paused_until > now:  # as pace_now bounds it, written back: the bound must not move on with the clock
            conn.execute("UPDATE pace SET paused_until = ?, reduced_at = ? WHERE key = ?",
                         (paused_until, reduced_at, self.api_key))
            return paused_until - now, None
        window, longest = slot_windows(self.window, self.rate, rate)
        conn.execute("DELETE FROM sends WHERE key = ? AND (at <= ? OR at > ?)", (self.api_key, now - longest, now + 1))
        recent = [at for (at,) in conn.execute(
            "SELECT at FROM sends WHERE key = ? AND at > ? ORDER BY at", (self.api_key, now - window))]
        if wait := wait_for_slot(recent, self._limit, window, now):
            return wait, None
        rowid = conn.execute("INSERT INTO sends (key, at) VALUES (?, ?)", (self.api_key, now)).lastrowid
        conn.execute("INSERT INTO days (key, day, used) VALUES (?, ?, 1) "
                     "ON CONFLICT (key, day) DO UPDATE SET used = used + 1", (self.api_key, _utc_day(now)))
        return 0.0, rowid

    async def _take_slot(self) -> tuple[float, object]:
        if self.rate <= 0:
            return 0.0, None

        async def take() -> tuple[float, int | None] | None:  # None: the file is out of reach, our own window now
            return self._write(self._take)

        waited, rowid = await wait_for_shared_slot(self, take)
        if rowid is not None:
            return waited, _Shared(rowid)
        own_wait, handle = await super()._take_slot()
        return waited + own_wait, handle

    def _settle(self, handle: object) -> None:
        if not isinstance(handle, _Shared):
            super()._settle(handle)
            return
        self._write(lambda conn, now: conn.execute("UPDATE sends SET at = ? WHERE rowid = ?", (now, handle.rowid)))

    def throttled(self, retry_after: float | None = None) -> None:
        """Another desk used the key's budget: pause every process of this desk, and halve the shared rate
        (once per window, however many processes saw the same burst). The refused request is not counted."""
        super().throttled(retry_after)
        pause = pause_after_429(retry_after)

        def slow_down(conn: sqlite3.Connection, now: float) -> None:
            rate, reduced_at, paused_until = self._pace(conn, now)
            if now - reduced_at > self.window:
                rate, reduced_at = max(MIN_RATE, rate / 2), now
            conn.execute("INSERT OR REPLACE INTO pace (key, rate, reduced_at, paused_until, throttled) VALUES "
                         "(?, ?, ?, ?, COALESCE((SELECT throttled FROM pace WHERE key = ?), 0) + 1)",
                         (self.api_key, rate, reduced_at, max(paused_until, now + pause), self.api_key))
            conn.execute("UPDATE days SET used = MAX(0, used - 1) WHERE key = ? AND day = ?",
                         (self.api_key, _utc_day(now)))
            conn.execute("DELETE FROM days WHERE day < ?", (_utc_day(now - KEEP_DAYS * 86400),))
        self._write(slow_down)

    def current_rate(self) -> float:
        """The shared rate now (lower than `rate` for a while after a 429)."""
        result = self._write(lambda conn, now: self._pace(conn, now)[0])
        return self.rate if result is None else result

    def used_today(self) -> int:
        return requests_used_today(self.api_key, self.path, self._clock())
