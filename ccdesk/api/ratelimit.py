"""Client-side rate limiting shared by every call of one client, so the app never causes a 429 itself."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable


class RateLimiter:
    """At most `rate` requests in any sliding window of `window` seconds.

    A sliding window keeps us under the service's limit whichever way it counts (fixed seconds or a token
    bucket). A small margin on the window absorbs the jitter between sending and the server's arrival clock.
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
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()
        self.waited_s = 0.0  # total time spent waiting, shown in the status bar

    async def acquire(self) -> float:
        """Wait for a slot; returns how long this call waited."""
        if self.rate <= 0:
            return 0.0
        limit = self._limit
        waited = 0.0
        async with self._lock:
            while True:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self.window:
                    self._sent.popleft()
                if len(self._sent) < limit:
                    self._sent.append(now)
                    self.waited_s += waited
                    return waited
                delay = self.window - (now - self._sent[0])
                waited += delay
                await self._sleep(delay)
