"""Runs the sync every N minutes in the background, within the daily request quota, and says what it found."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ccdesk.api import ApiError, CCClient, QuotaExceeded, SignInRequired, Unauthorized
from ccdesk.api.shared_budget import SharedBudget
from ccdesk.events import Event
from ccdesk.store.database import DeskDatabase
from ccdesk.store.errors import StoreUnavailableError

from .database_thread import DatabaseThread
from .sync import SyncEngine, SyncResult

log = logging.getLogger(__name__)

DAILY_QUOTA = 10_000
# Requests kept back for what staff do by hand (an unsubscribe is two requests) when the quota runs low.
RESERVE = 500
OFFLINE_RETRY = timedelta(minutes=2)


@dataclass(frozen=True)
class QuotaStatus:
    used: int
    limit: int

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def low(self) -> bool:
        return self.left <= RESERVE


class QuotaMeter:
    """Counts the requests sent per UTC day (the service's quota resets at 00:00 UTC).

    With the desk's shared budget (SharedBudget) the count is every process's on this desk for the API key;
    otherwise (demo, tests) this client's own, persisted in the store so a restart does not forget them."""

    def __init__(self, db: DatabaseThread, client: CCClient, limit: int = DAILY_QUOTA,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._db = db
        self._client = client
        self.limit = limit
        self._clock = clock
        self._seen = client.stats.requests
        self._counted: tuple[str, int] | None = None  # (day, count) as the last update() stored it

    def _key(self) -> str:
        return f"quota.{self._clock().astimezone(UTC):%Y-%m-%d}"

    def peek(self) -> QuotaStatus | None:
        """The desk-wide count now (a read of the budget file, cheap enough for the GUI thread). Without a
        shared budget (demo mode): the count the last update() stored plus this client's requests since, or None
        before the first update() of the day."""
        limiter = self._client.rate_limiter
        if not isinstance(limiter, SharedBudget):
            if self._counted is None or self._counted[0] != self._key():
                return None
            return QuotaStatus(self._counted[1] + self._client.stats.requests - self._seen, self.limit)
        return QuotaStatus(limiter.used_today(), self.limit)

    async def update(self) -> QuotaStatus:
        """Add the requests sent since the last call to today's count."""
        if isinstance(self._client.rate_limiter, SharedBudget):
            return QuotaStatus(await asyncio.to_thread(self._client.rate_limiter.used_today), self.limit)
        now_total = self._client.stats.requests
        delta, self._seen = now_total - self._seen, now_total  # before the await: two updates never count twice
        key = self._key()

        def add(s: DeskDatabase) -> int:
            with s.transaction():
                used = int(s.get_state(key) or 0) + delta
                s.set_state(key, str(used))
                return used

        used = await self._db.call(add)
        self._counted = (key, used)
        return QuotaStatus(used, self.limit)


class SyncScheduler:
    """The background loop. Paused while signed out; waits a little while offline; never spends the reserve."""

    def __init__(self, engine: SyncEngine, meter: QuotaMeter, *, interval: timedelta = timedelta(minutes=15),
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self.meter = meter
        self.interval = interval
        self._clock = clock
        self._wake = asyncio.Event()
        self.paused_reason: str | None = None
        self.next_run_at: datetime | None = None
        self.finished = Event()      # (SyncResult)
        self.failed = Event()        # (message)
        self.quota = Event()         # (QuotaStatus)

    def run_now(self) -> None:
        self.next_run_at = None
        self._wake.set()

    def pause(self, reason: str) -> None:
        self.paused_reason = reason

    def resume(self) -> None:
        self.paused_reason = None
        self.run_now()

    async def run(self) -> None:
        while True:
            # Cleared before the work, not after: a wake() that arrives meanwhile must not be lost.
            self._wake.clear()
            if self.paused_reason is None and (self.next_run_at is None or self._clock() >= self.next_run_at):
                try:
                    await self.run_once()
                except StoreUnavailableError as exc:
                    self.next_run_at = self._clock() + OFFLINE_RETRY
                    self.failed.emit(f"The background check could not save what it read: {exc.message}")
            wait = 30.0 if self.next_run_at is None else max(0.1, (self.next_run_at - self._clock()).total_seconds())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def run_once(self) -> SyncResult | None:
        status = await self.meter.update()
        self.quota.emit(status)
        if status.low:
            self.next_run_at = _next_utc_midnight(self._clock())
            self.failed.emit(f"Background checks are paused until 00:00 UTC: {status.used:,} of {status.limit:,} "
                             f"requests used today, and the last {RESERVE} are kept for your own changes.")
            return None
        try:
            result = await self.engine.run()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # the scheduler itself is stopping
            self.next_run_at = self._clock() + self.interval  # the user cancelled this run
            return None
        except (SignInRequired, Unauthorized) as exc:
            self.pause(exc.message)
            self.failed.emit(exc.message)
            return None
        except QuotaExceeded as exc:
            self.next_run_at = exc.resets_at
            self.failed.emit(exc.message)
            return None
        except ApiError as exc:
            self.next_run_at = self._clock() + (OFFLINE_RETRY if exc.retryable else self.interval)
            self.failed.emit(f"The background check failed: {exc.message}")
            return None
        finally:
            self.quota.emit(await self.meter.update())
        self.next_run_at = self._clock() + self.interval
        self.finished.emit(result)
        return result


def _next_utc_midnight(now: datetime) -> datetime:
    return (now.astimezone(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
