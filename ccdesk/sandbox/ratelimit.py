"""Per-key request limits: N requests per second (sliding window) and a daily quota reset at 00:00 UTC.

The key is the token's OAuth client id when it has one (the service limits per API key, so a refreshed
token does not reset anything), else the token itself. Refused requests do not count.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .timefmt import utc_day


@dataclass
class ServiceRateLimit:
    per_second: float
    daily_quota: int
    clock: Callable[[], float]
    _windows: dict[str, deque[float]] = field(default_factory=dict)
    _days: dict[str, tuple[int, int]] = field(default_factory=dict)  # key → (UTC day, requests that day)

    def check(self, key: str) -> str | None:
        """None if the request may proceed (and it is counted), else "quota_exceeded" or "throttled"."""
        now = self.clock()
        day = utc_day(int(now * 1000))
        if self.daily_quota > 0:
            seen_day, used = self._days.get(key, (day, 0))
            if seen_day != day:
                used = 0
            if used >= self.daily_quota:
                return "quota_exceeded"
        if self.per_second > 0:
            allowed = max(1, math.floor(self.per_second))
            span = allowed / self.per_second  # 4/s → 4 in any 1 s; 0.5/s → 1 in any 2 s
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - span:
                window.popleft()
            if len(window) >= allowed:
                return "throttled"
            window.append(now)
        if self.daily_quota > 0:
            seen_day, used = self._days.get(key, (day, 0))
            self._days[key] = (day, (used if seen_day == day else 0) + 1)
        return None

    def used_today(self, key: str) -> int:
        day, used = self._days.get(key, (None, 0))
        return used if day == utc_day(int(self.clock() * 1000)) else 0
