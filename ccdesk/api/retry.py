"""When and how long to wait before trying a failed request again."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .errors import ApiError, Throttled


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, and the server's `Retry-After` honoured when it sends one.

    Only idempotent requests (GET, PUT, DELETE) are retried on 5xx, network errors and malformed answers: a
    POST that creates an activity may have been carried out even though the answer was lost, so it is never
    repeated blindly. A 429 `throttled` is retried for every method, because the service refused the request
    before doing anything, and for as long as `throttled_patience_s` rather than a number of attempts: the
    per-second limit belongs to the API key, so another desk's burst can refuse us for a while, and that
    should cost seconds, not the command. `quota_exceeded` is never retried: it lasts until 00:00 UTC.
    A `Retry-After` longer than `max_retry_after_s` is not waited for (the error is raised at once).
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    throttled_patience_s: float = 120.0
    max_throttled_delay: float = 8.0
    max_retry_after_s: float = 300.0

    def should_retry(self, error: ApiError, *, idempotent: bool, attempt: int, elapsed: float = 0.0) -> bool:
        if not error.retryable:
            return False
        if error.retry_after is not None and error.retry_after > self.max_retry_after_s:
            return False
        if isinstance(error, Throttled) and self.attempts > 1:
            return elapsed + self._throttled_cap(attempt) / 2 < self.throttled_patience_s or attempt < self.attempts
        if attempt >= self.attempts:
            return False
        return idempotent

    def _throttled_cap(self, attempt: int) -> float:
        return min(self.max_delay, self.max_throttled_delay, self.base_delay * (2.0 ** min(attempt - 1, 16)))

    def delay(self, attempt: int, rng: random.Random | None = None, error: ApiError | None = None) -> float:
        """Seconds to wait before attempt number `attempt + 1` (attempt counts from 1): the server's Retry-After
        when it gave one, else a jittered exponential backoff."""
        if error is not None and error.retry_after is not None:
            return error.retry_after
        if isinstance(error, Throttled):
            cap = self._throttled_cap(attempt)
        else:
            cap = min(self.max_delay, self.base_delay * (2 ** min(attempt - 1, 16)))
        return (rng or random).uniform(cap / 2, cap)

