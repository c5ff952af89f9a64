"""The team's request budget: every desk's requests with the organisation's API key draw from one sliding window
(4 a second) and count one daily quota, in PostgreSQL.

The desk-wide budget (ccdesk/api/shared_budget.py) already does this for the processes of one desk in a SQLite
file; this is the same rule with the state in the team database: one short transaction per request, serialised
by an advisory lock on the API key, with the database's clock (the only one every desk shares). A 429 from the
service still pauses and halves the team's rate. If the database cannot be reached the desk falls back to its
desk-wide budget (logged), so losing the database never stops sending; it only stops sharing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import psycopg

from ccdesk.api.ratelimit import RateLimiter, pause_after_429
from ccdesk.api.shared_budget import MIN_RATE, SharedBudget, pace_now, slot_windows, wait_for_shared_slot, wait_for_slot

from . import dsn as _dsn
from .errors import TeamUnreachable

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_DATABASE_S = 30.0  # after losing the database, how soon a request tries it again


class TeamBudget(RateLimiter):
    """A RateLimiter whose window, pauses and day count live in the team database (see the module docstring)."""

    def __init__(self, api_key: str, dsn: str, *, rate: float = 4.0, window: float = 1.02,
                 fallback: RateLimiter | None = None) -> None:
        super().__init__(rate, window)
        self.api_key = api_key
        self._dsn = dsn
        self._conn: psycopg.Connection[Any] | None = None
        self._db_lock = threading.Lock()
        self._fallback = fallback if fallback is not None else SharedBudget(api_key, rate=rate, window=window)
        self._down_until = 0.0
        self.requests_here = 0  # slots this process took from the team budget

    # ---- the database -------------------------------------------------------------------------------------
    def _run(self, fn: Callable[[psycopg.Connection[Any], float], T]) -> T | None:
        """fn(conn, db_now) in one transaction holding the key's advisory lock; None when unreachable."""
        with self._db_lock:
            loop_now = self._clock()
            if loop_now < self._down_until:
                return None
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = _dsn.connect(self._dsn)
                with self._conn.transaction():
                    self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 1))", (self.api_key,))
                    row = self._conn.execute("SELECT extract(epoch FROM clock_timestamp())::float8").fetchone()
                    return fn(self._conn, float(row[0]) if row else loop_now)
            except (TeamUnreachable, psycopg.Error) as exc:
                log.warning("the team request budget cannot be used (%s); using this desk's own for %.0f s",
                            getattr(exc, "message", type(exc).__name__), RETRY_DATABASE_S)
                self._drop()
                self._down_until = loop_now + RETRY_DATABASE_S
                return None

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        with self._db_lock:
            self._drop()
        close = getattr(self._fallback, "close", None)
        if close:
            close()

    # ---- pace ---------------------------------------------------------------------------------------------
    def _pace(self, conn: psycopg.Connection[Any], now: float) -> tuple[float, float, float]:
        row = conn.execute("SELECT rate, reduced_at, paused_until FROM ccdesk.budget_pace WHERE key = %s",
                           (self.api_key,)).fetchone()
        return pace_now(row, self.rate, now)

    def _take(self, conn: psycopg.Connection[Any], now: float) -> tuple[float, int | None]:
        rate, reduced_at, paused_until = self._pace(conn, now)
        if paused_until > now:  # as pace_now bounds it, written back: the bound must not move on with the clock
            conn.execute("UPDATE ccdesk.budget_pace SET paused_until = %s, reduced_at = %s WHERE key = %s",
                         (paused_until, reduced_at, self.api_key))
            return paused_until - now, None
        window, longest = slot_windows(self.window, self.rate, rate)
        conn.execute("DELETE FROM ccdesk.budget_sends WHERE key = %s AND (at <= %s OR at > %s)",
                     (self.api_key, now - longest, now + 1))
        recent = [at for (at,) in conn.execute("SELECT at FROM ccdesk.budget_sends WHERE key = %s AND at > %s "
                                               "ORDER BY at", (self.api_key, now - window))]
        if wait := wait_for_slot(recent, self._limit, window, now):
            return wait, None
        row = conn.execute("INSERT INTO ccdesk.budget_sends (key, at) VALUES (%s, %s) RETURNING id",
                           (self.api_key, now)).fetchone()
        conn.execute("INSERT INTO ccdesk.budget_days (key, day, used) VALUES (%s, (to_timestamp(%s) AT TIME ZONE "
                     "'UTC')::date, 1) ON CONFLICT (key, day) DO UPDATE SET used = ccdesk.budget_days.used + 1",
                     (self.api_key, now))
        return 0.0, int(row[0]) if row else None

    async def _take_slot(self) -> tuple[float, object]:
        if self.rate <= 0:
            return 0.0, None

        async def take() -> tuple[float, int | None] | None:  # None: no database, the desk's own budget for now
            return await asyncio.to_thread(self._run, self._take)

        waited, rowid = await wait_for_shared_slot(self, take)
        if rowid is not None:
            self.requests_here += 1
            return waited, ("team", rowid)
        own_wait, handle = await self._fallback._take_slot()
        return waited + own_wait, ("desk", handle)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        """RateLimiter.slot(), with the slot dated in a worker thread: a database across the network must not
        hold the window's event loop for a round trip per request."""
        waited, handle = await self._take_slot()
        try:
            yield waited
        finally:
            if handle is not None:
                await asyncio.shield(asyncio.to_thread(self._settle, handle))

    def _settle(self, handle: object) -> None:
        assert isinstance(handle, tuple)
        where, inner = handle
        if where == "desk":
            if inner is not None:
                self._fallback._settle(inner)
            return
        self._run(lambda conn, now: conn.execute("UPDATE ccdesk.budget_sends SET at = %s WHERE id = %s",
                                                 (now, inner)))

    def throttled(self, retry_after: float | None = None) -> None:
        """A 429: pause every desk of the team and halve the team's rate (once per window)."""
        super().throttled(retry_after)
        self._fallback.throttled(retry_after)
        pause = pause_after_429(retry_after)

        def slow_down(conn: psycopg.Connection[Any], now: float) -> None:
            rate, reduced_at, paused_until = self._pace(conn, now)
            if now - reduced_at > self.window:
                rate, reduced_at = max(MIN_RATE, rate / 2), now
            conn.execute("INSERT INTO ccdesk.budget_pace (key, rate, reduced_at, paused_until) VALUES (%s, %s, %s, %s) "
                         "ON CONFLICT (key) DO UPDATE SET rate = excluded.rate, reduced_at = excluded.reduced_at, "
                         "paused_until = excluded.paused_until", (self.api_key, rate, reduced_at,
                                                                  max(paused_until, now + pause)))
            conn.execute("UPDATE ccdesk.budget_days SET used = greatest(0, used - 1) WHERE key = %s AND "
                         "day = (to_timestamp(%s) AT TIME ZONE 'UTC')::date", (self.api_key, now))
        self._run(slow_down)

    def used_today(self) -> int:
        """Requests the whole team sent today (UTC) with this key."""
        got = self._run(lambda conn, now: conn.execute(
            "SELECT used FROM ccdesk.budget_days WHERE key = %s AND day = (to_timestamp(%s) AT TIME ZONE 'UTC')::date",
            (self.api_key, now)).fetchone())
        return int(got[0]) if got else 0
