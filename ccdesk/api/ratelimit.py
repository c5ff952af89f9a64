"""Client-side rate limiting shared by every call of one client, so the app never causes a 429 itself."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable

PAUSE_AFTER_429_S = 1.0
# The longest one 429 pauses every request of the desk (or the team). A longer Retry-After is not waited for by
# everybody: the request that got it gives up at once (RetryPolicy.max_retry_after_s), the others try again after
# this and pause again if they are refused too. It also bounds a stored pause left far ahead by a wall clock that
# jumped back (shared_budget.pace_now).
MAX_PAUSE_S = 60.0


def pause_after_429(retry_after: float | None) -> float:
    """How long a 429 pauses every request: the service's Retry-After, up to MAX_PAUSE_S."""
    return min(MAX_PAUSE_S, max(0.0, retry_after if retry_after is not None else PAUSE_AFTER_429_S))


class RateLimiter:
    """At most `rate` requests in any sliding window of `window` seconds.

    A sliding window keeps us under the service's limit whichever way it counts (fixed seconds or a token
    bucket). Requests sent through `slot()` are dated from their answer, so the margin needs no guess at the
    jitter between taking a slot and the request's arrival.
    `rate <= 0` disables limiting.
    """

    def __init__(self, rate: float = 4.0, window: float = 1.02,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.rate = rate
        # Below one request per second, widen the window so it still holds one request.
        self.window = window / rate if 0 < rate < 1 else window
        self._limit = max(1, int(rate))
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[list[float]] = deque()  # one cell per slot: when it was taken (then answered)
        self._lock = asyncio.Lock()
        self._paused_until = 0.0
        self.waited_s = 0.0  # total time spent waiting, shown in the status bar
        self.throttled_count = 0  # 429 throttled answers reported by the client

    def throttled(self, retry_after: float | None = None) -> None:
        """The service answered 429 throttled: someone else used this API key's budget. Send nothing for a
        moment (the server's Retry-After when it gave one, up to MAX_PAUSE_S)."""
        self.throttled_count += 1
        self._paused_until = max(self._paused_until, self._clock() + pause_after_429(retry_after))

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        """Hold a slot for one request; yields how long it waited. When the answer is in, the slot is dated from
        then: an upper bound of when the service counted the request, so no delay between taking the slot and
        the request's arrival (a busy machine, several processes) can make us exceed the service's limit."""
        waited, handle = await self._take_slot()
        try:
            yield waited
        finally:
            if handle is not None:
                self._settle(handle)

    def _settle(self, handle: object) -> None:
        assert isinstance(handle, list)
        handle[0] = self._clock()

    async def _take_slot(self) -> tuple[float, object]:
        if self.rate <= 0:
            return 0.0, None
        limit = self._limit
        waited = 0.0
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    waited += self._paused_until - now
                    await self._sleep(self._paused_until - now)
                    continue
                self._sent = deque(cell for cell in self._sent if now - cell[0] < self.window)
                if len(self._sent) < limit:
                    cell = [now]
                    self._sent.append(cell)
                    self.waited_s += waited
                    return waited, cell
                times = sorted(cell[0] for cell in self._sent)
                delay = max(0.001, times[len(times) - limit] + self.window - now)
                waited += delay
                await self._sleep(delay)
